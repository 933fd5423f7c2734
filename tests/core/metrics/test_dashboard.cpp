#include "../test_helpers.h"
#include "core/metrics/dashboard.h"
#include "core/store/database.h"

#include <gtest/gtest.h>

using namespace winnow;

namespace {
constexpr std::int64_t dayMs = 86'400'000;

Interaction interaction(const std::string& key, std::optional<std::int64_t> startMs, bool escalated = false)
{
    Interaction in;
    in.key = key;
    in.startMs = startMs;
    in.outcome = escalated ? "escalated" : "resolved";
    if (escalated)
        in.signals.push_back({SignalKind::Escalation, -1, 1.0, "outcome"});
    return in;
}

void writeDays(test::TestStore& store, std::int64_t firstDay, int days, int perDay, const std::string& prefix)
{
    Batch batch;
    for (int d = 0; d < days; ++d)
        for (int i = 0; i < perDay; ++i)
            batch.interactions.push_back(interaction(prefix + std::to_string(d) + "-" + std::to_string(i),
                                                     (firstDay + d) * dayMs + i * 1000, i % 10 == 0));
    store.write(batch);
}
} // namespace

// An evaluation run without timestamps: every interaction counts in the all-time view, the series
// has nothing to draw, and nothing is compared.
TEST(Dashboard, AnUntimedStoreShowsItsInteractionsInTheAllTimeView)
{
    test::TestStore store;
    Batch batch;
    for (int i = 0; i < 40; ++i)
        batch.interactions.push_back(interaction("eval-" + std::to_string(i), std::nullopt, i < 4));
    store.write(batch);
    const DashboardData data = loadDashboard(store.reader(), MetricsFilter{});
    EXPECT_TRUE(data.allTime());
    EXPECT_EQ(data.report.summary.interactions, 40);
    EXPECT_EQ(data.report.summary.rate(Rate::Escalation).hits, 4);
    EXPECT_EQ(data.untimed, 40);
    EXPECT_FALSE(data.span);
    EXPECT_TRUE(data.report.series.empty());
    EXPECT_EQ(data.withheld, ComparisonWithheld::AllTime);
    EXPECT_FALSE(data.report.previous);
    ASSERT_EQ(data.report.breakdown.size(), 1u); // no version: one row, none
    EXPECT_EQ(data.report.breakdown[0].summary.interactions, 40);

    // Timed ones join: the all-time view counts both and spans the timed ones; a range leaves
    // the untimed out and says how many.
    writeDays(store, 20000, 3, 10, "t");
    const DashboardData mixed = loadDashboard(store.reader(), MetricsFilter{});
    EXPECT_EQ(mixed.report.summary.interactions, 70);
    EXPECT_EQ(mixed.untimed, 40);
    ASSERT_TRUE(mixed.span);
    EXPECT_EQ(mixed.span->first, 20000 * dayMs);
    EXPECT_EQ(mixed.report.series.size(), 3u);
    MetricsFilter range;
    range.fromMs = 20000 * dayMs;
    range.toMs = 20003 * dayMs;
    const DashboardData ranged = loadDashboard(store.reader(), range);
    EXPECT_EQ(ranged.report.summary.interactions, 30);
    EXPECT_EQ(ranged.untimed, 40);
    MetricsFilter halfOpen;
    halfOpen.fromMs = 0;
    EXPECT_THROW(loadDashboard(store.reader(), halfOpen), Failure);
}

// "+72,368.9%" came from comparing a month with the few interactions before the logs began.
TEST(Dashboard, ComparesOnlyWholePeriodsWithEnoughInteractions)
{
    test::TestStore store;
    writeDays(store, 20001, 2, 3, "early");  // 6 interactions on two days
    writeDays(store, 20010, 10, 50, "late"); // 500 on the ten days after
    MetricsFilter lastTen;
    lastTen.fromMs = 20010 * dayMs;
    lastTen.toMs = 20020 * dayMs;
    const DashboardData logsBeginInside = loadDashboard(store.reader(), lastTen);
    EXPECT_EQ(logsBeginInside.withheld, ComparisonWithheld::LogsBeginInside);
    EXPECT_FALSE(logsBeginInside.report.previous);
    EXPECT_EQ(logsBeginInside.previousInteractions, 6);

    MetricsFilter lastFive; // the previous five days are whole and hold 250
    lastFive.fromMs = 20015 * dayMs;
    lastFive.toMs = 20020 * dayMs;
    const DashboardData enough = loadDashboard(store.reader(), lastFive);
    EXPECT_EQ(enough.previousInteractions, 250);
    EXPECT_EQ(enough.withheld, ComparisonWithheld::None);
    ASSERT_TRUE(enough.report.previous);
    EXPECT_EQ(enough.report.previous->interactions, 250);

    MetricsFilter lastDay;
    lastDay.fromMs = 20019 * dayMs;
    lastDay.toMs = 20020 * dayMs;
    const DashboardData tooFew = loadDashboard(store.reader(), lastDay);
    EXPECT_EQ(tooFew.withheld, ComparisonWithheld::TooFew);
    EXPECT_FALSE(tooFew.report.previous);
    EXPECT_EQ(tooFew.previousInteractions, 50);
}

TEST(Dashboard, BreaksDownByAMetadataKeyAndSucceedsByAScore)
{
    test::TestStore store;
    Batch batch;
    for (int i = 0; i < 20; ++i) {
        Interaction in = interaction("e" + std::to_string(i), std::nullopt);
        in.metadataJson = std::string("{\"task_family\":\"") + (i < 5 ? "math" : "web") + "\"}";
        in.scores.push_back({"reward", i / 20.0});
        batch.interactions.push_back(in);
    }
    store.write(batch);
    DashboardOptions options;
    options.breakdown = Grouping{FilterField::Metadata, "task_family"};
    options.successScore = "reward";
    options.successThreshold = 0.5;
    const DashboardData data = loadDashboard(store.reader(), MetricsFilter{}, options);
    EXPECT_EQ(data.report.summary.rate(Rate::Success).hits, 10);
    ASSERT_EQ(data.report.breakdown.size(), 2u);
    for (const BreakdownRow& row : data.report.breakdown)
        EXPECT_EQ(row.summary.rate(Rate::Success).hits, row.value == "math" ? 0 : 10) << row.value;
}
