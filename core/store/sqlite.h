#pragma once
// A thin RAII layer over the SQLite C API. A Connection belongs to the thread that opened it;
// Statements are prepared once and reset between uses, and values only ever reach SQL as bound
// parameters.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace winnow::sql {

class Error : public std::runtime_error
{
public:
    Error(const std::string& message, int code, int systemErrno = 0)
        : std::runtime_error(message), m_code(code), m_systemErrno(systemErrno)
    {
    }
    int code() const { return m_code; }
    // The operating system's errno behind an I/O error (ENOSPC, EFBIG, ...), or 0.
    int systemErrno() const { return m_systemErrno; }

private:
    int m_code;
    int m_systemErrno;
};

class Connection;

class Statement
{
public:
    Statement() = default;
    Statement(Connection& connection, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Binding is 1-based like SQLite's. Text is copied by SQLite only when asked: callers keep the
    // bound views alive until step() has returned.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view text);
    // Text the statement keeps its own copy of, for values built on the spot.
    Statement& bindCopy(int index, std::string_view text);
    Statement& bindBlob(int index, std::string_view bytes);
    Statement& bindNull(int index);
    template <typename T> Statement& bind(int index, const std::optional<T>& value)
    {
        if (value)
            return bind(index, *value);
        return bindNull(index);
    }
    // Empty text binds NULL: canonical records use "" for "not present".
    Statement& bindTextOrNull(int index, std::string_view text)
    {
        return text.empty() ? bindNull(index) : bind(index, text);
    }

    // Returns true while a row is available.
    bool step();
    // Steps a statement that must not return rows, then resets it.
    void run();
    void reset();

    bool isNull(int column) const;
    std::int64_t int64(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::string_view textView(int column) const;
    std::optional<std::int64_t> optionalInt64(int column) const;
    std::optional<double> optionalReal(int column) const;
    int columnCount() const;

    sqlite3_stmt* handle() const { return m_statement; }

private:
    void check(int rc, const char* what) const;
    sqlite3_stmt* m_statement = nullptr;
    sqlite3* m_db = nullptr;
};

class Connection
{
public:
    // ReadWrite creates the file when it is missing; Immutable reads a file nobody can change (a
    // read-only mount) without the WAL's shared-memory file, which cannot be made there.
    enum class Mode { ReadWrite, ReadOnly, Immutable };
    Connection() = default;
    Connection(const std::string& path, Mode mode = Mode::ReadWrite);
    ~Connection();
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void exec(std::string_view sql);
    std::int64_t changes() const;
    std::int64_t lastInsertRowId() const;
    // Reads a single integer, e.g. a PRAGMA or a count.
    std::int64_t queryInt(std::string_view sql);
    // Makes a running statement on this connection return SQLITE_INTERRUPT; safe from any thread.
    void interrupt();
    bool inTransaction() const;
    // SQLite opened the file read-only although writing was asked for (a write-protected file).
    bool isReadOnly() const;
    // Called after every commit on this connection with the WAL's length in pages; replaces
    // SQLite's automatic checkpoint (which would run inside the committing call).
    void onWalCommit(std::function<void(int walPages)> hook);
    // Copies what it can of the WAL into the database without waiting for writers or readers; the
    // WAL's pages not yet copied, or -1 when another checkpoint was running.
    int checkpointPassive();
    // Copies the whole WAL, starts it again and empties its file: waits for readers in an older
    // snapshot for at most `waitMs` (then -1), and holds up writers meanwhile (for the store's one
    // writer: only itself). The WAL's pages not yet copied, or -1.
    int checkpointTruncate(int waitMs);
    sqlite3* handle() const { return m_db; }
    bool isOpen() const { return m_db != nullptr; }
    const std::string& path() const { return m_path; }
    // Runs `read` on the file at `path` with a descriptor of its own, unless a connection of this
    // process has it open (then returns false without running it). POSIX drops every lock a
    // process holds on a file when any descriptor of it closes: reading a store's header beside an
    // open connection would silently take that connection's locks away, and another process could
    // then checkpoint and reset the WAL under it (writes lost).
    static bool readUnlessOpen(const std::string& path, const std::function<void()>& read);

private:
    sqlite3* m_db = nullptr;
    void registerFile();
    void unregisterFile();
    std::string m_path;
    std::uint64_t m_fileDevice = 0;
    std::uint64_t m_fileInode = 0;
    bool m_fileRegistered = false;
    std::unique_ptr<std::function<void(int)>> m_walHook; // stable address for SQLite's callback
};

// Commits on commit(), rolls back when it goes out of scope without one. A Write transaction
// takes the write lock at once; a Read transaction (BEGIN DEFERRED) gives several queries one
// snapshot of a WAL store, so figures read from different tables agree with each other. A Read
// transaction inside another transaction joins it.
class Transaction
{
public:
    enum class Kind { Write, Read };
    explicit Transaction(Connection& connection, Kind kind = Kind::Write);
    ~Transaction();
    void commit();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

private:
    Connection& m_connection;
    bool m_open = true;
};

} // namespace winnow::sql
