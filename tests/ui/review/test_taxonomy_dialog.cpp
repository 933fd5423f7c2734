#include "../widget_test_helpers.h"
#include "core/store/database.h"
#include "core/store/review_store.h"
#include "ui/review/taxonomy_dialog.h"

#include <QSignalSpy>

using namespace winnow;

// The taxonomy edited from the app: each edit written, read back and kept in its history.
TEST(TaxonomyDialog, EditsAreWrittenWithTheirHistory)
{
    test::DemoStore demo(20);
    auto writer = StoreWriter::open(demo.path).take();
    TaxonomyDialog dialog({demo.path, writer, {}}, QStringLiteral("lead"));
    QSignalSpy loaded(&dialog, &TaxonomyDialog::loaded);
    ASSERT_TRUE(loaded.wait(15000));
    ASSERT_EQ(dialog.categories().size(), 10u);
    const std::int64_t tone = dialog.categories()[8].id;

    auto edit = [&](auto action) {
        loaded.clear();
        action();
        return loaded.wait(15000);
    };
    ASSERT_TRUE(
        edit([&] { dialog.addCategory(QStringLiteral("leaked secret"), QStringLiteral("A credential")); }));
    EXPECT_EQ(dialog.categories().size(), 11u);
    dialog.addCategory(QStringLiteral("TONE"), {}); // taken, whatever the case: said, not written
    EXPECT_NE(dialog.status().indexOf(QStringLiteral("already")), -1);
    ASSERT_TRUE(edit([&] { dialog.renameCategory(tone, QStringLiteral("tone or manner")); }));
    ASSERT_TRUE(edit([&] { dialog.retireCategory(tone, true); }));
    ASSERT_TRUE(edit([&] { dialog.moveCategory(tone, 1); }));
    ASSERT_TRUE(edit([&] { dialog.describeCategory(tone, QStringLiteral("Rude, cold or verbose.")); }));
    EXPECT_EQ(dialog.categories().front().id, tone);
    EXPECT_EQ(dialog.categories().front().name, "tone or manner");
    EXPECT_TRUE(dialog.categories().front().retired);
    if (qEnvironmentVariableIsSet("WINNOW_TEST_GRAB"))
        dialog.grab().save(qEnvironmentVariable("WINNOW_TEST_GRAB"));

    auto reader = Database::openForReading(demo.path).take();
    const auto history = ReviewStore(*reader).categoryHistory(tone);
    ASSERT_EQ(history.size(), 4u);
    EXPECT_EQ(history[0].action, "rename");
    EXPECT_EQ(history[3].action, "describe");
    EXPECT_EQ(history[3].author, "lead");
}
