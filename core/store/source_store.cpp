#include "core/store/source_store.h"

#include "core/store/database.h"
#include "core/util/text.h"

#include <chrono>

namespace winnow {

namespace {

constexpr const char* sourceColumns =
    "SELECT id, path, format, offset, line, size, inode, fingerprint, ingested, "
    "duplicates, quarantined, last_activity_ms, options FROM sources ";

SourceState readSource(const sql::Statement& s)
{
    SourceState state;
    state.id = s.int64(0);
    state.path = s.text(1);
    state.format = s.text(2);
    state.offset = s.int64(3);
    state.line = s.int64(4);
    state.size = s.int64(5);
    state.inode = s.int64(6);
    state.fingerprint = s.text(7);
    state.ingested = s.int64(8);
    state.duplicates = s.int64(9);
    state.quarantined = s.int64(10);
    state.lastActivityMs = s.int64(11);
    state.optionsJson = s.text(12);
    return state;
}

} // namespace

SourceStore::SourceStore(Database& database) : m_database(database) {}

std::vector<SourceState> SourceStore::sources()
{
    std::vector<SourceState> result;
    sql::Statement select(m_database.connection(), std::string(sourceColumns) + "ORDER BY id");
    while (select.step())
        result.push_back(readSource(select));
    return result;
}

std::optional<SourceState> SourceStore::source(const std::string& path)
{
    sql::Statement select(m_database.connection(), std::string(sourceColumns) + "WHERE path = ?1");
    select.bind(1, path);
    if (!select.step())
        return std::nullopt;
    return readSource(select);
}

std::vector<QuarantineEntry> SourceStore::quarantine(std::int64_t limit)
{
    std::vector<QuarantineEntry> result;
    sql::Statement select(m_database.connection(),
                          "SELECT q.id, s.path, q.line, q.byte_offset, q.reason, q.excerpt FROM quarantine q "
                          "JOIN sources s ON s.id = q.source_id ORDER BY q.id LIMIT ?1");
    select.bind(1, limit);
    while (select.step()) {
        QuarantineEntry entry;
        entry.id = select.int64(0);
        entry.sourcePath = select.text(1);
        entry.record.line = select.int64(2);
        entry.record.byteOffset = select.int64(3);
        entry.record.reason = select.text(4);
        entry.record.excerpt = select.text(5);
        result.push_back(std::move(entry));
    }
    return result;
}

SourceState SourceStore::sourceFor(const std::string& path, const std::string& format)
{
    sql::Statement insert(m_database.connection(),
                          "INSERT INTO sources(path, format, added_ms) VALUES(?1, ?2, ?3) "
                          "ON CONFLICT(path) DO NOTHING");
    insert.bind(1, path).bindTextOrNull(2, format).bind(3, nowMs()).run();
    auto state = source(path);
    if (!state)
        throw Failure("the source " + path + " vanished from the store");
    return *state;
}

void SourceStore::updateIdentity(std::int64_t sourceId, std::int64_t size, std::int64_t inode,
                                 const std::string& fingerprint, bool restart)
{
    sql::Statement update(m_database.connection(),
                          "UPDATE sources SET size = ?2, inode = ?3, fingerprint = ?4, "
                          "offset = CASE WHEN ?5 THEN 0 ELSE offset END, "
                          "line = CASE WHEN ?5 THEN 0 ELSE line END WHERE id = ?1");
    update.bind(1, sourceId).bind(2, size).bind(3, inode).bind(4, fingerprint).bind(5, restart ? 1 : 0).run();
}

void SourceStore::setFormat(std::int64_t sourceId, const std::string& format)
{
    sql::Statement update(m_database.connection(), "UPDATE sources SET format = ?2 WHERE id = ?1");
    update.bind(1, sourceId).bind(2, format).run();
}

void SourceStore::setOptions(std::int64_t sourceId, const std::string& optionsJson)
{
    sql::Statement update(m_database.connection(), "UPDATE sources SET options = ?2 WHERE id = ?1");
    update.bind(1, sourceId).bind(2, optionsJson).run();
}

std::int64_t SourceStore::addQuarantined(std::int64_t sourceId, const std::vector<QuarantinedRecord>& records)
{
    if (records.empty())
        return 0;
    sql::Connection& db = m_database.connection();
    sql::Statement insert(
        db, "INSERT OR IGNORE INTO quarantine(source_id, line, byte_offset, reason, excerpt, at_ms) "
            "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    const std::int64_t at = nowMs();
    std::int64_t added = 0;
    for (const QuarantinedRecord& q : records) {
        insert.bind(1, sourceId).bind(2, q.line).bind(3, q.byteOffset);
        insert.bind(4, q.reason).bind(5, q.excerpt).bind(6, at).run();
        added += db.changes();
    }
    return added;
}

void SourceStore::advance(const SourcePosition& position, std::int64_t ingested, std::int64_t duplicates,
                          std::int64_t quarantined)
{
    sql::Statement update(
        m_database.connection(),
        "UPDATE sources SET offset = ?2, line = ?3, ingested = ingested + ?4, "
        "duplicates = duplicates + ?5, quarantined = quarantined + ?6, last_activity_ms = ?7 "
        "WHERE id = ?1");
    update.bind(1, position.sourceId).bind(2, position.offset).bind(3, position.line);
    update.bind(4, ingested).bind(5, duplicates).bind(6, quarantined).bind(7, nowMs()).run();
}

void SourceStore::reset(std::int64_t sourceId)
{
    sql::Connection& db = m_database.connection();
    sql::Statement quarantined(db, "DELETE FROM quarantine WHERE source_id = ?1");
    quarantined.bind(1, sourceId).run();
    sql::Statement update(db,
                          "UPDATE sources SET offset = 0, line = 0, size = 0, inode = 0, fingerprint = '', "
                          "ingested = 0, duplicates = 0, quarantined = 0 WHERE id = ?1");
    update.bind(1, sourceId).run();
}

void SourceStore::remove(std::int64_t sourceId)
{
    sql::Connection& db = m_database.connection();
    sql::Statement quarantined(db, "DELETE FROM quarantine WHERE source_id = ?1");
    quarantined.bind(1, sourceId).run();
    sql::Statement source(db, "DELETE FROM sources WHERE id = ?1");
    source.bind(1, sourceId).run();
}

} // namespace winnow
