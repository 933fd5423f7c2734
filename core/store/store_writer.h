#pragma once
// The one writer of a store file in this process: a thread with the store's only read-write
// connection and a queue of write operations. Ingest batches, receiver traces, signal rebuilds,
// deletes, profile and setting edits (and later labels, taxonomy edits, rule publishes) are all
// operations on it. Each operation commits with everything it derives (signals, rollups,
// latencies, source offsets) or not at all.
//
// Interactive operations (an edit a person waits for) go ahead of bulk ones (ingest batches):
// queued bulk operations are grouped into one transaction (each commit rewrites the rollup and
// index pages it touched, so fewer commits ingest faster), but an interactive operation that
// arrives ends the group at the next operation boundary, commits, and runs next.
//
// Checkpoints run beside the writer, on their own thread and connection, so that copying the WAL
// into the database never holds up a commit (SQLite's automatic checkpoint would run inside it).
//
// After each commit the writer tells its listeners what changed; screens decide when to read
// again. Readers use their own connections (WAL) and never wait for it.

#include "core/jobs/post_call.h"
#include "core/util/result.h"

#include <QObject>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace winnow {

class Checkpointer;
class Database;
class InteractionWriter;
class RollupWriter;

enum class WritePriority { Interactive, Bulk };

// What a commit changed, for listeners deciding what to read again.
namespace StoreChange {
enum : unsigned {
    Interactions = 1u << 0, // interactions added or removed (and their rollups)
    Sources = 1u << 1,      // source positions, quarantine
    Signals = 1u << 2,      // signals recomputed
    Settings = 1u << 3,
    Profiles = 1u << 4,
    Review = 1u << 5, // labels, queues, the taxonomy
    Rules = 1u << 6,  // rule versions, the draft, rule hits
    Exports = 1u << 7,  // export batches and their lineage
    Monitors = 1u << 8, // monitors, triggers and where they stand
    Everything = (1u << 9) - 1,
};
}

// What an operation writes through, on the writer's thread, inside its transaction.
class WriteTransaction
{
public:
    Database& database() { return m_database; }
    RollupWriter& rollups() { return m_rollups; }
    InteractionWriter& interactions() { return m_interactions; }
    void changed(unsigned what) { m_changes |= what; }

private:
    friend class StoreWriter;
    WriteTransaction(Database& database, RollupWriter& rollups, InteractionWriter& interactions)
        : m_database(database), m_rollups(rollups), m_interactions(interactions)
    {
    }
    Database& m_database;
    RollupWriter& m_rollups;
    InteractionWriter& m_interactions;
    unsigned m_changes = 0;
};

class StoreWriter : public std::enable_shared_from_this<StoreWriter>
{
public:
    // The writer of the store at `path`, started (creating and migrating the store, after telling
    // `beforeUpgrade` the version it upgrades from) the first time it is asked for in this
    // process; the same one while anyone holds it.
    static Result<std::shared_ptr<StoreWriter>> open(const std::string& path,
                                                     std::function<void(int fromVersion)> beforeUpgrade = {});
    ~StoreWriter();
    StoreWriter(const StoreWriter&) = delete;
    StoreWriter& operator=(const StoreWriter&) = delete;

    const std::string& path() const { return m_path; }

    // `apply` runs on the writer's thread inside a transaction and may run more than once (when a
    // group it was in failed for another operation's sake, it is retried alone): it must only
    // write to the store and its own result. `done` runs on the writer's thread after the commit,
    // or after the failure, with its error. `weight` (interactions, say) bounds a bulk group.
    using Apply = std::function<void(WriteTransaction&)>;
    using Done = std::function<void(const Status&)>;
    void submit(WritePriority priority, Apply apply, Done done = {}, std::int64_t weight = 1);

    // Submits and waits (never on a GUI thread): the error, or success.
    Status write(WritePriority priority, Apply apply);
    template <typename R> Result<R> write(WritePriority priority, std::function<R(WriteTransaction&)> apply)
    {
        auto result = std::make_shared<R>();
        Status status = write(priority, [&apply, result](WriteTransaction& tx) { *result = apply(tx); });
        if (!status)
            return status.error();
        return std::move(*result);
    }
    // Waits until every operation submitted so far has committed or failed.
    void drain();

    // Told after every commit, through `inbox`: on its owner's thread, while the owner lives. An
    // inbox listens once: listening again replaces its listener.
    using Listener = std::function<void(unsigned changes)>;
    void listen(Inbox inbox, Listener listener);
    // Told no more (a window that turns to another store).
    void unlisten(const Inbox& inbox);

    // How long the write-ahead log grows (in 4 KB pages) before a thread of the writer's copies it
    // into the store (80 MB: hot rollup and index pages change in every batch, and each checkpoint
    // writes them once more), and before the writer starts it again itself (160 MB), waiting at
    // most restartWaitMs for readers. For the writers opened after the call; tests make them small.
    struct WalLimits
    {
        int checkpointAtPages = 20'000;
        int restartAtPages = 40'000;
        int restartWaitMs = 250;
        int restartRetryMs = 2000; // after readers kept a restart waiting
    };
    static void setWalLimits(WalLimits limits);

    // Operations committed so far (a high-water mark).
    std::uint64_t commits() const { return m_commits.load(); }
    // Applies the store's retention setting (queued as bulk work, a chunk per transaction).
    void applyRetention();

private:
    struct Operation
    {
        Apply apply;
        Done done;
        std::int64_t weight;
        WritePriority priority;
    };
    explicit StoreWriter(std::string path);
    void run(std::promise<std::string>& opened, const std::function<void(int fromVersion)>& beforeUpgrade);
    void commitGroup(std::vector<Operation>& group);
    bool tryGroup(std::vector<Operation>& group, Status& failure);
    void announce(unsigned changes);
    void retentionStep();

    std::string m_path;
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<Operation> m_interactive;
    std::deque<Operation> m_bulk;
    bool m_stopping = false;
    bool m_busy = false;
    std::atomic<std::uint64_t> m_commits{0};
    std::int64_t m_lastRetentionMs = 0;
    bool m_retentionQueued = false;

    struct ListenerEntry
    {
        Inbox inbox;
        Listener listener;
    };
    std::mutex m_listenersMutex;
    std::vector<ListenerEntry> m_listeners;

    // On the writer's thread only.
    std::unique_ptr<Database> m_database;
    std::unique_ptr<RollupWriter> m_rollups;
    std::unique_ptr<InteractionWriter> m_interactions;
    std::unique_ptr<Checkpointer> m_checkpointer;
};

// Opens the store to read, upgrading it first (through its writer) when it is from an older
// Winnow and can be written; `beforeUpgrade` is told the store's schema version first (an upgrade
// of a large store can take a minute). Never creates a store.
Result<std::unique_ptr<Database>>
openUpgradedForReading(const std::string& path,
                       const std::function<void(int fromVersion)>& beforeUpgrade = {});

} // namespace winnow
