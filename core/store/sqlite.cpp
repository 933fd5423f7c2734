#include "core/store/sqlite.h"

#include <sqlite3.h>

#include <cstdio>
#include <mutex>
#include <set>
#include <utility>

#include <sys/stat.h>

namespace winnow::sql {

namespace {
std::string describe(sqlite3* db, int rc, const char* what)
{
    std::string message = what;
    message += ": ";
    message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return message;
}
} // namespace

Statement::Statement(Connection& connection, std::string_view sql) : m_db(connection.handle())
{
    const int rc = sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &m_statement, nullptr);
    if (rc != SQLITE_OK)
        throw Error(describe(m_db, rc, "prepare") + " in: " + std::string(sql), rc);
}

Statement::~Statement()
{
    sqlite3_finalize(m_statement);
}

Statement::Statement(Statement&& other) noexcept
    : m_statement(std::exchange(other.m_statement, nullptr)), m_db(std::exchange(other.m_db, nullptr))
{
}

Statement& Statement::operator=(Statement&& other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(m_statement);
        m_statement = std::exchange(other.m_statement, nullptr);
        m_db = std::exchange(other.m_db, nullptr);
    }
    return *this;
}

void Statement::check(int rc, const char* what) const
{
    if (rc != SQLITE_OK)
        throw Error(describe(m_db, rc, what), rc, sqlite3_system_errno(m_db));
}

Statement& Statement::bind(int index, std::int64_t value)
{
    check(sqlite3_bind_int64(m_statement, index, value), "bind");
    return *this;
}

Statement& Statement::bind(int index, double value)
{
    check(sqlite3_bind_double(m_statement, index, value), "bind");
    return *this;
}

Statement& Statement::bind(int index, std::string_view text)
{
    check(sqlite3_bind_text64(m_statement, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8),
          "bind");
    return *this;
}

Statement& Statement::bindCopy(int index, std::string_view text)
{
    check(sqlite3_bind_text64(m_statement, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
          "bind");
    return *this;
}

Statement& Statement::bindBlob(int index, std::string_view bytes)
{
    check(sqlite3_bind_blob64(m_statement, index, bytes.data(), bytes.size(), SQLITE_STATIC), "bind");
    return *this;
}

Statement& Statement::bindNull(int index)
{
    check(sqlite3_bind_null(m_statement, index), "bind");
    return *this;
}

bool Statement::step()
{
    const int rc = sqlite3_step(m_statement);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    const std::string message = describe(m_db, rc, "step");
    const int systemErrno = sqlite3_system_errno(m_db);
    sqlite3_reset(m_statement);
    throw Error(message, rc, systemErrno);
}

void Statement::run()
{
    step();
    reset();
}

void Statement::reset()
{
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
}

bool Statement::isNull(int column) const
{
    return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
}

std::int64_t Statement::int64(int column) const
{
    return sqlite3_column_int64(m_statement, column);
}

double Statement::real(int column) const
{
    return sqlite3_column_double(m_statement, column);
}

std::string_view Statement::textView(int column) const
{
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_statement, column));
    if (!text)
        return {};
    return {text, static_cast<size_t>(sqlite3_column_bytes(m_statement, column))};
}

std::string Statement::text(int column) const
{
    return std::string(textView(column));
}

std::optional<std::int64_t> Statement::optionalInt64(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return int64(column);
}

std::optional<double> Statement::optionalReal(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return real(column);
}

int Statement::columnCount() const
{
    return sqlite3_column_count(m_statement);
}

Connection::Connection(const std::string& path, Mode mode) : m_path(path)
{
    // SQLite's allocation statistics take a global mutex on every malloc; Winnow never reads them.
    static const bool configured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)configured;
    int flags = mode == Mode::ReadWrite ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY;
    std::string name = path;
    if (mode == Mode::Immutable) {
        // A URI, so that its query can say immutable; '?' and '#' in the path are escaped.
        name = "file:";
        for (const char c : path) {
            if (c == '?' || c == '#' || c == '%') {
                char escaped[4];
                std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
                name += escaped;
            } else {
                name += c;
            }
        }
        name += "?immutable=1";
        flags |= SQLITE_OPEN_URI;
    }
    const int rc = sqlite3_open_v2(name.c_str(), &m_db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = describe(m_db, rc, "open") + " (" + path + ")";
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        throw Error(message, rc);
    }
    sqlite3_extended_result_codes(m_db, 1);
    registerFile();
}

namespace {
// The files this process's connections have open, by device and inode (a path may have aliases).
std::mutex openFilesMutex;
std::multiset<std::pair<std::uint64_t, std::uint64_t>> openFiles;
} // namespace

void Connection::registerFile()
{
    struct stat status{};
    if (m_path.empty() || ::stat(m_path.c_str(), &status) != 0)
        return;
    m_fileDevice = status.st_dev;
    m_fileInode = status.st_ino;
    std::lock_guard lock(openFilesMutex);
    openFiles.insert({m_fileDevice, m_fileInode});
    m_fileRegistered = true;
}

void Connection::unregisterFile()
{
    if (!m_fileRegistered)
        return;
    std::lock_guard lock(openFilesMutex);
    if (const auto it = openFiles.find({m_fileDevice, m_fileInode}); it != openFiles.end())
        openFiles.erase(it);
    m_fileRegistered = false;
}

bool Connection::readUnlessOpen(const std::string& path, const std::function<void()>& read)
{
    // Held while reading, and taken by a connection registering, which it does before SQLite
    // takes its first lock (at its first statement): no connection can lock in between.
    std::lock_guard lock(openFilesMutex);
    struct stat status{};
    if (::stat(path.c_str(), &status) == 0 &&
        openFiles.count({std::uint64_t(status.st_dev), std::uint64_t(status.st_ino)}) > 0)
        return false;
    read();
    return true;
}

Connection::~Connection()
{
    sqlite3_close_v2(m_db);
    unregisterFile();
}

Connection::Connection(Connection&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_path(std::move(other.m_path)),
      m_fileDevice(other.m_fileDevice), m_fileInode(other.m_fileInode),
      m_fileRegistered(std::exchange(other.m_fileRegistered, false)), m_walHook(std::move(other.m_walHook))
{
}

Connection& Connection::operator=(Connection&& other) noexcept
{
    if (this != &other) {
        sqlite3_close_v2(m_db);
        unregisterFile();
        m_db = std::exchange(other.m_db, nullptr);
        m_path = std::move(other.m_path);
        m_fileDevice = other.m_fileDevice;
        m_fileInode = other.m_fileInode;
        m_fileRegistered = std::exchange(other.m_fileRegistered, false);
        m_walHook = std::move(other.m_walHook);
    }
    return *this;
}

void Connection::exec(std::string_view sql)
{
    char* error = nullptr;
    const std::string statement(sql);
    const int rc = sqlite3_exec(m_db, statement.c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        std::string message = "exec: ";
        message += error ? error : sqlite3_errstr(rc);
        sqlite3_free(error);
        throw Error(message, rc, sqlite3_system_errno(m_db));
    }
}

std::int64_t Connection::changes() const
{
    return sqlite3_changes64(m_db);
}

std::int64_t Connection::lastInsertRowId() const
{
    return sqlite3_last_insert_rowid(m_db);
}

std::int64_t Connection::queryInt(std::string_view sql)
{
    Statement statement(*this, sql);
    return statement.step() ? statement.int64(0) : 0;
}

void Connection::interrupt()
{
    if (m_db)
        sqlite3_interrupt(m_db);
}

bool Connection::inTransaction() const
{
    return m_db && sqlite3_get_autocommit(m_db) == 0;
}

bool Connection::isReadOnly() const
{
    return m_db && sqlite3_db_readonly(m_db, "main") == 1;
}

void Connection::onWalCommit(std::function<void(int walPages)> hook)
{
    m_walHook = std::make_unique<std::function<void(int)>>(std::move(hook));
    sqlite3_wal_hook(
        m_db,
        [](void* context, sqlite3*, const char*, int pages) {
            (*static_cast<std::function<void(int)>*>(context))(pages);
            return SQLITE_OK;
        },
        m_walHook.get());
}

namespace {

// The WAL's pages not yet copied, or -1 when SQLite was busy (another checkpoint, or readers past
// the busy timeout).
int checkpoint(sqlite3* db, int mode)
{
    int walPages = 0;
    int copied = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db, "main", mode, &walPages, &copied);
    if (rc == SQLITE_BUSY)
        return -1;
    if (rc != SQLITE_OK)
        throw Error(std::string("checkpoint: ") + sqlite3_errmsg(db), rc);
    return walPages - copied;
}

} // namespace

int Connection::checkpointPassive()
{
    return checkpoint(m_db, SQLITE_CHECKPOINT_PASSIVE);
}

int Connection::checkpointTruncate(int waitMs)
{
    const auto busyTimeout = static_cast<int>(queryInt("PRAGMA busy_timeout"));
    sqlite3_busy_timeout(m_db, waitMs);
    struct RestoreBusyTimeout
    {
        sqlite3* db;
        int ms;
        ~RestoreBusyTimeout() { sqlite3_busy_timeout(db, ms); }
    } restore{m_db, busyTimeout};
    return checkpoint(m_db, SQLITE_CHECKPOINT_TRUNCATE);
}

Transaction::Transaction(Connection& connection, Kind kind) : m_connection(connection)
{
    if (kind == Kind::Read && m_connection.inTransaction()) {
        m_open = false; // joins the transaction already open
        return;
    }
    m_connection.exec(kind == Kind::Write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
}

Transaction::~Transaction()
{
    if (m_open) {
        try {
            m_connection.exec("ROLLBACK");
        } catch (...) {
            // A failed rollback leaves SQLite to roll back on close; nothing more can be done here.
        }
    }
}

void Transaction::commit()
{
    if (!m_open)
        return;
    m_connection.exec("COMMIT");
    m_open = false;
}

} // namespace winnow::sql
