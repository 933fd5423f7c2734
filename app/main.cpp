// winnow: with a command it runs headless (see app/cli.cpp); without one it opens the desktop app.

#include "app/cli.h"
#include "core/store/store.h"
#include "ui/dashboard/dashboard_page.h"
#include "ui/interactions/interactions_page.h"
#include "ui/main_window.h"
#include "ui/sources/sources_page.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QSettings>
#include <QTableView>

#include <QApplication>
#include <QCoreApplication>
#include <QEventLoop>
#include <QTimer>

#include <cstring>
#include <functional>
#include <iostream>

namespace {

// `winnow [--db PATH] screenshot [--screen NAME] --out FILE.png`: renders a screen offscreen at
// 1440×900 once its data has arrived. It needs widgets, so it lives here rather than in the CLI.
void waitFor(const std::function<bool()>& done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!done() && timer.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

int screenshot(int argc, char** argv)
{
    std::string db, out, screen = "dashboard";
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!std::strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (!std::strcmp(argv[i], "--screen") && i + 1 < argc)
            screen = argv[++i];
    }
    if (out.empty()) {
        std::cerr << "winnow: screenshot needs --out FILE.png\n";
        return 2;
    }
    if (!winnow::MainWindow::screenNames().contains(QString::fromStdString(screen))) {
        std::cerr << "winnow: --screen is one of "
                  << winnow::MainWindow::screenNames().join(QStringLiteral(", ")).toStdString() << "\n";
        return 2;
    }
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    winnow::MainWindow window(QString::fromStdString(db.empty() ? winnow::Store::defaultPath() : db));
    window.resize(1440, 900);
    window.show();
    window.showScreen(QString::fromStdString(screen));
    bool ready = false, pageLoaded = false;
    QObject::connect(&window, &winnow::MainWindow::storeReady, [&] { ready = true; });
    QObject::connect(window.dashboard(), &winnow::DashboardPage::loaded,
                     [&] { pageLoaded |= screen == "dashboard"; });
    QObject::connect(window.interactions(), &winnow::InteractionsPage::loaded,
                     [&] { pageLoaded |= screen == "interactions"; });
    QObject::connect(window.sources(), &winnow::SourcesPage::loaded,
                     [&] { pageLoaded |= screen == "sources"; });
    waitFor([&] { return ready; }, 60000);
    const bool hasData = screen == "dashboard" || screen == "interactions" || screen == "sources";
    waitFor([&] { return !hasData || pageLoaded; }, 60000);
    if (screen == "interactions" && window.interactions()->model()->rowCount() > 0) {
        // Show a conversation in the detail pane: the first one with a signal, else the first.
        auto* model = window.interactions()->model();
        waitFor(
            [&] {
                return !model->data(model->index(0, 0), winnow::InteractionListModel::LoadingRole).toBool();
            },
            10000);
        int row = 0;
        for (int r = 0; r < std::min(model->rowCount(), 100); ++r)
            if (model->data(model->index(r, 0), winnow::InteractionListModel::SignalMaskRole).toLongLong() !=
                0) {
                row = r;
                break;
            }
        bool detail = false;
        QObject::connect(window.interactions(), &winnow::InteractionsPage::detailLoaded,
                         [&] { detail = true; });
        window.interactions()->table()->selectRow(row);
        waitFor([&] { return detail; }, 10000);
    }
    waitFor([] { return false; }, 300); // let the charts and views lay out
    if (!window.grab().save(QString::fromStdString(out))) {
        std::cerr << "winnow: cannot write " << out << "\n";
        return 1;
    }
    return 0;
}

bool isScreenshot(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--db")) {
            ++i;
            continue;
        }
        if (argv[i][0] != '-')
            return !std::strcmp(argv[i], "screenshot");
    }
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("winnow"));
    QCoreApplication::setApplicationVersion(QStringLiteral(WINNOW_VERSION));
    if (isScreenshot(argc, argv))
        return screenshot(argc, argv);
    if (winnow::cli::hasCommand(argc, argv)) {
        QCoreApplication app(argc, argv);
        return winnow::cli::run(std::vector<std::string>(argv + 1, argv + argc));
    }
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("winnow"));
    // The store used last, while it exists; else the default one in the user's data folder.
    QString store = QSettings().value(QStringLiteral("store/last")).toString();
    if (store.isEmpty() || !QFileInfo::exists(store))
        store = QString::fromStdString(winnow::Store::defaultPath());
    winnow::MainWindow window(store);
    window.show();
    return app.exec();
}
