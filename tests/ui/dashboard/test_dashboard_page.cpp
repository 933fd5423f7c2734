#include "../widget_test_helpers.h"
#include "core/jobs/job_tracker.h"
#include "core/metrics/metrics.h"
#include "core/store/database.h"
#include "ui/dashboard/dashboard_page.h"
#include "ui/interactions/interactions_page.h"
#include "ui/main_window.h"
#include "ui/widgets/filter_bar.h"

#include <QAbstractBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QPointer>
#include <QSignalSpy>
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
