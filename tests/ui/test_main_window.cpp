#include "../core/test_helpers.h"
#include "core/ingest/otlp_receiver.h"
#include "core/store/database.h"
#include "core/store/schema.h"
#include "core/util/version.h"
#include "ui/dashboard/dashboard_page.h"
#include "ui/interactions/interactions_page.h"
#include "ui/main_window.h"
#include "ui/pages.h"
#include "ui/sources/sources_page.h"
#include "ui/widgets/filter_bar.h"
#include "widget_test_helpers.h"

#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTcpSocket>

#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace winnow;
using test::waitUntil;

TEST(MainWindow, AnEmptyStoreOffersDemoDataAndEveryPageOpens)
{
    QTemporaryDir dir;
    MainWindow window(dir.filePath(QStringLiteral("fresh.db")));
    QSignalSpy loaded(window.dashboard(), &Page::loaded);
    window.show();
    ASSERT_TRUE(loaded.wait(15000));
    EXPECT_TRUE(window.dashboard()->empty());
    // The one list of pages: each opens by its name, in its order.
    for (const QString& name : pageNames()) {
        ASSERT_TRUE(window.showScreen(name)) << name.toStdString();
        EXPECT_EQ(pageNames().at(window.currentScreen()), name);
        EXPECT_TRUE(window.page(name)) << name.toStdString();
    }
    EXPECT_FALSE(window.showScreen(QStringLiteral("nowhere")));

    // Load demo data: the work runs on a thread of its own and the dashboard fills in.
    QSignalSpy finished(&window, &MainWindow::workFinished);
    window.loadDemoData();
    ASSERT_TRUE(finished.wait(60000));
    EXPECT_TRUE(finished.at(0).at(1).toBool()) << finished.at(0).at(0).toString().toStdString();
    window.showScreen(QStringLiteral("dashboard"));
    ASSERT_TRUE(waitUntil([&] { return !window.dashboard()->empty(); }, 20000));
    EXPECT_TRUE(waitUntil(
        [&] {
            return window.dashboard()->tileText(DashboardPage::tr("Interactions")) == test::formatted(50000);
        },
        20000))
        << window.dashboard()->tileText(DashboardPage::tr("Interactions")).toStdString();
}

// A commit makes the screens that read what it changed read again, and only those: a profile
// edit reloads nothing, a source's new position reloads Sources, new interactions the dashboard.
TEST(MainWindow, ACommitReloadsOnlyTheScreensThatReadWhatItChanged)
{
    test::DemoStore demo(300);
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy ready(&window, &MainWindow::storeReady);
    QSignalSpy dashboardLoaded(window.dashboard(), &Page::loaded);
    QSignalSpy sourcesLoaded(window.sources(), &Page::loaded);
    window.show();
    ASSERT_TRUE(ready.count() > 0 || ready.wait(15000));
    ASSERT_TRUE(waitUntil([&] { return dashboardLoaded.count() > 0 && sourcesLoaded.count() > 0; }));
    ASSERT_TRUE(window.store().writer);
    // What opening the store reloads settles first (on a loaded machine a second load of the
    // dashboard came late and was taken for a reload the Sources change caused).
    QTest::qWait(1500);
    // The window reads again at most once a second: what did not reload in 1.5 s never will.
    auto announce = [&](unsigned changes, QSignalSpy& reloads) {
        dashboardLoaded.clear();
        sourcesLoaded.clear();
        ASSERT_TRUE(window.store().writer->write(WritePriority::Interactive,
                                                 [changes](WriteTransaction& tx) { tx.changed(changes); }));
        if (reloads.count() == 0)
            reloads.wait(1500);
        QTest::qWait(300); // time for another screen to (wrongly) reload too
    };
    announce(StoreChange::Profiles, dashboardLoaded);
    EXPECT_EQ(dashboardLoaded.count(), 0);
    EXPECT_EQ(sourcesLoaded.count(), 0);
    announce(StoreChange::Sources, sourcesLoaded);
    EXPECT_EQ(dashboardLoaded.count(), 0);
    EXPECT_GE(sourcesLoaded.count(), 1);
    announce(StoreChange::Interactions, dashboardLoaded);
    EXPECT_GE(dashboardLoaded.count(), 1);
    EXPECT_EQ(sourcesLoaded.count(), 0);
}

TEST(MainWindow, TheReceiverSwitchTakesTracesAndTheDashboardFollows)
{
    QTemporaryDir dir;
    const std::string logs = dir.filePath(QStringLiteral("t.json")).toStdString();
    DemoOptions options;
    options.interactions = 6;
    ASSERT_EQ(writeDemo(options, DemoFormat::Otlp, logs), "");
    MainWindow window(dir.filePath(QStringLiteral("s.db")));
    QSignalSpy ready(&window, &MainWindow::storeReady);
    window.show();
    ASSERT_TRUE(ready.wait(15000));
    ASSERT_TRUE(window.setReceiverOn(true, 0));
    ASSERT_TRUE(window.receiver());
    const quint16 port = window.receiver()->port();

    QTcpSocket socket; // asynchronous: the receiver answers on this (the GUI) thread
    socket.connectToHost(QHostAddress::LocalHost, port);
    QByteArray body;
    {
        std::ifstream in(logs);
        body = QByteArray::fromStdString(std::string(std::istreambuf_iterator<char>(in), {})).trimmed();
    }
    socket.write("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
                 QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QByteArray answer;
    ASSERT_TRUE(waitUntil([&] {
        answer += socket.readAll();
        return answer.contains("\r\n\r\n");
    }));
    EXPECT_TRUE(answer.startsWith("HTTP/1.1 200")) << answer.toStdString();
    // Live: the commit reaches the dashboard within about a second, without asking.
    EXPECT_TRUE(waitUntil(
        [&] { return window.dashboard()->tileText(DashboardPage::tr("Interactions")) == test::formatted(6); },
        20000))
        << window.dashboard()->tileText(DashboardPage::tr("Interactions")).toStdString();
    EXPECT_TRUE(window.setReceiverOn(false));
    EXPECT_FALSE(window.receiver());
}

// A file that is not a store is an error, shown at once: the window does not wait forever.
TEST(MainWindow, AStoreItCannotOpenIsShownNotWaitedOn)
{
    QTemporaryDir dir;
    const QString notes = dir.filePath(QStringLiteral("notes.db"));
    std::ofstream(notes.toStdString()) << "my notes\n";
    MainWindow window(notes);
    QSignalSpy failed(&window, &MainWindow::storeFailed);
    window.show();
    ASSERT_TRUE(failed.wait(15000));
    EXPECT_TRUE(failed.at(0).at(0).toString().contains(QStringLiteral("is not a Winnow store")));
    bool shown = false;
    for (QLabel* label : window.findChildren<QLabel*>())
        shown =
            shown || (label->isVisible() && label->text().contains(QStringLiteral("is not a Winnow store")));
    EXPECT_TRUE(shown);
    EXPECT_FALSE(window.store().writer);
}

// A store that cannot be written opens read-only, says why, and turns off what would write.
TEST(MainWindow, AReadOnlyStoreOpensReadOnlyAndSaysSo)
{
    if (geteuid() == 0)
        GTEST_SKIP() << "root may write any file; for root the app's read-only opening is checked by "
                        "Cli.ScreenshotOfAReadOnlyStoreOpensItReadOnly (the app run as another user)";
    test::DemoStore demo(300);
    const std::string folder = demo.dir.path().toStdString();
    chmod(demo.path.c_str(), 0444);
    chmod(folder.c_str(), 0555);
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy ready(&window, &MainWindow::storeReady);
    window.show();
    ASSERT_TRUE(ready.wait(15000));
    EXPECT_FALSE(window.store().writer);
    EXPECT_TRUE(window.store().readOnlyReason.contains(QStringLiteral("read-only")));
    EXPECT_TRUE(window.windowTitle().contains(QStringLiteral("read-only")));
    EXPECT_TRUE(waitUntil([&] {
        return window.dashboard()->tileText(DashboardPage::tr("Interactions")) == test::formatted(300);
    }));
    EXPECT_FALSE(window.setReceiverOn(true, 0));
    chmod(folder.c_str(), 0755);
}

namespace {

bool bannerSays(const MainWindow& window, const QString& text)
{
    for (QLabel* label : window.findChildren<QLabel*>())
        if (label->isVisible() && label->text().contains(text))
            return true;
    return false;
}

} // namespace

// After opening, a quick integrity check runs in the background. A whole store stays as it was; a
// damaged one is said to be damaged in place of its figures (shown only when asked for) and is
// written no more (nothing arrives through the receiver); a damaged search index alone is named,
// and the store stays writable.
TEST(MainWindow, ADamagedStoreIsNoticedOnOpenAndWrittenNoMore)
{
    test::DemoStore demo(3000);
    // Opens the store in a new window and waits for its check: whether it found the store whole.
    auto openAndCheck = [&](std::unique_ptr<MainWindow>& window) -> std::optional<bool> {
        window = std::make_unique<MainWindow>(QString::fromStdString(demo.path));
        QSignalSpy checked(window.get(), &MainWindow::storeChecked);
        window->show();
        if (!checked.wait(30000))
            return std::nullopt;
        EXPECT_FALSE(checked.at(0).at(1).toBool()); // read, not remembered: the store was just made
        return checked.at(0).at(0).toBool();
    };
    std::unique_ptr<MainWindow> window;
    auto whole = openAndCheck(window);
    ASSERT_TRUE(whole.has_value());
    EXPECT_TRUE(*whole);
    EXPECT_TRUE(window->store().writer);
    EXPECT_FALSE(bannerSays(*window, QStringLiteral("damaged")));
    window.reset();

    const std::string index = demo.path + "-search";
    ASSERT_EQ(::access(index.c_str(), F_OK), 0);
    ASSERT_TRUE(test::overwriteMiddlePages(index));
    whole = openAndCheck(window);
    ASSERT_TRUE(whole.has_value());
    EXPECT_FALSE(*whole);
    EXPECT_TRUE(bannerSays(*window, QStringLiteral("The search index is damaged")));
    EXPECT_TRUE(window->store().writer); // the store itself is whole
    EXPECT_TRUE(window->dashboard()->isVisible()); // and its figures are shown
    EXPECT_FALSE(window->findChild<QWidget*>(QStringLiteral("damagedStore"))->isVisible());
    window.reset();

    ASSERT_TRUE(test::overwriteMiddlePages(demo.path));
    whole = openAndCheck(window);
    ASSERT_TRUE(whole.has_value());
    EXPECT_FALSE(*whole);
    // In place of the figures: what is wrong and what to do.
    auto* damaged = window->findChild<QWidget*>(QStringLiteral("damagedStore"));
    ASSERT_TRUE(damaged);
    EXPECT_TRUE(damaged->isVisible());
    EXPECT_FALSE(window->dashboard()->isVisible());
    EXPECT_TRUE(bannerSays(*window, QStringLiteral("database disk image is malformed")));
    EXPECT_TRUE(bannerSays(*window, QStringLiteral("Restore it from a backup")));
    EXPECT_FALSE(window->store().writer);
    EXPECT_TRUE(window->windowTitle().contains(QStringLiteral("damaged")));
    EXPECT_FALSE(window->setReceiverOn(true, 0));
    window->showScreen(QStringLiteral("interactions")); // a shortcut to a screen: still the panel
    EXPECT_TRUE(damaged->isVisible());
    EXPECT_FALSE(window->filterBar()->isVisible());
    // Read anyway, asked for: the screens, read-only, under a banner that says the figures are suspect.
    auto* readAnyway = window->findChild<QPushButton*>(QStringLiteral("readDamagedStore"));
    ASSERT_TRUE(readAnyway);
    readAnyway->click();
    EXPECT_FALSE(damaged->isVisible());
    EXPECT_TRUE(window->interactions()->isVisible());
    EXPECT_TRUE(window->filterBar()->isVisible());
    EXPECT_TRUE(bannerSays(*window, QStringLiteral("Figures read from it may be wrong or missing")));
    EXPECT_FALSE(window->store().writer);
}

// A check that found the store whole is remembered with a stamp of its files: the next window on
// the same, unchanged store does not read it all again (minutes of disk on a large store).
TEST(MainWindow, AStoreKnownWholeIsNotReadAgainOnOpen)
{
    test::DemoStore demo(500);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100)); // past the file clock's tick
    auto openAndCheck = [&]() -> QList<QVariant> {
        MainWindow window(QString::fromStdString(demo.path));
        QSignalSpy checked(&window, &MainWindow::storeChecked);
        window.show();
        if (!checked.wait(30000))
            return {};
        return checked.at(0);
    };
    const QList<QVariant> first = openAndCheck();
    ASSERT_EQ(first.size(), 2);
    EXPECT_TRUE(first.at(0).toBool());
    EXPECT_FALSE(first.at(1).toBool());
    const QList<QVariant> second = openAndCheck();
    ASSERT_EQ(second.size(), 2);
    EXPECT_TRUE(second.at(0).toBool());
    EXPECT_TRUE(second.at(1).toBool());
}

TEST(MainWindow, TheAboutBoxSaysTheVersionAndTheSchema)
{
    QTemporaryDir dir;
    MainWindow window(dir.filePath(QStringLiteral("fresh.db")));
    window.show();
    QAction* about = nullptr;
    for (QAction* action : window.findChildren<QAction*>())
        if (action->text() == MainWindow::tr("&About Winnow"))
            about = action;
    ASSERT_TRUE(about);
    about->trigger();
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("aboutBox"));
    ASSERT_TRUE(box);
    EXPECT_NE(box->text().indexOf(QString::fromLatin1(winnowVersion())), -1) << box->text().toStdString();
    EXPECT_NE(box->text().indexOf(QStringLiteral("schema version %1").arg(latestSchemaVersion())), -1);
    box->close();
}
