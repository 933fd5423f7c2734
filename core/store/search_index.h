#pragma once
// The full-text index (FTS5) over a store's message text. It lives in its own SQLite file beside
// the store ("<store>-search") so that it is built on the other core while the store's one writer
// goes on: indexing in the writer's transactions cost as much as writing the messages themselves
// (bench/RESULTS.md). It is derived data: a missing index, or one made for another store, is
// rebuilt from the store. Only user, assistant and tool text is indexed; system prompts repeat in
// every interaction and are not what reviewers search for.
//
// A SearchIndex owns one connection and lives on the thread that made it.

#include "core/store/sqlite.h"
#include "core/util/result.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace winnow {

class SearchIndex
{
public:
    static std::string pathFor(const std::string& storePath);
    // The search deletions (store table search_deletions) the index of the store has applied, up
    // to which the writer may forget them: every one when there is no index (or one for another
    // store, which will be rebuilt), none when the index cannot be read now.
    static std::optional<std::int64_t> appliedDeletions(const std::string& storePath, std::int64_t storeId);

    // Index: opens the index of the store at storePath (which must exist) to bring it up to date,
    // creating it, or emptying it when it was made for another store. Search: opens an existing
    // index read-only (a read-only store can be searched).
    //
    // To index, it waits for the index's write lock as long as another process holds it (a check
    // of the index holds it for about 1.5 s per million interactions, past SQLite's timed wait),
    // until `giveUp`, when set, turns true: then the call waiting fails with "database is locked".
    enum class Mode { Index, Search };
    static Result<std::unique_ptr<SearchIndex>> open(const std::string& storePath, Mode mode,
                                                     const std::atomic<bool>* giveUp = nullptr);

    // Indexes the messages committed after the last indexed one, up to maxMessages ids, in one
    // transaction; returns how many message ids it covered (0 when up to date).
    std::int64_t indexPending(std::int64_t maxMessages = 200000);
    // Message ids committed to the store and not indexed yet.
    std::int64_t pending();

    // The words of what a user typed into a search box, and the FTS5 query that finds messages
    // with all of them (the last one also as a prefix). Never an FTS5 syntax error.
    static std::vector<std::string> searchWords(const std::string& text);
    static std::string queryFor(const std::string& text);

    // Interactions whose messages match an FTS5 query, newest first.
    std::vector<std::int64_t> searchInteractions(const std::string& query, std::int64_t limit);

private:
    SearchIndex();
    sql::Connection m_db;
};

// Keeps a store's search index up to date on a thread of its own while an ingest runs.
class BackgroundIndexer
{
public:
    explicit BackgroundIndexer(std::string storePath);
    ~BackgroundIndexer(); // stops without waiting to catch up
    // New messages were committed.
    void notify();
    // Indexes everything committed so far, then stops. Returns an error message, or empty.
    std::string finish();

private:
    void run();
    std::string m_storePath;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_finishing = false;
    bool m_stopping = false;
    std::atomic<bool> m_giveUp = false; // m_stopping, for the index's wait for its lock
    bool m_dirty = true;
    std::string m_error;
    std::thread m_thread;
};

} // namespace winnow
