#include "../test_helpers.h"
#include "core/jobs/job_tracker.h"
#include "core/store/interaction_store.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <gtest/gtest.h>

#include <atomic>
#include <memory>

using namespace winnow;

namespace {
bool waitFor(const std::function<bool()>& condition, int timeoutMs = 20000)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QTest::qWait(5);
    }
    return true;
}
} // namespace

// Each job started supersedes the ones before: only the last one's result is delivered, and the
// others are told to stop.
TEST(JobTracker, ASupersededJobsResultIsNeverDelivered)
{
    QObject owner;
    auto* tracker = new JobTracker(&owner);
    std::vector<int> delivered;
    std::atomic<int> started{0};
    std::atomic<int> cancelledSeen{0};
    for (int i = 0; i < 5; ++i) {
        tracker->start<int>(
            [i, &started, &cancelledSeen](JobContext& context) {
                ++started;
                for (int wait = 0; wait < 200 && !context.cancelled(); ++wait)
                    QThread::msleep(5);
                cancelledSeen += context.cancelled();
                return i;
            },
            [&](int value) { delivered.push_back(value); });
        if (i == 0) { // the first is running when the others supersede it
            ASSERT_TRUE(waitFor([&] { return started.load() == 1; }));
        }
    }
    ASSERT_TRUE(waitFor([&] { return !tracker->busy(); }));
    EXPECT_EQ(delivered, std::vector<int>{4});
    EXPECT_GE(cancelledSeen.load(), 1); // the one that was running was told to stop
}

// A job that finished before it was superseded, but whose result had not been delivered yet, is
// dropped too: the check happens on delivery, on the owner's thread.
TEST(JobTracker, AResultWaitingToBeDeliveredIsDroppedWhenSuperseded)
{
    QObject owner;
    auto* tracker = new JobTracker(&owner);
    std::atomic<bool> finished{false};
    bool delivered = false;
    tracker->start<int>(
        [&finished](JobContext&) {
            finished = true;
            return 1;
        },
        [&](int) { delivered = true; });
    while (!finished)
        QThread::msleep(1); // the job is done; its delivery waits in the event queue
    QThread::msleep(20);
    tracker->reset();
    ASSERT_TRUE(waitFor([&] { return !tracker->busy(); }));
    EXPECT_FALSE(delivered);
}

TEST(JobTracker, JobsAddedAlongsideAllArriveUntilReset)
{
    QObject owner;
    auto* tracker = new JobTracker(&owner);
    std::vector<int> delivered;
    std::vector<std::string> errors;
    for (int i = 0; i < 5; ++i)
        tracker->add<int>([i](JobContext&) { return i; }, [&](int value) { delivered.push_back(value); });
    tracker->add<int>([](JobContext&) -> int { throw Failure("no such table"); }, [](int) {},
                      [&](const Error& error) { errors.push_back(error.message); });
    ASSERT_TRUE(waitFor([&] { return !tracker->busy(); }));
    std::sort(delivered.begin(), delivered.end()); // the pool runs them side by side
    EXPECT_EQ(delivered, (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_EQ(errors, std::vector<std::string>{"no such table"});

    delivered.clear();
    tracker->add<int>(
        [](JobContext&) {
            QThread::msleep(50);
            return 1;
        },
        [&](int value) { delivered.push_back(value); });
    tracker->reset();
    ASSERT_TRUE(waitFor([&] { return !tracker->busy(); }));
    EXPECT_TRUE(delivered.empty());
}

TEST(JobTracker, NothingIsDeliveredToAnOwnerThatIsGone)
{
    auto owner = std::make_unique<QObject>();
    auto* tracker = new JobTracker(owner.get());
    auto delivered = std::make_shared<bool>(false);
    tracker->start<int>(
        [](JobContext&) {
            QThread::msleep(50);
            return 1;
        },
        [delivered](int) { *delivered = true; });
    owner.reset(); // the tracker goes with it
    QTest::qWait(200);
    EXPECT_FALSE(*delivered);
}

// A job's first results, delivered while it runs, stop once it is superseded.
TEST(JobTracker, FirstResultsOfASupersededJobAreNotDelivered)
{
    QObject owner;
    JobTracker tracker(&owner);
    std::vector<int> partials;
    std::atomic<bool> release{false};
    tracker.start<int>(
        [&release, &partials](JobContext& context) {
            context.deliver([&partials] { partials.push_back(1); });
            while (!release.load())
                QThread::msleep(1);
            context.deliver([&partials] { partials.push_back(2); });
            return 0;
        },
        [](int) {});
    ASSERT_TRUE(waitFor([&] { return partials.size() == 1; }));
    tracker.reset();
    release = true;
    ASSERT_TRUE(waitFor([&] { return !tracker.busy(); }));
    QTest::qWait(20);
    EXPECT_EQ(partials, std::vector<int>{1});
}

// Work may use statics that die after main: the tracker's end waits for every job still running,
// one superseded by a later job and deaf to its cancel flag included.
TEST(JobTracker, ItsEndWaitsForASupersededJobStillRunning)
{
    auto owner = std::make_unique<QObject>();
    auto* tracker = new JobTracker(owner.get());
    std::atomic<bool> started{false};
    std::atomic<bool> ended{false};
    tracker->start<int>(
        [&](JobContext&) {
            started = true;
            QThread::msleep(300); // never looks at the cancel flag
            ended = true;
            return 1;
        },
        [](int) {});
    ASSERT_TRUE(waitFor([&] { return started.load(); }));
    tracker->start<int>([](JobContext&) { return 2; }, [](int) {});
    owner.reset(); // the tracker goes with it
    EXPECT_TRUE(ended.load());
}

TEST(JobTracker, AStoreThatCannotBeOpenedIsTheJobsError)
{
    test::TempDir dir;
    QObject owner;
    auto* tracker = new JobTracker(&owner);
    tracker->setStorePath(dir.path("missing/none.db"));
    std::optional<Error> failure;
    tracker->start<std::int64_t>(
        [](JobContext& context) { return InteractionStore(context.database()).stats().interactions; },
        [](std::int64_t) {}, [&](const Error& error) { failure = error; });
    ASSERT_TRUE(waitFor([&] { return failure.has_value(); }));
    EXPECT_NE(failure->message.find("does not exist"), std::string::npos);
    EXPECT_NE(failure->message.find("none.db"), std::string::npos);
}

TEST(JobTracker, ReadsTheStoreOnAPoolConnectionAndReportsProgress)
{
    test::TestStore store;
    Interaction in;
    in.key = "one";
    store.write({in});
    QObject owner;
    auto* tracker = new JobTracker(&owner);
    tracker->setStorePath(store.path());
    QSignalSpy progress(tracker, &JobTracker::progress);
    std::int64_t count = -1;
    tracker->start<std::int64_t>(
        [](JobContext& context) {
            context.progress(0.5, QStringLiteral("half"));
            return InteractionStore(context.database()).stats().interactions;
        },
        [&](std::int64_t n) { count = n; });
    ASSERT_TRUE(waitFor([&] { return count >= 0; }));
    EXPECT_EQ(count, 1);
    ASSERT_GE(progress.count(), 1);
    EXPECT_EQ(progress.at(0).at(1).toString(), QStringLiteral("half"));
}

// Cancel reaches a query that is running: sqlite3_interrupt on the job's connection.
TEST(JobTracker, CancellingInterruptsARunningQuery)
{
    test::TestStore store;
    for (bool pool : {true, false}) {
        QObject owner;
        auto* tracker = new JobTracker(&owner);
        tracker->setStorePath(store.path());
        std::atomic<bool> started{false};
        auto finishedAfter = std::make_shared<std::atomic<std::int64_t>>(-1);
        bool delivered = false;
        JobTracker::Work<std::int64_t> work = [&started, finishedAfter](JobContext& context) {
            Database& database = context.database();
            started = true;
            QElapsedTimer timer;
            timer.start();
            try {
                // Minutes of work unless interrupted: a recursive count to ten billion.
                return database.connection().queryInt(
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000000) "
                    "SELECT count(*) FROM c");
            } catch (...) {
                *finishedAfter = timer.elapsed();
                throw;
            }
        };
        if (pool)
            tracker->start<std::int64_t>(work, [&](std::int64_t) { delivered = true; });
        else
            tracker->startLong<std::int64_t>(work, [&](std::int64_t) { delivered = true; });
        ASSERT_TRUE(waitFor([&] { return started.load(); }));
        QTest::qWait(50);
        tracker->reset();
        ASSERT_TRUE(waitFor([&] { return !tracker->busy(); }, 10000)) << (pool ? "pool" : "own thread");
        EXPECT_FALSE(delivered);
        EXPECT_GE(finishedAfter->load(), 0);
        EXPECT_LT(finishedAfter->load(), 5000);
    }
}
