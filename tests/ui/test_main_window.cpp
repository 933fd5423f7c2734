#include "core/store/store.h"
#include "ui/main_window.h"

#include <QSignalSpy>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace winnow;

TEST(MainWindow, ShowsTheStoresCountsReadOffTheGuiThread)
{
    QTemporaryDir dir;
    const std::string path = dir.filePath(QStringLiteral("s.db")).toStdString();
    {
        Store store(path);
        Batch batch;
        for (int i = 0; i < 3; ++i) {
            Interaction in;
            in.key = std::to_string(i) + "k";
            batch.interactions.push_back(in);
        }
        store.writeBatch(batch);
    }
    MainWindow window(QString::fromStdString(path));
    QSignalSpy loaded(&window, &MainWindow::statsLoaded);
    window.show();
    ASSERT_TRUE(loaded.wait(5000));
    EXPECT_TRUE(window.summaryText().startsWith(QStringLiteral("3 interactions")))
        << window.summaryText().toStdString();
    EXPECT_TRUE(window.windowTitle().contains(QStringLiteral("s.db")));
}

TEST(MainWindow, ANewStoreIsCreatedEmpty)
{
    QTemporaryDir dir;
    MainWindow window(dir.filePath(QStringLiteral("fresh.db")));
    QSignalSpy loaded(&window, &MainWindow::statsLoaded);
    ASSERT_TRUE(loaded.wait(5000));
    EXPECT_TRUE(window.summaryText().startsWith(QStringLiteral("0 interactions")))
        << window.summaryText().toStdString();
}
