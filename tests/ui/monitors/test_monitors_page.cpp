#include "../widget_test_helpers.h"
#include "core/models/trigger_list_model.h"
#include "core/monitors/monitors.h"
#include "core/store/database.h"
#include "ui/exports/exports_page.h"
#include "ui/main_window.h"
#include "ui/pages.h"
#include "ui/monitors/monitors_page.h"
#include "ui/review/review_page.h"

#include <QSignalSpy>

using namespace winnow;
using test::waitUntil;

// The demo's regressed releases raise triggers; the screen lists them, shows one's figures and
// evidence, and its actions walk it on: a review queue (the Review screen opens on it), the
// Exports screen on its evidence, a dismissal with its reason.
TEST(MonitorsPage, ListsTriggersWithTheirEvidenceAndWalksThemOn)
{
    test::DemoStore demo(20'000);
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy ready(&window, &MainWindow::storeReady);
    window.show();
    window.showScreen(QStringLiteral("monitors"));
    ASSERT_TRUE(ready.count() > 0 || ready.wait(15000));
    auto* page = qobject_cast<MonitorsPage*>(window.page(QStringLiteral("monitors")));
    ASSERT_NE(page, nullptr);
    QSignalSpy checked(page, &MonitorsPage::checked);
    page->checkNow();
    ASSERT_TRUE(checked.wait(30000));
    EXPECT_TRUE(page->statusText().contains(QStringLiteral("triggers raised"))) << page->statusText().toStdString();
    ASSERT_TRUE(waitUntil([&] { return page->triggers()->rowCount() > 0; }));

    // A support-bot trigger (its release regressed), its figures and evidence.
    std::int64_t id = 0;
    for (int row = 0; row < page->triggers()->rowCount(); ++row) {
        const StoredTrigger* t = page->triggers()->triggerAt(row);
        if (t->group == "support-bot")
            id = t->id;
    }
    ASSERT_GT(id, 0);
    page->selectTrigger(id);
    ASSERT_TRUE(waitUntil([&] { return page->detailText().contains(QStringLiteral("History")); }));
    const QString detail = page->detailText();
    EXPECT_TRUE(detail.contains(QStringLiteral("Trigger %1 · ").arg(id))) << detail.toStdString();
    EXPECT_TRUE(detail.contains(QStringLiteral("on the previous 7 days (p < 0.001)"))) << detail.toStdString();
    EXPECT_TRUE(detail.contains(QStringLiteral("agent_version=3.2.0"))) << detail.toStdString();
    EXPECT_TRUE(detail.contains(QStringLiteral("Two-proportion test")));

    // Review Evidence: a queue, opened in Review; the trigger is in review.
    QSignalSpy done(page, &MonitorsPage::actionDone);
    page->reviewSelected();
    ASSERT_TRUE(done.wait(15000));
    ASSERT_TRUE(waitUntil([&] { return window.currentScreen() == pageIndex(QStringLiteral("review")); }));
    ASSERT_TRUE(waitUntil([&] {
        const int row = page->triggers()->rowOf(id);
        return row >= 0 && page->triggers()->triggerAt(row)->state == TriggerState::InReview;
    }));

    // Another trigger dismissed with its reason.
    const int other = page->triggers()->rowOf(id) == 0 ? 1 : 0;
    const std::int64_t otherId = page->triggers()->triggerAt(other)->id;
    page->selectTrigger(otherId);
    done.clear();
    page->dismissSelected(QStringLiteral("the same regression"));
    ASSERT_TRUE(done.wait(15000));
    ASSERT_TRUE(waitUntil([&] {
        const int row = page->triggers()->rowOf(otherId);
        return row >= 0 && page->triggers()->triggerAt(row)->state == TriggerState::Dismissed;
    }));
}
