#pragma once
// A Winnow store file and one connection to it. Readers open an existing store and never create
// one; only the StoreWriter (store_writer.h) opens for writing, which creates a missing store and
// migrates an older one. Every failure comes back in plain words with the path: "…/x.db is not a
// Winnow store (not an SQLite database)", "…/x.db is read-only", never a bare SQLite message.
//
// A Database belongs to the thread that opened it (interrupt() excepted). Only core/store sees
// its connection: other layers call the domain modules (interaction_store.h, source_store.h, ...).

#include "core/store/sqlite.h"
#include "core/util/result.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace winnow {

class Database
{
public:
    enum class Access { Read, Write };
    // Opens an existing store to read. A store on a read-only mount is opened immutable. A store
    // of an older schema opens (isCurrent() is false): the writer upgrades it.
    static Result<std::unique_ptr<Database>> openForReading(const std::string& path);
    // Opens the store to write, creating it when missing and migrating an older schema (after
    // telling `beforeUpgrade` the version it upgrades from). For the StoreWriter, which is the
    // only writer of a store in a process.
    static Result<std::unique_ptr<Database>>
    openForWriting(const std::string& path, const std::function<void(int fromVersion)>& beforeUpgrade = {});

    // How a reader opens the SQLite file at `path` (a store or its search index): immutable where
    // nothing can be written (a read-only mount, or a folder we may not write with no WAL file in
    // it: nobody can be writing there; the WAL's shared-memory file could not be made), else
    // read-only.
    static sql::Connection::Mode readingMode(const std::string& path);
    // Whether this user may write the SQLite file at `path`, and the WAL files beside it.
    static bool mayWrite(const std::string& path);

    // ~/.local/share/winnow/winnow.db (the generic data folder); the folder is created when missing.
    static std::string defaultPath();

    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    const std::string& path() const { return m_path; }
    Access access() const { return m_access; }
    // Why the store cannot be written, or empty: a read-only file or mount.
    const std::string& readOnlyReason() const { return m_readOnlyReason; }
    int schemaVersion() const { return m_schemaVersion; }
    // The schema this Winnow reads; else upgradeNeeded() says so.
    bool isCurrent() const;
    Error upgradeNeeded() const;
    // A random number fixed when the store was created; its search index carries it too.
    std::int64_t storeId();

    // Stops the statement running on this connection; safe from any thread.
    void interrupt();
    // Ends a read transaction a failed or interrupted reader left open.
    void endReading();

    // core/store only.
    sql::Connection& connection() { return m_connection; }

private:
    Database(std::string path, Access access);
    std::string m_path;
    Access m_access;
    std::string m_readOnlyReason;
    int m_schemaVersion = 0;
    sql::Connection m_connection;
    std::mutex m_interruptMutex; // interrupt() against closing
};

// Several reads that must agree see one state of the store (a WAL snapshot). Nested snapshots
// and snapshots inside a write transaction join the one already open.
class ReadSnapshot
{
public:
    explicit ReadSnapshot(Database& database);
    ~ReadSnapshot();
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;

private:
    sql::Transaction m_transaction;
};

// The exception being handled (inside a catch block), as an Error: a failure of the store at
// `storePath` in plain words, a Failure as it is, anything else by its message.
Error currentError(const std::string& storePath);

// An SQLite failure on the store at `path`, in plain words ("…/x.db is read-only", "the disk is
// full", ...). core/store only: others receive Errors.
Error storeError(const std::string& path, const sql::Error& error);

} // namespace winnow
