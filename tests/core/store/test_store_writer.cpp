#include "../test_helpers.h"
#include "core/demo/generator.h"
#include "core/ingest/otlp_receiver.h"
#include "core/jobs/post_call.h"
#include "core/store/profile_store.h"
#include "core/store/settings_store.h"
#include "core/store/store_writer.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QTcpSocket>
#include <QTest>
#include <QThread>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

using namespace winnow;

namespace {
Interaction keyed(const std::string& key, std::int64_t startMs = 1'700'000'000'000)
{
    Interaction in;
    in.key = key;
    in.startMs = startMs;
    return in;
}
} // namespace

TEST(StoreWriter, OneWriterPerStoreFileInAProcess)
{
    test::TempDir dir;
    auto first = StoreWriter::open(dir.path("s.db")).take();
    auto second = StoreWriter::open(dir.path("./s.db")).take();
    EXPECT_EQ(first.get(), second.get());
    auto other = StoreWriter::open(dir.path("t.db")).take();
    EXPECT_NE(first.get(), other.get());
}

// Queued bulk work waits while an interactive write goes ahead of it.
TEST(StoreWriter, InteractiveWritesGoAheadOfQueuedBulkWork)
{
    test::TestStore store;
    std::mutex mutex;
    std::vector<std::string> order;
    std::promise<void> holding, release;
    auto log = [&](const std::string& what) {
        std::lock_guard lock(mutex);
        order.push_back(what);
    };
    // The first bulk operation holds the writer until the rest is queued.
    store.writer->submit(WritePriority::Bulk, [&](WriteTransaction&) {
        log("bulk 0");
        holding.set_value();
        release.get_future().wait();
    });
    holding.get_future().wait();
    for (int i = 1; i <= 3; ++i)
        store.writer->submit(WritePriority::Bulk,
                             [&, i](WriteTransaction&) { log("bulk " + std::to_string(i)); });
    store.writer->submit(WritePriority::Interactive, [&](WriteTransaction&) { log("interactive"); });
    release.set_value();
    store.writer->drain();
    EXPECT_EQ(order, (std::vector<std::string>{"bulk 0", "interactive", "bulk 1", "bulk 2", "bulk 3"}));
}

// Queued bulk operations share a transaction, but one that fails takes none of the others with it.
TEST(StoreWriter, AFailingOperationDoesNotFailTheOthersOfItsGroup)
{
    test::TestStore store;
    std::promise<void> holding, release;
    store.writer->submit(WritePriority::Bulk, [&](WriteTransaction&) {
        holding.set_value();
        release.get_future().wait();
    });
    holding.get_future().wait();
    std::vector<Status> outcomes(3);
    for (int i = 0; i < 3; ++i)
        store.writer->submit(
            WritePriority::Bulk,
            [i](WriteTransaction& tx) {
                Batch batch;
                batch.interactions = {keyed("k" + std::to_string(i))};
                writeBatch(tx, batch);
                if (i == 1)
                    throw Failure("operation 1 fails");
            },
            [&outcomes, i](const Status& status) { outcomes[size_t(i)] = status; });
    release.set_value();
    store.writer->drain();
    EXPECT_TRUE(outcomes[0]);
    ASSERT_FALSE(outcomes[1]);
    EXPECT_EQ(outcomes[1].error().message, "operation 1 fails");
    EXPECT_TRUE(outcomes[2]);
    EXPECT_EQ(test::queryRow(store.path(),
                             "SELECT group_concat(key) FROM (SELECT key FROM interactions ORDER BY key)"),
              std::vector<std::string>{"k0,k2"});
}

TEST(StoreWriter, ListenersAreToldWhatEachCommitChanged)
{
    test::TestStore store;
    auto context = std::make_unique<QObject>();
    std::vector<unsigned> told;
    store.writer->listen(Inbox(context.get()), [&](unsigned changes) { told.push_back(changes); });
    store.write({keyed("a")});
    ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
        ProfileStore(tx.database()).save({"p", "{}"});
        tx.changed(StoreChange::Profiles);
    }));
    QTest::qWait(50);
    ASSERT_EQ(told.size(), 2u);
    EXPECT_TRUE(told[0] & StoreChange::Interactions);
    EXPECT_EQ(told[1], unsigned(StoreChange::Profiles));
    context.reset(); // a listener whose context is gone is not called
    store.write({keyed("b")});
    QTest::qWait(50);
    EXPECT_EQ(told.size(), 2u);
    EXPECT_GE(store.writer->commits(), 3u);
}

// A window that opens the same store again listens once; one that turns to another store is told
// no more of this one.
TEST(StoreWriter, AnInboxListensOnceAndStopsWhenItTurnsAway)
{
    test::TestStore store;
    QObject context;
    const Inbox inbox(&context);
    int first = 0, second = 0;
    store.writer->listen(inbox, [&](unsigned) { ++first; });
    store.writer->listen(inbox, [&](unsigned) { ++second; });
    store.write({keyed("a")});
    QTest::qWait(50);
    EXPECT_EQ(first, 0);
    EXPECT_EQ(second, 1);
    store.writer->unlisten(inbox);
    store.write({keyed("b")});
    QTest::qWait(50);
    EXPECT_EQ(second, 1);
}

TEST(StoreWriter, RetentionKeepsTheDaysItIsSetTo)
{
    test::TestStore store;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    const std::int64_t day = 86'400'000;
    std::vector<Interaction> interactions;
    // Half a day off the day boundaries: none sits on the cut, whatever the clock reads when
    // retention runs.
    for (int i = 0; i < 50; ++i)
        interactions.push_back(keyed("k" + std::to_string(i), now - i * day - day / 2));
    interactions.push_back(keyed("undated"));
    interactions.back().startMs.reset();
    store.write(interactions);
    ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
        SettingsStore(tx.database()).set(storeSettings::retentionDays, 10);
    }));
    store.writer->applyRetention();
    store.writer->drain();
    // Started within the last ten days (k0 .. k9), and the undated one.
    EXPECT_EQ(store.stats().interactions, 11);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions WHERE key = 'undated'"), 1);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions WHERE start_ms < " +
                             std::to_string(now - 10 * day)),
              0);
    // New data that is already too old goes as it arrives.
    store.write({keyed("late", now - 40 * day)});
    QThread::msleep(10);
    store.writer->applyRetention();
    store.writer->drain();
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions WHERE key = 'late'"), 0);
}

// A watched file, the OTLP receiver and interactive writes, all at once, in one process: one
// writer serves them all; no "database is locked", nothing lost.
TEST(StoreWriter, AWatchTheReceiverAndInteractiveWritesAtOnce)
{
    test::TestStore store;
    const test::TempDir& dir = store.dir();
    DemoOptions demo;
    demo.interactions = 600;
    demo.seed = 12;
    ASSERT_EQ(writeDemo(demo, DemoFormat::Jsonl, dir.path("all.jsonl")), "");
    const std::string all = test::readFile(dir.path("all.jsonl"));
    std::vector<std::string> lines;
    for (size_t at = 0; at < all.size();) {
        const size_t end = all.find('\n', at);
        lines.push_back(all.substr(at, end - at + 1));
        at = end + 1;
    }
    const std::string watched = dir.write("watched.jsonl", "");

    // The watch: follows the file while lines are appended.
    std::atomic<bool> stopWatching{false};
    IngestSummary watchedSummary;
    std::thread watch([&] {
        IngestOptions options;
        options.follow = true;
        Ingestor ingestor(*store.writer, options);
        watchedSummary = ingestor.follow({watched}, std::chrono::milliseconds(30), stopWatching);
    });
    std::thread appender([&] {
        for (size_t i = 0; i < lines.size(); i += 20) {
            std::string chunk;
            for (size_t j = i; j < std::min(lines.size(), i + 20); ++j)
                chunk += lines[j];
            dir.append("watched.jsonl", chunk);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });

    // The receiver, on its own thread, with traces posted to it.
    DemoOptions traced;
    traced.interactions = 200;
    traced.seed = 13;
    DemoGenerator generator(traced);
    std::vector<QByteArray> requests;
    std::vector<Interaction> batch;
    for (Interaction in; generator.next(in);) {
        in.key = "traced-" + in.key;
        batch.push_back(in);
        if (batch.size() == 20) {
            requests.push_back(QByteArray::fromStdString(otlpRequestJson(batch)));
            batch.clear();
        }
    }
    QThread receiverThread;
    receiverThread.start();
    OtlpReceiverOptions options;
    options.port = 0;
    auto* receiver = new OtlpReceiver(store.writer, options);
    receiver->moveToThread(&receiverThread);
    quint16 port = 0;
    QString startError;
    callAndWait(receiver, [&] {
        if (receiver->start(&startError))
            port = receiver->port();
    });
    // Every thread stops however the test ends: an early return must report its failure, not
    // abort the process on a running thread.
    auto stopEverything = [&] {
        stopWatching = true;
        if (appender.joinable())
            appender.join();
        if (watch.joinable())
            watch.join();
        if (receiver) {
            callAndWait(receiver, [&] {
                receiver->stop();
                delete receiver;
            });
            receiver = nullptr;
        }
        receiverThread.quit();
        receiverThread.wait();
    };
    const auto stopped = qScopeGuard(stopEverything);
    ASSERT_NE(port, 0) << startError.toStdString();
    int answered = 0;
    for (const QByteArray& body : requests) {
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        ASSERT_TRUE(socket.waitForConnected(5000)) << socket.errorString().toStdString();
        socket.write(
            "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
            QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        QByteArray reply;
        while (socket.waitForReadyRead(10000) || socket.bytesAvailable())
            reply += socket.readAll();
        EXPECT_TRUE(reply.startsWith("HTTP/1.1 200")) << reply.left(200).toStdString();
        answered += reply.startsWith("HTTP/1.1 200");
    }

    // Interactive writes meanwhile, each waited for.
    for (int i = 0; i < 30; ++i) {
        const Status saved = store.writer->write(WritePriority::Interactive, [i](WriteTransaction& tx) {
            ProfileStore(tx.database()).save({"profile-" + std::to_string(i), "{}"});
        });
        EXPECT_TRUE(saved) << saved.error().text();
    }

    appender.join();
    // Until the watch has read every line.
    QElapsedTimer timer;
    timer.start();
    while (store.queryInt("SELECT count(*) FROM interactions WHERE key NOT LIKE 'traced-%'") < 600 &&
           timer.elapsed() < 20000)
        QThread::msleep(20);
    stopEverything();

    EXPECT_EQ(answered, 10);
    EXPECT_FALSE(watchedSummary.storeError);
    EXPECT_EQ(watchedSummary.ingested, 600);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions WHERE key NOT LIKE 'traced-%'"), 600);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions WHERE key LIKE 'traced-%'"), 200);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM mapping_profiles"), 30);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM quarantine"), 0);
}

// A live dashboard reads all the time while the receiver writes, so there is never a moment with
// the whole WAL copied and no reader in an older snapshot, which SQLite waits for to start the
// WAL again: it grew without end (bench/run_soak.sh). The writer restarts it itself.
TEST(StoreWriter, TheWalStartsAgainWhileReadersNeverPause)
{
    StoreWriter::setWalLimits(
        {.checkpointAtPages = 100, .restartAtPages = 400, .restartWaitMs = 250, .restartRetryMs = 0});
    auto restoreLimits = qScopeGuard([] { StoreWriter::setWalLimits({}); });
    test::TempDir dir;
    const std::string path = dir.path("s.db");
    auto writer = StoreWriter::open(path).take();
    ASSERT_TRUE(writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
        tx.database().connection().exec("CREATE TABLE filler(x BLOB)");
    }));
    std::atomic<bool> stop = false;
    // Two readers whose read transactions overlap: one of them is nearly always in one.
    auto read = [&](int offsetMs) {
        std::this_thread::sleep_for(std::chrono::milliseconds(offsetMs));
        sql::Connection reader(path, sql::Connection::Mode::ReadOnly);
        while (!stop) {
            sql::Transaction snapshot(reader, sql::Transaction::Kind::Read);
            reader.queryInt("SELECT count(*) FROM filler");
            std::this_thread::sleep_for(std::chrono::milliseconds(4));
        }
    };
    std::thread first(read, 0);
    std::thread second(read, 2);
    auto stopReaders = qScopeGuard([&] {
        stop = true;
        first.join();
        second.join();
    });
    // Writes go on until the WAL was started again five times (its file emptied), or for 20 s.
    int writes = 0;
    int restarts = 0;
    std::uintmax_t walBytes = 0;
    QElapsedTimer clock;
    clock.start();
    while (restarts < 5 && clock.elapsed() < 20'000) {
        ASSERT_TRUE(writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
            tx.database().connection().exec("INSERT INTO filler VALUES (randomblob(40000))");
        }));
        ++writes;
        const std::uintmax_t now = std::filesystem::file_size(path + "-wal");
        restarts += now < walBytes;
        walBytes = now;
    }
    EXPECT_EQ(restarts, 5) << "the WAL was never started again in " << writes << " writes";
    sql::Connection check(path, sql::Connection::Mode::ReadOnly);
    EXPECT_EQ(check.queryInt("SELECT count(*) FROM filler"), writes);
}
