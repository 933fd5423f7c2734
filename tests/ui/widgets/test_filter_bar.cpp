#include "ui/widgets/filter_bar.h"

#include <gtest/gtest.h>

using namespace winnow;

TEST(FilterBar, ConditionsRoundTripForTheNextSession)
{
    FilterBar bar;
    bar.setChoices({{Dimension::Agent, {"a", "b"}}, {Dimension::Model, {"m"}}}, 0, 86'400'000);
    bar.setConditions(
        {QStringLiteral("agent=b"), QStringLiteral("model=gone"), QStringLiteral("colour=red")});
    EXPECT_EQ(bar.conditions(), QStringList{QStringLiteral("agent=b")});
    const MetricsFilter filter = bar.filter();
    ASSERT_EQ(filter.where.size(), 1u);
    EXPECT_EQ(filter.where[0], (Condition{FilterField::Agent, "b"}));
    ASSERT_TRUE(filter.fromMs && filter.toMs);
    EXPECT_EQ(*filter.toMs - *filter.fromMs, 30ll * 86'400'000); // the default preset, 30 days
}
