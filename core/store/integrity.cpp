#include "core/store/integrity.h"

#include "core/store/search_index.h"
#include "core/store/sqlite.h"

#include <sqlite3.h>
#include <unistd.h>

namespace winnow {

namespace {

// At most this many problems are listed: a badly damaged file has thousands.
constexpr int maxProblems = 20;

std::vector<std::string> sqliteCheck(sql::Connection& db, bool full)
{
    std::vector<std::string> problems;
    sql::Statement check(db, full ? "PRAGMA integrity_check(20)" : "PRAGMA quick_check(20)");
    while (check.step() && int(problems.size()) < maxProblems) {
        std::string line = check.text(0);
        if (line != "ok")
            problems.push_back(std::move(line));
    }
    return problems;
}

// A check reads every page: on a large store, minutes. SQLite calls this every few thousand steps;
// a non-zero answer interrupts the statement.
void stopWhenCancelled(sql::Connection& db, const std::atomic<bool>* cancel)
{
    if (!cancel)
        return;
    sqlite3_progress_handler(
        db.handle(), 4096,
        [](void* flag) { return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0; },
        const_cast<std::atomic<bool>*>(cancel));
}

bool interrupted(const sql::Error& error)
{
    return (error.code() & 0xff) == SQLITE_INTERRUPT;
}

} // namespace

StoreCheck checkStore(const std::string& storePath, bool full, const std::atomic<bool>* cancel)
{
    StoreCheck result;
    try {
        sql::Connection store(storePath, sql::Connection::Mode::ReadOnly);
        store.exec("PRAGMA busy_timeout = 10000");
        stopWhenCancelled(store, cancel);
        result.storeProblems = sqliteCheck(store, full);
    } catch (const sql::Error& e) {
        if (interrupted(e)) {
            result.cancelled = true;
            return result;
        }
        result.storeProblems.push_back(std::string("SQLite stopped reading it: ") + sqlite3_errstr(e.code()));
    }
    const std::string index = SearchIndex::pathFor(storePath);
    if (::access(index.c_str(), F_OK) != 0)
        return result;
    result.indexChecked = true;
    try {
        // FTS5's check writes nothing but needs a writable handle; it runs in a transaction that
        // is rolled back.
        sql::Connection search(index);
        search.exec("PRAGMA busy_timeout = 10000");
        stopWhenCancelled(search, cancel);
        result.indexProblems = sqliteCheck(search, full);
        // An index file without its table was never built (or its making was interrupted): the
        // next `winnow index` makes it; there is nothing to check.
        if (result.indexProblems.empty() &&
            search.queryInt("SELECT count(*) FROM sqlite_master WHERE name = 'message_fts'") > 0) {
            search.exec("BEGIN");
            try {
                search.exec("INSERT INTO message_fts(message_fts) VALUES('integrity-check')");
            } catch (const sql::Error& e) {
                if (interrupted(e))
                    result.cancelled = true;
                else
                    result.indexProblems.push_back(std::string("the full-text index: ") + e.what());
            }
            search.exec("ROLLBACK");
        }
    } catch (const sql::Error& e) {
        if (interrupted(e))
            result.cancelled = true;
        else
            result.indexProblems.push_back(std::string("SQLite stopped reading it: ") + sqlite3_errstr(e.code()));
    }
    return result;
}

} // namespace winnow
