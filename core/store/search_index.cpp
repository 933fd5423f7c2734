#include "core/store/search_index.h"

#include <cctype>

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

std::string SearchIndex::pathFor(const std::string& storePath)
{
    return storePath + "-search";
}

SearchIndex::SearchIndex(const std::string& storePath) : m_db(pathFor(storePath))
{
    m_db.exec("PRAGMA busy_timeout = 10000");
    m_db.exec("PRAGMA journal_mode = WAL");
    m_db.exec("PRAGMA synchronous = NORMAL");
    m_db.exec("PRAGMA cache_size = -65536");
    sql::Statement attach(m_db, "ATTACH DATABASE ?1 AS store");
    attach.bind(1, storePath).run();
    sql::Transaction transaction(m_db);
    m_db.exec(schema);
    const std::int64_t storeId = m_db.queryInt("SELECT value FROM store.store_state WHERE key = 'store_id'");
    sql::Statement owner(m_db, "SELECT value FROM search_state WHERE key = 'store_id'");
    if (!owner.step() || owner.int64(0) != storeId) {
        // Made for another store (or new): start again.
        m_db.exec("INSERT INTO message_fts(message_fts) VALUES('delete-all'); DELETE FROM search_state;");
        sql::Statement init(
            m_db, "INSERT INTO search_state(key, value) VALUES('store_id', ?1), ('indexed_message_id', 0)");
        init.bind(1, storeId).run();
    }
    owner.reset();
    transaction.commit();
}

std::int64_t SearchIndex::pending()
{
    return m_db.queryInt("SELECT (SELECT coalesce(max(id), 0) FROM store.messages) - "
                         "(SELECT value FROM search_state WHERE key = 'indexed_message_id')");
}

std::int64_t SearchIndex::indexPending(std::int64_t maxMessages)
{
    sql::Transaction transaction(m_db);
    const std::int64_t from =
        m_db.queryInt("SELECT value FROM search_state WHERE key = 'indexed_message_id'");
    const std::int64_t last = m_db.queryInt("SELECT coalesce(max(id), 0) FROM store.messages");
    const std::int64_t to = std::min(last, from + maxMessages);
    if (to <= from)
        return 0;
    sql::Statement index(
        m_db, "INSERT INTO message_fts(rowid, content) SELECT id, content FROM store.messages "
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
        SearchIndex index(m_storePath);
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
