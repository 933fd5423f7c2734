// winnow: with a command it runs headless (see app/cli.cpp); without one it opens the desktop app.

#include "app/cli.h"
#include "core/store/store.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCoreApplication>
#include <QEventLoop>
#include <QTimer>

#include <cstring>
#include <iostream>

namespace {

// `winnow [--db PATH] screenshot --out FILE.png`: renders the window offscreen at 1440×900 once
// the store's figures have arrived. It needs widgets, so it lives here rather than in the CLI.
int screenshot(int argc, char** argv)
{
    std::string db, out;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!std::strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
    }
    if (out.empty()) {
        std::cerr << "winnow: screenshot needs --out FILE.png\n";
        return 2;
    }
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    winnow::MainWindow window(QString::fromStdString(db.empty() ? winnow::Store::defaultPath() : db));
    window.resize(1440, 900);
    window.show();
    QEventLoop loop;
    QObject::connect(&window, &winnow::MainWindow::statsLoaded, &loop, &QEventLoop::quit);
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    loop.exec();
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
    winnow::MainWindow window(QString::fromStdString(winnow::Store::defaultPath()));
    window.show();
    return app.exec();
}
