#include "ui/sources/sources_page.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace winnow {

SourcesPage::SourcesPage(QWidget* parent) : QWidget(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 8, 12, 8);
    auto* bar = new QHBoxLayout;
    auto* addFiles = new QPushButton(tr("Add files…"), this);
    auto* addFolder = new QPushButton(tr("Add folder…"), this);
    auto* watch = new QCheckBox(tr("Keep watching (ingest lines as they are written)"), this);
    watch->setChecked(true);
    addFiles->setToolTip(tr("Ingest log files into the store"));
    addFolder->setToolTip(tr("Ingest every log file in a folder, recursively"));
    bar->addWidget(addFiles);
    bar->addWidget(addFolder);
    bar->addWidget(watch);
    bar->addStretch();
    layout->addLayout(bar);
    auto* receiverBar = new QHBoxLayout;
    m_receiver = new QCheckBox(tr("Receive OpenTelemetry traces (OTLP/HTTP on 127.0.0.1:4318)"), this);
    m_receiver->setToolTip(
        tr("Point an OTLP exporter at http://127.0.0.1:4318/v1/traces (JSON or protobuf)"));
    m_receiverStatus = new QLabel(this);
    m_receiverStatus->setForegroundRole(QPalette::PlaceholderText);
    receiverBar->addWidget(m_receiver);
    receiverBar->addWidget(m_receiverStatus, 1);
    layout->addLayout(receiverBar);
    connect(m_receiver, &QCheckBox::toggled, this, &SourcesPage::receiverToggled);
    connect(addFiles, &QPushButton::clicked, this,
            [this, watch] { Q_EMIT addFilesRequested(watch->isChecked()); });
    connect(addFolder, &QPushButton::clicked, this,
            [this, watch] { Q_EMIT addFolderRequested(watch->isChecked()); });

    auto* splitter = new QSplitter(Qt::Vertical, this);
    m_sources = new SourceListModel(this);
    m_sourceTable = new QTableView(splitter);
    m_sourceTable->setModel(m_sources);
    m_sourceTable->verticalHeader()->hide();
    m_sourceTable->horizontalHeader()->setSectionResizeMode(SourceListModel::Path, QHeaderView::Stretch);
    m_sourceTable->setSelectionBehavior(QAbstractItemView::SelectRows);

    auto* lower = new QWidget(splitter);
    auto* lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    lowerLayout->addWidget(new QLabel(tr("<b>Quarantined records</b> (select one to read it)"), lower));
    auto* quarantineSplit = new QSplitter(Qt::Horizontal, lower);
    m_quarantine = new QuarantineModel(this);
    m_quarantineTable = new QTableView(quarantineSplit);
    m_quarantineTable->setModel(m_quarantine);
    m_quarantineTable->verticalHeader()->hide();
    m_quarantineTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_quarantineTable->horizontalHeader()->setStretchLastSection(true);
    m_quarantineTable->setWordWrap(false);
    m_quarantineTable->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_quarantineTable->verticalHeader()->setDefaultSectionSize(m_quarantineTable->fontMetrics().height() + 8);
    const int widths[] = {200, 50, 80, 330};
    for (int c = 0; c < int(std::size(widths)); ++c)
        m_quarantineTable->setColumnWidth(c, widths[c]);
    m_detail = new QPlainTextEdit(quarantineSplit);
    m_detail->setReadOnly(true);
    m_detail->setPlaceholderText(tr("The reason and the raw excerpt of the selected record."));
    quarantineSplit->setStretchFactor(0, 3);
    quarantineSplit->setStretchFactor(1, 2);
    lowerLayout->addWidget(quarantineSplit, 1);
    layout->addWidget(splitter, 1);
    splitter->setSizes({260, 540});
    connect(m_quarantineTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) { openQuarantined(current.row()); });
    connect(&m_jobs, &JobRunner::failed, this, [this](const QString& message) {
        m_detail->setPlainText(tr("Could not read the sources: %1").arg(message));
    });
}

void SourcesPage::setStorePath(const std::string& path)
{
    m_jobs.setStorePath(path);
    refresh();
}

void SourcesPage::refresh()
{
    if (m_jobs.storePath().empty())
        return;
    m_jobs.run<Snapshot>(
        [](JobContext& context) {
            Store& store = context.store();
            return Snapshot{store.sources(), store.quarantine(1000)};
        },
        [this](Snapshot snapshot) {
            m_sources->setSources(std::move(snapshot.sources));
            m_quarantine->setEntries(std::move(snapshot.quarantine));
            if (m_quarantine->rowCount() > 0) // show the first record's reason and excerpt
                m_quarantineTable->selectRow(0);
            m_sourceTable->resizeColumnsToContents();
            m_sourceTable->horizontalHeader()->setSectionResizeMode(SourceListModel::Path,
                                                                    QHeaderView::Stretch);
            Q_EMIT loaded();
        });
}

void SourcesPage::openQuarantined(int row)
{
    const QuarantineEntry* entry = m_quarantine->entryAt(row);
    if (!entry) {
        m_detail->clear();
        return;
    }
    m_detail->setPlainText(tr("%1, line %2, byte %3\n%4\n\n%5")
                               .arg(QString::fromStdString(entry->sourcePath))
                               .arg(entry->record.line)
                               .arg(entry->record.byteOffset)
                               .arg(QString::fromStdString(entry->record.reason),
                                    QString::fromStdString(entry->record.excerpt)));
}

void SourcesPage::setReceiverState(bool on, const QString& text)
{
    const QSignalBlocker blocker(m_receiver);
    m_receiver->setChecked(on);
    m_receiverStatus->setText(text);
}

QString SourcesPage::quarantineDetail() const
{
    return m_detail->toPlainText();
}

} // namespace winnow
