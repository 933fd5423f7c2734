#include "core/store/store_writer.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/otlp_source_store.h"
#include "core/store/rollups.h"
#include "core/store/settings_store.h"
#include "core/util/text.h"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>

namespace winnow {

namespace {

// A bulk group stops growing here: each commit is then short enough for an interactive write to
// wait behind it, and long enough that rollup and index pages are rewritten rarely.
constexpr std::int64_t maxGroupWeight = 16000;
constexpr std::int64_t retentionChunk = 2000;
// About 20,000 rollup rows, some 15 ms of writing.
constexpr size_t flushAtCells = 2000;
constexpr std::int64_t retentionIntervalMs = 10'000;

std::string canonicalPath(const std::string& path)
{
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec);
    return ec ? path : canonical.string();
}

std::mutex& registryMutex()
{
    static std::mutex mutex;
    return mutex;
}

using Clock = std::chrono::steady_clock;

StoreWriter::WalLimits& currentWalLimits()
{
    static StoreWriter::WalLimits limits;
    return limits;
}

std::map<std::string, std::weak_ptr<StoreWriter>>& registry()
{
    static std::map<std::string, std::weak_ptr<StoreWriter>> writers;
    return writers;
}

} // namespace

void StoreWriter::setWalLimits(WalLimits limits)
{
    currentWalLimits() = limits;
}

// Copies the WAL into the database on its own thread while the writer goes on committing (a
// PASSIVE checkpoint takes no lock a writer or reader waits for). SQLite starts the WAL again
// from the beginning at the next write once everything in it was copied and no reader is in an
// older snapshot; when readers never leave that moment, the writer truncates it itself (run()).
class Checkpointer
{
public:
    Checkpointer(std::string path, int startAtPages)
        : m_path(std::move(path)), m_startAtPages(startAtPages), m_thread([this] { run(); })
    {
    }
    ~Checkpointer()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        m_thread.join();
    }

    // From the writer's commit hook.
    void walCommitted(int walPages)
    {
        if (walPages < m_startAtPages)
            return;
        {
            std::lock_guard lock(m_mutex);
            m_wanted = true;
        }
        m_wake.notify_all();
    }

private:
    void run()
    {
        std::optional<sql::Connection> connection;
        std::unique_lock lock(m_mutex);
        while (true) {
            m_wake.wait(lock, [this] { return m_stopping || m_wanted; });
            if (m_stopping)
                return;
            m_wanted = false;
            lock.unlock();
            try {
                if (!connection)
                    connection.emplace(m_path);
                connection->checkpointPassive();
            } catch (const sql::Error&) {
                // Not copied this time: the WAL keeps every page, the next commit asks again, and
                // the writer catches up itself if this keeps failing.
            }
            lock.lock();
        }
    }

    std::string m_path;
    const int m_startAtPages;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_wanted = false;
    bool m_stopping = false;
    std::thread m_thread;
};

Result<std::unique_ptr<Database>>
openUpgradedForReading(const std::string& path, const std::function<void(int fromVersion)>& beforeUpgrade)
{
    auto database = Database::openForReading(path);
    if (!database || (*database)->isCurrent())
        return database;
    if (!(*database)->readOnlyReason().empty())
        return (*database)->upgradeNeeded();
    if (beforeUpgrade)
        beforeUpgrade((*database)->schemaVersion());
    database->reset();
    {
        auto writer = StoreWriter::open(path); // migrates
        if (!writer)
            return writer.error();
    } // closed before the reader opens: the last connection to close copies the WAL back
    return Database::openForReading(path);
}

Result<std::shared_ptr<StoreWriter>> StoreWriter::open(const std::string& path,
                                                       std::function<void(int fromVersion)> beforeUpgrade)
{
    if (path.empty())
        return Error{"no store path given", {}};
    const std::string key = canonicalPath(path);
    std::lock_guard lock(registryMutex());
    if (auto existing = registry()[key].lock())
        return existing;
    std::shared_ptr<StoreWriter> writer(new StoreWriter(path));
    std::promise<std::string> opened;
    auto result = opened.get_future();
    writer->m_thread = std::thread([raw = writer.get(), &opened, &beforeUpgrade] { raw->run(opened, beforeUpgrade); });
    const std::string error = result.get();
    if (!error.empty()) {
        writer->m_thread.join();
        return Error{error, {}};
    }
    registry()[key] = writer;
    return writer;
}

StoreWriter::StoreWriter(std::string path) : m_path(std::move(path)) {}

StoreWriter::~StoreWriter()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void StoreWriter::run(std::promise<std::string>& opened, const std::function<void(int fromVersion)>& beforeUpgrade)
{
    auto database = Database::openForWriting(m_path, beforeUpgrade);
    if (!database) {
        opened.set_value(database.error().text());
        return;
    }
    try {
        m_database = std::move(database).take();
        // Integrity is kept by construction: every delete takes children before parents. With
        // foreign keys enforced, deleting an interaction would scan the whole messages table for
        // rows that still name it (messages have no index on interaction_id, by design).
        m_database->connection().exec("PRAGMA foreign_keys = OFF");
        m_rollups = std::make_unique<RollupWriter>(m_database->connection());
        m_interactions = std::make_unique<InteractionWriter>(*m_database, *m_rollups);
        const WalLimits limits = currentWalLimits();
        m_checkpointer = std::make_unique<Checkpointer>(m_path, limits.checkpointAtPages);
        m_database->connection().onWalCommit([this, limits, nextRestart = Clock::time_point()](int walPages) mutable {
            const Clock::time_point now = Clock::now();
            if (walPages < limits.restartAtPages || now < nextRestart) {
                m_checkpointer->walCommitted(walPages);
                return;
            }
            // The checkpointer copies every page, but SQLite starts the WAL again only when a
            // write begins with all of it copied and no reader left in an older snapshot: with a
            // live dashboard reading while the receiver writes, that moment never comes, and the
            // WAL grew by 400 MB in ten minutes (bench/run_soak.sh). The writer restarts it
            // itself (and empties the file), waiting briefly for the readers. Refused at once: the
            // checkpointer is still copying, and the next commit asks again. Refused after the
            // wait: readers kept it waiting (holding up the writer meanwhile), so not again for a
            // while.
            int left = -1;
            try {
                left = m_database->connection().checkpointTruncate(limits.restartWaitMs);
            } catch (const sql::Error&) {
            }
            if (left != 0 && Clock::now() - now >= std::chrono::milliseconds(limits.restartWaitMs / 2))
                nextRestart = Clock::now() + std::chrono::milliseconds(limits.restartRetryMs);
        });
    } catch (const std::exception& e) {
        opened.set_value(m_path + " cannot be written: " + e.what());
        return;
    }
    opened.set_value({});

    std::unique_lock lock(m_mutex);
    while (true) {
        m_wake.wait(lock, [this] { return m_stopping || !m_interactive.empty() || !m_bulk.empty(); });
        if (m_interactive.empty() && m_bulk.empty()) {
            if (m_stopping)
                break;
            continue;
        }
        std::vector<Operation> group;
        if (!m_interactive.empty()) {
            while (!m_interactive.empty()) {
                group.push_back(std::move(m_interactive.front()));
                m_interactive.pop_front();
            }
        } else {
            std::int64_t weight = 0;
            while (!m_bulk.empty() && (group.empty() || weight + m_bulk.front().weight <= maxGroupWeight)) {
                weight += m_bulk.front().weight;
                group.push_back(std::move(m_bulk.front()));
                m_bulk.pop_front();
            }
        }
        m_busy = true;
        lock.unlock();
        commitGroup(group);
        lock.lock();
        m_busy = false;
        if (m_interactive.empty() && m_bulk.empty())
            m_idle.notify_all();
    }
    lock.unlock();
    // The writer's connection closes last: SQLite then copies what is left and removes the WAL.
    m_checkpointer.reset();
    m_interactions.reset();
    m_rollups.reset();
    m_database.reset();
}

bool StoreWriter::tryGroup(std::vector<Operation>& group, Status& failure)
{
    WriteTransaction tx(*m_database, *m_rollups, *m_interactions);
    sql::Connection& db = m_database->connection();
    size_t applied = 0;
    try {
        sql::Transaction transaction(db);
        for (; applied < group.size(); ++applied) {
            group[applied].apply(tx);
            // Rollups are written as they pile up, so that ending the group early for an
            // interactive write leaves little to flush before its commit; not after every
            // operation, since neighbouring batches share hour and day cells (measured: a third
            // more rows written).
            if (m_rollups->pendingCells() >= flushAtCells)
                m_rollups->flush();
            // A person waits for an interactive write: end a bulk group here, at a boundary.
            if (group[applied].priority == WritePriority::Bulk && applied + 1 < group.size()) {
                std::lock_guard lock(m_mutex);
                if (!m_interactive.empty()) {
                    ++applied;
                    break;
                }
            }
        }
        m_rollups->flush();
        transaction.commit();
    } catch (const Failure& e) {
        m_rollups->discard();
        failure = e.error();
        return false;
    } catch (const sql::Error& e) {
        m_rollups->discard();
        failure = storeError(m_path, e);
        return false;
    } catch (const std::exception& e) {
        m_rollups->discard();
        failure = Error{e.what(), {}};
        return false;
    }
    // What was not applied goes back to the front of the bulk queue, in order.
    if (applied < group.size()) {
        std::lock_guard lock(m_mutex);
        for (size_t i = group.size(); i-- > applied;)
            m_bulk.push_front(std::move(group[i]));
        group.resize(applied);
    }
    ++m_commits;
    for (Operation& op : group)
        if (op.done)
            op.done({});
    announce(tx.m_changes);
    if ((tx.m_changes & StoreChange::Interactions) && nowMs() - m_lastRetentionMs >= retentionIntervalMs)
        applyRetention();
    return true;
}

void StoreWriter::commitGroup(std::vector<Operation>& group)
{
    Status failure;
    if (tryGroup(group, failure))
        return;
    if (group.size() == 1) {
        if (group.front().done)
            group.front().done(failure);
        return;
    }
    // One of them failed: the others must not fail with it. Each again, alone.
    for (Operation& op : group) {
        std::vector<Operation> alone;
        alone.push_back(std::move(op));
        Status error;
        if (!tryGroup(alone, error) && alone.front().done)
            alone.front().done(error);
    }
}

void StoreWriter::submit(WritePriority priority, Apply apply, Done done, std::int64_t weight)
{
    {
        std::lock_guard lock(m_mutex);
        Operation op{std::move(apply), std::move(done), std::max<std::int64_t>(1, weight), priority};
        (priority == WritePriority::Interactive ? m_interactive : m_bulk).push_back(std::move(op));
    }
    m_wake.notify_all();
}

Status StoreWriter::write(WritePriority priority, Apply apply)
{
    auto promise = std::make_shared<std::promise<Status>>();
    auto result = promise->get_future();
    submit(priority, std::move(apply), [promise](const Status& status) { promise->set_value(status); });
    return result.get();
}

void StoreWriter::drain()
{
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [this] { return m_interactive.empty() && m_bulk.empty() && !m_busy; });
}

void StoreWriter::listen(Inbox inbox, Listener listener)
{
    std::lock_guard lock(m_listenersMutex);
    for (ListenerEntry& entry : m_listeners)
        if (entry.inbox == inbox) {
            entry.listener = std::move(listener);
            return;
        }
    m_listeners.push_back({std::move(inbox), std::move(listener)});
}

void StoreWriter::unlisten(const Inbox& inbox)
{
    std::lock_guard lock(m_listenersMutex);
    std::erase_if(m_listeners, [&](const ListenerEntry& entry) { return entry.inbox == inbox; });
}

void StoreWriter::announce(unsigned changes)
{
    if (!changes)
        return;
    std::lock_guard lock(m_listenersMutex);
    std::erase_if(m_listeners, [](const ListenerEntry& entry) { return !entry.inbox.open(); });
    for (const ListenerEntry& entry : m_listeners)
        entry.inbox.post([listener = entry.listener, changes] { listener(changes); });
}

void StoreWriter::applyRetention()
{
    {
        std::lock_guard lock(m_mutex);
        if (m_retentionQueued)
            return;
        m_retentionQueued = true;
    }
    retentionStep();
}

void StoreWriter::retentionStep()
{
    // Bulk work, a chunk per transaction, so interactive writes pass between chunks. The writer
    // outlives its queue, so the operation may hold `this`.
    auto fullChunk = std::make_shared<bool>(false);
    submit(
        WritePriority::Bulk,
        [this, fullChunk](WriteTransaction& tx) {
            m_lastRetentionMs = nowMs();
            *fullChunk = false;
            const std::int64_t days = SettingsStore(tx.database()).get(storeSettings::retentionDays);
            if (days <= 0)
                return;
            const std::vector<std::int64_t> expired =
                InteractionStore(tx.database()).idsStartedBefore(nowMs() - days * 86'400'000, retentionChunk);
            OtlpSourceStore(tx.database()).forgetInteractions(expired);
            if (tx.interactions().remove(expired) > 0)
                tx.changed(StoreChange::Interactions);
            *fullChunk = static_cast<std::int64_t>(expired.size()) == retentionChunk;
        },
        [this, fullChunk](const Status& status) {
            if (status && *fullChunk) {
                retentionStep();
                return;
            }
            std::lock_guard lock(m_mutex);
            m_retentionQueued = false;
        },
        retentionChunk);
}

} // namespace winnow
