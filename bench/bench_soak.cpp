// The desktop app under a long load (issue #13): the app offscreen on STORE, its OTLP/HTTP
// receiver on PORT, the Dashboard refreshing live as traces arrive (bench/run_soak.sh sends them
// with the real OpenTelemetry JS SDK), for SECONDS. Once a minute it opens Interactions for ten
// seconds (the table's count and pages), then the Dashboard again, so the queries of both run
// while the receiver writes.
//   winnow_bench_soak STORE PORT SECONDS [SAMPLE_SECONDS]
// Prints "listening" once the receiver listens, then one JSON line every SAMPLE_SECONDS (default
// 10): elapsed seconds; resident memory and how much of it is SQLite's (its page caches fill as
// the store grows, up to their set sizes); dashboard loads so far; the size of the store's
// write-ahead log; the longest the GUI thread's event loop was late in that period (a 50 ms
// timer's lateness: how long a click would have waited); the receiver's counts. At the end it
// stops the receiver (committing what still waits) and prints {"done": ...} with the same counts.

#include "core/ingest/otlp_receiver.h"
#include "ui/dashboard/dashboard_page.h"
#include "ui/interactions/interactions_page.h"
#include "ui/main_window.h"

#include "bench/bench_support.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTimer>

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <string>

using namespace winnow;

namespace {

std::string countsJson(const OtlpReceiverStats& stats)
{
    return "\"requests\":" + std::to_string(stats.requests) + ",\"rejected\":" + std::to_string(stats.rejected)
        + ",\"spans\":" + std::to_string(stats.spans) + ",\"log_records\":" + std::to_string(stats.logRecords)
        + ",\"interactions\":" + std::to_string(stats.interactions) + ",\"connections\":"
        + std::to_string(stats.connections) + ",\"refused_connections\":" + std::to_string(stats.refusedConnections);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: winnow_bench_soak STORE PORT SECONDS [SAMPLE_SECONDS]\n");
        return 2;
    }
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // Debian's SQLite counts its memory only when asked to, before it is initialised (which the
    // core's static set-up already did).
    sqlite3_shutdown();
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 1);
    sqlite3_initialize();
    QApplication app(argc, argv);
    const QString store = QString::fromLocal8Bit(argv[1]);
    const auto port = static_cast<quint16>(std::stoi(argv[2]));
    const int seconds = std::stoi(argv[3]);
    const int sampleSeconds = argc > 4 ? std::stoi(argv[4]) : 10;

    MainWindow window(store);
    int dashboards = 0;
    QObject::connect(window.dashboard(), &DashboardPage::loaded, [&] { ++dashboards; });
    bool ready = false;
    QObject::connect(&window, &MainWindow::storeReady, [&] { ready = true; });
    window.resize(1440, 900);
    window.show();
    if (!bench::waitFor([&] { return ready; }) || !window.setReceiverOn(true, port)) {
        std::fprintf(stderr, "winnow_bench_soak: cannot open %s or listen on %u\n", argv[1], port);
        return 1;
    }
    std::printf("listening\n");
    std::fflush(stdout);

    QElapsedTimer clock;
    clock.start();
    qint64 lastTick = 0;
    qint64 longestLate = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(50);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        if (lastTick > 0)
            longestLate = std::max(longestLate, now - lastTick - 50);
        lastTick = now;
    });
    tick.start();

    QTimer sample;
    sample.setInterval(sampleSeconds * 1000);
    QObject::connect(&sample, &QTimer::timeout, [&] {
        std::printf("{\"seconds\":%lld,\"rss_kb\":%ld,\"sqlite_kb\":%lld,\"dashboard_loads\":%d,"
                    "\"longest_late_ms\":%lld,\"wal_kb\":%lld,%s}\n",
                    static_cast<long long>(clock.elapsed() / 1000), bench::residentKb(),
                    static_cast<long long>(sqlite3_memory_used() / 1024), dashboards,
                    static_cast<long long>(longestLate),
                    static_cast<long long>(QFileInfo(store + QStringLiteral("-wal")).size() / 1024),
                    countsJson(window.receiver()->stats()).c_str());
        std::fflush(stdout);
        longestLate = 0;
    });
    sample.start();

    // Each minute: Interactions for ten seconds, then the Dashboard again.
    QTimer visit;
    visit.setInterval(60'000);
    QObject::connect(&visit, &QTimer::timeout, [&] {
        window.showScreen(QStringLiteral("interactions"));
        QTimer::singleShot(10'000, &window, [&] { window.showScreen(QStringLiteral("dashboard")); });
    });
    visit.start();

    QTimer::singleShot(seconds * 1000, &app, &QCoreApplication::quit);
    app.exec();

    window.receiver()->stop(); // commits every trace still waiting for its root
    const OtlpReceiverStats received = window.receiver()->stats();
    window.setReceiverOn(false);
    std::printf("{\"done\":{\"seconds\":%lld,\"rss_kb\":%ld,\"dashboard_loads\":%d,%s}}\n",
                static_cast<long long>(clock.elapsed() / 1000), bench::residentKb(), dashboards,
                countsJson(received).c_str());
    return 0;
}
