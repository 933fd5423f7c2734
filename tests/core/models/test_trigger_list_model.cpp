#include "core/models/trigger_list_model.h"

#include <QAbstractItemModelTester>
#include <QLocale>

#include <gtest/gtest.h>

using namespace winnow;

TEST(TriggerListModel, ListsTriggersWithTheirStateAndChange)
{
    TriggerListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    StoredTrigger rate;
    rate.id = 7;
    rate.monitorName = "escalation per agent";
    rate.owner = "ana";
    rate.group = "support-bot";
    rate.windowFromMs = 1'793'836'800'000; // 2026-11-05
    rate.windowToMs = 1'794'441'600'000;   // 2026-11-12
    rate.state = TriggerState::InReview;
    rate.evidenceCount = 1234;
    rate.figuresJson = R"({"figure":"escalation rate","current":{"value":0.066},"baseline":{"value":0.046}})";
    StoredTrigger latency = rate;
    latency.id = 3;
    latency.state = TriggerState::Dismissed;
    latency.reason = "a load test";
    latency.figuresJson = R"({"figure":"latency p90","current":{"value":9200},"threshold":8000})";
    model.setTriggers({rate, latency});
    ASSERT_EQ(model.rowCount(), 2);
    EXPECT_EQ(model.data(model.index(0, TriggerListModel::Id)).toLongLong(), 7);
    EXPECT_EQ(model.data(model.index(0, TriggerListModel::State)).toString(), QStringLiteral("in review"));
    EXPECT_EQ(model.data(model.index(0, TriggerListModel::State), TriggerListModel::StateRole).toInt(),
              int(TriggerState::InReview));
    EXPECT_EQ(model.data(model.index(0, TriggerListModel::Window)).toString(),
              QStringLiteral("2026-11-05 – 2026-11-12"));
    EXPECT_EQ(model.data(model.index(0, TriggerListModel::Change)).toString(),
              QLocale().toString(6.6, 'f', 1) + QStringLiteral("% from ") + QLocale().toString(4.6, 'f', 1) +
                  QStringLiteral("%"));
    EXPECT_EQ(model.data(model.index(0, TriggerListModel::Evidence), Qt::EditRole).toLongLong(), 1234);
    EXPECT_EQ(model.data(model.index(1, TriggerListModel::Change)).toString(),
              QLocale().toString(9200.0, 'f', 0) + QStringLiteral(" ms (threshold ") +
                  QLocale().toString(8000.0, 'f', 0) + QStringLiteral(" ms)"));
    EXPECT_EQ(model.data(model.index(1, TriggerListModel::State), Qt::ToolTipRole).toString(),
              QStringLiteral("a load test"));
    EXPECT_EQ(model.rowOf(3), 1);
    EXPECT_EQ(model.rowOf(4), -1);
    EXPECT_EQ(model.triggerAt(5), nullptr);
}
