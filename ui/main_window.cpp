#include "ui/main_window.h"

#include "core/ingest/otlp_receiver.h"
#include "core/metrics/dashboard.h"
#include "ui/dashboard/dashboard_page.h"
#include "ui/interactions/interactions_page.h"
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
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
#include <QVBoxLayout>

namespace winnow {

namespace {

struct StoreChoices
{
    std::map<std::string, std::vector<std::string>> values;
    std::optional<std::int64_t> oldest, newest;
};

QWidget* comingScreen(const QString& title, const QString& what, QWidget* parent)
{
    auto* page = new QWidget(parent);
    auto* layout = new QVBoxLayout(page);
    layout->addStretch();
    auto* label =
        new QLabel(QStringLiteral("<h2>%1</h2><p>%2</p><p style=\"color:gray\">%3</p>")
                       .arg(title, what, MainWindow::tr("Not built yet: it comes with a later release.")),
                   page);
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    layout->addWidget(label);
    layout->addStretch();
    return page;
}

} // namespace

QStringList MainWindow::screenNames()
{
    return {QStringLiteral("dashboard"), QStringLiteral("interactions"), QStringLiteral("review"),
            QStringLiteral("rules"),     QStringLiteral("monitors"),     QStringLiteral("exports"),
            QStringLiteral("sources")};
}

MainWindow::MainWindow(const QString& storePath, QWidget* parent) : QMainWindow(parent)
{
    auto* central = new QWidget(this);
    auto* outer = new QHBoxLayout(central);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->setSpacing(0);
    m_rail = new QListWidget(central);
    m_rail->setFixedWidth(150);
    m_rail->setFrameShape(QFrame::NoFrame);
    m_rail->setAccessibleName(tr("Screens"));
    const QString titles[] = {tr("Dashboard"), tr("Interactions"), tr("Review"), tr("Rules"),
                              tr("Monitors"),  tr("Exports"),      tr("Sources")};
    for (const QString& title : titles) {
        auto* item = new QListWidgetItem(title, m_rail);
        item->setSizeHint(QSize(140, 36));
    }
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
    m_filterBar = new FilterBar(right);
    rightLayout->addWidget(m_filterBar);
    m_stack = new QStackedWidget(right);
    m_dashboard = new DashboardPage(m_stack);
    m_interactions = new InteractionsPage(m_stack);
    m_sources = new SourcesPage(m_stack);
    m_stack->addWidget(m_dashboard);
    m_stack->addWidget(m_interactions);
    m_stack->addWidget(comingScreen(tr("Review"),
                                    tr("Reviewers will work a prioritised queue here: label failures with a "
                                       "taxonomy, severity and a corrected answer, keyboard first."),
                                    m_stack));
    m_stack->addWidget(comingScreen(
        tr("Rules"),
        tr("Guardrail rules: patterns, PII detectors and tool policies, backtested on stored history."),
        m_stack));
    m_stack->addWidget(comingScreen(
        tr("Monitors"),
        tr("Monitors that turn metric regressions into retraining triggers with their evidence."), m_stack));
    m_stack->addWidget(comingScreen(
        tr("Exports"), tr("Curated batches exported as OpenAI and TRL training data, with a manifest."),
        m_stack));
    m_stack->addWidget(m_sources);
    rightLayout->addWidget(m_stack, 1);
    outer->addWidget(right, 1);
    setCentralWidget(central);
    connect(m_rail, &QListWidget::currentRowChanged, this, [this](int row) {
        m_stack->setCurrentIndex(row);
        m_filterBar->setVisible(row == Dashboard || row == Interactions);
    });

    // Status bar: what the ingest runner is doing.
    m_ingestLabel = new QLabel(this);
    m_ingestProgress = new QProgressBar(this);
    m_ingestProgress->setMaximumWidth(240);
    m_ingestCancel = new QPushButton(tr("Cancel"), this);
    m_ingestCancel->setToolTip(tr("Stop at the next commit; what is committed stays"));
    statusBar()->addWidget(m_ingestLabel, 1);
    statusBar()->addPermanentWidget(m_ingestProgress);
    statusBar()->addPermanentWidget(m_ingestCancel);
    m_ingestProgress->hide();
    m_ingestCancel->hide();
    connect(m_ingestCancel, &QPushButton::clicked, &m_ingest, &IngestRunner::cancel);
    connect(&m_ingest, &IngestRunner::progress, this,
            [this](const QString& what, double fraction, qint64 ingested) {
                m_ingestProgress->show();
                m_ingestCancel->show();
                m_ingestProgress->setRange(0, fraction < 0 ? 0 : 1000);
                if (fraction >= 0)
                    m_ingestProgress->setValue(int(fraction * 1000));
                m_ingestLabel->setText(
                    tr("%1: %2 ingested")
                        .arg(QFileInfo(what).fileName().isEmpty() ? what : QFileInfo(what).fileName())
                        .arg(QLocale().toString(ingested)));
            });
    connect(&m_ingest, &IngestRunner::committed, this, [this] { m_storeChanged = true; });
    connect(&m_ingest, &IngestRunner::finished, this, [this](const QString& message, bool ok) {
        m_ingestProgress->hide();
        m_ingestCancel->hide();
        m_ingestLabel->setText(ok ? message : tr("Ingest failed: %1").arg(message));
        m_storeChanged = true;
    });
    // Live: at most one refresh a second while something writes.
    auto* live = new QTimer(this);
    live->setInterval(1000);
    connect(live, &QTimer::timeout, this, [this] {
        if (!m_storeChanged)
            return;
        m_storeChanged = false;
        readChoices();
    });
    live->start();

    connect(m_filterBar, &FilterBar::filterChanged, this, &MainWindow::applyFilter);
    connect(m_dashboard, &DashboardPage::drillDown, this, [this](const MetricsFilter& filter) {
        m_interactions->setFilter(filter);
        showScreen(Interactions);
    });
    connect(m_dashboard, &DashboardPage::loadDemoRequested, this, &MainWindow::loadDemoData);
    connect(m_dashboard, &DashboardPage::addSourceRequested, this, [this] { addSource(false, true); });
    connect(m_sources, &SourcesPage::addFilesRequested, this,
            [this](bool watch) { addSource(false, watch); });
    connect(m_sources, &SourcesPage::addFolderRequested, this,
            [this](bool watch) { addSource(true, watch); });
    connect(&m_storeJobs, &JobRunner::failed, this, [this](const QString& message) {
        m_ingestLabel->setText(tr("Cannot open the store: %1").arg(message));
    });

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
            QFileDialog::getOpenFileName(this, tr("Open Store"), QFileInfo(m_storePath).absolutePath(),
                                         tr("Winnow stores (*.db);;All files (*)"));
        if (!path.isEmpty())
            openStore(path);
    });
    auto* create = file->addAction(tr("&New Store…"));
    create->setShortcut(QKeySequence::New);
    shortcutTip(create, tr("Create an empty store"));
    connect(create, &QAction::triggered, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("New Store"), QFileInfo(m_storePath).absolutePath(), tr("Winnow stores (*.db)"));
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
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    shortcutTip(quit, tr("Quit Winnow"));
    connect(quit, &QAction::triggered, this, &QWidget::close);

    auto* view = menuBar()->addMenu(tr("&View"));
    for (int screen = 0; screen < ScreenCount; ++screen) {
        auto* action = view->addAction(titles[screen]);
        action->setShortcut(QKeySequence(Qt::CTRL | static_cast<Qt::Key>(Qt::Key_1 + screen)));
        shortcutTip(action, tr("Show %1").arg(titles[screen]));
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
        showScreen(Interactions);
        if (auto* search = m_interactions->findChild<QLineEdit*>())
            search->setFocus();
    });

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    m_filterBar->setPreset(settings.value(QStringLiteral("filter/range"), QStringLiteral("30d")).toString());
    rebuildRecentMenu();
    m_rail->setCurrentRow(Dashboard);
    openStore(storePath);
}

MainWindow::~MainWindow() = default;

bool MainWindow::setReceiverOn(bool on, quint16 port)
{
    if (!on) {
        if (m_receiver)
            m_receiver->stop(); // commits the traces still waiting for their root span
        m_receiver.reset();
        m_sources->setReceiverState(false, tr("Off"));
        m_storeChanged = true;
        return true;
    }
    if (m_receiver)
        return true;
    OtlpReceiverOptions options;
    options.port = port;
    auto receiver = std::make_unique<OtlpReceiver>(m_storePath.toStdString(), options);
    QString error;
    if (!receiver->start(&error)) {
        m_sources->setReceiverState(false, tr("Cannot listen: %1").arg(error));
        return false;
    }
    connect(receiver.get(), &OtlpReceiver::committed, this, [this] { m_storeChanged = true; });
    connect(receiver.get(), &OtlpReceiver::requestHandled, this, [this](int status, const QString& message) {
        const OtlpReceiverStats stats = m_receiver ? m_receiver->stats() : OtlpReceiverStats{};
        m_sources->setReceiverState(
            true, tr("Listening on 127.0.0.1:%1 · %2 requests · %3 spans · %4 rejected%5")
                      .arg(m_receiver ? m_receiver->port() : 0)
                      .arg(stats.requests)
                      .arg(stats.spans)
                      .arg(stats.rejected)
                      .arg(status >= 400 ? tr(" (last: %1 %2)").arg(status).arg(message) : QString()));
    });
    m_receiver = std::move(receiver);
    m_sources->setReceiverState(true, tr("Listening on 127.0.0.1:%1").arg(m_receiver->port()));
    return true;
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("filter/range"), m_filterBar->preset());
    settings.setValue(QStringLiteral("filter/conditions"), m_filterBar->conditions());
    settings.setValue(QStringLiteral("store/last"), m_storePath);
    m_ingest.cancel();
    if (m_receiver)
        m_receiver->stop();
    event->accept();
}

bool MainWindow::showScreen(const QString& name)
{
    const int screen = int(screenNames().indexOf(name));
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
    m_storePath = path;
    setWindowTitle(tr("%1 — Winnow").arg(QFileInfo(path).fileName()));
    m_ingest.setStorePath(path.toStdString());
    m_storeJobs.setStorePath(path.toStdString());
    addRecent(path);
    // Creating or migrating a store can take a while (rollups of a large old store): a worker
    // opens it as the writer once, then the screens read it.
    const std::string file = path.toStdString();
    m_storeJobs.run<bool>(
        [file](JobContext&) {
            Store writer(file);
            return true;
        },
        [this, receiving](bool) {
            if (receiving)
                setReceiverOn(true);
            m_dashboard->setStorePath(m_storePath.toStdString());
            m_interactions->setStorePath(m_storePath.toStdString());
            m_sources->setStorePath(m_storePath.toStdString());
            readChoices();
        });
}

void MainWindow::readChoices()
{
    m_storeJobs.run<StoreChoices>(
        [](JobContext& context) {
            Store& store = context.store();
            StoreChoices choices;
            choices.values = dimensionValues(store);
            if (const auto range = store.startTimeRange()) {
                choices.oldest = range->first;
                choices.newest = range->second;
            }
            return choices;
        },
        [this](StoreChoices choices) {
            m_filterBar->setChoices(choices.values, choices.oldest, choices.newest);
            if (!m_restoredFilter) { // the conditions of the last session, once the values are known
                m_restoredFilter = true;
                m_filterBar->setConditions(
                    QSettings().value(QStringLiteral("filter/conditions")).toStringList());
            }
            applyFilter();
            m_sources->refresh();
            Q_EMIT storeReady();
        });
}

void MainWindow::applyFilter()
{
    const MetricsFilter filter = m_filterBar->filter();
    m_dashboard->setFilter(filter);
    m_interactions->setFilter(filter);
}

void MainWindow::refresh()
{
    readChoices();
}

void MainWindow::loadDemoData()
{
    if (!m_ingest.loadDemo(50000))
        m_ingestLabel->setText(tr("An ingest is already running"));
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
    if (paths.isEmpty())
        return;
    std::vector<std::string> files;
    for (const QString& p : paths)
        files.push_back(p.toStdString());
    if (!m_ingest.ingest(files, watch))
        m_ingestLabel->setText(tr("An ingest is already running; cancel it first"));
    showScreen(Sources);
}

void MainWindow::addRecent(const QString& path)
{
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("store/recent")).toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > 8)
        recent.removeLast();
    settings.setValue(QStringLiteral("store/recent"), recent);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    m_recent->clear();
    const QStringList recent = QSettings().value(QStringLiteral("store/recent")).toStringList();
    for (const QString& path : recent)
        connect(m_recent->addAction(path), &QAction::triggered, this, [this, path] { openStore(path); });
    m_recent->setEnabled(!recent.isEmpty());
}

} // namespace winnow
