#include "core/metrics/drill_down.h"

#include <gtest/gtest.h>

using namespace winnow;

TEST(DrillDown, ARatePointOpensExactlyTheInteractionsItCounts)
{
    MetricsFilter filter;
    filter.fromMs = 1000;
    filter.toMs = 10 * 86'400'000;
    filter.with(FilterField::Agent, "support-bot");
    const MetricsFilter escalated = drillIntoBucket(filter, Bucket::Day, 86'400'000, Rate::Escalation);
    EXPECT_EQ(escalated.fromMs, 86'400'000);
    EXPECT_EQ(escalated.toMs, 2 * 86'400'000);
    EXPECT_EQ(escalated.where, (std::vector<Condition>{{FilterField::Agent, "support-bot"},
                                                       {FilterField::Signal, "escalation"}}));
    // The first bucket starts before the range: the range's start holds.
    EXPECT_EQ(drillIntoBucket(filter, Bucket::Day, 0).fromMs, 1000);
    EXPECT_EQ(drillIntoBucket(filter, Bucket::Day, 0, Rate::ThumbsDown).where.back(),
              (Condition{FilterField::Thumb, "down"}));
    // Success has no single condition: the bucket alone.
    EXPECT_EQ(drillIntoBucket(filter, Bucket::Day, 0, Rate::Success).where.size(), 1u);
    for (Rate rate : allRates) {
        if (const auto condition = conditionForRate(rate)) {
            EXPECT_TRUE(checkCondition(*condition)) << rateName(rate);
        }
    }
}

TEST(DrillDown, VolumeBarsAndBreakdownRows)
{
    MetricsFilter filter;
    filter.fromMs = 0;
    filter.toMs = 3'600'000 * 48;
    const MetricsFilter bar = drillIntoVolume(filter, Bucket::Hour, 3'600'000 * 5, "3.2.0");
    EXPECT_EQ(bar.fromMs, 3'600'000 * 5);
    EXPECT_EQ(bar.toMs, 3'600'000 * 6);
    EXPECT_EQ(bar.where, (std::vector<Condition>{{FilterField::AgentVersion, "3.2.0"}}));
    const MetricsFilter row = drillIntoBreakdown(filter, FilterField::Intent, "refund", Rate::Correction);
    EXPECT_EQ(row.fromMs, filter.fromMs);
    EXPECT_EQ(row.where,
              (std::vector<Condition>{{FilterField::Intent, "refund"}, {FilterField::Signal, "correction"}}));
}
