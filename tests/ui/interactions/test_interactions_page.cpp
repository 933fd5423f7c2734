#include "../widget_test_helpers.h"
#include "core/export/export.h"
#include "ui/interactions/interactions_page.h"
#include "ui/main_window.h"

#include <QHeaderView>
#include <QSignalSpy>
#include <QTableView>

using namespace winnow;
using test::waitUntil;

TEST(InteractionsPage, SortsByTimeOrAgentOnly)
{
    test::DemoStore demo;
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy loaded(window.interactions(), &Page::loaded);
    window.show();
    window.showScreen(QStringLiteral("interactions"));
    ASSERT_TRUE(loaded.wait(15000));
    QTableView* table = window.interactions()->table();
    InteractionListModel* model = window.interactions()->model();
    loaded.clear();
    table->sortByColumn(InteractionListModel::Agent, Qt::AscendingOrder);
    ASSERT_TRUE(loaded.wait(15000));
    ASSERT_TRUE(waitUntil(
        [&] { return !model->data(model->index(0, 0), InteractionListModel::LoadingRole).toBool(); }));
    EXPECT_EQ(model->data(model->index(0, InteractionListModel::Agent)).toString(),
              QStringLiteral("it-helpdesk"));
    const int last = model->rowCount() - 1;
    ASSERT_TRUE(waitUntil(
        [&] { return !model->data(model->index(last, 0), InteractionListModel::LoadingRole).toBool(); }));
    EXPECT_EQ(model->data(model->index(last, InteractionListModel::Agent)).toString(),
              QStringLiteral("support-bot"));
    // A column without an index does not sort, and says so by keeping the indicator where it was.
    table->sortByColumn(InteractionListModel::Intent, Qt::AscendingOrder);
    EXPECT_EQ(table->horizontalHeader()->sortIndicatorSection(), int(InteractionListModel::Agent));
    EXPECT_TRUE(model->sortOrder().byAgent);
}

TEST(InteractionsPage, TheDetailPaneRendersTheSelectedConversation)
{
    test::DemoStore demo(800);
    {
        // Every interaction goes into a batch: the pane says which.
        ExportDefinition everything;
        everything.format = ExportFormat::Jsonl;
        auto writer = StoreWriter::open(demo.path).take();
        auto reader = Database::openForReading(demo.path).take();
        ASSERT_TRUE(runExport(*reader, *writer, everything, demo.dir.filePath(QStringLiteral("batch")).toStdString(),
                              "trainer"));
    }
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy ready(&window, &MainWindow::storeReady);
    QSignalSpy loaded(window.interactions(), &Page::loaded);
    window.show();
    window.showScreen(QStringLiteral("interactions"));
    // Once the store is ready the filter bar has given every page its filter; a filter set on the
    // page before would be replaced.
    ASSERT_TRUE(ready.count() > 0 || ready.wait(15000));
    ASSERT_TRUE(loaded.count() > 0 || loaded.wait(15000));
    MetricsFilter escalated;
    escalated.with(FilterField::Signal, "escalation");
    loaded.clear();
    window.interactions()->setFilter(escalated);
    ASSERT_TRUE(loaded.wait(15000));
    InteractionListModel* model = window.interactions()->model();
    ASSERT_GT(model->rowCount(), 0);
    ASSERT_TRUE(waitUntil(
        [&] { return !model->data(model->index(0, 0), InteractionListModel::LoadingRole).toBool(); }));
    QSignalSpy detail(window.interactions(), &InteractionsPage::detailLoaded);
    window.interactions()->table()->selectRow(0);
    ASSERT_TRUE(detail.wait(10000));
    EXPECT_TRUE(window.interactions()->detailText().contains(QStringLiteral("user")));
    EXPECT_TRUE(window.interactions()->detailText().contains(QStringLiteral("escalation")))
        << window.interactions()->detailText().toStdString();
    EXPECT_TRUE(window.interactions()->detailJson().startsWith(QStringLiteral("{\"id\":")));
    EXPECT_TRUE(window.interactions()->detailText().contains(QStringLiteral("Exported in batch 1 (jsonl)")))
        << window.interactions()->detailText().toStdString();
}
