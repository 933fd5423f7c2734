#include "core/store/database.h"

#include "core/store/schema.h"

#include <QDir>
#include <QStandardPaths>

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace winnow {

namespace {

Error atPath(const std::string& path, std::string message)
{
    return Error{path + " " + message, {}};
}

// What is at `path`, before SQLite is let near it: SQLite would create a missing file, block on
// a FIFO, and call a text file "file is not a database".
enum class FileKind { Missing, Regular, Folder, Special, Unreadable };

FileKind fileKind(const std::string& path, int& error)
{
    struct stat info
    {
    };
    if (::stat(path.c_str(), &info) != 0) {
        error = errno;
        return errno == ENOENT ? FileKind::Missing : FileKind::Unreadable;
    }
    if (S_ISDIR(info.st_mode))
        return FileKind::Folder;
    if (!S_ISREG(info.st_mode))
        return FileKind::Special;
    return FileKind::Regular;
}

// The first 16 bytes of every SQLite database.
enum class Header { Sqlite, Empty, Other, Unreadable };

Header readHeader(const std::string& path, int& error)
{
    Header header = Header::Sqlite; // a file this process has open is a store already checked
    sql::Connection::readUnlessOpen(path, [&] {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
            error = errno;
            header = Header::Unreadable;
            return;
        }
        char bytes[16] = {};
        ssize_t got;
        do {
            got = ::read(fd, bytes, sizeof bytes);
        } while (got < 0 && errno == EINTR);
        error = errno;
        ::close(fd);
        header = got < 0    ? Header::Unreadable
                 : got == 0 ? Header::Empty
                 : got == 16 && std::memcmp(bytes, "SQLite format 3", 16) == 0 ? Header::Sqlite
                                                                                 : Header::Other;
    });
    return header;
}

// Checks what is at `path` before opening it; `creating` allows a missing file.
Status checkFile(const std::string& path, bool creating)
{
    int error = 0;
    switch (fileKind(path, error)) {
    case FileKind::Missing:
        if (creating)
            return {};
        return atPath(path, "does not exist (no Winnow store there)");
    case FileKind::Folder:
        return atPath(path, "is a folder, not a Winnow store");
    case FileKind::Special:
        return atPath(path, "is not a regular file (a FIFO, a device or a socket), not a Winnow store");
    case FileKind::Unreadable:
        return atPath(path, std::string("cannot be read (") + std::strerror(error) + ")");
    case FileKind::Regular:
        break;
    }
    switch (readHeader(path, error)) {
    case Header::Unreadable:
        return atPath(path, std::string("cannot be read (") + std::strerror(error) + ")");
    case Header::Other:
        return atPath(path, "is not a Winnow store (not an SQLite database)");
    case Header::Empty:
        if (creating)
            return {};
        return atPath(path, "is empty, not a Winnow store");
    case Header::Sqlite:
        break;
    }
    return {};
}

bool directoryWritable(const std::string& path)
{
    const std::string folder = std::filesystem::absolute(path).parent_path().string();
    return ::access(folder.c_str(), W_OK) == 0;
}

// On a read-only mount nothing may be written, not even the WAL's -shm file: the store can only be
// read immutable there. EROFS from access() says which.
bool onReadOnlyMount(const std::string& path)
{
    return ::access(path.c_str(), W_OK) != 0 && errno == EROFS;
}

void configure(sql::Connection& db, Database::Access access)
{
    db.exec("PRAGMA busy_timeout = 10000");
    db.exec("PRAGMA foreign_keys = ON");
    db.exec("PRAGMA temp_store = MEMORY");
    // The writer's cache holds the hot rollup and index pages between commits; a reader's (the app
    // keeps one per pool thread) half that: at 10M the dashboard answers as fast, and the app
    // stays under 250 MB with ten million rows scrolled.
    db.exec(access == Database::Access::Write ? "PRAGMA cache_size = -65536" : "PRAGMA cache_size = -32768");
    if (access == Database::Access::Write) {
        db.exec("PRAGMA journal_mode = WAL");
        // The StoreWriter checkpoints on a thread of its own instead (store_writer.cpp); for any
        // other writing connection, every 80 MB of WAL rather than every 4 MB: hot index pages
        // change in every batch, and each checkpoint writes them again.
        db.exec("PRAGMA wal_autocheckpoint = 20000");
        // In WAL mode NORMAL keeps every committed transaction across an application crash; only
        // a power loss can take back the last few, which a re-run restores from the source offset.
        db.exec("PRAGMA synchronous = NORMAL");
    }
}

// A Winnow store has its store_state table; an empty database (user_version 0, no tables) is
// one being created.
bool looksLikeWinnow(sql::Connection& db)
{
    return db.queryInt("SELECT count(*) FROM sqlite_master WHERE name = 'store_state'") > 0;
}

bool isEmptyDatabase(sql::Connection& db)
{
    return db.queryInt("SELECT count(*) FROM sqlite_master") == 0;
}

} // namespace

// A full disk often reaches SQLite as a failed write (SQLITE_IOERR_WRITE), not as SQLITE_FULL, and
// the errno is not always kept: asked of the file system and the process's limits instead.
std::string whyWritesFail(const std::string& path, const sql::Error& error)
{
    const int systemErrno = error.systemErrno();
    if (systemErrno == ENOSPC || systemErrno == EDQUOT)
        return "the disk is full";
    rlimit limit{};
    if (systemErrno == EFBIG ||
        (error.code() == SQLITE_IOERR_WRITE && getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY))
        return "the file is at its size limit";
    if (error.code() == SQLITE_IOERR_WRITE || error.code() == SQLITE_IOERR_FSYNC || error.code() == SQLITE_IOERR_TRUNCATE) {
        struct statvfs space{};
        const std::string folder = std::filesystem::path(path).parent_path().string();
        if (statvfs(folder.empty() ? "." : folder.c_str(), &space) == 0 &&
            std::uint64_t(space.f_bavail) * space.f_frsize < (std::uint64_t(64) << 20))
            return "the disk is full";
    }
    return {};
}

Error storeError(const std::string& path, const sql::Error& error)
{
    switch (error.code() & 0xff) {
    case SQLITE_NOTADB:
        return atPath(path, "is not a Winnow store (not an SQLite database)");
    case SQLITE_CORRUPT:
        return atPath(path, "is damaged (" + std::string(error.what()) +
                                "): `winnow check` lists the damage; restore the store from a backup");
    case SQLITE_READONLY:
        return atPath(path, "is read-only");
    case SQLITE_FULL:
        return atPath(path, "cannot grow: the disk is full (everything committed before is kept)");
    case SQLITE_CANTOPEN:
        return atPath(path, "cannot be opened (its folder may be gone or not writable)");
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return atPath(path, "cannot be read (permission denied)");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return atPath(path, "is locked by another program writing to it");
    case SQLITE_IOERR:
        if (const std::string why = whyWritesFail(path, error); !why.empty())
            return atPath(path, "cannot grow: " + why + " (everything committed before is kept)");
        return atPath(path, "could not be read or written (an I/O error: " + std::string(error.what()) + ")");
    case SQLITE_INTERRUPT:
        return Error{"cancelled", {}};
    default:
        return Error{std::string(error.what()) + " (" + path + ")", {}};
    }
}

Error currentError(const std::string& storePath)
{
    try {
        throw;
    } catch (const Failure& e) {
        return e.error();
    } catch (const sql::Error& e) {
        return storeError(storePath, e);
    } catch (const std::exception& e) {
        return Error{e.what(), {}};
    } catch (...) {
        return Error{"an unknown error", {}};
    }
}

void Database::endReading()
{
    if (m_connection.inTransaction())
        m_connection.exec("ROLLBACK");
}

Database::Database(std::string path, Access access) : m_path(std::move(path)), m_access(access) {}

Database::~Database()
{
    std::lock_guard lock(m_interruptMutex);
    m_connection = sql::Connection();
}

sql::Connection::Mode Database::readingMode(const std::string& path)
{
    const bool immutable =
        onReadOnlyMount(path) || (!directoryWritable(path) && ::access((path + "-wal").c_str(), F_OK) != 0);
    return immutable ? sql::Connection::Mode::Immutable : sql::Connection::Mode::ReadOnly;
}

bool Database::mayWrite(const std::string& path)
{
    return ::access(path.c_str(), W_OK) == 0 && directoryWritable(path);
}

std::string Database::defaultPath()
{
    // ~/.local/share/winnow/winnow.db, whatever organisation name the app sets for its settings.
    const QString folder =
        QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/winnow");
    QDir().mkpath(folder);
    return QDir(folder).filePath(QStringLiteral("winnow.db")).toStdString();
}

bool Database::isCurrent() const
{
    return m_schemaVersion == latestSchemaVersion();
}

Error Database::upgradeNeeded() const
{
    return atPath(m_path, "is from an older Winnow (schema " + std::to_string(m_schemaVersion) +
                              ") and must be upgraded by opening it for writing first" +
                              (m_readOnlyReason.empty() ? "" : ", but it is read-only"));
}

Result<std::unique_ptr<Database>> Database::openForReading(const std::string& path)
{
    if (path.empty())
        return Error{"no store path given", {}};
    if (Status checked = checkFile(path, false); !checked)
        return checked.error();
    std::unique_ptr<Database> database(new Database(path, Access::Read));
    const sql::Connection::Mode mode = readingMode(path);
    const bool immutable = mode == sql::Connection::Mode::Immutable;
    try {
        database->m_connection = sql::Connection(path, mode);
        configure(database->m_connection, Access::Read);
        if (isEmptyDatabase(database->m_connection))
            return atPath(path, "has nothing in it yet (its first write never finished); writing to it makes "
                                "it a store");
        if (!looksLikeWinnow(database->m_connection))
            return atPath(path, "is not a Winnow store (an SQLite database without Winnow's tables)");
        database->m_schemaVersion = static_cast<int>(database->m_connection.queryInt("PRAGMA user_version"));
    } catch (const sql::Error& e) {
        if ((e.code() & 0xff) == SQLITE_CANTOPEN && !directoryWritable(path))
            return atPath(path, "cannot be read: its folder is not writable and the store was not "
                                "closed cleanly (its -wal and -shm files are missing or locked)");
        return storeError(path, e);
    }
    if (immutable || ::access(path.c_str(), W_OK) != 0)
        database->m_readOnlyReason = path + " is read-only";
    if (database->m_schemaVersion > latestSchemaVersion())
        return atPath(path, "was written by a newer Winnow (schema " +
                                std::to_string(database->m_schemaVersion) + "; this one knows up to " +
                                std::to_string(latestSchemaVersion()) + ")");
    return database;
}

Result<std::unique_ptr<Database>> Database::openForWriting(const std::string& path,
                                                          const std::function<void(int fromVersion)>& beforeUpgrade)
{
    if (path.empty())
        return Error{"no store path given", {}};
    if (Status checked = checkFile(path, true); !checked)
        return checked.error();
    int error = 0;
    const bool exists = fileKind(path, error) == FileKind::Regular;
    if (!exists && !std::filesystem::is_directory(std::filesystem::absolute(path).parent_path()))
        return atPath(path, "cannot be created: its folder does not exist");
    if (exists && onReadOnlyMount(path))
        return atPath(path, "is read-only");
    std::unique_ptr<Database> database(new Database(path, Access::Write));
    try {
        database->m_connection = sql::Connection(path, sql::Connection::Mode::ReadWrite);
        if (database->m_connection.isReadOnly())
            return atPath(path, "is read-only");
        if (!isEmptyDatabase(database->m_connection) && !looksLikeWinnow(database->m_connection))
            return atPath(path, "is not a Winnow store (an SQLite database without Winnow's tables)");
        const auto version = static_cast<int>(database->m_connection.queryInt("PRAGMA user_version"));
        if (version > latestSchemaVersion())
            return atPath(path, "was written by a newer Winnow (schema " + std::to_string(version) +
                                    "; this one knows up to " + std::to_string(latestSchemaVersion()) + ")");
        configure(database->m_connection, Access::Write);
        if (version > 0 && version < latestSchemaVersion() && beforeUpgrade)
            beforeUpgrade(version);
        migrate(database->m_connection);
        database->m_schemaVersion = latestSchemaVersion();
    } catch (const sql::Error& e) {
        return storeError(path, e);
    }
    return database;
}

std::int64_t Database::storeId()
{
    return m_connection.queryInt("SELECT value FROM store_state WHERE key = 'store_id'");
}

void Database::interrupt()
{
    std::lock_guard lock(m_interruptMutex);
    m_connection.interrupt();
}

ReadSnapshot::ReadSnapshot(Database& database)
    : m_transaction(database.connection(), sql::Transaction::Kind::Read)
{
}

ReadSnapshot::~ReadSnapshot() = default;

} // namespace winnow
