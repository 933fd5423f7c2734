#include "../widget_test_helpers.h"
#include "core/ingest/batch.h"
#include "core/jobs/job_tracker.h"
#include "core/metrics/metrics.h"
#include "core/store/database.h"
#include "ui/dashboard/dashboard_page.h"
#include "ui/interactions/interactions_page.h"
#include "ui/main_window.h"
#include "ui/monitors/monitors_page.h"
#include "ui/pages.h"
#include "core/monitors/monitors.h"
#include "ui/widgets/filter_bar.h"

#include <QAbstractBarSeries>
#include <QAreaSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPointer>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QTemporaryDir>
#include <QValueAxis>

using namespace winnow;
using test::waitUntil;

TEST(DashboardPage, ShowsTheFiguresOfTheFilterAndDrillsDown)
{
    test::DemoStore demo;
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy dashboardLoaded(window.dashboard(), &Page::loaded);
    window.resize(1440, 900);
    window.show();
    ASSERT_TRUE(dashboardLoaded.wait(15000));
    ASSERT_TRUE(window.dashboard()->data());
    EXPECT_FALSE(window.dashboard()->empty());
    EXPECT_TRUE(window.windowTitle().contains(QStringLiteral("s.db")));

    // The tiles against the same figures computed here from the filter the bar shows.
    auto reader = Database::openForReading(demo.path).take();
    MetricsFilter filter = window.filterBar()->filter();
    ASSERT_TRUE(filter.fromMs && filter.toMs);
    MetricsSummary expected = computeMetrics(*reader, filter);
    EXPECT_EQ(window.dashboard()->tileText(DashboardPage::tr("Interactions")),
              test::formatted(expected.interactions));
    EXPECT_GT(expected.interactions, 2500);

    // Drive the filter bar: one agent.
    QComboBox* agentBox = nullptr;
    for (QComboBox* box : window.filterBar()->findChildren<QComboBox*>())
        if (box->accessibleName() == FilterBar::tr("Agent"))
            agentBox = box;
    ASSERT_TRUE(agentBox);
    const int supportBot = agentBox->findData(QStringLiteral("support-bot"));
    ASSERT_GE(supportBot, 0);
    dashboardLoaded.clear();
    agentBox->setCurrentIndex(supportBot);
    ASSERT_TRUE(dashboardLoaded.wait(15000));
    filter = window.filterBar()->filter();
    ASSERT_EQ(filter.where.size(), 1u);
    expected = computeMetrics(*reader, filter);
    EXPECT_EQ(window.dashboard()->tileText(DashboardPage::tr("Interactions")),
              test::formatted(expected.interactions));
    EXPECT_EQ(window.dashboard()->tileText(DashboardPage::tr("Escalation")),
              QLocale().toString(expected.rate(Rate::Escalation).value * 100, 'f', 1) + QLatin1Char('%'));

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
    QSignalSpy interactionsLoaded(window.interactions(), &Page::loaded);
    Q_EMIT bars->clicked(bars->count() - 1); // drawn bottom-up: the last bar is the largest impact
    EXPECT_EQ(window.currentScreen(), 1);
    ASSERT_TRUE(interactionsLoaded.wait(15000));
    InteractionListModel* model = window.interactions()->model();
    EXPECT_EQ(model->rowCount(), top.summary.rate(Rate::Escalation).hits);
    ASSERT_TRUE(waitUntil(
        [&] { return !model->data(model->index(0, 0), InteractionListModel::LoadingRole).toBool(); }));
    for (int row = 0; row < std::min(model->rowCount(), 50); ++row) {
        EXPECT_EQ(model->data(model->index(row, InteractionListModel::Version)).toString(),
                  QString::fromStdString(top.value));
        EXPECT_TRUE(model->data(model->index(row, InteractionListModel::Signals))
                        .toString()
                        .contains(QStringLiteral("escalation")));
    }
}

// Each refresh replaces the charts' axes; the old ones are freed, not left to grow with a live
// dashboard.
TEST(DashboardPage, ARefreshFreesTheAxesItReplaces)
{
    test::DemoStore demo(500);
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy loaded(window.dashboard(), &Page::loaded);
    window.show();
    ASSERT_TRUE(loaded.wait(15000));
    QList<QPointer<QAbstractAxis>> before;
    for (QChartView* view : window.dashboard()->findChildren<QChartView*>())
        for (QAbstractAxis* axis : view->chart()->axes())
            before.append(axis);
    ASSERT_FALSE(before.isEmpty());
    loaded.clear();
    window.dashboard()->refresh();
    ASSERT_TRUE(loaded.wait(15000));
    for (const QPointer<QAbstractAxis>& axis : before)
        EXPECT_TRUE(axis.isNull());
}

TEST(DashboardPage, ChartsFollowTheLightOrDarkPalette)
{
    DashboardPage page;
    EXPECT_EQ(page.chartTheme(), int(QChart::ChartThemeLight));
    QPalette dark = page.palette();
    dark.setColor(QPalette::Window, QColor(0x20, 0x20, 0x22));
    dark.setColor(QPalette::WindowText, Qt::white);
    page.setPalette(dark);
    EXPECT_EQ(page.chartTheme(), int(QChart::ChartThemeDark));
}

namespace {
// A store at `path` with these interactions.
void writeStore(const std::string& path, const std::vector<Interaction>& interactions)
{
    auto writer = StoreWriter::open(path).take();
    Batch batch;
    batch.interactions = interactions;
    ASSERT_TRUE(writer->write(WritePriority::Bulk, [&](WriteTransaction& tx) { writeBatch(tx, batch); }));
}

QValueAxis* valueAxisOf(QChart* chart)
{
    for (QAbstractAxis* axis : chart->axes(Qt::Vertical))
        if (auto* values = qobject_cast<QValueAxis*>(axis))
            return values;
    return nullptr;
}

QChart* chartTitled(DashboardPage* page, const QString& prefix)
{
    for (QChartView* view : page->findChildren<QChartView*>())
        if (view->chart()->title().startsWith(prefix))
            return view->chart();
    return nullptr;
}
} // namespace

// A batch evaluation without timestamps is not an empty store: its figures show in the all-time
// view, the presets that would leave everything out cannot be chosen.
TEST(DashboardPage, AnUntimedEvaluationStoreShowsItsFigures)
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("eval.db")).toStdString();
    std::vector<Interaction> runs;
    for (int i = 0; i < 120; ++i) {
        Interaction in;
        in.key = "task-" + std::to_string(i);
        in.outcome = i % 4 ? "resolved" : "failed";
        in.scores.push_back({"reward", (i % 10) / 10.0});
        in.metadataJson = "{\"trial\":" + std::to_string(i % 3) + "}";
        runs.push_back(in);
    }
    writeStore(path, runs);
    MainWindow window(QString::fromStdString(path));
    QSignalSpy loaded(window.dashboard(), &Page::loaded);
    QSignalSpy scoresLoaded(window.dashboard(), &DashboardPage::scoresLoaded);
    window.resize(1440, 900);
    window.show();
    ASSERT_TRUE(loaded.wait(15000));
    EXPECT_FALSE(window.dashboard()->empty());
    EXPECT_EQ(window.dashboard()->tileText(DashboardPage::tr("Interactions")), test::formatted(120));

    // A tile per score with its interval, the distribution of all 120, and a click on a bar
    // opens the interactions in that bin.
    ASSERT_TRUE(waitUntil([&] { return window.dashboard()->scores() != nullptr; }));
    const ScoreReport* scores = window.dashboard()->scores();
    ASSERT_EQ(scores->scores.size(), 1u);
    EXPECT_EQ(scores->scores[0].n, 120);
    EXPECT_NEAR(scores->scores[0].mean, 0.45, 1e-9);
    EXPECT_EQ(window.dashboard()->scoreTileText(QStringLiteral("reward")), QLocale().toString(0.45, 'g', 3));
    std::int64_t binned = 0;
    for (std::int64_t n : scores->distribution.counts)
        binned += n;
    EXPECT_EQ(binned, 120);
    QBarSet* distribution = nullptr;
    for (QChartView* view : window.dashboard()->findChildren<QChartView*>())
        if (view->chart()->title().startsWith(QStringLiteral("Distribution")) && view->isVisible())
            for (QAbstractSeries* series : view->chart()->series())
                if (auto* barSeries = qobject_cast<QAbstractBarSeries*>(series))
                    distribution = barSeries->barSets().value(0);
    ASSERT_TRUE(distribution);
    QSignalSpy drilled(window.dashboard(), &Page::showInteractions);
    Q_EMIT distribution->clicked(distribution->count() - 1); // the top bin, its maximum included
    ASSERT_EQ(drilled.count(), 1);
    const auto drill = drilled.at(0).at(0).value<MetricsFilter>();
    auto reader = Database::openForReading(path).take();
    EXPECT_EQ(computeMetrics(*reader, drill).interactions, int(scores->distribution.counts.back()));
    EXPECT_GT(scores->distribution.counts.back(), 0);
    window.showScreen(0);
    EXPECT_EQ(window.filterBar()->preset(), QStringLiteral("all"));
    EXPECT_FALSE(window.filterBar()->filter().fromMs);
    ASSERT_TRUE(window.dashboard()->data());
    EXPECT_EQ(window.dashboard()->data()->untimed, 120);
    QComboBox* range = nullptr;
    for (QComboBox* box : window.filterBar()->findChildren<QComboBox*>())
        if (box->accessibleName() == FilterBar::tr("Time range"))
            range = box;
    ASSERT_TRUE(range);
    const auto* items = qobject_cast<QStandardItemModel*>(range->model());
    ASSERT_TRUE(items);
    EXPECT_FALSE(items->item(range->findData(QStringLiteral("30d")))->isEnabled());
    EXPECT_TRUE(items->item(range->findData(QStringLiteral("all")))->isEnabled());
    EXPECT_TRUE(range->itemText(range->findData(QStringLiteral("30d"))).contains(test::formatted(120)));

    // Slicing by metadata and a score from the filter bar, success by the score, breakdown by trial.
    loaded.clear();
    ASSERT_TRUE(window.filterBar()->setConditionText(QStringLiteral("metadata.trial=1 score.reward>=0.2")));
    ASSERT_TRUE(loaded.wait(15000));
    EXPECT_EQ(window.dashboard()->tileText(DashboardPage::tr("Interactions")), test::formatted(32));
    loaded.clear();
    window.dashboard()->setBreakdown(QStringLiteral("metadata.trial"));
    ASSERT_TRUE(loaded.wait(15000));
    ASSERT_EQ(window.dashboard()->data()->report.breakdown.size(), 1u);
    EXPECT_EQ(window.dashboard()->data()->report.breakdown[0].value, "1");
    loaded.clear();
    window.dashboard()->setSuccessByScore(QStringLiteral("reward"), 0.5);
    ASSERT_TRUE(loaded.wait(15000));
    // Of the 32 (reward 0.2 … 0.9 in trial 1), reward ≥ 0.5 holds for 20.
    EXPECT_EQ(window.dashboard()->data()->report.summary.rate(Rate::Success).hits, 20);
}

TEST(DashboardPage, OnlyAnEmptyStoreShowsTheWelcome)
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("empty.db")).toStdString();
    writeStore(path, {});
    MainWindow window(QString::fromStdString(path));
    QSignalSpy loaded(window.dashboard(), &Page::loaded);
    window.show();
    ASSERT_TRUE(loaded.wait(15000));
    EXPECT_TRUE(window.dashboard()->empty());
}

// The last day holds 4 interactions, all escalated: a faded point off the line, not a spike the
// axis stretches to; the other days carry their 95% band.
TEST(DashboardPage, SparseBucketsAreFadedAndRatesCarryTheirInterval)
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("sparse.db")).toStdString();
    constexpr std::int64_t dayMs = 86'400'000;
    std::vector<Interaction> interactions;
    for (int day = 0; day < 10; ++day)
        for (int i = 0; i < (day == 9 ? 4 : 100); ++i) {
            Interaction in;
            in.key = std::to_string(day) + "-" + std::to_string(i);
            in.startMs = (20000 + day) * dayMs + i * 1000;
            in.agentVersion = "1.0";
            const bool escalated = day == 9 || i % 10 == 0;
            in.outcome = escalated ? "escalated" : "resolved";
            if (escalated)
                in.signals.push_back({SignalKind::Escalation, -1, 1.0, "outcome"});
            interactions.push_back(in);
        }
    writeStore(path, interactions);
    MainWindow window(QString::fromStdString(path));
    QSignalSpy loaded(window.dashboard(), &Page::loaded);
    window.resize(1440, 900);
    window.show();
    ASSERT_TRUE(loaded.wait(15000));
    QChart* rates = chartTitled(window.dashboard(), DashboardPage::tr("Rates"));
    ASSERT_TRUE(rates);
    EXPECT_TRUE(rates->title().contains(QStringLiteral("faded"))) << rates->title().toStdString();
    QValueAxis* y = valueAxisOf(rates);
    ASSERT_TRUE(y);
    EXPECT_LT(y->max(), 50); // 10% escalation with its interval, not the 100% of four interactions
    bool fadedPoint = false, escalationBand = false;
    for (QAbstractSeries* series : rates->series()) {
        if (auto* scatter = qobject_cast<QScatterSeries*>(series))
            fadedPoint |= scatter->count() == 1 && scatter->at(0).y() == 100;
        if (auto* band = qobject_cast<QAreaSeries*>(series))
            escalationBand |= band->name().startsWith(DashboardPage::tr("Escalation")) &&
                              band->upperSeries()->count() == 9 && band->upperSeries()->at(0).y() > 10;
        if (auto* line = qobject_cast<QLineSeries*>(series);
            line && line->name() == DashboardPage::tr("Escalation")) {
            EXPECT_EQ(line->count(), 9);
        }
    }
    EXPECT_TRUE(fadedPoint);
    EXPECT_TRUE(escalationBand);
    // Bands own their edges: a refresh leaves no series behind.
    const int before = int(rates->findChildren<QLineSeries*>().size());
    loaded.clear();
    window.dashboard()->refresh();
    ASSERT_TRUE(loaded.wait(15000));
    EXPECT_LE(int(rates->findChildren<QLineSeries*>().size()), before);
    EXPECT_EQ(window.dashboard()->data()->withheld, ComparisonWithheld::LogsBeginInside);
}

// The guardrail line starts off (it would squash the others' scale); a click on its legend entry
// shows it, another hides it again.
TEST(DashboardPage, RateLinesAreShownOrHiddenFromTheLegend)
{
    test::DemoStore demo(300);
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy loaded(window.dashboard(), &Page::loaded);
    window.resize(1440, 900);
    window.show();
    ASSERT_TRUE(loaded.wait(15000));
    auto guardrailLine = [&]() -> QLineSeries* {
        QChart* rates = chartTitled(window.dashboard(), DashboardPage::tr("Rates"));
        for (QAbstractSeries* series : rates->series())
            if (auto* line = qobject_cast<QLineSeries*>(series);
                line && line->name() == DashboardPage::tr("Guardrail"))
                return line;
        return nullptr;
    };
    ASSERT_TRUE(guardrailLine());
    EXPECT_EQ(guardrailLine()->count(), 0) << "off at first";
    QChart* rates = chartTitled(window.dashboard(), DashboardPage::tr("Rates"));
    QList<QLegendMarker*> markers = rates->legend()->markers(guardrailLine());
    ASSERT_EQ(markers.size(), 1);
    Q_EMIT markers.first()->clicked();
    ASSERT_TRUE(guardrailLine());
    EXPECT_GT(guardrailLine()->count(), 0) << "shown after a click on its legend entry";
    markers = chartTitled(window.dashboard(), DashboardPage::tr("Rates"))->legend()->markers(guardrailLine());
    Q_EMIT markers.first()->clicked();
    EXPECT_EQ(guardrailLine()->count(), 0);
}

TEST(DashboardPage, TriggersAreMarkersOnTheRatesAndAClickOpensOneInMonitors)
{
    test::DemoStore demo(20'000);
    {
        auto writer = StoreWriter::open(demo.path).take();
        auto reader = Database::openForReading(demo.path).take();
        ASSERT_FALSE(checkMonitors(*reader, *writer, "tester").take().raised.empty());
    }
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy loaded(window.dashboard(), &Page::loaded);
    window.resize(1440, 900);
    window.show();
    ASSERT_TRUE(loaded.wait(15000));
    window.dashboard()->setFilter({}); // all time: every trigger's window ends inside
    ASSERT_TRUE(loaded.wait(15000));
    QScatterSeries* markers = nullptr;
    for (QAbstractSeries* series : chartTitled(window.dashboard(), DashboardPage::tr("Rates"))->series())
        if (series->name() == DashboardPage::tr("Retraining triggers"))
            markers = qobject_cast<QScatterSeries*>(series);
    ASSERT_NE(markers, nullptr);
    auto reader = Database::openForReading(demo.path).take();
    const std::vector<StoredTrigger> triggers = MonitorStore(*reader).triggers();
    ASSERT_EQ(markers->count(), int(triggers.size()));
    // A click on the newest trigger's marker opens it in Monitors.
    const StoredTrigger& newest = triggers.front();
    int point = -1;
    for (int p = 0; p < markers->count(); ++p)
        if (qint64(markers->at(p).x()) == newest.windowToMs)
            point = p;
    ASSERT_GE(point, 0);
    Q_EMIT markers->clicked(markers->at(point));
    ASSERT_TRUE(waitUntil([&] { return window.currentScreen() == pageIndex(QStringLiteral("monitors")); }));
    auto* monitors = qobject_cast<MonitorsPage*>(window.page(QStringLiteral("monitors")));
    ASSERT_TRUE(waitUntil([&] { return monitors->selectedTrigger().has_value(); }));
    // Several triggers can end on the same day: the one chosen is at that point.
    const auto selected = monitors->selectedTrigger();
    bool samePoint = false;
    for (const StoredTrigger& t : triggers)
        samePoint = samePoint || (t.id == *selected && t.windowToMs == newest.windowToMs);
    EXPECT_TRUE(samePoint);
}
