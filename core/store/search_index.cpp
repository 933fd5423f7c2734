#include "core/store/search_index.h"

#include <algorithm>
#include <cctype>

#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace winnow {

namespace {
constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS search_state(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(content, content='', columnsize=0);
)sql";
}

std::optional<std::int64_t> SearchIndex::appliedDeletions(const std::string& storePath, std::int64_t storeId)
{
    const std::string path = pathFor(storePath);
    if (::access(path.c_str(), F_OK) != 0)
        return INT64_MAX; // no index: a new one starts from the messages as they are
    try {
        sql::Connection db(path, sql::Connection::Mode::ReadOnly);
        db.exec("PRAGMA busy_timeout = 1000");
        sql::Statement owner(db, "SELECT value FROM search_state WHERE key = 'store_id'");
        if (!owner.step() || owner.int64(0) != storeId)
            return INT64_MAX; // made for another store: it will be rebuilt
        sql::Statement applied(db, "SELECT value FROM search_state WHERE key = 'applied_deletion_seq'");
        if (!applied.step())
            return std::nullopt;
        return applied.int64(0);
    } catch (const sql::Error&) {
        return std::nullopt; // unreadable now: keep every deletion for it
    }
}

std::string SearchIndex::pathFor(const std::string& storePath)
{
    return storePath + "-search";
}

SearchIndex::SearchIndex() = default;

Result<std::unique_ptr<SearchIndex>> SearchIndex::open(const std::string& storePath, Mode mode,
                                                       const std::atomic<bool>* giveUp)
{
    const std::string path = pathFor(storePath);
    std::unique_ptr<SearchIndex> index(new SearchIndex);
    try {
        if (mode == Mode::Search && ::access(path.c_str(), F_OK) != 0)
            return Error{"the search index of " + storePath + " is not built yet (winnow index builds it)",
                         {}};
        index->m_db = sql::Connection(path, mode == Mode::Search ? sql::Connection::Mode::ReadOnly
                                                                 : sql::Connection::Mode::ReadWrite);
        sql::Connection& db = index->m_db;
        db.exec("PRAGMA busy_timeout = 10000");
        db.exec("PRAGMA cache_size = -65536");
        if (mode == Mode::Index) {
            sqlite3_busy_handler(
                db.handle(),
                [](void* flag, int) {
                    if (flag && static_cast<const std::atomic<bool>*>(flag)->load())
                        return 0;
                    sqlite3_sleep(20);
                    return 1;
                },
                const_cast<std::atomic<bool>*>(giveUp));
            db.exec("PRAGMA journal_mode = WAL");
            db.exec("PRAGMA synchronous = NORMAL");
        }
        sql::Statement attach(db, "ATTACH DATABASE ?1 AS store");
        attach.bind(1, storePath).run();
        const std::int64_t storeId =
            db.queryInt("SELECT value FROM store.store_state WHERE key = 'store_id'");
        if (mode == Mode::Search) {
            if (db.queryInt("SELECT count(*) FROM sqlite_master WHERE name = 'search_state'") == 0 ||
                db.queryInt("SELECT value FROM search_state WHERE key = 'store_id'") != storeId)
                return Error{"the search index of " + storePath +
                                 " was made for another store (winnow index rebuilds it)",
                             {}};
            return index;
        }
        sql::Transaction transaction(db);
        db.exec(schema);
        sql::Statement owner(db, "SELECT value FROM search_state WHERE key = 'store_id'");
        if (!owner.step() || owner.int64(0) != storeId) {
            // Made for another store (or new): start again.
            db.exec("INSERT INTO message_fts(message_fts) VALUES('delete-all'); DELETE FROM search_state;");
            sql::Statement init(
                db, "INSERT INTO search_state(key, value) VALUES('store_id', ?1), ('indexed_message_id', 0)");
            init.bind(1, storeId).run();
        }
        owner.reset();
        // Deletions made before this index existed concern messages it never saw.
        db.exec("INSERT OR IGNORE INTO search_state(key, value) VALUES('applied_deletion_seq', "
                "(SELECT coalesce(max(seq), 0) FROM store.search_deletions))");
        transaction.commit();
    } catch (const sql::Error& e) {
        return Error{"the search index " + path + ": " + e.what(), {}};
    }
    return index;
}

std::int64_t SearchIndex::pending()
{
    return std::max<std::int64_t>(
        0, m_db.queryInt("SELECT (SELECT coalesce(max(id), 0) FROM store.messages) - "
                         "(SELECT value FROM search_state WHERE key = 'indexed_message_id')"));
}

std::int64_t SearchIndex::indexPending(std::int64_t maxMessages)
{
    sql::Transaction transaction(m_db);
    const std::int64_t from =
        m_db.queryInt("SELECT value FROM search_state WHERE key = 'indexed_message_id'");
    // Deleted messages first, from the same snapshot of the store: a contentless FTS5 table
    // forgets a row only given the text it indexed, which the deletion kept. Messages above `from`
    // were never indexed, and ids are never used twice, so their deletions are skipped.
    sql::Statement deletions(
        m_db, "SELECT seq, message_id, content FROM store.search_deletions WHERE seq > "
              "(SELECT value FROM search_state WHERE key = 'applied_deletion_seq') ORDER BY seq");
    sql::Statement forget(m_db,
                          "INSERT INTO message_fts(message_fts, rowid, content) VALUES('delete', ?1, ?2)");
    std::int64_t applied = -1;
    while (deletions.step()) {
        if (deletions.int64(1) <= from)
            forget.bind(1, deletions.int64(1)).bind(2, deletions.textView(2)).run();
        applied = deletions.int64(0);
    }
    if (applied >= 0) {
        sql::Statement advance(m_db, "UPDATE search_state SET value = ?1 WHERE key = 'applied_deletion_seq'");
        advance.bind(1, applied).run();
    }
    const std::int64_t last = m_db.queryInt("SELECT coalesce(max(id), 0) FROM store.messages");
    const std::int64_t to = std::min(last, from + maxMessages);
    if (to <= from) {
        transaction.commit();
        return 0;
    }
    sql::Statement index(
        m_db, "INSERT INTO message_fts(rowid, content) SELECT id, content FROM store.message_texts "
              "WHERE id > ?1 AND id <= ?2 AND role != 'system' AND content IS NOT NULL AND content != ''");
    index.bind(1, from).bind(2, to).run();
    sql::Statement advance(m_db, "UPDATE search_state SET value = ?1 WHERE key = 'indexed_message_id'");
    advance.bind(1, to).run();
    transaction.commit();
    return to - from;
}

std::vector<std::string> SearchIndex::searchWords(const std::string& text)
{
    std::vector<std::string> words;
    std::string word;
    for (char c : text) {
        // Like FTS5's unicode61 tokenizer: letters and digits (and any non-ASCII byte) make words.
        if (std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80) {
            word += c;
        } else if (!word.empty()) {
            words.push_back(std::move(word));
            word.clear();
        }
    }
    if (!word.empty())
        words.push_back(std::move(word));
    return words;
}

std::string SearchIndex::queryFor(const std::string& text)
{
    const std::vector<std::string> words = searchWords(text);
    std::string query;
    for (size_t i = 0; i < words.size(); ++i) {
        query += (i ? " \"" : "\"") + words[i] + "\"";
        if (i + 1 == words.size())
            query += '*';
    }
    return query;
}

std::vector<std::int64_t> SearchIndex::searchInteractions(const std::string& query, std::int64_t limit)
{
    std::vector<std::int64_t> result;
    sql::Statement select(
        m_db, "SELECT DISTINCT m.interaction_id FROM message_fts f JOIN store.messages m ON m.id = f.rowid "
              "WHERE message_fts MATCH ?1 ORDER BY m.interaction_id DESC LIMIT ?2");
    select.bind(1, query).bind(2, limit);
    while (select.step())
        result.push_back(select.int64(0));
    return result;
}

BackgroundIndexer::BackgroundIndexer(std::string storePath) : m_storePath(std::move(storePath))
{
    m_thread = std::thread([this] { run(); });
}

BackgroundIndexer::~BackgroundIndexer()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_giveUp = true;
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void BackgroundIndexer::notify()
{
    {
        std::lock_guard lock(m_mutex);
        m_dirty = true;
    }
    m_wake.notify_all();
}

std::string BackgroundIndexer::finish()
{
    {
        std::lock_guard lock(m_mutex);
        m_finishing = true;
        m_dirty = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
    return m_error;
}

void BackgroundIndexer::run()
{
    // The writer is the ingest's bottleneck: the index takes the CPU time the writer and the parser
    // leave, and catches up at the end. (Linux applies a nice value to the one thread.)
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
    try {
        auto opened = SearchIndex::open(m_storePath, SearchIndex::Mode::Index, &m_giveUp);
        if (!opened) {
            std::lock_guard lock(m_mutex);
            m_error = opened.error().text();
            return;
        }
        SearchIndex& index = **opened;
        while (true) {
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [this] { return m_dirty || m_stopping; });
                if (m_stopping)
                    return;
                m_dirty = false;
            }
            while (index.indexPending() > 0) {
                std::lock_guard lock(m_mutex);
                if (m_stopping)
                    return;
            }
            std::lock_guard lock(m_mutex);
            if (m_finishing && !m_dirty)
                return;
        }
    } catch (const std::exception& e) {
        std::lock_guard lock(m_mutex);
        m_error = e.what();
    }
}

} // namespace winnow
