#include "../widget_test_helpers.h"
#include "core/models/export_batch_model.h"
#include "core/review/review.h"
#include "core/store/database.h"
#include "core/store/review_store.h"
#include "ui/exports/exports_page.h"
#include "ui/main_window.h"

#include <QSignalSpy>

#include <filesystem>

using namespace winnow;
using test::waitUntil;

namespace {
// The first 60 interactions labelled: every third a failure with its corrected answer, the others passes.
void labelSome(const std::string& path)
{
    auto writer = StoreWriter::open(path).take();
    auto reader = Database::openForReading(path).take();
    const std::int64_t category = ReviewStore(*reader).categories().front().id;
    std::vector<Label> labels;
    for (std::int64_t id = 1; id <= 60; ++id) {
        Label label;
        label.interactionId = id;
        label.reviewer = label.author = "ana";
        label.status = LabelStatus::Submitted;
        label.verdict = id % 3 == 0 ? Verdict::Fail : Verdict::Pass;
        if (id % 3 == 0) {
            label.categories = {category};
            label.corrected = "The right answer, " + std::to_string(id) + ".";
        }
        labels.push_back(label);
    }
    ASSERT_TRUE(importLabels(*writer, labels));
}
} // namespace

TEST(ExportsPage, CountsPreviewsAndWritesABatchThenListsItWithItsManifest)
{
    test::DemoStore demo(600);
    labelSome(demo.path);
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy ready(&window, &MainWindow::storeReady);
    window.show();
    window.showScreen(QStringLiteral("exports"));
    ASSERT_TRUE(ready.count() > 0 || ready.wait(15000));
    auto* page = qobject_cast<ExportsPage*>(window.page(QStringLiteral("exports")));
    ASSERT_NE(page, nullptr);
    // Everything: the demo's last 30 days hold only part of the labelled interactions.
    page->setFilter({});
    QSignalSpy counted(page, &ExportsPage::counted);
    QSignalSpy previewed(page, &ExportsPage::previewed);
    page->setFormat(ExportFormat::TrlKto);
    ASSERT_TRUE(waitUntil([&] { return page->countText().contains(QStringLiteral("trl-kto")); }));
    // 20 corrected failures (two records each) and 40 passes; 540 without a label.
    EXPECT_TRUE(page->countText().contains(QStringLiteral("<b>60</b> of 600"))) << page->countText().toStdString();
    EXPECT_TRUE(page->countText().contains(QStringLiteral("<b>80</b> records"))) << page->countText().toStdString();
    EXPECT_TRUE(page->countText().contains(QStringLiteral("540 without a final label")));
    ASSERT_TRUE(waitUntil([&] { return page->previewText().contains(QStringLiteral("\"completion\"")); }));

    const QString out = QString::fromStdString(demo.path) + QStringLiteral(".batch");
    page->setOutDir(out);
    page->setRedact(true);
    page->setSplit(0.8);
    QSignalSpy finished(page, &ExportsPage::exportFinished);
    QSignalSpy history(page, &ExportsPage::historyLoaded);
    page->startExport();
    ASSERT_TRUE(finished.wait(30000));
    ASSERT_TRUE(finished.at(0).at(0).toBool()) << page->statusText().toStdString();
    EXPECT_TRUE(page->statusText().startsWith(QStringLiteral("Batch 1: 80 records of 60 interactions")))
        << page->statusText().toStdString();
    EXPECT_TRUE(std::filesystem::exists(out.toStdString() + "/train.jsonl"));
    EXPECT_TRUE(std::filesystem::exists(out.toStdString() + "/manifest.json"));
    ASSERT_TRUE(waitUntil([&] { return page->history()->rowCount() == 1; }));
    ASSERT_TRUE(waitUntil([&] { return page->manifestText().contains(QStringLiteral("\"format\": \"trl-kto\"")); }));
    EXPECT_TRUE(page->manifestText().contains(QStringLiteral("\"post_check\": \"passed\"")));
    EXPECT_EQ(page->history()->batchAt(0)->author, "tester");

    // A folder that already holds the batch is refused, and said.
    page->setOutDir(out);
    finished.clear();
    page->startExport();
    ASSERT_TRUE(finished.wait(30000));
    EXPECT_FALSE(finished.at(0).at(0).toBool());
    EXPECT_TRUE(page->statusText().contains(QStringLiteral("not empty"))) << page->statusText().toStdString();
}
