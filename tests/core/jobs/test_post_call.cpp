#include "core/jobs/post_call.h"

#include <QCoreApplication>
#include <QTest>
#include <QThread>

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

using namespace winnow;

// What a worker builds (plain, unsynchronised memory) reaches the object's thread whole, in the
// order it was posted; under ThreadSanitizer this is also the check that the hand-over is seen.
TEST(PostCall, ACallFromAWorkerRunsOnTheObjectsThreadWithWhatItCarries)
{
    QObject context;
    std::vector<std::vector<int>> received;
    std::vector<Qt::HANDLE> threads;
    std::thread worker([&context, &received, &threads] {
        for (int call = 0; call < 50; ++call) {
            std::vector<int> payload(100, call);
            postCall(&context, [&received, &threads, payload = std::move(payload)]() mutable {
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
TEST(PostCall, ACallToAnObjectThatIsGoneNeverRunsAndFreesWhatItCarries)
{
    auto carried = std::make_shared<int>(7);
    bool ran = false;
    {
        auto* context = new QObject;
        std::thread worker([context, carried, &ran] { postCall(context, [carried, &ran] { ran = true; }); });
        worker.join();
        EXPECT_EQ(carried.use_count(), 2); // the queued call holds it
        delete context;
    }
    QCoreApplication::processEvents();
    EXPECT_FALSE(ran);
    EXPECT_EQ(carried.use_count(), 1);

    postCall(nullptr, [carried, &ran] { ran = true; });
    QCoreApplication::processEvents();
    EXPECT_FALSE(ran);
    EXPECT_EQ(carried.use_count(), 1);
}
