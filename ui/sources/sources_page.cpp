#include "ui/sources/sources_page.h"

#include "core/jobs/job_tracker.h"
#include "core/store/source_store.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace winnow {

SourcesPage::SourcesPage(QWidget* parent) : Page(parent), m_jobs(new JobTracker(this))
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
    m_remove = new QPushButton(tr("Remove…"), this);
    m_remove->setToolTip(tr("Delete every interaction read from the selected source, then forget it"));
    m_reingest = new QPushButton(tr("Read again"), this);
    m_reingest->setToolTip(tr("Take back what was read from the selected file and read it again"));
    bar->addWidget(addFiles);
    bar->addWidget(addFolder);
    bar->addWidget(watch);
    bar->addStretch();
    bar->addWidget(m_reingest);
    bar->addWidget(m_remove);
    layout->addLayout(bar);
    m_writeControls = {addFiles, addFolder, watch};
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
    connect(m_sourceTable->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this] { updateButtons(); });
    connect(m_remove, &QPushButton::clicked, this, [this] {
        const QString path = selectedSource();
        if (path.isEmpty())
            return;
        const auto answer = QMessageBox::question(
            this, tr("Remove Source"),
            tr("Delete every interaction read from %1, with its signals, search rows and totals, and forget "
               "the source?")
                .arg(path));
        if (answer == QMessageBox::Yes)
            Q_EMIT removeSourceRequested(path);
    });
    connect(m_reingest, &QPushButton::clicked, this, [this] {
        if (const QString path = selectedSource(); !path.isEmpty())
            Q_EMIT reingestSourceRequested(path);
    });
    updateButtons();
}

void SourcesPage::setStore(const StoreContext& store)
{
    m_writable = store.writer != nullptr;
    for (QWidget* control : m_writeControls)
        control->setEnabled(m_writable);
    m_receiver->setEnabled(m_writable);
    m_jobs->setStorePath(store.path);
    refresh();
}

QString SourcesPage::selectedSource() const
{
    const SourceState* source = m_sources->sourceAt(m_sourceTable->currentIndex().row());
    return source ? QString::fromStdString(source->path) : QString();
}

void SourcesPage::selectSource(int row)
{
    m_sourceTable->selectRow(row);
}

void SourcesPage::updateButtons()
{
    const SourceState* source = m_sources->sourceAt(m_sourceTable->currentIndex().row());
    m_remove->setEnabled(m_writable && source);
    // Only a file can be read again; the receiver's and standard input's data are not kept.
    const bool file = source && !source->path.empty() && source->path.front() == '/';
    m_reingest->setEnabled(m_writable && file);
    m_reingest->setToolTip(file || !source
                               ? tr("Take back what was read from the selected file and read it again")
                               : tr("Only a file can be read again"));
}

void SourcesPage::refresh()
{
    if (m_jobs->storePath().empty())
        return;
    m_jobs->start<Snapshot>(
        [](JobContext& context) {
            SourceStore sources(context.database());
            return Snapshot{sources.sources(), sources.quarantine(1000)};
        },
        [this](Snapshot snapshot) {
            const QString selected = selectedSource();
            m_sources->setSources(std::move(snapshot.sources));
            m_quarantine->setEntries(std::move(snapshot.quarantine));
            for (int row = 0; row < m_sources->rowCount(); ++row)
                if (QString::fromStdString(m_sources->sourceAt(row)->path) == selected)
                    m_sourceTable->selectRow(row);
            if (m_quarantine->rowCount() > 0) // show the first record's reason and excerpt
                m_quarantineTable->selectRow(0);
            m_sourceTable->resizeColumnsToContents();
            m_sourceTable->horizontalHeader()->setSectionResizeMode(SourceListModel::Path,
                                                                    QHeaderView::Stretch);
            updateButtons();
            Q_EMIT loaded();
        },
        [this](const Error& error) {
            m_detail->setPlainText(
                tr("Could not read the sources: %1").arg(QString::fromStdString(error.text())));
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
