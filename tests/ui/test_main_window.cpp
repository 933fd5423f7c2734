#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/ingest/otlp_receiver.h"
#include "core/metrics/metrics.h"
#include "ui/dashboard/dashboard_page.h"
#include "ui/interactions/interactions_page.h"
#include "ui/main_window.h"
#include "ui/sources/sources_page.h"
#include "ui/widgets/filter_bar.h"

#include <QAbstractBarSeries>
#include <QAbstractItemModelTester>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHeaderView>
#include <QLocale>
#include <QSignalSpy>
#include <QTableView>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <gtest/gtest.h>

#include <fstream>

using namespace winnow;

namespace {

struct DemoStore
{
    QTemporaryDir dir;
    std::string path;
    DemoStore()
    {
        path = dir.filePath(QStringLiteral("s.db")).toStdString();
        DemoOptions options;
        options.interactions = 3000;
        options.seed = 4;
        const std::string logs = dir.filePath(QStringLiteral("d.jsonl")).toStdString();
        EXPECT_EQ(writeDemo(options, DemoFormat::Jsonl, logs), "");
        std::ofstream(logs, std::ios::app) << "{\"id\": broken\n";
        Store store(path);
        Ingestor(store, {}).ingest({logs});
    }
};

template <typename Condition> bool waitUntil(Condition condition, int ms = 15000)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition() && timer.elapsed() < ms)
        QTest::qWait(20);
    return condition();
}

QString formatted(std::int64_t n)
{
    return QLocale().toString(static_cast<qint64>(n));
}

} // namespace

TEST(MainWindow, DashboardShowsTheFiguresOfTheFilterAndDrillsDown)
{
    DemoStore demo;
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy dashboardLoaded(window.dashboard(), &DashboardPage::loaded);
    window.resize(1440, 900);
    window.show();
    ASSERT_TRUE(dashboardLoaded.wait(15000));
    ASSERT_TRUE(window.dashboard()->data());
    EXPECT_FALSE(window.dashboard()->empty());
    EXPECT_TRUE(window.windowTitle().contains(QStringLiteral("s.db")));

    // The tiles against the same figures computed here from the filter the bar shows.
    Store store(demo.path, Store::Mode::ReadOnly);
    MetricsFilter filter = window.filterBar()->filter();
    ASSERT_TRUE(filter.fromMs && filter.toMs);
    MetricsSummary expected = computeMetrics(store, filter);
    EXPECT_EQ(window.dashboard()->tileText(DashboardPage::tr("Interactions")),
              formatted(expected.interactions));
    EXPECT_GT(expected.interactions, 2500);

    // Drive the filter bar: one agent.
    auto* agent = window.filterBar()->findChild<QComboBox*>(QString(), Qt::FindChildrenRecursively);
    QComboBox* agentBox = nullptr;
    for (QComboBox* box : window.filterBar()->findChildren<QComboBox*>())
        if (box->accessibleName() == FilterBar::tr("Agent"))
            agentBox = box;
    ASSERT_TRUE(agent && agentBox);
    const int supportBot = agentBox->findData(QStringLiteral("support-bot"));
    ASSERT_GE(supportBot, 0);
    dashboardLoaded.clear();
    agentBox->setCurrentIndex(supportBot);
    ASSERT_TRUE(dashboardLoaded.wait(15000));
    filter = window.filterBar()->filter();
    ASSERT_EQ(filter.where.size(), 1u);
    expected = computeMetrics(store, filter);
    EXPECT_EQ(window.dashboard()->tileText(DashboardPage::tr("Interactions")),
              formatted(expected.interactions));
    EXPECT_EQ(window.dashboard()->tileText(DashboardPage::tr("Escalation")),
              QLocale().toString(expected.rates.at("escalation").value * 100, 'f', 1) + QLatin1Char('%'));

    // Click the breakdown's top bar: Interactions opens on exactly the escalations behind it.
    const DashboardData* data = window.dashboard()->data();
    ASSERT_FALSE(data->report.breakdown.empty());
    QBarSet* bars = nullptr;
    for (QChartView* view : window.dashboard()->findChildren<QChartView*>())
        for (QAbstractSeries* series : view->chart()->series())
            if (auto* barSeries = qobject_cast<QAbstractBarSeries*>(series))
                for (QBarSet* set : barSeries->barSets())
                    if (set->label() == DashboardPage::tr("Escalation rate"))
                        bars = set;
    ASSERT_TRUE(bars);
    const BreakdownRow& top = data->report.breakdown.front();
    QSignalSpy interactionsLoaded(window.interactions(), &InteractionsPage::loaded);
    Q_EMIT bars->clicked(bars->count() - 1); // drawn bottom-up: the last bar is the largest impact
    EXPECT_EQ(window.currentScreen(), MainWindow::Interactions);
    ASSERT_TRUE(interactionsLoaded.wait(15000));
    InteractionListModel* model = window.interactions()->model();
    EXPECT_EQ(model->rowCount(), top.summary.rates.at("escalation").hits);
    ASSERT_TRUE(waitUntil(
        [&] { return !model->data(model->index(0, 0), InteractionListModel::LoadingRole).toBool(); }));
    for (int row = 0; row < std::min(model->rowCount(), 50); ++row) {
        EXPECT_EQ(model->data(model->index(row, InteractionListModel::Version)).toString(),
                  QString::fromStdString(top.value));
        EXPECT_TRUE(model->data(model->index(row, InteractionListModel::Signals))
                        .toString()
                        .contains(QStringLiteral("escalation")));
    }

    // The detail pane renders the selected conversation.
    QSignalSpy detail(window.interactions(), &InteractionsPage::detailLoaded);
    window.interactions()->table()->selectRow(0);
    ASSERT_TRUE(detail.wait(10000));
    EXPECT_TRUE(window.interactions()->detailText().contains(QStringLiteral("user")));
    EXPECT_TRUE(window.interactions()->detailText().contains(QStringLiteral("escalation")));
    EXPECT_TRUE(window.interactions()->detailJson().startsWith(QStringLiteral("{\"id\":")));
}

TEST(MainWindow, SourcesListFilesAndOpenQuarantinedRecords)
{
    DemoStore demo;
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy loaded(window.sources(), &SourcesPage::loaded);
    window.show();
    ASSERT_TRUE(window.showScreen(QStringLiteral("sources")));
    ASSERT_TRUE(loaded.wait(15000));
    QAbstractItemModelTester sourcesTester(window.sources()->sources());
    QAbstractItemModelTester quarantineTester(window.sources()->quarantine());
    ASSERT_EQ(window.sources()->sources()->rowCount(), 1);
    EXPECT_EQ(
        window.sources()->sources()->data(window.sources()->sources()->index(0, SourceListModel::Ingested)),
        formatted(3000));
    ASSERT_EQ(window.sources()->quarantine()->rowCount(), 1);
    window.sources()->openQuarantined(0);
    EXPECT_TRUE(window.sources()->quarantineDetail().contains(QStringLiteral("line 3001")));
    EXPECT_TRUE(window.sources()->quarantineDetail().contains(QStringLiteral("broken")));
}

TEST(MainWindow, AnEmptyStoreOffersDemoDataAndEveryScreenOpens)
{
    QTemporaryDir dir;
    MainWindow window(dir.filePath(QStringLiteral("fresh.db")));
    QSignalSpy loaded(window.dashboard(), &DashboardPage::loaded);
    window.show();
    ASSERT_TRUE(loaded.wait(15000));
    EXPECT_TRUE(window.dashboard()->empty());
    for (const QString& name : MainWindow::screenNames()) {
        ASSERT_TRUE(window.showScreen(name)) << name.toStdString();
        EXPECT_EQ(MainWindow::screenNames().at(window.currentScreen()), name);
    }
    EXPECT_FALSE(window.showScreen(QStringLiteral("nowhere")));

    // Load demo data: the ingest runs on its own thread and the dashboard fills in.
    QSignalSpy finished(window.ingestRunner(), &IngestRunner::finished);
    window.ingestRunner()->loadDemo(2000);
    ASSERT_TRUE(finished.wait(60000));
    EXPECT_TRUE(finished.at(0).at(1).toBool()) << finished.at(0).at(0).toString().toStdString();
    window.showScreen(MainWindow::Dashboard);
    ASSERT_TRUE(waitUntil([&] { return !window.dashboard()->empty(); }, 20000));
    EXPECT_TRUE(waitUntil(
        [&] { return window.dashboard()->tileText(DashboardPage::tr("Interactions")) == formatted(2000); }));
}

TEST(MainWindow, TheReceiverSwitchTakesTracesAndTheDashboardFollows)
{
    QTemporaryDir dir;
    const std::string logs = dir.filePath(QStringLiteral("t.json")).toStdString();
    DemoOptions options;
    options.interactions = 6;
    ASSERT_EQ(writeDemo(options, DemoFormat::Otlp, logs), "");
    MainWindow window(dir.filePath(QStringLiteral("s.db")));
    QSignalSpy ready(&window, &MainWindow::storeReady);
    window.show();
    ASSERT_TRUE(ready.wait(15000));
    ASSERT_TRUE(window.setReceiverOn(true, 0));
    ASSERT_TRUE(window.receiver());
    const quint16 port = window.receiver()->port();

    QTcpSocket socket; // asynchronous: the receiver answers on this (the GUI) thread
    socket.connectToHost(QHostAddress::LocalHost, port);
    QByteArray body;
    {
        std::ifstream in(logs);
        body = QByteArray::fromStdString(std::string(std::istreambuf_iterator<char>(in), {})).trimmed();
    }
    socket.write("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
                 QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QByteArray answer;
    ASSERT_TRUE(waitUntil([&] {
        answer += socket.readAll();
        return answer.contains("\r\n\r\n");
    }));
    EXPECT_TRUE(answer.startsWith("HTTP/1.1 200")) << answer.toStdString();
    // Live: the commit reaches the dashboard within about a second, without asking.
    EXPECT_TRUE(waitUntil(
        [&] { return window.dashboard()->tileText(DashboardPage::tr("Interactions")) == formatted(6); },
        20000))
        << window.dashboard()->tileText(DashboardPage::tr("Interactions")).toStdString();
    EXPECT_TRUE(window.setReceiverOn(false));
    EXPECT_FALSE(window.receiver());
}

TEST(MainWindow, ChartsFollowTheLightOrDarkPalette)
{
    DashboardPage page;
    EXPECT_EQ(page.chartTheme(), int(QChart::ChartThemeLight));
    QPalette dark = page.palette();
    dark.setColor(QPalette::Window, QColor(0x20, 0x20, 0x22));
    dark.setColor(QPalette::WindowText, Qt::white);
    page.setPalette(dark);
    EXPECT_EQ(page.chartTheme(), int(QChart::ChartThemeDark));
}

TEST(MainWindow, FilterConditionsRoundTripForTheNextSession)
{
    FilterBar bar;
    bar.setChoices({{"agent", {"a", "b"}}, {"model", {"m"}}}, 0, 86'400'000);
    bar.setConditions(
        {QStringLiteral("agent=b"), QStringLiteral("model=gone"), QStringLiteral("colour=red")});
    EXPECT_EQ(bar.conditions(), QStringList{QStringLiteral("agent=b")});
    const MetricsFilter filter = bar.filter();
    ASSERT_EQ(filter.where.size(), 1u);
    EXPECT_EQ(filter.where[0], std::make_pair(std::string("agent"), std::string("b")));
    ASSERT_TRUE(filter.fromMs && filter.toMs);
    EXPECT_EQ(*filter.toMs - *filter.fromMs, 30ll * 86'400'000); // the default preset, 30 days
}

TEST(MainWindow, InteractionsSortByTimeOrAgentOnly)
{
    DemoStore demo;
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy loaded(window.interactions(), &InteractionsPage::loaded);
    window.show();
    window.showScreen(MainWindow::Interactions);
    ASSERT_TRUE(loaded.wait(15000));
    QTableView* table = window.interactions()->table();
    InteractionListModel* model = window.interactions()->model();
    loaded.clear();
    table->sortByColumn(InteractionListModel::Agent, Qt::AscendingOrder);
    ASSERT_TRUE(loaded.wait(15000));
    ASSERT_TRUE(waitUntil(
        [&] { return !model->data(model->index(0, 0), InteractionListModel::LoadingRole).toBool(); }));
    EXPECT_EQ(model->data(model->index(0, InteractionListModel::Agent)).toString(),
              QStringLiteral("it-helpdesk"));
    const int last = model->rowCount() - 1;
    ASSERT_TRUE(waitUntil(
        [&] { return !model->data(model->index(last, 0), InteractionListModel::LoadingRole).toBool(); }));
    EXPECT_EQ(model->data(model->index(last, InteractionListModel::Agent)).toString(),
              QStringLiteral("support-bot"));
    // A column without an index does not sort, and says so by keeping the indicator where it was.
    table->sortByColumn(InteractionListModel::Intent, Qt::AscendingOrder);
    EXPECT_EQ(table->horizontalHeader()->sortIndicatorSection(), int(InteractionListModel::Agent));
    EXPECT_TRUE(model->sortOrder().byAgent);
}
