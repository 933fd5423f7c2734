// The Review screen's speed goals (issue #10), as one timed run on a real store, offscreen:
//   winnow_bench_review STORE INGEST.jsonl
// 1. opening a 100,000-item queue (the list read and shown, the first item drawn),
// 2. submit to next item drawn, 200 submits: p50 and p99,
// 3. the same while an ingest of INGEST.jsonl (another 200,000 interactions, say) runs into the
//    store on the same writer.
// The store gets a queue "bench-100k" (made once; later runs reuse it) and labels by a reviewer
// of its own, "bench-<time>". Prints one line per figure; copy them into bench/RESULTS.md.

#include "core/ingest/ingestor.h"
#include "core/review/review.h"
#include "core/store/database.h"
#include "core/store/store_writer.h"
#include "ui/review/review_page.h"

#include <QApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QKeyEvent>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

using namespace winnow;

namespace {

bool waitFor(const std::function<bool()>& done, int timeoutMs = 60000)
{
    QElapsedTimer timer;
    timer.start();
    while (!done() && timer.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 1);
    return done();
}

// Submits `count` labels by keyboard, each timed from the key press to the next item drawn.
std::vector<double> submitTimes(
    ReviewPage& page, int count, int readingMs, const std::function<bool()>& keepGoing = [] { return true; })
{
    std::vector<double> times;
    for (int i = 0; i < count && keepGoing(); ++i) {
        const auto before = page.shownInteraction();
        QKeyEvent fail(QEvent::KeyPress, Qt::Key_F, Qt::NoModifier, QStringLiteral("f"));
        QApplication::sendEvent(&page, &fail);
        QElapsedTimer timer;
        timer.start();
        QKeyEvent submit(QEvent::KeyPress, Qt::Key_Return, Qt::ControlModifier);
        QApplication::sendEvent(&page, &submit);
        if (!waitFor([&] { return page.shownInteraction() && page.shownInteraction() != before; }, 10000))
            break;
        times.push_back(double(timer.nsecsElapsed()) / 1e6);
        // The reviewer reads before the next submit (the read-ahead runs meanwhile).
        QElapsedTimer reading;
        reading.start();
        waitFor([&] { return reading.elapsed() >= readingMs; }, 1000);
    }
    return times;
}

void report(const char* what, std::vector<double> times)
{
    if (times.empty()) {
        std::printf("%s: no submit moved on\n", what);
        return;
    }
    std::sort(times.begin(), times.end());
    auto at = [&](double q) { return times[std::min(times.size() - 1, size_t(q * double(times.size())))]; };
    std::printf("%s: n=%zu p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", what, times.size(), at(0.5), at(0.99),
                times.back());
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: winnow_bench_review STORE INGEST.jsonl\n");
        return 2;
    }
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const std::string path = argv[1];
    auto writer = StoreWriter::open(path).take();
    {
        auto reader = Database::openForReading(path).take();
        if (!ReviewStore(*reader).queue("bench-100k")) {
            std::vector<std::int64_t> ids = InteractionStore(*reader).idsOf(MetricsFilter{}, 0, 100'000);
            QueueRequest request;
            request.name = "bench-100k";
            request.order = QueueOrder::Given;
            request.interactionIds = std::move(ids);
            auto made = createQueue(*reader, *writer, request);
            if (!made) {
                std::fprintf(stderr, "%s\n", made.error().text().c_str());
                return 1;
            }
        }
    }
    ReviewPage page;
    page.resize(1440, 900);
    page.show();
    page.setReviewer(QStringLiteral("bench-%1").arg(QDateTime::currentMSecsSinceEpoch()));
    QElapsedTimer open;
    open.start();
    page.setStore({path, writer, {}});
    page.openQueue(QStringLiteral("bench-100k"));
    if (!waitFor([&] { return page.model()->rowCount() >= 100'000 && page.shownInteraction(); })) {
        std::fprintf(stderr, "the queue did not open\n");
        return 1;
    }
    std::printf("open a %d-item queue (list and first item drawn): %.0f ms\n", page.model()->rowCount(),
                double(open.nsecsElapsed()) / 1e6);
    page.activateWindow();
    report("submit to next item drawn (150 ms reading each)", submitTimes(page, 200, 150));

    std::atomic<bool> ingesting{true};
    std::thread ingest([&] {
        Ingestor(*writer, {}).ingest({argv[2]});
        ingesting = false;
    });
    waitFor([] { return false; }, 2000); // the ingest under way (its first batches written)
    QElapsedTimer ingestTime;
    ingestTime.start();
    report("submit to next item drawn while the ingest runs (50 ms reading each)",
           submitTimes(page, 1000, 50, [&] { return ingesting.load(); }));
    std::printf("the ingest ran %.1f s\n", double(ingestTime.elapsed()) / 1000 + 2);
    ingest.join();
    return 0;
}
