#include "core/jobs/post_call.h"

#include <QCoreApplication>
#include <QTest>
#include <QThread>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

using namespace winnow;

// What a worker builds (plain, unsynchronised memory) reaches the object's thread whole, in the
// order it was posted; under ThreadSanitizer this is also the check that the hand-over is seen.
TEST(Inbox, ACallFromAWorkerRunsOnTheObjectsThreadWithWhatItCarries)
{
    QObject context;
    const Inbox inbox(&context);
    std::vector<std::vector<int>> received;
    std::vector<Qt::HANDLE> threads;
    std::thread worker([inbox, &received, &threads] {
        for (int call = 0; call < 50; ++call) {
            std::vector<int> payload(100, call);
            inbox.post([&received, &threads, payload = std::move(payload)]() mutable {
                threads.push_back(QThread::currentThreadId());
                received.push_back(std::move(payload));
            });
        }
    });
    worker.join();
    for (int spin = 0; spin < 1000 && received.size() < 50; ++spin)
        QTest::qWait(10);
    ASSERT_EQ(received.size(), 50u);
    for (int call = 0; call < 50; ++call) {
        ASSERT_EQ(received[size_t(call)].size(), 100u);
        EXPECT_EQ(received[size_t(call)].front(), call);
        EXPECT_EQ(received[size_t(call)].back(), call);
    }
    for (Qt::HANDLE thread : threads)
        EXPECT_EQ(thread, QThread::currentThreadId());
}

// An object that goes before its queued calls run never sees them; what they carried is freed.
TEST(Inbox, ACallToAnObjectThatIsGoneNeverRunsAndFreesWhatItCarries)
{
    auto carried = std::make_shared<int>(7);
    bool ran = false;
    {
        auto* context = new QObject;
        const Inbox inbox(context);
        std::thread worker([inbox, carried, &ran] { inbox.post([carried, &ran] { ran = true; }); });
        worker.join();
        EXPECT_EQ(carried.use_count(), 2); // the queued call holds it
        EXPECT_TRUE(inbox.open());
        delete context;
        EXPECT_FALSE(inbox.open());
        inbox.post([carried, &ran] { ran = true; });
    }
    QCoreApplication::processEvents();
    EXPECT_FALSE(ran);
    EXPECT_EQ(carried.use_count(), 1);

    const Inbox none;
    EXPECT_FALSE(none.open());
    none.post([carried, &ran] { ran = true; });
    QCoreApplication::processEvents();
    EXPECT_FALSE(ran);
    EXPECT_EQ(carried.use_count(), 1);
}

// A worker posts without pause while the object ends on its own thread: a call is queued before
// the end (and dropped with it) or not at all, never left queued for freed memory. Posting to a
// pointer read from a QPointer on the worker crashed here within a few rounds (the app's
// MainWindow test did, once, under AddressSanitizer).
TEST(Inbox, ACallPostedAsItsObjectEndsIsNeverLeftForFreedMemory)
{
    int ran = 0;
    for (int round = 0; round < 300; ++round) {
        auto* context = new QObject;
        const Inbox inbox(context);
        std::atomic<bool> stop{false};
        std::atomic<int> posted{0};
        std::thread worker([inbox, &stop, &posted, &ran] {
            while (!stop.load()) {
                inbox.post([&ran] { ++ran; });
                posted.fetch_add(1);
            }
        });
        while (posted.load() < 10 + round % 50)
            std::this_thread::yield();
        delete context;
        stop = true;
        worker.join();
        QCoreApplication::processEvents();
    }
    EXPECT_EQ(ran, 0); // every round's object ended before its calls could run
}
