// winnow: with a command it runs headless (app/cli.cpp and a file per command); without one it
// opens the desktop app.

#include "app/command.h"
#include "core/store/database.h"
#include "core/util/version.h"
#include "ui/main_window.h"
#include "ui/review/review_page.h"
#include "ui/settings.h"

#include <QApplication>
#include <QFileInfo>
#include <QIcon>

int main(int argc, char** argv)
{
    QCoreApplication::setOrganizationName(QStringLiteral("winnow"));
    QCoreApplication::setApplicationName(QStringLiteral("winnow"));
    QCoreApplication::setApplicationVersion(QString::fromLatin1(winnow::winnowVersion()));
    if (winnow::cli::hasCommand(argc, argv))
        return winnow::cli::run(argc, argv);
    const winnow::cli::AppOptions options = winnow::cli::appOptions(argc, argv);
    QApplication app(argc, argv);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/winnow.png")));
    QGuiApplication::setDesktopFileName(QStringLiteral("winnow"));
    // The store asked for; else the one used last, while it exists; else the default one in the
    // user's data folder.
    QString store = QString::fromStdString(options.dbPath);
    if (store.isEmpty()) {
        store = winnow::settings::lastStore.value();
        if (store.isEmpty() || !QFileInfo::exists(store))
            store = QString::fromStdString(winnow::Database::defaultPath());
    }
    winnow::MainWindow window(store);
    if (!options.reviewer.empty())
        if (winnow::ReviewPage* review = window.review())
            review->setReviewer(QString::fromStdString(options.reviewer), false);
    window.show();
    return app.exec();
}
