#include "ui/main_window.h"

#include "core/monitors/monitors.h"
#include "ui/monitors/monitors_page.h"

#include "ui/widgets/prices_dialog.h"

#include "core/demo/generator.h"
#include "core/ingest/otlp_receiver.h"
#include "core/jobs/job_tracker.h"
#include "core/metrics/metrics.h"
#include "core/store/deletion.h"
#include "core/store/integrity.h"
#include "core/store/interaction_store.h"
#include "core/store/source_store.h"
#include "core/store/schema.h"
#include "core/store/store_writer.h"
#include "core/util/version.h"
#include "ui/dashboard/dashboard_page.h"
#include "ui/interactions/interactions_page.h"
#include "ui/pages.h"
#include "ui/review/review_page.h"
#include "ui/settings.h"
#include "ui/sources/sources_page.h"
#include "ui/widgets/filter_bar.h"

#include <QAction>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QApplication>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTimer>
#include <QVBoxLayout>

namespace winnow {

namespace {

struct OpenedStore
{
    std::shared_ptr<StoreWriter> writer;
    std::string readOnlyReason;
};

QString summaryText(const IngestSummary& s)
{
    const QLocale locale;
    QString text = QObject::tr("%1 ingested, %2 duplicates, %3 quarantined")
                       .arg(locale.toString(static_cast<qint64>(s.ingested)),
                            locale.toString(static_cast<qint64>(s.duplicates)),
                            locale.toString(static_cast<qint64>(s.quarantined)));
    if (s.cancelled)
        text += QObject::tr(" (cancelled)");
    for (const FileReport& f : s.files) {
        if (f.error)
            text += QStringLiteral("; ") + QString::fromStdString(f.error->text());
        for (const MappingHint& hint : f.hints)
            text += QObject::tr("; %1 records of %2 hold their messages under \"%3\" (map messages=%3)")
                        .arg(locale.toString(static_cast<qint64>(hint.records)),
                             QFileInfo(QString::fromStdString(f.path)).fileName(),
                             QString::fromStdString(hint.sourcePath));
    }
    if (s.storeError)
        text += QStringLiteral("; ") + QString::fromStdString(s.storeError->text());
    return text;
}

} // namespace

MainWindow::MainWindow(const QString& initialStore, QWidget* parent)
    : QMainWindow(parent), m_storeJobs(new JobTracker(this)), m_work(new JobTracker(this)),
      m_monitorJobs(new JobTracker(this)), m_integrityJobs(new JobTracker(this)), m_storeChangesInbox(this)
{
    auto* central = new QWidget(this);
    auto* outer = new QHBoxLayout(central);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(0);
    m_rail = new QListWidget(central);
    m_rail->setFixedWidth(150);
    m_rail->setFrameShape(QFrame::NoFrame);
    m_rail->setAccessibleName(tr("Screens"));
    QFont railFont = m_rail->font();
    railFont.setPointSizeF(railFont.pointSizeF() * 1.1);
    m_rail->setFont(railFont);
    m_rail->setAutoFillBackground(true);
    m_rail->setBackgroundRole(QPalette::AlternateBase);
    outer->addWidget(m_rail);

    auto* right = new QWidget(central);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->setSpacing(0);
    m_banner = new QLabel(right);
    m_banner->setWordWrap(true);
    m_banner->setContentsMargins(12, 6, 12, 6);
    m_banner->setAutoFillBackground(true);
    m_banner->setBackgroundRole(QPalette::ToolTipBase);
    m_banner->setForegroundRole(QPalette::ToolTipText);
    m_banner->hide();
    rightLayout->addWidget(m_banner);
    m_filterBar = new FilterBar(right);
    rightLayout->addWidget(m_filterBar);
    m_stack = new QStackedWidget(right);
    for (const PageSpec& spec : pageSpecs()) {
        Page* page = spec.make(m_stack);
        m_pages.push_back(page);
        m_stack->addWidget(page);
        auto* item = new QListWidgetItem(tr(spec.title), m_rail);
        item->setSizeHint(QSize(140, 36));
        connect(page, &Page::showInteractions, this, [this](const MetricsFilter& filter) {
            interactions()->setFilter(filter);
            showScreen(QStringLiteral("interactions"));
        });
        connect(page, &Page::reviewQueue, this, [this](const QString& name) {
            if (auto* review = this->review())
                review->openQueue(name);
            showScreen(QStringLiteral("review"));
        });
    }
    if (auto* monitors = qobject_cast<MonitorsPage*>(page(QStringLiteral("monitors")))) {
        connect(monitors, &MonitorsPage::exportInteractions, this, [this](const MetricsFilter& filter) {
            if (Page* exports = page(QStringLiteral("exports")))
                exports->setFilter(filter);
            showScreen(QStringLiteral("exports"));
        });
        connect(dashboard(), &DashboardPage::showTrigger, this, [this, monitors](qint64 id) {
            monitors->selectTrigger(id);
            showScreen(QStringLiteral("monitors"));
        });
    }
    rightLayout->addWidget(m_stack, 1);
    // A damaged store's figures may be wrong or missing: they are not shown unless asked for.
    m_damaged = new QWidget(right);
    m_damaged->setObjectName(QStringLiteral("damagedStore"));
    auto* damagedLayout = new QVBoxLayout(m_damaged);
    damagedLayout->addStretch();
    m_damagedText = new QLabel(m_damaged);
    m_damagedText->setWordWrap(true);
    m_damagedText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_damagedText->setMinimumWidth(560);
    m_damagedText->setMaximumWidth(720);
    auto* centred = new QHBoxLayout;
    centred->addStretch();
    centred->addWidget(m_damagedText);
    centred->addStretch();
    damagedLayout->addLayout(centred);
    auto* damagedButtons = new QHBoxLayout;
    damagedButtons->addStretch();
    m_damagedOpen = new QPushButton(tr("Open Another Store…"), m_damaged);
    auto* readAnyway = new QPushButton(tr("Show What Can Be Read"), m_damaged);
    readAnyway->setObjectName(QStringLiteral("readDamagedStore"));
    readAnyway->setToolTip(tr("Show the screens, read-only; their figures may be wrong or missing"));
    damagedButtons->addWidget(m_damagedOpen);
    damagedButtons->addWidget(readAnyway);
    damagedButtons->addStretch();
    damagedLayout->addLayout(damagedButtons);
    damagedLayout->addStretch();
    m_damaged->hide();
    rightLayout->addWidget(m_damaged, 1);
    connect(readAnyway, &QPushButton::clicked, this, [this] {
        showPages();
        m_banner->show();
    });
    outer->addWidget(right, 1);
    setCentralWidget(central);
    connect(m_rail, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row < 0)
            return;
        m_stack->setCurrentIndex(row);
        // A damaged store's panel stays in place of every screen until the screens are asked for.
        m_filterBar->setVisible(m_damaged->isHidden() && m_pages[size_t(row)]->usesFilter());
    });

    // Status bar: what long work is doing.
    m_statusLabel = new QLabel(this);
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(240);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setToolTip(tr("Stop at the next commit; what is committed stays"));
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancel);
    m_progress->hide();
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, this, &MainWindow::cancelWork);
    connect(m_work, &JobTracker::progress, this, [this](double fraction, const QString& what) {
        m_progress->show();
        m_cancel->show();
        m_progress->setRange(0, fraction < 0 ? 0 : 1000);
        if (fraction >= 0)
            m_progress->setValue(int(fraction * 1000));
        setStatus(what);
    });
    // Live: at most one refresh a second while something writes.
    auto* live = new QTimer(this);
    live->setInterval(1000);
    connect(live, &QTimer::timeout, this, [this] {
        if (const unsigned changes = std::exchange(m_storeChanges, 0u))
            readAgain(changes);
    });
    live->start();
    // Monitors run on what arrived, at most every ten seconds, on a worker.
    auto* monitors = new QTimer(this);
    monitors->setInterval(10'000);
    connect(monitors, &QTimer::timeout, this, [this] {
        if (m_monitorsDue && !m_monitorJobs->busy())
            checkMonitorsNow();
    });
    monitors->start();

    connect(m_filterBar, &FilterBar::filterChanged, this, &MainWindow::applyFilter);
    connect(dashboard(), &DashboardPage::loadDemoRequested, this, &MainWindow::loadDemoData);
    connect(dashboard(), &DashboardPage::addSourceRequested, this, [this] { addSource(false, true); });
    connect(sources(), &SourcesPage::addFilesRequested, this,
            [this](bool watch) { addSource(false, watch); });
    connect(sources(), &SourcesPage::addFolderRequested, this,
            [this](bool watch) { addSource(true, watch); });
    connect(sources(), &SourcesPage::removeSourceRequested, this, &MainWindow::removeSource);
    connect(sources(), &SourcesPage::reingestSourceRequested, this, &MainWindow::reingestSource);
    connect(sources(), &SourcesPage::receiverToggled, this, [this](bool on) { setReceiverOn(on); });

    // Menus: every action has a shortcut, named in the menu and its tooltip.
    auto shortcutTip = [](QAction* action, const QString& tip) {
        action->setToolTip(
            QStringLiteral("%1 (%2)").arg(tip, action->shortcut().toString(QKeySequence::NativeText)));
    };
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(tr("&Open Store…"));
    open->setShortcut(QKeySequence::Open);
    shortcutTip(open, tr("Open a Winnow store"));
    connect(open, &QAction::triggered, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Open Store"), QFileInfo(storePath()).absolutePath(),
                                         tr("Winnow stores (*.db);;All files (*)"));
        if (!path.isEmpty())
            openStore(path);
    });
    connect(m_damagedOpen, &QPushButton::clicked, open, &QAction::trigger);
    auto* create = file->addAction(tr("&New Store…"));
    create->setShortcut(QKeySequence::New);
    shortcutTip(create, tr("Create an empty store"));
    connect(create, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("New Store"), QFileInfo(storePath()).absolutePath(), tr("Winnow stores (*.db)"));
        if (!path.isEmpty())
            openStore(path);
    });
    m_recent = file->addMenu(tr("Recent Stores"));
    file->addSeparator();
    auto* demo = file->addAction(tr("Load &Demo Data"));
    demo->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
    shortcutTip(demo, tr("Generate and ingest 50,000 realistic demo interactions"));
    connect(demo, &QAction::triggered, this, &MainWindow::loadDemoData);
    auto* addFiles = file->addAction(tr("&Add Log Source…"));
    addFiles->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    shortcutTip(addFiles, tr("Ingest log files and keep watching them"));
    connect(addFiles, &QAction::triggered, this, [this] { addSource(false, true); });
    auto* prices = file->addAction(tr("Model &Prices…"));
    shortcutTip(prices, tr("The price table that estimates cost for logs with tokens and no cost"));
    connect(prices, &QAction::triggered, this, [this] {
        if (m_store.path.empty())
            return;
        PricesDialog dialog(m_store, this);
        dialog.exec();
    });
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    shortcutTip(quit, tr("Quit Winnow"));
    connect(quit, &QAction::triggered, this, &QWidget::close);

    auto* view = menuBar()->addMenu(tr("&View"));
    for (int screen = 0; screen < int(pageSpecs().size()); ++screen) {
        const QString title = tr(pageSpecs()[size_t(screen)].title);
        auto* action = view->addAction(title);
        action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + screen)));
        shortcutTip(action, tr("Show %1").arg(title));
        connect(action, &QAction::triggered, this, [this, screen] { showScreen(screen); });
    }
    view->addSeparator();
    auto* reload = view->addAction(tr("&Refresh"));
    reload->setShortcut(QKeySequence::Refresh);
    shortcutTip(reload, tr("Read the store again"));
    connect(reload, &QAction::triggered, this, &MainWindow::refresh);
    auto* find = view->addAction(tr("&Find in Messages"));
    find->setShortcut(QKeySequence::Find);
    shortcutTip(find, tr("Search the interactions' messages"));
    connect(find, &QAction::triggered, this, [this] {
        showScreen(QStringLiteral("interactions"));
        if (auto* search = interactions()->findChild<QLineEdit*>())
            search->setFocus();
    });

    auto* help = menuBar()->addMenu(tr("&Help"));
    auto* about = help->addAction(tr("&About Winnow"));
    connect(about, &QAction::triggered, this, [this] {
        auto* box = new QMessageBox(QMessageBox::Information, tr("About Winnow"),
                                    tr("<b>Winnow %1</b><p>Store schema version %2 · Qt %3</p>"
                                       "<p>Closes the loop for AI agents in production: ingest their logs, find "
                                       "the feedback in them, evaluate, review, guard and export for "
                                       "training.</p><p>Store: %4</p>")
                                        .arg(QString::fromLatin1(winnowVersion()))
                                        .arg(latestSchemaVersion())
                                        .arg(QString::fromLatin1(qVersion()),
                                             storePath().toHtmlEscaped()),
                                    QMessageBox::Ok, this);
        box->setObjectName(QStringLiteral("aboutBox"));
        if (!QApplication::windowIcon().isNull())
            box->setIconPixmap(QApplication::windowIcon().pixmap(64, 64));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open(); // window-modal, without a nested event loop
    });

    restoreGeometry(settings::windowGeometry.value());
    m_filterBar->setPreset(settings::rangePreset.value());
    rebuildRecentMenu();
    m_rail->setCurrentRow(0);
    openStore(initialStore);
}

MainWindow::~MainWindow()
{
    m_receiver.reset(); // commits what it holds, through the writer that outlives it here
}

void MainWindow::showPages()
{
    m_damaged->hide();
    m_stack->show();
    m_rail->setEnabled(true);
    m_filterBar->setVisible(m_pages[size_t(m_stack->currentIndex())]->usesFilter());
}

Page* MainWindow::page(const QString& name) const
{
    const int index = pageIndex(name);
    return index < 0 ? nullptr : m_pages[size_t(index)];
}

DashboardPage* MainWindow::dashboard() const
{
    return qobject_cast<DashboardPage*>(page(QStringLiteral("dashboard")));
}

InteractionsPage* MainWindow::interactions() const
{
    return qobject_cast<InteractionsPage*>(page(QStringLiteral("interactions")));
}

ReviewPage* MainWindow::review() const
{
    return qobject_cast<ReviewPage*>(page(QStringLiteral("review")));
}

SourcesPage* MainWindow::sources() const
{
    return qobject_cast<SourcesPage*>(page(QStringLiteral("sources")));
}

bool MainWindow::working() const
{
    return m_work->busy();
}

QString MainWindow::statusText() const
{
    return m_statusLabel->text();
}

void MainWindow::setStatus(const QString& text)
{
    m_statusLabel->setText(text);
}

bool MainWindow::setReceiverOn(bool on, quint16 port)
{
    if (!on) {
        if (m_receiver)
            m_receiver->stop(); // commits the traces still waiting for their root span
        m_receiver.reset();
        sources()->setReceiverState(false, tr("Off"));
        m_storeChanges |= StoreChange::Sources;
        return true;
    }
    if (m_receiver)
        return true;
    if (!m_store.writer) {
        sources()->setReceiverState(false, m_store.readOnlyReason.isEmpty() ? tr("No store is open")
                                                                            : m_store.readOnlyReason);
        return false;
    }
    OtlpReceiverOptions options;
    options.port = port;
    auto receiver = std::make_unique<OtlpReceiver>(m_store.writer, options);
    QString error;
    if (!receiver->start(&error)) {
        sources()->setReceiverState(false, tr("Cannot listen: %1").arg(error));
        return false;
    }
    connect(receiver.get(), &OtlpReceiver::requestHandled, this, [this](int status, const QString& message) {
        const OtlpReceiverStats stats = m_receiver ? m_receiver->stats() : OtlpReceiverStats{};
        sources()->setReceiverState(
            true, tr("Listening on 127.0.0.1:%1 · %2 requests · %3 spans · %4 log records · %5 rejected%6")
                      .arg(m_receiver ? m_receiver->port() : 0)
                      .arg(stats.requests)
                      .arg(stats.spans)
                      .arg(stats.logRecords)
                      .arg(stats.rejected)
                      .arg(status >= 400 ? tr(" (last: %1 %2)").arg(status).arg(message) : QString()));
    });
    m_receiver = std::move(receiver);
    sources()->setReceiverState(true, tr("Listening on 127.0.0.1:%1").arg(m_receiver->port()));
    return true;
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    settings::windowGeometry.set(saveGeometry());
    settings::rangePreset.set(m_filterBar->preset());
    settings::filterConditions.set(m_filterBar->conditions());
    settings::lastStore.set(storePath());
    m_work->reset();
    if (m_receiver)
        m_receiver->stop();
    event->accept();
}

bool MainWindow::showScreen(const QString& name)
{
    const int screen = pageIndex(name);
    if (screen < 0)
        return false;
    showScreen(screen);
    return true;
}

void MainWindow::showScreen(int screen)
{
    m_rail->setCurrentRow(screen);
}

int MainWindow::currentScreen() const
{
    return m_stack->currentIndex();
}

void MainWindow::openStore(const QString& path)
{
    const bool receiving = m_receiver != nullptr;
    if (receiving)
        setReceiverOn(false);
    m_work->reset();
    m_integrityJobs->reset();
    if (m_store.writer)
        m_store.writer->unlisten(m_storeChangesInbox);
    m_store = {};
    setWindowTitle(tr("%1 — Winnow").arg(QFileInfo(path).fileName()));
    setStatus(tr("Opening %1…").arg(path));
    m_banner->hide();
    showPages();
    addRecent(path);
    // Creating or upgrading a store can take a while (rollups of a large old store): its writer is
    // opened on a thread of its own. A store that cannot be written is opened to read.
    const std::string file = path.toStdString();
    m_storeJobs->startLong<OpenedStore>(
        [file](JobContext&) {
            auto writer = StoreWriter::open(file);
            if (writer)
                return OpenedStore{*writer, {}};
            auto reader = Database::openForReading(file);
            if (!reader)
                throw Failure(reader.error());
            if (!(*reader)->isCurrent())
                throw Failure((*reader)->upgradeNeeded());
            return OpenedStore{nullptr, writer.error().text()};
        },
        [this, file, receiving](OpenedStore opened) {
            StoreContext store;
            store.path = file;
            store.writer = opened.writer;
            store.readOnlyReason = QString::fromStdString(opened.readOnlyReason);
            storeOpened(std::move(store));
            if (receiving && m_store.writer)
                setReceiverOn(true);
        },
        [this, path](const Error& error) {
            const QString message = QString::fromStdString(error.text());
            m_banner->setText(tr("<b>Cannot open the store.</b> %1").arg(message.toHtmlEscaped()));
            m_banner->show();
            setStatus(tr("Cannot open %1").arg(path));
            Q_EMIT storeFailed(message);
        });
}

void MainWindow::storeOpened(StoreContext store)
{
    m_store = std::move(store);
    if (m_store.writer) {
        m_banner->hide();
        m_store.writer->listen(m_storeChangesInbox, [this](unsigned changes) { m_storeChanges |= changes; });
        setStatus(tr("Opened %1").arg(storePath()));
    } else {
        setWindowTitle(tr("%1 (read-only) — Winnow").arg(QFileInfo(storePath()).fileName()));
        m_banner->setText(tr("<b>Opened read-only.</b> %1: reading works; ingesting, removing and the "
                             "receiver are off.")
                              .arg(m_store.readOnlyReason.toHtmlEscaped()));
        m_banner->show();
        setStatus(tr("Opened %1 read-only").arg(storePath()));
    }
    for (Page* page : m_pages)
        page->setStore(m_store);
    readAgain(StoreChange::Everything);
    checkStoreIntegrity();
}

void MainWindow::checkStoreIntegrity()
{
    // On a thread of its own: it reads every page, minutes on a large store, and must not hold
    // back the pool the pages query on. A store known whole (its files as a check found them) is
    // not read again. A check superseded (another store opened) or cancelled is never delivered.
    m_integrityJobs->setStorePath(m_store.path);
    m_integrityJobs->startLong<StoreCheck>(
        [](JobContext& context) {
            return checkStoreUnlessKnownWhole(context.storePath(), &context.cancelFlag());
        },
        [this](StoreCheck check) {
            if (!check.whole())
                storeFoundDamaged(check.storeProblems, check.indexProblems);
            Q_EMIT storeChecked(check.whole(), check.remembered);
        });
}

void MainWindow::storeFoundDamaged(const std::vector<std::string>& storeProblems,
                                   const std::vector<std::string>& indexProblems)
{
    auto firstOf = [](const std::vector<std::string>& problems) {
        QString text = QString::fromStdString(problems.front());
        if (problems.size() > 1)
            text += tr(" (and %n more)", nullptr, int(problems.size() - 1));
        return text.toHtmlEscaped();
    };
    if (storeProblems.empty()) {
        // The store itself is whole: only search is affected, and the index can be made again.
        m_banner->setText(tr("<b>The search index is damaged.</b> %1. Search may miss or misplace "
                             "results; delete %2 and run <code>winnow index</code> to make it again.")
                              .arg(firstOf(indexProblems), QString::fromStdString(m_store.path + "-search").toHtmlEscaped()));
        m_banner->show();
        setStatus(tr("The search index of %1 is damaged").arg(storePath()));
        return;
    }
    // Writing more into a damaged file can spread the damage: the store is read from now on, and
    // every figure shown is suspect until it is restored.
    if (m_receiver)
        setReceiverOn(false);
    m_work->reset();
    m_progress->hide();
    m_cancel->hide();
    if (m_store.writer)
        m_store.writer->unlisten(m_storeChangesInbox);
    m_store.writer.reset();
    m_store.readOnlyReason = tr("%1 is damaged").arg(storePath());
    setWindowTitle(tr("%1 (damaged) — Winnow").arg(QFileInfo(storePath()).fileName()));
    m_banner->setText(tr("<b>This store is damaged.</b> SQLite's check found: %1. Figures read from it "
                         "may be wrong or missing, so nothing more is written to it. "
                         "<code>winnow check</code> lists the damage; restore the store from a backup.")
                          .arg(firstOf(storeProblems)));
    m_banner->hide(); // until the pages are asked for: the panel says it all
    QString found;
    for (const std::string& problem : storeProblems)
        found += QStringLiteral("<li>%1</li>").arg(QString::fromStdString(problem).toHtmlEscaped());
    m_damagedText->setText(
        tr("<h2>This store is damaged</h2><p>%1</p><p>SQLite's check of it found:</p><ul>%2</ul>"
           "<p>Its figures may be wrong or missing, so they are not shown, and nothing more is written "
           "to it. Restore it from a backup; <code>winnow --db '%3' check --full</code> lists all the "
           "damage.</p>")
            .arg(storePath().toHtmlEscaped(), found,
                 QFileInfo(storePath())
                     .absoluteFilePath()
                     .replace(QLatin1Char('\''), QLatin1String("'\\''"))
                     .toHtmlEscaped()));
    m_stack->hide();
    m_filterBar->hide();
    m_rail->setEnabled(false);
    m_damaged->show();
    setStatus(tr("%1 is damaged: opened read-only").arg(storePath()));
    for (Page* page : m_pages)
        page->setStore(m_store);
    refreshPages(StoreChange::Everything);
}

void MainWindow::checkMonitorsNow()
{
    if (!m_store.writer)
        return;
    m_monitorsDue = false;
    auto writer = m_store.writer;
    const std::string actor = settings::reviewer.value().toStdString();
    m_monitorJobs->setStorePath(m_store.path);
    m_monitorJobs->start<MonitorCheck>(
        [writer, actor](JobContext& context) {
            auto checked = checkMonitors(context.database(), *writer, actor.empty() ? "winnow" : actor,
                                         &context.cancelFlag());
            if (!checked)
                throw Failure(checked.error());
            return *checked;
        },
        [this](MonitorCheck check) {
            if (!check.raised.empty())
                setStatus(tr("Monitors raised %n retraining trigger(s): see Monitors", nullptr, int(check.raised.size())));
            Q_EMIT monitorsChecked();
        },
        [this](const Error& error) {
            setStatus(tr("The monitors could not be evaluated: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT monitorsChecked();
        });
}

void MainWindow::readAgain(unsigned changes)
{
    if (m_store.path.empty())
        return;
    if ((changes & StoreChange::Interactions) && m_store.writer)
        m_monitorsDue = true;
    // The time range and the values offered change only with the interactions.
    if (!(changes & StoreChange::Interactions)) {
        refreshPages(changes);
        return;
    }
    m_storeJobs->setStorePath(m_store.path);
    m_storeJobs->start<StoreOutline>(
        [](JobContext& context) { return readStoreOutline(context.database()); },
        [this, changes](const StoreOutline& outline) {
            m_filterBar->setChoices(outline);
            for (Page* page : m_pages)
                page->setOutline(outline);
            if (!m_restoredFilter) { // the conditions of the last session, once the values are known
                m_restoredFilter = true;
                m_filterBar->setConditions(settings::filterConditions.value());
            }
            refreshPages(changes);
            Q_EMIT storeReady();
        },
        [this](const Error& error) {
            const QString message = QString::fromStdString(error.text());
            m_banner->setText(tr("<b>Cannot read the store.</b> %1").arg(message.toHtmlEscaped()));
            m_banner->show();
            Q_EMIT storeFailed(message);
        });
}

void MainWindow::refreshPages(unsigned changes)
{
    const MetricsFilter filter = m_filterBar->filter();
    for (Page* page : m_pages) {
        if (!(page->readsChanges() & changes))
            continue;
        if (page->usesFilter())
            page->setFilter(filter);
        else
            page->refresh();
    }
}

void MainWindow::applyFilter()
{
    const MetricsFilter filter = m_filterBar->filter();
    for (Page* page : m_pages)
        if (page->usesFilter())
            page->setFilter(filter);
}

void MainWindow::refresh()
{
    readAgain(StoreChange::Everything);
}

void MainWindow::cancelWork()
{
    m_work->reset();
    m_progress->hide();
    m_cancel->hide();
    setStatus(tr("Cancelled: what was committed stays"));
}

bool MainWindow::startWork(const QString& what, std::function<QString(JobContext&)> work)
{
    if (!m_store.writer) {
        setStatus(m_store.readOnlyReason.isEmpty() ? tr("No store is open") : m_store.readOnlyReason);
        return false;
    }
    if (m_work->busy()) {
        setStatus(tr("Other work is running; cancel it first"));
        return false;
    }
    m_work->setStorePath(m_store.path);
    setStatus(what);
    m_progress->setRange(0, 0);
    m_progress->show();
    m_cancel->show();
    m_work->startLong<QString>(
        std::move(work),
        [this](QString message) {
            m_progress->hide();
            m_cancel->hide();
            setStatus(message);
            m_storeChanges |= StoreChange::Everything;
            Q_EMIT workFinished(message, true);
        },
        [this](const Error& error) {
            m_progress->hide();
            m_cancel->hide();
            const QString message = tr("Failed: %1").arg(QString::fromStdString(error.text()));
            setStatus(message);
            m_storeChanges |= StoreChange::Everything;
            Q_EMIT workFinished(message, false);
        });
    return true;
}

namespace {
// Progress of an ingest, told through the job.
void reportIngest(Ingestor& ingestor, JobContext& context)
{
    ingestor.onProgress = [&context](const IngestProgress& p) {
        context.progress(p.bytesTotal ? double(p.bytesDone) / double(p.bytesTotal) : -1,
                         QObject::tr("%1: %2 ingested")
                             .arg(QFileInfo(QString::fromStdString(p.path)).fileName(),
                                  QLocale().toString(static_cast<qint64>(p.ingested))));
    };
}
} // namespace

void MainWindow::loadDemoData()
{
    auto writer = m_store.writer;
    startWork(tr("Generating demo logs…"), [writer](JobContext& context) {
        QTemporaryDir dir;
        const std::string file = dir.filePath(QStringLiteral("demo.jsonl")).toStdString();
        DemoOptions options;
        options.interactions = 50000;
        const std::string error = writeDemo(options, DemoFormat::Jsonl, file, {}, &context.cancelFlag());
        if (!error.empty())
            throw Failure(error);
        if (context.cancelled())
            return tr("Cancelled");
        IngestOptions ingestOptions;
        ingestOptions.cancel = &context.cancelFlag();
        Ingestor ingestor(*writer, ingestOptions);
        reportIngest(ingestor, context);
        return tr("Demo data: %1").arg(summaryText(ingestor.ingest({file})));
    });
}

void MainWindow::ingestPaths(const QStringList& paths, bool watch)
{
    std::vector<std::string> files;
    for (const QString& p : paths)
        files.push_back(p.toStdString());
    auto writer = m_store.writer;
    startWork(watch ? tr("Watching %1 source(s)").arg(paths.size())
                    : tr("Ingesting %1 source(s)").arg(paths.size()),
              [writer, files, watch](JobContext& context) {
                  IngestOptions options;
                  options.follow = watch;
                  options.cancel = &context.cancelFlag();
                  Ingestor ingestor(*writer, options);
                  reportIngest(ingestor, context);
                  const IngestSummary summary =
                      watch ? ingestor.follow(files, std::chrono::seconds(1), context.cancelFlag())
                            : ingestor.ingest(files);
                  return summaryText(summary);
              });
    showScreen(QStringLiteral("sources"));
}

void MainWindow::removeSource(const QString& path)
{
    auto writer = m_store.writer;
    startWork(tr("Removing %1…").arg(path), [writer, source = path.toStdString()](JobContext& context) {
        DeleteSelection selection;
        selection.kind = DeleteSelection::Kind::Source;
        selection.sourcePath = source;
        auto deleted = deleteInteractions(
            context.database(), *writer, selection,
            [&context](std::int64_t done) {
                context.progress(
                    -1, tr("Removing: %1 interactions deleted").arg(QLocale().toString(qint64(done))));
            },
            &context.cancelFlag());
        if (!deleted)
            throw Failure(deleted.error());
        return deleted->cancelled ? tr("Cancelled after %1 interactions").arg(deleted->deleted)
                                  : tr("Removed %1 and its %2 interactions")
                                        .arg(QString::fromStdString(source))
                                        .arg(QLocale().toString(qint64(deleted->deleted)));
    });
}

void MainWindow::reingestSource(const QString& path)
{
    auto writer = m_store.writer;
    startWork(tr("Reading %1 again…").arg(path), [writer, source = path.toStdString()](JobContext& context) {
        const auto state = SourceStore(context.database()).source(source);
        if (!state)
            throw Failure("no source " + source + " in the store");
        auto options = ingestOptionsFromJson(state->optionsJson);
        if (!options)
            throw Failure(options.error());
        options->replace = true;
        options->cancel = &context.cancelFlag();
        Ingestor ingestor(*writer, *options);
        reportIngest(ingestor, context);
        return tr("Read again: %1").arg(summaryText(ingestor.ingest({source})));
    });
}

void MainWindow::addSource(bool folder, bool watch)
{
    QStringList paths;
    if (folder) {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Add Folder"));
        if (!dir.isEmpty())
            paths << dir;
    } else {
        paths = QFileDialog::getOpenFileNames(this, tr("Add Log Files"), QString(),
                                              tr("Logs (*.jsonl *.json *.ndjson *.log);;All files (*)"));
    }
    if (!paths.isEmpty())
        ingestPaths(paths, watch);
}

void MainWindow::addRecent(const QString& path)
{
    QStringList recent = settings::recentStores.value();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > 8)
        recent.removeLast();
    settings::recentStores.set(recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recent->clear();
    const QStringList recent = settings::recentStores.value();
    for (const QString& path : recent)
        connect(m_recent->addAction(path), &QAction::triggered, this, [this, path] { openStore(path); });
    m_recent->setEnabled(!recent.isEmpty());
}

} // namespace winnow
