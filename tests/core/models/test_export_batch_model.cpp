#include "core/models/export_batch_model.h"

#include <QAbstractItemModelTester>
#include <QLocale>

#include <gtest/gtest.h>

using namespace winnow;

TEST(ExportBatchModel, ListsTheBatchesNewestFirstWithTheirFigures)
{
    ExportBatchModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    EXPECT_EQ(model.rowCount(), 0);
    ExportBatch older{1, "trl-dpo", "{}", "/data/dpo", "ana", 1'790'000'000'000, 1200, "{}"};
    ExportBatch newer{2, "openai-chat", "{}", "/data/chat", "ben", 1'790'000'600'000, 34, "{}"};
    model.setBatches({newer, older});
    ASSERT_EQ(model.rowCount(), 2);
    EXPECT_EQ(model.columnCount(), ExportBatchModel::ColumnCount);
    EXPECT_EQ(model.data(model.index(0, ExportBatchModel::Batch)).toLongLong(), 2);
    EXPECT_EQ(model.data(model.index(1, ExportBatchModel::Format)).toString(), QStringLiteral("trl-dpo"));
    EXPECT_EQ(model.data(model.index(1, ExportBatchModel::Records), Qt::EditRole).toLongLong(), 1200);
    EXPECT_EQ(model.data(model.index(1, ExportBatchModel::Records)).toString(), QLocale().toString(1200));
    EXPECT_EQ(model.data(model.index(0, ExportBatchModel::Folder), Qt::ToolTipRole).toString(),
              QStringLiteral("/data/chat"));
    EXPECT_EQ(model.rowOf(1), 1);
    EXPECT_EQ(model.rowOf(9), -1);
    EXPECT_EQ(model.batchAt(0)->author, "ben");
    EXPECT_EQ(model.batchAt(2), nullptr);
    model.setBatches({});
    EXPECT_EQ(model.rowCount(), 0);
}
