#include "ui/widgets/filter_bar.h"

#include <QSignalSpy>

#include <gtest/gtest.h>

using namespace winnow;

TEST(FilterBar, ConditionsRoundTripForTheNextSession)
{
    FilterBar bar;
    StoreOutline outline;
    outline.empty = false;
    outline.values = {{Dimension::Agent, {"a", "b"}}, {Dimension::Model, {"m"}}};
    outline.oldestMs = 0;
    outline.newestMs = 86'400'000;
    bar.setChoices(outline);
    bar.setConditions(
        {QStringLiteral("agent=b"), QStringLiteral("model=gone"), QStringLiteral("colour=red")});
    EXPECT_EQ(bar.conditions(), QStringList{QStringLiteral("agent=b")});
    const MetricsFilter filter = bar.filter();
    ASSERT_EQ(filter.where.size(), 1u);
    EXPECT_EQ(filter.where[0], (Condition{FilterField::Agent, "b"}));
    ASSERT_TRUE(filter.fromMs && filter.toMs);
    EXPECT_EQ(*filter.toMs - *filter.fromMs, 30ll * 86'400'000); // the default preset, 30 days
}

TEST(FilterBar, TheWhereBoxTakesMetadataAndScoreConditions)
{
    FilterBar bar;
    StoreOutline outline;
    outline.empty = false;
    outline.values = {{Dimension::Agent, {"a", "b"}}};
    outline.oldestMs = 0;
    outline.newestMs = 86'400'000;
    outline.untimed = 7;
    outline.metadataKeys = {"task"};
    outline.scoreNames = {"reward"};
    bar.setChoices(outline);
    QSignalSpy changed(&bar, &FilterBar::filterChanged);
    ASSERT_TRUE(bar.setConditionText(QStringLiteral(R"(metadata.task="web search" score.reward<0.5)")));
    EXPECT_EQ(changed.count(), 1);
    MetricsFilter filter = bar.filter();
    ASSERT_EQ(filter.where.size(), 2u);
    EXPECT_EQ(filter.where[0], (Condition{FilterField::Metadata, "web search", "task", Comparison::Equal}));
    EXPECT_EQ(filter.where[1], (Condition{FilterField::Score, "0.5", "reward", Comparison::Less}));

    // Text that does not parse is not applied: the last conditions stay, the box says why.
    EXPECT_FALSE(bar.setConditionText(QStringLiteral("score.reward>=high")));
    EXPECT_FALSE(bar.conditionError().isEmpty());
    EXPECT_EQ(bar.filter().where.size(), 2u);
    EXPECT_EQ(changed.count(), 1);

    // Kept for the next session with the boxes' conditions, and read back into the right place.
    ASSERT_TRUE(bar.setConditionText(QStringLiteral("metadata.task=x")));
    FilterBar next;
    next.setChoices(outline);
    QStringList saved = bar.conditions();
    saved.prepend(QStringLiteral("agent=a"));
    next.setConditions(saved);
    EXPECT_EQ(next.filter().where,
              (std::vector<Condition>{{FilterField::Agent, "a"},
                                      {FilterField::Metadata, "x", "task", Comparison::Equal}}));

    // A drill-down with two conditions on one dimension shows the second in the box.
    MetricsFilter drill;
    drill.with(FilterField::Agent, "a")
        .with(FilterField::Agent, "b")
        .with(*parseCondition("score.reward>=0.9"));
    next.setFilter(drill);
    EXPECT_EQ(next.filter().where.size(), 3u);

    // The presets say what they leave out; all time has no range, so the untimed count.
    EXPECT_EQ(bar.filter().toMs.value_or(0) - bar.filter().fromMs.value_or(0), 30ll * 86'400'000);
    bar.setPreset(QStringLiteral("all"));
    EXPECT_FALSE(bar.filter().fromMs);
    EXPECT_FALSE(bar.filter().toMs);
}
