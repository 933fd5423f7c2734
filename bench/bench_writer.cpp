// The store's one writer under load (issue #8): how long an interactive write (a label, a rule
// publish, a settings edit) waits while a large ingest runs, from submit to its commit.
//   winnow_bench_writer [INPUT.jsonl]   (default: 200,000 generated demo interactions)
// Prints the waits' distribution and the ingest's own time; the goal is every wait under 100 ms.

#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/store/settings_store.h"
#include "core/store/store_writer.h"

#include <QCoreApplication>
#include <QTemporaryDir>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>
#include <vector>

using namespace winnow;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir dir;
    std::string input = argc > 1 ? argv[1] : "";
    if (input.empty()) {
        input = dir.filePath(QStringLiteral("demo.jsonl")).toStdString();
        DemoOptions options;
        options.interactions = 200000;
        options.seed = 1;
        if (const std::string error = writeDemo(options, DemoFormat::Jsonl, input); !error.empty()) {
            std::fprintf(stderr, "%s\n", error.c_str());
            return 1;
        }
    }
    auto writer = StoreWriter::open(dir.filePath(QStringLiteral("bench.db")).toStdString()).take();

    std::atomic<bool> ingesting{true};
    IngestSummary summary;
    const auto started = Clock::now();
    std::thread ingest([&] {
        IngestOptions options;
        options.indexText = false; // the writer's own load, as in bench/RESULTS.md's --no-index runs
        Ingestor ingestor(*writer, options);
        summary = ingestor.ingest({input});
        ingesting = false;
    });

    // Interactive writes while the ingest runs, each waited for, 20 to 300 ms apart: a write that
    // comes late in a bulk group waits for more of it to commit than one that comes early.
    std::vector<double> waits;
    std::int64_t value = 0;
    while (ingesting) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + (value * 37) % 281));
        const auto submitted = Clock::now();
        const Status status = writer->write(WritePriority::Interactive, [v = ++value](WriteTransaction& tx) {
            SettingsStore(tx.database()).set(storeSettings::retentionDays, v % 2 ? 0 : 3650);
        });
        if (!status) {
            std::fprintf(stderr, "interactive write failed: %s\n", status.error().text().c_str());
            return 1;
        }
        waits.push_back(std::chrono::duration<double, std::milli>(Clock::now() - submitted).count());
    }
    ingest.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::sort(waits.begin(), waits.end());
    auto at = [&](double p) {
        return waits.empty() ? 0.0 : waits[std::min(waits.size() - 1, size_t(p * double(waits.size())))];
    };
    std::printf("ingest: %lld interactions in %.1f s (%.0f/s) with interactive writes 20 to 300 ms apart\n",
                static_cast<long long>(summary.ingested), seconds, double(summary.ingested) / seconds);
    std::printf(
        "interactive writes: %zu, wait from submit to commit: median %.1f ms, p90 %.1f ms, p99 %.1f ms, "
        "max %.1f ms\n",
        waits.size(), at(0.5), at(0.9), at(0.99), waits.empty() ? 0.0 : waits.back());
    const bool met = !waits.empty() && waits.back() < 100;
    std::printf("goal (every interactive write commits within 100 ms): %s\n", met ? "met" : "NOT met");
    return met ? 0 : 1;
}
