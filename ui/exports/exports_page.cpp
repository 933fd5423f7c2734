#include "ui/exports/exports_page.h"

#include "core/jobs/job_tracker.h"
#include "core/models/export_batch_model.h"
#include "core/store/export_store.h"
#include "ui/settings.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTimer>
#include <QUrl>
#include <QVBoxLayout>

namespace winnow {

namespace {

constexpr int previewRecords = 5;

QString formatHelp(ExportFormat format)
{
    switch (format) {
    case ExportFormat::OpenAiChat:
        return ExportsPage::tr("OpenAI chat fine-tuning JSONL: passes as they are, failures ending in the "
                               "reviewer's corrected answer.");
    case ExportFormat::OpenAiPreference:
        return ExportsPage::tr("OpenAI preference JSONL: the corrected answer preferred over the original.");
    case ExportFormat::TrlSft:
        return ExportsPage::tr("TRL SFT (messages): passes as they are, failures with their correction.");
    case ExportFormat::TrlDpo:
        return ExportsPage::tr("TRL DPO: prompt, chosen (the correction) and rejected (the original).");
    case ExportFormat::TrlKto:
        return ExportsPage::tr("TRL KTO: passes and corrections desirable, failed answers undesirable.");
    case ExportFormat::Eval:
        return ExportsPage::tr("An evaluation set: the conversation up to the judged turn, the ideal answer "
                               "and the failure category.");
    case ExportFormat::Jsonl:
        return ExportsPage::tr("Winnow JSONL: every interaction of the slice with its label, signals and "
                               "rule hits.");
    case ExportFormat::Csv:
        return ExportsPage::tr("CSV for analysts: one row per interaction of the slice.");
    }
    return {};
}

QString leftOutText(const std::string& reason)
{
    if (reason == "no_label")
        return ExportsPage::tr("without a final label");
    if (reason == "unsure")
        return ExportsPage::tr("unsure");
    if (reason == "not_adjudicated")
        return ExportsPage::tr("not adjudicated");
    if (reason == "fail_without_correction")
        return ExportsPage::tr("failures without a corrected answer");
    if (reason == "pass_not_used")
        return ExportsPage::tr("passes (this format takes corrections)");
    if (reason == "no_assistant_turn")
        return ExportsPage::tr("with no assistant answer");
    if (reason == "arguments_not_object")
        return ExportsPage::tr("with tool arguments that are not an object");
    return QString::fromStdString(reason);
}

QString number(std::int64_t n)
{
    return QLocale().toString(static_cast<qint64>(n));
}

} // namespace

ExportsPage::ExportsPage(QWidget* parent)
    : Page(parent), m_countJobs(new JobTracker(this)), m_previewJobs(new JobTracker(this)),
      m_exportJobs(new JobTracker(this)), m_historyJobs(new JobTracker(this)), m_recount(new QTimer(this))
{
    m_recount->setSingleShot(true);
    m_recount->setInterval(250);
    connect(m_recount, &QTimer::timeout, this, &ExportsPage::count);

    // The batch's definition.
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_format = new QComboBox(this);
    for (int f = 0; f < exportFormatCount; ++f)
        m_format->addItem(QString::fromLatin1(exportFormatName(static_cast<ExportFormat>(f))), f);
    m_formatHelp = new QLabel(this);
    m_formatHelp->setWordWrap(true);
    m_formatHelp->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(tr("&Format:"), m_format);
    form->addRow(QString(), m_formatHelp);
    m_slice = new QLabel(this);
    m_slice->setWordWrap(true);
    m_slice->setToolTip(tr("The batch takes the slice of the filter bar above"));
    form->addRow(tr("Slice:"), m_slice);

    m_unreviewed = new QCheckBox(tr("Interactions without a label, as passes"), this);
    m_adjudicated = new QCheckBox(tr("Adjudicated labels only"), this);
    auto* take = new QVBoxLayout;
    take->addWidget(m_unreviewed);
    take->addWidget(m_adjudicated);
    form->addRow(tr("Take:"), take);

    m_redact = new QCheckBox(tr("Redact personal data and secrets (the rules whose action is redact)"), this);
    m_dedupe = new QCheckBox(tr("Remove near-duplicates at similarity"), this);
    m_dedupeThreshold = new QDoubleSpinBox(this);
    m_dedupeThreshold->setRange(0.5, 1.0);
    m_dedupeThreshold->setSingleStep(0.05);
    m_dedupeThreshold->setValue(0.85);
    m_split = new QCheckBox(tr("Split: train"), this);
    m_trainPercent = new QSpinBox(this);
    m_trainPercent->setRange(1, 99);
    m_trainPercent->setValue(90);
    m_trainPercent->setSuffix(tr("% (the rest validates; by category, sessions kept whole)"));
    m_cap = new QCheckBox(tr("At most"), this);
    m_capCount = new QSpinBox(this);
    m_capCount->setRange(1, 10'000'000);
    m_capCount->setValue(1000);
    m_capCount->setSuffix(tr(" records per category"));
    m_seed = new QSpinBox(this);
    m_seed->setRange(1, 1'000'000);
    m_seed->setToolTip(tr("The seed of the split and of balancing: the same seed, the same batch"));
    auto* curate = new QVBoxLayout;
    curate->addWidget(m_redact);
    auto row = [this](QWidget* a, QWidget* b) {
        auto* line = new QHBoxLayout;
        line->addWidget(a);
        line->addWidget(b);
        line->addStretch();
        return line;
    };
    curate->addLayout(row(m_dedupe, m_dedupeThreshold));
    curate->addLayout(row(m_split, m_trainPercent));
    curate->addLayout(row(m_cap, m_capCount));
    auto* seedLine = new QHBoxLayout;
    seedLine->addWidget(new QLabel(tr("Seed:"), this));
    seedLine->addWidget(m_seed);
    seedLine->addStretch();
    curate->addLayout(seedLine);
    form->addRow(tr("Curate:"), curate);

    m_arguments = new QComboBox(this);
    m_arguments->addItem(tr("As the format writes them"));
    m_arguments->addItem(tr("A JSON string (OpenAI)"));
    m_arguments->addItem(tr("An object (TRL)"));
    m_weights = new QCheckBox(tr("Weight 0 on context turns, 1 on the corrected answer"), this);
    form->addRow(tr("Tool arguments:"), m_arguments);
    form->addRow(tr("Weights:"), m_weights);

    m_folder = new QLineEdit(this);
    auto* browse = new QPushButton(tr("Browse…"), this);
    auto* folderLine = new QHBoxLayout;
    folderLine->addWidget(m_folder, 1);
    folderLine->addWidget(browse);
    form->addRow(tr("Folder:"), folderLine);

    m_count = new QLabel(this);
    m_count->setWordWrap(true);
    m_count->setTextFormat(Qt::RichText);
    m_export = new QPushButton(tr("Export"), this);
    m_export->setDefault(true);
    m_progress = new QProgressBar(this);
    m_progress->setVisible(false);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* run = new QHBoxLayout;
    run->addWidget(m_export);
    run->addWidget(m_progress, 1);

    auto* definitionBox = new QGroupBox(tr("New Batch"), this);
    auto* definitionLayout = new QVBoxLayout(definitionBox);
    definitionLayout->addLayout(form);
    definitionLayout->addWidget(m_count);
    definitionLayout->addLayout(run);
    definitionLayout->addWidget(m_status);
    definitionLayout->addStretch();

    m_preview = new QPlainTextEdit(this);
    m_preview->setReadOnly(true);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_preview->setPlaceholderText(tr("The first records, exactly as they will be written"));
    auto* previewBox = new QGroupBox(tr("Preview: the first %1 records as written, one a line (before curation)").arg(previewRecords), this);
    auto* previewLayout = new QVBoxLayout(previewBox);
    previewLayout->addWidget(m_preview);

    m_history = new ExportBatchModel(this);
    m_batches = new QTableView(this);
    m_batches->setModel(m_history);
    m_batches->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_batches->setSelectionMode(QAbstractItemView::SingleSelection);
    m_batches->verticalHeader()->hide();
    m_batches->horizontalHeader()->setStretchLastSection(true);
    m_batches->setAlternatingRowColors(true);
    m_manifest = new QPlainTextEdit(this);
    m_manifest->setReadOnly(true);
    m_manifest->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_manifest->setPlaceholderText(tr("The selected batch's manifest"));
    m_openFolder = new QPushButton(tr("Open Folder"), this);
    m_openFolder->setEnabled(false);
    auto* historyBox = new QGroupBox(tr("Batches"), this);
    auto* historyLayout = new QHBoxLayout(historyBox);
    auto* historySplit = new QSplitter(Qt::Horizontal, historyBox);
    historySplit->addWidget(m_batches);
    auto* manifestPane = new QWidget(historySplit);
    auto* manifestLayout = new QVBoxLayout(manifestPane);
    manifestLayout->setContentsMargins(0, 0, 0, 0);
    manifestLayout->addWidget(m_manifest);
    auto* manifestBar = new QHBoxLayout;
    manifestBar->addStretch();
    manifestBar->addWidget(m_openFolder);
    manifestLayout->addLayout(manifestBar);
    historySplit->addWidget(manifestPane);
    historySplit->setStretchFactor(0, 3);
    historySplit->setStretchFactor(1, 2);
    historyLayout->addWidget(historySplit);

    auto* top = new QSplitter(Qt::Horizontal, this);
    top->addWidget(definitionBox);
    top->addWidget(previewBox);
    top->setStretchFactor(0, 2);
    top->setStretchFactor(1, 3);
    auto* whole = new QSplitter(Qt::Vertical, this);
    whole->addWidget(top);
    whole->addWidget(historyBox);
    whole->setStretchFactor(0, 3);
    whole->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(whole);

    for (QCheckBox* box : {m_unreviewed, m_adjudicated, m_redact, m_dedupe, m_split, m_cap, m_weights})
        connect(box, &QCheckBox::toggled, this, &ExportsPage::definitionChanged);
    connect(m_format, &QComboBox::currentIndexChanged, this, &ExportsPage::definitionChanged);
    connect(m_arguments, &QComboBox::currentIndexChanged, this, &ExportsPage::definitionChanged);
    connect(m_dedupeThreshold, &QDoubleSpinBox::valueChanged, this, &ExportsPage::definitionChanged);
    connect(m_trainPercent, &QSpinBox::valueChanged, this, &ExportsPage::definitionChanged);
    connect(m_capCount, &QSpinBox::valueChanged, this, &ExportsPage::definitionChanged);
    connect(m_seed, &QSpinBox::valueChanged, this, &ExportsPage::definitionChanged);
    connect(m_folder, &QLineEdit::textEdited, this, [this] { m_folderEdited = true; });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Write the Batch Into"), m_folder->text());
        if (!folder.isEmpty()) {
            m_folder->setText(folder);
            m_folderEdited = true;
        }
    });
    connect(m_export, &QPushButton::clicked, this, &ExportsPage::startExport);
    connect(m_exportJobs, &JobTracker::progress, this, [this](double fraction, const QString& what) {
        m_progress->setRange(0, fraction < 0 ? 0 : 1000);
        m_progress->setValue(fraction < 0 ? 0 : int(fraction * 1000));
        m_status->setText(what);
    });
    connect(m_batches->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ExportsPage::showManifest);
    connect(m_openFolder, &QPushButton::clicked, this, [this] {
        if (const ExportBatch* batch = m_history->batchAt(m_batches->currentIndex().row()))
            QDesktopServices::openUrl(QUrl::fromLocalFile(QString::fromStdString(batch->outDir)));
    });
    definitionChanged();
}

void ExportsPage::setStore(const StoreContext& store)
{
    m_store = store;
    for (JobTracker* jobs : {m_countJobs, m_previewJobs, m_exportJobs, m_historyJobs})
        jobs->setStorePath(store.path);
    m_export->setEnabled(store.writer != nullptr);
    m_export->setToolTip(store.writer ? QString() : store.readOnlyReason);
    loadHistory();
    m_recount->start();
}

void ExportsPage::setFilter(const MetricsFilter& filter)
{
    m_filter = filter;
    const QString conditions = QString::fromStdString(conditionListText(filter.where));
    QString range;
    if (filter.fromMs || filter.toMs)
        range = tr("%1 to %2")
                    .arg(filter.fromMs ? QDateTime::fromMSecsSinceEpoch(*filter.fromMs).toString(QStringLiteral("yyyy-MM-dd hh:mm"))
                                       : tr("the start"),
                         filter.toMs ? QDateTime::fromMSecsSinceEpoch(*filter.toMs).toString(QStringLiteral("yyyy-MM-dd hh:mm"))
                                     : tr("now"));
    m_slice->setText(conditions.isEmpty() && range.isEmpty() ? tr("every interaction (the filter bar is empty)")
                     : conditions.isEmpty()                  ? range
                     : range.isEmpty()                       ? conditions
                                                             : range + QStringLiteral(" · ") + conditions);
    m_recount->start();
}

void ExportsPage::refresh()
{
    loadHistory();
    m_recount->start();
}

ExportDefinition ExportsPage::definition() const
{
    ExportDefinition d;
    d.format = static_cast<ExportFormat>(m_format->currentData().toInt());
    d.slice = m_filter;
    d.includeUnreviewed = m_unreviewed->isChecked();
    d.adjudicatedOnly = m_adjudicated->isChecked();
    d.redact = m_redact->isChecked();
    if (m_dedupe->isChecked())
        d.dedupeThreshold = m_dedupeThreshold->value();
    if (m_split->isChecked())
        d.trainFraction = m_trainPercent->value() / 100.0;
    if (m_cap->isChecked())
        d.maxPerCategory = m_capCount->value();
    d.seed = std::uint64_t(m_seed->value());
    if (m_arguments->currentIndex() == 1)
        d.arguments = ArgumentsStyle::String;
    else if (m_arguments->currentIndex() == 2)
        d.arguments = ArgumentsStyle::Object;
    d.weights = d.format == ExportFormat::OpenAiChat && m_weights->isChecked();
    return d;
}

void ExportsPage::setFormat(ExportFormat format)
{
    m_format->setCurrentIndex(static_cast<int>(format));
}

void ExportsPage::setOutDir(const QString& path)
{
    m_folder->setText(path);
    m_folderEdited = true;
}

void ExportsPage::setRedact(bool on)
{
    m_redact->setChecked(on);
}

void ExportsPage::setSplit(std::optional<double> trainFraction)
{
    m_split->setChecked(trainFraction.has_value());
    if (trainFraction)
        m_trainPercent->setValue(qRound(*trainFraction * 100));
}

QString ExportsPage::suggestedFolder() const
{
    const QString documents = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return QDir(documents.isEmpty() ? QDir::homePath() : documents)
        .filePath(QStringLiteral("winnow-batches/%1-%2")
                      .arg(m_format->currentText(),
                           QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-hhmm"))));
}

void ExportsPage::definitionChanged()
{
    const auto format = static_cast<ExportFormat>(m_format->currentData().toInt());
    m_formatHelp->setText(formatHelp(format));
    const bool training = formatNeedsLabel(format);
    m_unreviewed->setEnabled(training);
    m_weights->setEnabled(format == ExportFormat::OpenAiChat);
    m_arguments->setEnabled(training);
    m_dedupeThreshold->setEnabled(m_dedupe->isChecked());
    m_trainPercent->setEnabled(m_split->isChecked());
    m_capCount->setEnabled(m_cap->isChecked());
    if (!m_folderEdited)
        m_folder->setText(suggestedFolder());
    m_recount->start();
}

void ExportsPage::count()
{
    if (m_store.path.empty())
        return;
    const ExportDefinition d = definition();
    if (Status ok = checkExportDefinition(d); !ok) {
        m_count->setText(QString::fromStdString(ok.error().text()).toHtmlEscaped());
        return;
    }
    m_count->setText(tr("Counting…"));
    m_countJobs->start<ExportCount>(
        [d](JobContext& context) {
            auto counted = countExport(context.database(), d, &context.cancelFlag());
            if (!counted)
                throw Failure(counted.error());
            return *counted;
        },
        [this, d](ExportCount count) {
            QString text = tr("<b>%1</b> of %2 interactions in the slice fit %3: <b>%4</b> records before curation.")
                               .arg(number(count.fitting), number(count.slice),
                                    QString::fromLatin1(exportFormatName(d.format)), number(count.records));
            QStringList left;
            for (const auto& [reason, n] : count.leftOut)
                left << tr("%1 %2").arg(number(n), leftOutText(reason));
            if (!left.isEmpty())
                text += QStringLiteral("<br>") + tr("Left out: %1.").arg(left.join(QStringLiteral(" · ")));
            m_count->setText(text);
            Q_EMIT counted();
        },
        [this](const Error& error) {
            m_count->setText(tr("Cannot count: %1").arg(QString::fromStdString(error.text()).toHtmlEscaped()));
            Q_EMIT counted();
        });
    m_previewJobs->start<std::vector<std::string>>(
        [d](JobContext& context) {
            auto lines = previewExport(context.database(), d, previewRecords, &context.cancelFlag());
            if (!lines)
                throw Failure(lines.error());
            return *lines;
        },
        [this](std::vector<std::string> lines) {
            // One record a line in the file; a blank line between them here, where lines wrap.
            QString text;
            for (const std::string& line : lines)
                text += (text.isEmpty() ? QString() : QStringLiteral("\n\n")) + QString::fromStdString(line);
            m_preview->setPlainText(text);
            if (lines.empty())
                m_preview->setPlaceholderText(tr("Nothing in the slice fits this format"));
            Q_EMIT previewed();
        },
        [this](const Error& error) {
            m_preview->setPlainText(tr("No preview: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT previewed();
        });
}

void ExportsPage::startExport()
{
    if (m_exportJobs->busy()) {
        m_exportJobs->reset(); // Cancel: nothing is kept
        m_export->setText(tr("Export"));
        m_progress->setVisible(false);
        m_status->setText(tr("Cancelled: nothing was written"));
        Q_EMIT exportFinished(false);
        return;
    }
    if (!m_store.writer) {
        m_status->setText(m_store.readOnlyReason);
        return;
    }
    const ExportDefinition d = definition();
    const std::string out = m_folder->text().trimmed().toStdString();
    auto writer = m_store.writer;
    const std::string author = settings::reviewer.value().toStdString();
    m_export->setText(tr("Cancel"));
    m_progress->setVisible(true);
    m_progress->setRange(0, 0);
    m_status->setText(tr("Writing the batch…"));
    m_exportJobs->startLong<ExportResult>(
        [d, out, writer, author](JobContext& context) {
            auto result = runExport(
                context.database(), *writer, d, out, author,
                [&context](std::int64_t done, std::int64_t total) {
                    context.progress(total ? double(done) / double(total) : -1,
                                     ExportsPage::tr("%1 of %2 interactions read").arg(done).arg(total));
                },
                &context.cancelFlag());
            if (!result)
                throw Failure(result.error());
            return *result;
        },
        [this](ExportResult result) {
            m_export->setText(tr("Export"));
            m_progress->setVisible(false);
            m_status->setText(tr("Batch %1: %2 records of %3 interactions in %4")
                                  .arg(result.batchId)
                                  .arg(number(result.records), number(result.interactions),
                                       QString::fromStdString(result.outDir)));
            m_folderEdited = false;
            m_folder->setText(suggestedFolder());
            m_selectBatch = result.batchId;
            loadHistory();
            Q_EMIT exportFinished(true);
        },
        [this](const Error& error) {
            m_export->setText(tr("Export"));
            m_progress->setVisible(false);
            m_status->setText(tr("Not exported: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT exportFinished(false);
        });
}

void ExportsPage::loadHistory()
{
    if (m_store.path.empty())
        return;
    m_historyJobs->start<std::vector<ExportBatch>>(
        [](JobContext& context) { return ExportStore(context.database()).batches(); },
        [this](std::vector<ExportBatch> batches) {
            const ExportBatch* shown = m_history->batchAt(m_batches->currentIndex().row());
            const std::int64_t keep = m_selectBatch ? m_selectBatch : (shown ? shown->id : 0);
            m_selectBatch = 0;
            m_history->setBatches(std::move(batches));
            m_batches->resizeColumnsToContents();
            if (const int row = m_history->rowOf(keep); row >= 0)
                m_batches->selectRow(row);
            showManifest();
            Q_EMIT loaded();
            Q_EMIT historyLoaded();
        },
        [this](const Error& error) {
            m_manifest->setPlainText(tr("Cannot read the batches: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT loaded();
            Q_EMIT historyLoaded();
        });
}

void ExportsPage::selectBatch(std::int64_t id)
{
    if (const int row = m_history->rowOf(id); row >= 0)
        m_batches->selectRow(row);
    showManifest();
}

void ExportsPage::showManifest()
{
    const ExportBatch* batch = m_history->batchAt(m_batches->currentIndex().row());
    m_openFolder->setEnabled(batch != nullptr);
    if (!batch) {
        m_manifest->clear();
        return;
    }
    m_manifest->setPlainText(QString::fromStdString(batch->manifestJson));
}

QString ExportsPage::countText() const
{
    return m_count->text();
}

QString ExportsPage::previewText() const
{
    return m_preview->toPlainText();
}

QString ExportsPage::statusText() const
{
    return m_status->text();
}

QString ExportsPage::manifestText() const
{
    return m_manifest->toPlainText();
}

void ExportsPage::prepareScreenshot()
{
    // A batch as a training team would ask for it: redacted, without near-duplicates, split.
    m_redact->setChecked(true);
    m_dedupe->setChecked(true);
    m_split->setChecked(true);
    if (m_history->rowCount() > 0) {
        m_batches->selectRow(0);
        showManifest();
    }
    connect(this, &ExportsPage::previewed, this, &Page::screenshotReady, Qt::SingleShotConnection);
    count();
}

} // namespace winnow
