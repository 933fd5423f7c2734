#include "core/models/rule_list_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>

#include <gtest/gtest.h>

using namespace winnow;

// The rules with what each detects, its hits in the period and a value per day for its trend;
// problems say why a rule cannot be saved.
TEST(RuleListModel, RulesWithTheirHitsTrendAndProblems)
{
    RuleListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setRules(defaultRulePack().rules);
    ASSERT_EQ(model.rowCount(), int(defaultRulePack().rules.size()));
    EXPECT_EQ(model.data(model.index(0, RuleListModel::Id)).toString(), QStringLiteral("pii.email"));
    EXPECT_EQ(model.data(model.index(0, RuleListModel::Kind)).toString(), QStringLiteral("Email address"));
    EXPECT_EQ(model.data(model.index(0, RuleListModel::Status)).toString(), QStringLiteral("monitor"));
    const std::int64_t day = 86'400'000;
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    model.setHits({{"pii.email", {{10 * day, 3}, {12 * day, 5}, {40 * day, 9}}}}, 10 * day, 14 * day);
    EXPECT_EQ(changed.count(), 1);
    EXPECT_EQ(model.data(model.index(0, RuleListModel::Hits)).toLongLong(), 8) << "the period's days only";
    const QVariantList trend = model.data(model.index(0, RuleListModel::Trend), RuleListModel::TrendRole).toList();
    ASSERT_EQ(trend.size(), 4);
    EXPECT_EQ(trend[0].toLongLong(), 3);
    EXPECT_EQ(trend[1].toLongLong(), 0);
    EXPECT_EQ(trend[2].toLongLong(), 5);
    EXPECT_EQ(model.data(model.index(1, RuleListModel::Hits)).toLongLong(), 0);
    model.setProblems({{"pii.phone", "pattern: missing )"}});
    EXPECT_EQ(model.data(model.index(1, 0), RuleListModel::ProblemRole).toString(), QStringLiteral("pattern: missing )"));
    EXPECT_TRUE(model.data(model.index(1, 0), Qt::ToolTipRole).toString().startsWith(QStringLiteral("Cannot be saved")));
    EXPECT_EQ(model.rowOf("pii.phone"), 1);
    EXPECT_EQ(model.rowOf("nope"), -1);
}
