#include "../widget_test_helpers.h"
#include "core/models/source_models.h"
#include "ui/main_window.h"
#include "ui/sources/sources_page.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>

using namespace winnow;
using test::waitUntil;

TEST(SourcesPage, ListsFilesAndOpensQuarantinedRecords)
{
    test::DemoStore demo;
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy loaded(window.sources(), &Page::loaded);
    window.show();
    ASSERT_TRUE(window.showScreen(QStringLiteral("sources")));
    ASSERT_TRUE(loaded.wait(15000));
    QAbstractItemModelTester sourcesTester(window.sources()->sources());
    QAbstractItemModelTester quarantineTester(window.sources()->quarantine());
    ASSERT_EQ(window.sources()->sources()->rowCount(), 1);
    EXPECT_EQ(
        window.sources()->sources()->data(window.sources()->sources()->index(0, SourceListModel::Ingested)),
        test::formatted(3000));
    ASSERT_EQ(window.sources()->quarantine()->rowCount(), 1);
    window.sources()->openQuarantined(0);
    EXPECT_TRUE(window.sources()->quarantineDetail().contains(QStringLiteral("line 3001")));
    EXPECT_TRUE(window.sources()->quarantineDetail().contains(QStringLiteral("broken")));
}

// Remove a source with everything read from it, and read one again: the window runs the work,
// the page follows.
TEST(SourcesPage, RemovesASourceOrReadsItAgain)
{
    test::DemoStore demo(600);
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy ready(&window, &MainWindow::storeReady);
    window.show();
    ASSERT_TRUE(ready.wait(15000));
    QSignalSpy finished(&window, &MainWindow::workFinished);
    window.reingestSource(QString::fromStdString(demo.logs));
    ASSERT_TRUE(finished.wait(60000));
    EXPECT_TRUE(finished.at(0).at(1).toBool()) << finished.at(0).at(0).toString().toStdString();
    EXPECT_TRUE(finished.at(0).at(0).toString().contains(QStringLiteral("600 ingested")))
        << finished.at(0).at(0).toString().toStdString();
    finished.clear();
    window.removeSource(QString::fromStdString(demo.logs));
    ASSERT_TRUE(finished.wait(60000));
    EXPECT_TRUE(finished.at(0).at(1).toBool()) << finished.at(0).at(0).toString().toStdString();
    EXPECT_TRUE(finished.at(0).at(0).toString().contains(QStringLiteral("600")));
    window.showScreen(QStringLiteral("sources"));
    EXPECT_TRUE(waitUntil([&] { return window.sources()->sources()->rowCount() == 0; }, 10000));
    EXPECT_TRUE(waitUntil([&] { return window.sources()->quarantine()->rowCount() == 0; }, 10000));
}
