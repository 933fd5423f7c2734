#include "core/store/integrity.h"

#include "core/store/database.h"
#include "core/store/search_index.h"
#include "core/store/sqlite.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

#include <algorithm>
#include <cstdint>

#include <sqlite3.h>
#include <sys/stat.h>
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

// The index could not be taken for writing: another process held it past the wait, or this user
// may not write it (SQLite then opens it read-only).
bool lockRefused(const sql::Error& error)
{
    const int code = error.code() & 0xff;
    return code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_READONLY;
}

std::int64_t nanoseconds(const timespec& time)
{
    return std::int64_t(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

// The store's files as the file system has them, before a check reads them.
struct FilesStamp
{
    std::string text;
    // Whether a write after the stamp surely changes it. File times come from a coarse clock (a
    // tick of milliseconds; a second or two on some file systems): a write within the tick of the
    // newest time in the stamp could leave it as it is. Only a stamp of files left alone for longer
    // than that is remembered.
    bool settled = false;
};

FilesStamp stampFiles(const std::string& storePath)
{
    std::int64_t newest = 0;
    // An empty or missing write-ahead log is the same store: readers leave an empty one behind.
    auto stampOf = [&newest](const std::string& file, bool isLog) -> std::string {
        struct stat status = {};
        if (::stat(file.c_str(), &status) != 0 || (isLog && status.st_size == 0))
            return "-";
        newest = std::max(newest, nanoseconds(status.st_mtim));
        // Not the change time: SQLite, run as root, gives a log it opens to the store's owner.
        return std::to_string(status.st_dev) + ':' + std::to_string(status.st_ino) + ':' +
               std::to_string(status.st_size) + ':' + std::to_string(nanoseconds(status.st_mtim));
    };
    const std::string index = SearchIndex::pathFor(storePath);
    FilesStamp stamp;
    stamp.text = stampOf(storePath, false) + ' ' + stampOf(storePath + "-wal", true) + ' ' +
                 stampOf(index, false) + ' ' + stampOf(index + "-wal", true);
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    constexpr std::int64_t coarsestTick = 2'000'000'000; // FAT's two seconds
    stamp.settled = nanoseconds(now) - newest > coarsestTick;
    return stamp;
}

// Where a whole check of the store is remembered, and what its record says: the store's canonical
// path and the stamp of its files.
struct RememberedCheck
{
    QString path; // empty when the store or the cache folder is not there
    QByteArray storePath;

    explicit RememberedCheck(const std::string& store)
        : storePath(QFileInfo(QString::fromStdString(store)).canonicalFilePath().toUtf8())
    {
        const QString cache = QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation);
        if (storePath.isEmpty() || cache.isEmpty())
            return;
        path = cache + QStringLiteral("/winnow/checked/") +
               QString::fromLatin1(QCryptographicHash::hash(storePath, QCryptographicHash::Sha1).toHex());
    }
    QByteArray record(const FilesStamp& stamp) const
    {
        return storePath + '\n' + QByteArray::fromStdString(stamp.text) + '\n';
    }
};

// The record is a cache: when it cannot be written, the next command checks again.
void remember(const std::string& storePath, const StoreCheck& check, const FilesStamp& stamp)
{
    const RememberedCheck remembered(storePath);
    const QString& record = remembered.path;
    if (record.isEmpty())
        return;
    if (!check.whole()) {
        // Damage from the disk changes no file time: a store found damaged is never known whole.
        QFile::remove(record);
        return;
    }
    if (check.cancelled || check.indexLocked || !stamp.settled)
        return;
    QDir().mkpath(QFileInfo(record).path());
    QSaveFile file(record);
    if (file.open(QIODevice::WriteOnly)) {
        file.write(remembered.record(stamp));
        file.commit();
    }
}

StoreCheck checkFiles(const std::string& storePath, bool full, const std::atomic<bool>* cancel)
{
    StoreCheck result;
    try {
        sql::Connection store(storePath, Database::readingMode(storePath));
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
        // FTS5's check writes nothing but needs a writable handle (where the user may write the
        // index); it runs in a transaction that is rolled back.
        const bool writable = Database::mayWrite(index);
        sql::Connection search(index,
                               writable ? sql::Connection::Mode::ReadWrite : Database::readingMode(index));
        search.exec("PRAGMA busy_timeout = 10000");
        stopWhenCancelled(search, cancel);
        result.indexProblems = sqliteCheck(search, full);
        // An index file without its table was never built (or its making was interrupted): the
        // next `winnow index` makes it; there is nothing to check.
        if (result.indexProblems.empty() &&
            search.queryInt("SELECT count(*) FROM sqlite_master WHERE name = 'message_fts'") > 0) {
            if (!writable) {
                result.indexLocked = true;
                return result;
            }
            // As a write it needs the index's write lock: taken first, waiting for `winnow index`
            // to let go. Begun deferred, it would read first and then fail at once on the lock.
            try {
                search.exec("BEGIN IMMEDIATE");
            } catch (const sql::Error& e) {
                if (!lockRefused(e))
                    throw;
                result.indexLocked = true;
                return result;
            }
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

} // namespace

StoreCheck checkStore(const std::string& storePath, bool full, const std::atomic<bool>* cancel)
{
    const FilesStamp stamp = stampFiles(storePath);
    StoreCheck result = checkFiles(storePath, full, cancel);
    remember(storePath, result, stamp);
    return result;
}

bool isKnownWhole(const std::string& storePath)
{
    const RememberedCheck remembered(storePath);
    if (remembered.path.isEmpty())
        return false;
    QFile file(remembered.path);
    return file.open(QIODevice::ReadOnly) && file.readAll() == remembered.record(stampFiles(storePath));
}

StoreCheck checkStoreUnlessKnownWhole(const std::string& storePath, const std::atomic<bool>* cancel)
{
    if (isKnownWhole(storePath)) {
        StoreCheck remembered;
        remembered.remembered = true;
        return remembered;
    }
    return checkStore(storePath, false, cancel);
}

} // namespace winnow
