// The desktop app's speed goals (issue #4), as one timed run on a real store, offscreen:
//   winnow_bench_gui STORE [LARGE_STORE]
// 1. launch to a drawn dashboard (from main() to the dashboard's first data drawn),
// 2. dashboard refresh after a filter change (one agent picked),
// 3. opening Interactions (count and first page) on LARGE_STORE (or STORE),
// 4. scrolling to the end in 200 steps: the longest frame (event processing plus repaint),
// 5. resident memory with the large store's table open and scrolled.
// Prints one line per figure; copy them into bench/RESULTS.md.

#include "ui/dashboard/dashboard_page.h"
#include "ui/interactions/interactions_page.h"
#include "ui/main_window.h"
#include "ui/widgets/filter_bar.h"

#include "bench/bench_support.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QScrollBar>
#include <QTableView>

#include <cstdio>
#include <functional>

using namespace winnow;

using bench::residentKb;
using bench::waitFor;

int main(int argc, char** argv)
{
    QElapsedTimer launch;
    launch.start();
    if (argc < 2) {
        std::fprintf(stderr, "usage: winnow_bench_gui STORE [LARGE_STORE]\n");
        return 2;
    }
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QString store = QString::fromLocal8Bit(argv[1]);
    const QString large = argc > 2 ? QString::fromLocal8Bit(argv[2]) : store;

    int dashboards = 0;
    {
        MainWindow window(store);
        QObject::connect(window.dashboard(), &DashboardPage::loaded, [&] { ++dashboards; });
        window.resize(1440, 900);
        window.show();
        waitFor([&] { return dashboards > 0; });
        window.repaint();
        std::printf("launch to drawn dashboard: %lld ms\n", static_cast<long long>(launch.elapsed()));

        QComboBox* agent = nullptr;
        for (QComboBox* box : window.filterBar()->findChildren<QComboBox*>())
            if (box->accessibleName() == FilterBar::tr("Agent"))
                agent = box;
        for (int pick = 1; agent && pick < std::min(agent->count(), 4); ++pick) {
            QElapsedTimer refresh;
            refresh.start();
            const int before = dashboards;
            agent->setCurrentIndex(pick);
            waitFor([&] { return dashboards > before; });
            window.repaint();
            std::printf("dashboard refresh on a filter change (%s): %lld ms\n",
                        agent->currentText().toUtf8().constData(), static_cast<long long>(refresh.elapsed()));
        }
    }

    MainWindow window(large);
    window.resize(1440, 900);
    window.show();
    bool ready = false, drawn = false;
    QObject::connect(&window, &MainWindow::storeReady, [&] { ready = true; });
    QObject::connect(window.dashboard(), &DashboardPage::loaded, [&] { drawn = true; });
    waitFor([&] { return ready && drawn; }); // the screen a user comes from is done
    QElapsedTimer open;
    open.start();
    bool counted = false;
    QObject::connect(window.interactions(), &InteractionsPage::loaded, [&] { counted = true; });
    window.showScreen(QStringLiteral("interactions"));
    window.interactions()->refresh();
    waitFor([&] { return counted; });
    InteractionListModel* model = window.interactions()->model();
    waitFor([&] { return !model->data(model->index(0, 0), InteractionListModel::LoadingRole).toBool(); });
    window.repaint();
    std::printf("open Interactions on %d rows (count and first page drawn): %lld ms\n", model->rowCount(),
                static_cast<long long>(open.elapsed()));

    QScrollBar* bar = window.interactions()->table()->verticalScrollBar();
    qint64 longest = 0;
    QElapsedTimer frame;
    const int steps = 200;
    for (int step = 1; step <= steps; ++step) {
        frame.start();
        bar->setValue(static_cast<int>(static_cast<qint64>(bar->maximum()) * step / steps));
        QCoreApplication::processEvents();
        window.interactions()->table()->viewport()->repaint();
        longest = std::max(longest, frame.elapsed());
        // Let the page arrive as a user's next frames would.
        waitFor(
            [&] {
                const QModelIndex top = window.interactions()->table()->indexAt(QPoint(1, 1));
                return !top.isValid() || !model->data(top, InteractionListModel::LoadingRole).toBool();
            },
            5000);
    }
    frame.start();
    QCoreApplication::processEvents();
    window.interactions()->table()->viewport()->repaint();
    longest = std::max(longest, frame.elapsed());
    std::printf("scroll to the end in %d steps: longest frame %lld ms\n", steps,
                static_cast<long long>(longest));
    std::printf("resident memory with %d rows open and scrolled: %ld MB\n", model->rowCount(),
                residentKb() / 1024);
    return 0;
}
