// winnow: with a command it runs headless (see app/cli.cpp); without one it opens the desktop app.

#include "app/cli.h"
#include "core/store/store.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCoreApplication>

int main(int argc, char** argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("winnow"));
    QCoreApplication::setApplicationVersion(QStringLiteral(WINNOW_VERSION));
    if (winnow::cli::hasCommand(argc, argv)) {
        QCoreApplication app(argc, argv);
        return winnow::cli::run(std::vector<std::string>(argv + 1, argv + argc));
    }
    QApplication app(argc, argv);
    winnow::MainWindow window(QString::fromStdString(winnow::Store::defaultPath()));
    window.show();
    return app.exec();
}
