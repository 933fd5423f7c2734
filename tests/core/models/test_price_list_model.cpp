#include "core/models/price_list_model.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>

#include <gtest/gtest.h>

using namespace winnow;

TEST(PriceListModel, EditsAreCheckedAndHandedOut)
{
    PriceListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setPrices({{"gpt-4o", 2.5, 10, "2025-05-01", "default"}, {"house", 1, 2, "2026-11-30", "user"}});
    ASSERT_EQ(model.rowCount(), 2);
    EXPECT_EQ(model.data(model.index(0, PriceListModel::Model)).toString(), QStringLiteral("gpt-4o"));
    EXPECT_DOUBLE_EQ(model.data(model.index(0, PriceListModel::Input), Qt::EditRole).toDouble(), 2.5);
    EXPECT_FALSE(model.flags(model.index(0, PriceListModel::Model)) & Qt::ItemIsEditable);
    EXPECT_TRUE(model.flags(model.index(0, PriceListModel::Output)) & Qt::ItemIsEditable);

    QSignalSpy edited(&model, &PriceListModel::priceEdited);
    QSignalSpy refused(&model, &PriceListModel::priceRefused);
    EXPECT_TRUE(model.setData(model.index(1, PriceListModel::Output), QStringLiteral("$3.5")));
    ASSERT_EQ(edited.count(), 1);
    const auto saved = edited.at(0).at(0).value<ModelPrice>();
    EXPECT_EQ(saved.model, "house");
    EXPECT_DOUBLE_EQ(saved.outputUsdPerMtok, 3.5);
    EXPECT_EQ(saved.source, "user");
    EXPECT_DOUBLE_EQ(model.priceAt(1)->outputUsdPerMtok, 3.5);

    EXPECT_FALSE(model.setData(model.index(1, PriceListModel::Input), QStringLiteral("cheap")));
    EXPECT_FALSE(model.setData(model.index(1, PriceListModel::Input), -1.0));
    EXPECT_FALSE(model.setData(model.index(1, PriceListModel::AsOf), QStringLiteral("last Tuesday")));
    EXPECT_FALSE(model.setData(model.index(1, PriceListModel::Model), QStringLiteral("renamed")));
    EXPECT_EQ(refused.count(), 3);
    EXPECT_EQ(edited.count(), 1);
    EXPECT_DOUBLE_EQ(model.priceAt(1)->inputUsdPerMtok, 1);
    // The same value again is no edit.
    EXPECT_TRUE(model.setData(model.index(1, PriceListModel::Output), 3.5));
    EXPECT_EQ(edited.count(), 1);
}
