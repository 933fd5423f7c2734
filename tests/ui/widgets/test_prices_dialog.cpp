#include "../widget_test_helpers.h"
#include "core/models/price_list_model.h"
#include "core/store/database.h"
#include "core/store/price_store.h"
#include "ui/widgets/prices_dialog.h"

#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>

using namespace winnow;

namespace {
int rowOf(const PriceListModel& model, const QString& name)
{
    for (int row = 0; row < model.rowCount(); ++row)
        if (model.data(model.index(row, PriceListModel::Model)).toString() == name)
            return row;
    return -1;
}
} // namespace

TEST(PricesDialog, AddEditAndRemoveAPriceInTheStore)
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("s.db")).toStdString();
    StoreContext store{path, StoreWriter::open(path).take(), {}};
    PricesDialog dialog(store);
    QSignalSpy loaded(&dialog, &PricesDialog::loaded);
    ASSERT_TRUE(loaded.wait(10000));
    PriceListModel* model = dialog.model();
    EXPECT_GT(model->rowCount(), 10);
    EXPECT_GE(rowOf(*model, QStringLiteral("gpt-4o")), 0);

    loaded.clear();
    dialog.addModel(QStringLiteral("house-llm"));
    ASSERT_TRUE(loaded.wait(10000));
    const int row = rowOf(*model, QStringLiteral("house-llm"));
    ASSERT_GE(row, 0);
    EXPECT_DOUBLE_EQ(model->priceAt(row)->inputUsdPerMtok, 0);

    loaded.clear();
    ASSERT_TRUE(model->setData(model->index(row, PriceListModel::Input), QStringLiteral("4")));
    ASSERT_TRUE(loaded.wait(10000));
    auto reader = Database::openForReading(path).take();
    bool found = false;
    for (const ModelPrice& price : PriceStore(*reader).prices())
        if (price.model == "house-llm") {
            found = true;
            EXPECT_DOUBLE_EQ(price.inputUsdPerMtok, 4);
        }
    EXPECT_TRUE(found);

    loaded.clear();
    dialog.removeModel(QStringLiteral("house-llm"));
    ASSERT_TRUE(loaded.wait(10000));
    EXPECT_LT(rowOf(*model, QStringLiteral("house-llm")), 0);
}

TEST(PricesDialog, AReadOnlyStoreShowsThePricesWithoutEditing)
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("s.db")).toStdString();
    StoreWriter::open(path).take()->drain();
    PricesDialog dialog(StoreContext{path, nullptr, QStringLiteral("a read-only mount")});
    QSignalSpy loaded(&dialog, &PricesDialog::loaded);
    ASSERT_TRUE(loaded.wait(10000));
    EXPECT_GT(dialog.model()->rowCount(), 10);
    for (QPushButton* button : dialog.findChildren<QPushButton*>()) {
        if (button->text().contains(QStringLiteral("Add")) || button->text().contains(QStringLiteral("Remove"))) {
            EXPECT_FALSE(button->isEnabled());
        }
    }
    EXPECT_TRUE(dialog.status().contains(QStringLiteral("read-only")));
}
