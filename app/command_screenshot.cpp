// winnow screenshot --screen NAME --out FILE.png: a screen rendered offscreen at 1440×900 once its
// data has arrived.

#include "app/command.h"
#include "app/render.h"

#include "ui/main_window.h"
#include "ui/page.h"
#include "ui/pages.h"
#include "ui/review/review_page.h"

#include <QApplication>
#include <QEventLoop>
#include <QTimer>

#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct ScreenshotArguments
{
    std::string screen = "dashboard";
    std::string view;
    std::string out;
    std::int64_t timeoutSeconds = 60;
};
} // namespace

Runner defineScreenshot(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<ScreenshotArguments>();
    std::vector<std::string> names;
    for (const QString& name : pageNames())
        names.push_back(name.toStdString());
    command.description(
        "Render a screen of the app offscreen at 1440x900, once its data has arrived, as a PNG.");
    command.add_option("--screen", a->screen, "The screen")->check(CLI::IsMember(names));
    command.add_option("--out", a->out, "The PNG to write")->required()->type_name("FILE.png");
    command.add_option(
        "--view", a->view,
        "Another view of the screen (review: overview; rules: test, backtest, suggestions, versions)");
    command.add_option("--timeout", a->timeoutSeconds, "Give up after this many seconds (1 to 3600)")
        ->check(CLI::Range(1, 3600));
    setExamples(command, {"winnow --db agents.db screenshot --screen interactions --out interactions.png"});
    return [&context, a]() -> int {
        MainWindow window(QString::fromStdString(context.storePath()));
        window.resize(1440, 900);
        window.show();
        window.showScreen(QString::fromStdString(a->screen));
        Page* page = window.page(QString::fromStdString(a->screen));
        if (!context.reviewer.empty())
            window.review()->setReviewer(QString::fromStdString(context.reviewer), false);
        if (!page->setScreenshotView(QString::fromStdString(a->view)))
            throw UsageError{"the " + a->screen + " screen has no view '" + a->view + "'"};
        QEventLoop loop;
        QString failure;
        bool storeReady = false, pageLoaded = false;
        auto finishWhenReady = [&] {
            if (storeReady && pageLoaded)
                page->prepareScreenshot();
        };
        QObject::connect(&window, &MainWindow::storeFailed, &loop, [&](const QString& message) {
            failure = message;
            loop.quit();
        });
        QObject::connect(&window, &MainWindow::storeReady, &loop, [&] {
            storeReady = true;
            finishWhenReady();
        });
        QObject::connect(page, &Page::loaded, &loop, [&] {
            if (!pageLoaded) {
                pageLoaded = true;
                finishWhenReady();
            }
        });
        QObject::connect(page, &Page::screenshotReady, &loop, [&] {
            // Let the charts and views lay out before the grab.
            QTimer::singleShot(300, &loop, &QEventLoop::quit);
        });
        QTimer timeout;
        timeout.setSingleShot(true);
        QObject::connect(&timeout, &QTimer::timeout, &loop, [&] {
            failure = QStringLiteral("the %1 screen did not show its data within %2 s")
                          .arg(QString::fromStdString(a->screen))
                          .arg(a->timeoutSeconds);
            loop.quit();
        });
        timeout.start(static_cast<int>(a->timeoutSeconds * 1000));
        loop.exec();
        if (!failure.isEmpty())
            throw CommandFailed{Error{failure.toStdString(), {}}};
        if (!window.grab().save(q(a->out)))
            throw CommandFailed{Error{"cannot write the PNG", {a->out}}};
        const QString readOnly = window.store().readOnlyReason;
        if (context.json)
            printJson({{QStringLiteral("screen"), q(a->screen)},
                       {QStringLiteral("out"), q(a->out)},
                       {QStringLiteral("read_only"), !readOnly.isEmpty()}});
        else if (!readOnly.isEmpty())
            std::cout << "opened read-only: " << readOnly.toStdString() << "\n";
        return exitOk;
    };
}

} // namespace winnow::cli
