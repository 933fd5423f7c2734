#include "core/store/store.h"

#include "core/store/rollups.h"
#include "core/store/row_inserter.h"

#include <QDir>
#include <QStandardPaths>

#include <algorithm>
#include <chrono>
#include <functional>

namespace winnow {

namespace {

std::int64_t nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Each entry migrates the schema from version (index) to (index + 1), inside one transaction.
//
// Index choice (version 1), measured in bench/RESULTS.md: every index is paid for on each insert.
// - The dashboards ask for time ranges, optionally narrowed to an agent and version: interactions
//   are indexed by start time and by (agent, agent_version, start time). Outcome, model, intent and
//   channel have few values and are aggregated inside a time range (issue 3 adds rollups).
// - The writer stores an interaction's messages and tool calls together, so they are contiguous id
//   ranges (first_message_id + message_count): no index on their interaction_id is needed to read
//   a conversation. Deleting interactions (retention, later) must delete those ranges first.
// - Sessions are not indexed: session ids are random text, the costliest index of all, and a
//   session lies within hours, so "the rest of this session" is a time-index range plus a filter.
// - The full-text index lives in its own file (SearchIndex) and is built on the other core.
constexpr const char* migrations[] = {
    R"sql(
CREATE TABLE sources(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    format TEXT,
    offset INTEGER NOT NULL DEFAULT 0,
    line INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    inode INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT NOT NULL DEFAULT '',
    ingested INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0,
    added_ms INTEGER NOT NULL,
    last_activity_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE interactions(
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    source_id INTEGER REFERENCES sources(id),
    start_ms INTEGER,
    end_ms INTEGER,
    latency_ms REAL,
    session TEXT,
    user TEXT,
    agent TEXT,
    agent_version TEXT,
    model TEXT,
    channel TEXT,
    intent TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    outcome TEXT,
    thumb INTEGER,
    rating REAL,
    feedback_comment TEXT,
    first_message_id INTEGER,
    message_count INTEGER NOT NULL DEFAULT 0,
    first_tool_call_id INTEGER,
    tool_call_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX interactions_by_time ON interactions(start_ms);
CREATE INDEX interactions_by_agent ON interactions(agent, agent_version, start_ms);
CREATE TABLE interaction_metadata(
    interaction_id INTEGER PRIMARY KEY REFERENCES interactions(id) ON DELETE CASCADE,
    json TEXT NOT NULL
);
CREATE TABLE scores(
    interaction_id INTEGER NOT NULL REFERENCES interactions(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY(interaction_id, name)
) WITHOUT ROWID;
CREATE TABLE messages(
    id INTEGER PRIMARY KEY,
    interaction_id INTEGER NOT NULL REFERENCES interactions(id),
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT,
    name TEXT,
    tool_call_id TEXT,
    parts_json TEXT
);
CREATE TABLE tool_calls(
    id INTEGER PRIMARY KEY,
    interaction_id INTEGER NOT NULL REFERENCES interactions(id),
    call_id TEXT,
    name TEXT,
    arguments TEXT,
    result TEXT,
    status TEXT,
    error TEXT,
    latency_ms REAL,
    message_seq INTEGER,
    result_message_seq INTEGER
);
CREATE TABLE quarantine(
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    byte_offset INTEGER NOT NULL,
    reason TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    UNIQUE(source_id, byte_offset, reason)
);
CREATE TABLE store_state(
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
-- Identifies this store to its search index (a separate file, see search_index.h).
INSERT INTO store_state(key, value) VALUES('store_id', abs(random()));
CREATE TABLE mapping_profiles(
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL
);
)sql",
    // Version 2: feedback signals. signal_mask has bit (1 << SignalKind) set for each kind found,
    // so rates are a scan of the narrow interactions table; the rows say where and why.
    R"sql(
ALTER TABLE interactions ADD COLUMN signal_mask INTEGER NOT NULL DEFAULT 0;
CREATE TABLE signals(
    interaction_id INTEGER NOT NULL REFERENCES interactions(id),
    kind TEXT NOT NULL,
    message_seq INTEGER NOT NULL,
    confidence REAL NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY(interaction_id, kind, message_seq)
) WITHOUT ROWID;
CREATE INDEX signals_by_kind ON signals(kind, interaction_id);
CREATE TABLE settings(
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
)sql",
    // Version 3: rollups (see rollups.h), filled from the stored interactions by the migration.
    // One row per (hour or day, dimension combination); the combinations are numbered apart.
    R"sql(
CREATE TABLE rollup_dimensions(
    id INTEGER PRIMARY KEY,
    agent TEXT,
    agent_version TEXT,
    model TEXT,
    intent TEXT,
    channel TEXT
);
CREATE TABLE rollups_hourly(
    bucket_ms INTEGER NOT NULL,
    dimensions_id INTEGER NOT NULL,
    interactions INTEGER NOT NULL,
    success INTEGER NOT NULL,
    thumbs_down INTEGER NOT NULL,
    escalation INTEGER NOT NULL,
    correction INTEGER NOT NULL,
    repeat INTEGER NOT NULL,
    partial INTEGER NOT NULL,
    negative_feedback INTEGER NOT NULL,
    tool_error INTEGER NOT NULL,
    latency_count INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    latency_histogram BLOB NOT NULL,
    PRIMARY KEY(bucket_ms, dimensions_id)
) WITHOUT ROWID;
CREATE TABLE rollups_daily(
    bucket_ms INTEGER NOT NULL,
    dimensions_id INTEGER NOT NULL,
    interactions INTEGER NOT NULL,
    success INTEGER NOT NULL,
    thumbs_down INTEGER NOT NULL,
    escalation INTEGER NOT NULL,
    correction INTEGER NOT NULL,
    repeat INTEGER NOT NULL,
    partial INTEGER NOT NULL,
    negative_feedback INTEGER NOT NULL,
    tool_error INTEGER NOT NULL,
    latency_count INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    latency_histogram BLOB NOT NULL,
    PRIMARY KEY(bucket_ms, dimensions_id)
) WITHOUT ROWID;
CREATE TABLE rollup_scores_hourly(
    bucket_ms INTEGER NOT NULL,
    dimensions_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    total REAL NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY(bucket_ms, dimensions_id, name)
) WITHOUT ROWID;
CREATE TABLE rollup_scores_daily(
    bucket_ms INTEGER NOT NULL,
    dimensions_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    total REAL NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY(bucket_ms, dimensions_id, name)
) WITHOUT ROWID;
-- Every latency, by UTC day, then bin, then start time: a percentile reads one bin of each day
-- of its time range. Day first keeps a batch's inserts on few pages (bin first touched a page per
-- bin in every commit: a quarter of the ingest time).
CREATE TABLE latencies(
    day_ms INTEGER NOT NULL,
    bin INTEGER NOT NULL,
    start_ms INTEGER NOT NULL,
    interaction_id INTEGER NOT NULL,
    dimensions_id INTEGER NOT NULL,
    latency_ms REAL NOT NULL,
    PRIMARY KEY(day_ms, bin, start_ms, interaction_id)
) WITHOUT ROWID;
)sql",
};

static_assert(std::size(migrations) == Store::schemaVersion);

} // namespace

std::int64_t signalMask(const std::vector<Signal>& signals)
{
    std::int64_t mask = 0;
    for (const Signal& s : signals)
        mask |= std::int64_t(1) << static_cast<int>(s.kind);
    return mask;
}

struct Store::Writer
{
    explicit Writer(sql::Connection& db)
        : insertInteraction(db, R"sql(
INSERT INTO interactions(key, source_id, start_ms, end_ms, latency_ms, session, user, agent, agent_version,
    model, channel, intent, input_tokens, output_tokens, cost_usd, outcome, thumb, rating, feedback_comment,
    first_message_id, message_count, first_tool_call_id, tool_call_count, signal_mask)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)
ON CONFLICT(key) DO NOTHING)sql"),
          insertScore(db, "INSERT OR REPLACE INTO scores(interaction_id, name, value) VALUES(?1, ?2, ?3)"),
          metadata(db, "INSERT INTO interaction_metadata(interaction_id, json)", 2),
          messages(
              db,
              "INSERT INTO messages(id, interaction_id, seq, role, content, name, tool_call_id, parts_json)",
              8),
          toolCalls(
              db,
              "INSERT INTO tool_calls(id, interaction_id, call_id, name, arguments, result, status, error, "
              "latency_ms, message_seq, result_message_seq)",
              11),
          signals(db, "INSERT OR IGNORE INTO signals(interaction_id, kind, message_seq, confidence, reason)",
                  5),
          insertQuarantine(
              db, "INSERT OR IGNORE INTO quarantine(source_id, line, byte_offset, reason, excerpt, at_ms) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"),
          advanceSource(db,
                        "UPDATE sources SET offset = ?2, line = ?3, ingested = ingested + ?4, "
                        "duplicates = duplicates + ?5, quarantined = quarantined + ?6, last_activity_ms = ?7 "
                        "WHERE id = ?1"),
          rollups(db)
    {
    }
    sql::Statement insertInteraction;
    sql::Statement insertScore;
    RowInserter metadata;
    RowInserter messages;
    RowInserter toolCalls;
    RowInserter signals; // a detector naming the same message twice keeps the first
    sql::Statement insertQuarantine;
    sql::Statement advanceSource;
    RollupWriter rollups;
};

Store::Store(const std::string& path, Mode mode)
    : m_path(path),
      m_db(path, mode == Mode::ReadOnly ? sql::Connection::Mode::ReadOnly : sql::Connection::Mode::ReadWrite)
{
    configure(mode);
    if (mode == Mode::ReadWrite)
        migrate();
    else if (m_db.queryInt("PRAGMA user_version") > schemaVersion)
        throw sql::Error("the store " + path + " was written by a newer Winnow", 0);
}

Store::~Store() = default;

std::string Store::defaultPath()
{
    const QString folder = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(folder);
    return QDir(folder).filePath(QStringLiteral("winnow.db")).toStdString();
}

void Store::configure(Mode mode)
{
    m_db.exec("PRAGMA busy_timeout = 10000");
    m_db.exec("PRAGMA foreign_keys = ON");
    m_db.exec("PRAGMA temp_store = MEMORY");
    m_db.exec("PRAGMA cache_size = -65536");
    if (mode == Mode::ReadWrite) {
        m_db.exec("PRAGMA journal_mode = WAL");
        // Checkpoint every 80 MB of WAL rather than every 4 MB: hot index pages change in every
        // batch, and each checkpoint writes them again (measured: a fifth of ingest time).
        m_db.exec("PRAGMA wal_autocheckpoint = 20000");
        // In WAL mode NORMAL keeps every committed transaction across an application crash; only
        // a power loss can take back the last few, which a re-run restores from the source offset.
        m_db.exec("PRAGMA synchronous = NORMAL");
    }
}

void Store::migrate()
{
    const auto version = m_db.queryInt("PRAGMA user_version");
    if (version > schemaVersion)
        throw sql::Error("the store " + m_path + " was written by a newer Winnow (schema " +
                             std::to_string(version) + ")",
                         0);
    for (auto v = version; v < schemaVersion; ++v) {
        sql::Transaction transaction(m_db);
        m_db.exec(migrations[v]);
        if (v + 1 == 3)
            RollupWriter(m_db).rebuild();
        m_db.exec("PRAGMA user_version = " + std::to_string(v + 1));
        transaction.commit();
    }
}

StoreStats Store::stats()
{
    StoreStats stats;
    stats.interactions = m_db.queryInt("SELECT count(*) FROM interactions");
    stats.messages = m_db.queryInt("SELECT count(*) FROM messages");
    stats.toolCalls = m_db.queryInt("SELECT count(*) FROM tool_calls");
    stats.sources = m_db.queryInt("SELECT count(*) FROM sources");
    stats.quarantined = m_db.queryInt("SELECT count(*) FROM quarantine");
    return stats;
}

namespace {
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
    return state;
}
constexpr const char* sourceColumns =
    "SELECT id, path, format, offset, line, size, inode, fingerprint, ingested, "
    "duplicates, quarantined, last_activity_ms FROM sources ";
} // namespace

SourceState Store::sourceFor(const std::string& path, const std::string& format)
{
    sql::Statement insert(m_db, "INSERT INTO sources(path, format, added_ms) VALUES(?1, ?2, ?3) "
                                "ON CONFLICT(path) DO NOTHING");
    insert.bind(1, path).bindTextOrNull(2, format).bind(3, nowMs()).run();
    sql::Statement select(m_db, std::string(sourceColumns) + "WHERE path = ?1");
    select.bind(1, path);
    if (!select.step())
        throw sql::Error("source vanished: " + path, 0);
    return readSource(select);
}

std::vector<SourceState> Store::sources()
{
    std::vector<SourceState> result;
    sql::Statement select(m_db, std::string(sourceColumns) + "ORDER BY id");
    while (select.step())
        result.push_back(readSource(select));
    return result;
}

void Store::updateSourceIdentity(std::int64_t sourceId, std::int64_t size, std::int64_t inode,
                                 const std::string& fingerprint, bool restart)
{
    sql::Statement update(m_db, "UPDATE sources SET size = ?2, inode = ?3, fingerprint = ?4, "
                                "offset = CASE WHEN ?5 THEN 0 ELSE offset END, "
                                "line = CASE WHEN ?5 THEN 0 ELSE line END WHERE id = ?1");
    update.bind(1, sourceId).bind(2, size).bind(3, inode).bind(4, fingerprint).bind(5, restart ? 1 : 0).run();
}

void Store::setSourceFormat(std::int64_t sourceId, const std::string& format)
{
    sql::Statement update(m_db, "UPDATE sources SET format = ?2 WHERE id = ?1");
    update.bind(1, sourceId).bind(2, format).run();
}

BatchResult Store::writeBatch(const Batch& batch)
{
    return writeBatches({&batch}).front();
}

std::vector<BatchResult> Store::writeBatches(const std::vector<const Batch*>& batches)
{
    if (!m_writer)
        m_writer = std::make_unique<Writer>(m_db);
    std::vector<BatchResult> results;
    sql::Transaction transaction(m_db);
    for (const Batch* batch : batches)
        results.push_back(writeRows(*batch));
    m_writer->rollups.flush();
    transaction.commit();
    return results;
}

BatchResult Store::writeRows(const Batch& batch)
{
    Writer& w = *m_writer;
    BatchResult result;
    // Messages and tool calls get their ids here, so that an interaction's rows form one range.
    std::int64_t nextMessageId = m_db.queryInt("SELECT coalesce(max(id), 0) + 1 FROM messages");
    std::int64_t nextToolCallId = m_db.queryInt("SELECT coalesce(max(id), 0) + 1 FROM tool_calls");
    // Rows of the interactions that were new, written after them in many-row statements.
    struct Child
    {
        std::int64_t id;
        std::int64_t interactionId;
        size_t index;
        const Interaction* parent;
    };
    std::vector<Child> metadataRows, messageRows, toolCallRows, signalRows;

    for (const Interaction& in : batch.interactions) {
        auto& s = w.insertInteraction;
        s.bind(1, in.key);
        if (batch.position.sourceId)
            s.bind(2, batch.position.sourceId);
        s.bind(3, in.startMs).bind(4, in.endMs).bind(5, in.latencyMs);
        s.bindTextOrNull(6, in.session).bindTextOrNull(7, in.user).bindTextOrNull(8, in.agent);
        s.bindTextOrNull(9, in.agentVersion).bindTextOrNull(10, in.model).bindTextOrNull(11, in.channel);
        s.bindTextOrNull(12, in.intent);
        s.bind(13, in.inputTokens).bind(14, in.outputTokens).bind(15, in.costUsd);
        s.bindTextOrNull(16, in.outcome).bind(17, in.thumb).bind(18, in.rating);
        s.bindTextOrNull(19, in.feedbackComment);
        if (!in.messages.empty())
            s.bind(20, nextMessageId);
        s.bind(21, static_cast<std::int64_t>(in.messages.size()));
        if (!in.toolCalls.empty())
            s.bind(22, nextToolCallId);
        s.bind(23, static_cast<std::int64_t>(in.toolCalls.size()));
        const std::int64_t mask = signalMask(in.signals);
        s.bind(24, mask);
        s.run();
        if (m_db.changes() == 0) {
            ++result.duplicates;
            continue;
        }
        ++result.inserted;
        const std::int64_t id = m_db.lastInsertRowId();
        w.rollups.add(id, in, mask);
        if (!in.metadataJson.empty())
            metadataRows.push_back({0, id, 0, &in});
        for (const Score& score : in.scores)
            w.insertScore.bind(1, id).bind(2, score.name).bind(3, score.value).run();
        for (size_t i = 0; i < in.messages.size(); ++i)
            messageRows.push_back({nextMessageId++, id, i, &in});
        for (size_t i = 0; i < in.toolCalls.size(); ++i)
            toolCallRows.push_back({nextToolCallId++, id, i, &in});
        for (size_t i = 0; i < in.signals.size(); ++i)
            signalRows.push_back({0, id, i, &in});
    }
    w.metadata.insert(metadataRows, [](sql::Statement& st, int p, const Child& row) {
        st.bind(p, row.interactionId).bind(p + 1, row.parent->metadataJson);
    });
    w.messages.insert(messageRows, [](sql::Statement& st, int p, const Child& row) {
        const Message& m = row.parent->messages[row.index];
        st.bind(p, row.id).bind(p + 1, row.interactionId).bind(p + 2, static_cast<std::int64_t>(row.index));
        st.bind(p + 3, m.role);
        if (!m.contentIsNull)
            st.bind(p + 4, m.content);
        st.bindTextOrNull(p + 5, m.name)
            .bindTextOrNull(p + 6, m.toolCallId)
            .bindTextOrNull(p + 7, m.partsJson);
    });
    w.toolCalls.insert(toolCallRows, [](sql::Statement& st, int p, const Child& row) {
        const ToolCall& call = row.parent->toolCalls[row.index];
        st.bind(p, row.id).bind(p + 1, row.interactionId).bindTextOrNull(p + 2, call.callId);
        st.bindTextOrNull(p + 3, call.name)
            .bindTextOrNull(p + 4, call.arguments)
            .bindTextOrNull(p + 5, call.result);
        st.bindTextOrNull(p + 6, call.status).bindTextOrNull(p + 7, call.error).bind(p + 8, call.latencyMs);
        if (call.messageIndex >= 0)
            st.bind(p + 9, call.messageIndex);
        if (call.resultMessageIndex >= 0)
            st.bind(p + 10, call.resultMessageIndex);
    });
    w.signals.insert(signalRows, [](sql::Statement& st, int p, const Child& row) {
        const Signal& signal = row.parent->signals[row.index];
        st.bind(p, row.interactionId).bind(p + 1, std::string_view(signalKindName(signal.kind)));
        st.bind(p + 2, signal.messageIndex).bind(p + 3, signal.confidence).bind(p + 4, signal.reason);
    });

    const std::int64_t at = nowMs();
    for (const QuarantinedRecord& q : batch.quarantined) {
        w.insertQuarantine.bind(1, batch.position.sourceId).bind(2, q.line).bind(3, q.byteOffset);
        w.insertQuarantine.bind(4, q.reason).bind(5, q.excerpt).bind(6, at).run();
        result.quarantined += m_db.changes();
    }
    if (batch.position.sourceId) {
        w.advanceSource.bind(1, batch.position.sourceId)
            .bind(2, batch.position.offset)
            .bind(3, batch.position.line);
        w.advanceSource.bind(4, result.inserted)
            .bind(5, result.duplicates)
            .bind(6, result.quarantined)
            .bind(7, at);
        w.advanceSource.run();
    }
    return result;
}

std::optional<std::string> Store::setting(const std::string& key)
{
    sql::Statement select(m_db, "SELECT value FROM settings WHERE key = ?1");
    select.bind(1, key);
    if (!select.step())
        return std::nullopt;
    return select.text(0);
}

void Store::setSetting(const std::string& key, const std::string& value)
{
    sql::Statement upsert(m_db, "INSERT INTO settings(key, value) VALUES(?1, ?2) "
                                "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    upsert.bind(1, key).bind(2, value).run();
}

std::vector<std::pair<std::string, std::int64_t>> Store::signalCounts()
{
    std::vector<std::pair<std::string, std::int64_t>> counts;
    sql::Statement select(m_db, "SELECT kind, count(DISTINCT interaction_id) FROM signals GROUP BY kind");
    while (select.step())
        counts.emplace_back(select.text(0), select.int64(1));
    return counts;
}

std::vector<SignalEntry> Store::signalsOfKind(SignalKind kind, std::int64_t limit)
{
    std::vector<SignalEntry> entries;
    sql::Statement select(m_db,
                          "SELECT i.key, i.start_ms, s.message_seq, s.confidence, s.reason FROM signals s "
                          "JOIN interactions i ON i.id = s.interaction_id WHERE s.kind = ?1 "
                          "ORDER BY s.interaction_id DESC LIMIT ?2");
    select.bind(1, std::string_view(signalKindName(kind))).bind(2, limit);
    while (select.step()) {
        SignalEntry entry;
        entry.interactionKey = select.text(0);
        entry.startMs = select.optionalInt64(1);
        entry.signal = {kind, static_cast<int>(select.int64(2)), select.real(3), select.text(4)};
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::vector<StoredInteraction> Store::interactionsAfter(InteractionCursor& after, std::int64_t limit)
{
    std::vector<StoredInteraction> result;
    sql::Statement select(
        m_db, "SELECT id, key, coalesce(start_ms, -9223372036854775808), session, user, outcome, "
              "thumb, rating, feedback_comment, first_message_id, message_count, first_tool_call_id, "
              "tool_call_count, start_ms FROM interactions "
              "WHERE (coalesce(start_ms, -9223372036854775808), id) > (?1, ?2) "
              "ORDER BY coalesce(start_ms, -9223372036854775808), id LIMIT ?3");
    select.bind(1, after.startMs).bind(2, after.id).bind(3, limit);
    sql::Statement messages(
        m_db, "SELECT role, content, name, tool_call_id FROM messages WHERE id >= ?1 AND id < ?2 "
              "ORDER BY id");
    sql::Statement calls(m_db,
                         "SELECT call_id, name, arguments, result, status, error, latency_ms, message_seq, "
                         "result_message_seq FROM tool_calls WHERE id >= ?1 AND id < ?2 ORDER BY id");
    while (select.step()) {
        StoredInteraction stored;
        stored.id = select.int64(0);
        Interaction& in = stored.interaction;
        in.key = select.text(1);
        after = {select.int64(2), stored.id};
        in.session = select.text(3);
        in.user = select.text(4);
        in.outcome = select.text(5);
        if (!select.isNull(6))
            in.thumb = static_cast<int>(select.int64(6));
        in.rating = select.optionalReal(7);
        in.feedbackComment = select.text(8);
        in.startMs = select.optionalInt64(13);
        if (!select.isNull(9)) {
            messages.bind(1, select.int64(9)).bind(2, select.int64(9) + select.int64(10));
            while (messages.step()) {
                Message m;
                m.role = messages.text(0);
                m.contentIsNull = messages.isNull(1);
                m.content = messages.text(1);
                m.name = messages.text(2);
                m.toolCallId = messages.text(3);
                in.messages.push_back(std::move(m));
            }
            messages.reset();
        }
        if (!select.isNull(11)) {
            calls.bind(1, select.int64(11)).bind(2, select.int64(11) + select.int64(12));
            while (calls.step()) {
                ToolCall c;
                c.callId = calls.text(0);
                c.name = calls.text(1);
                c.arguments = calls.text(2);
                c.result = calls.text(3);
                c.status = calls.text(4);
                c.error = calls.text(5);
                c.latencyMs = calls.optionalReal(6);
                c.messageIndex = calls.isNull(7) ? -1 : static_cast<int>(calls.int64(7));
                c.resultMessageIndex = calls.isNull(8) ? -1 : static_cast<int>(calls.int64(8));
                in.toolCalls.push_back(std::move(c));
            }
            calls.reset();
        }
        result.push_back(std::move(stored));
    }
    return result;
}

void Store::rebuildRollups()
{
    if (!m_writer)
        m_writer = std::make_unique<Writer>(m_db);
    sql::Transaction transaction(m_db);
    m_writer->rollups.rebuild();
    transaction.commit();
}

void Store::replaceSignals(const std::vector<StoredInteraction>& interactions)
{
    if (!m_writer)
        m_writer = std::make_unique<Writer>(m_db);
    RollupWriter& rollups = m_writer->rollups;
    sql::Transaction transaction(m_db);
    sql::Statement remove(m_db, "DELETE FROM signals WHERE interaction_id = ?1");
    sql::Statement mask(m_db, "UPDATE interactions SET signal_mask = ?2 WHERE id = ?1");
    sql::Statement insert(
        m_db, "INSERT OR IGNORE INTO signals(interaction_id, kind, message_seq, confidence, reason) "
              "VALUES(?1, ?2, ?3, ?4, ?5)");
    for (const StoredInteraction& stored : interactions) {
        remove.bind(1, stored.id).run();
        const std::int64_t newMask = signalMask(stored.interaction.signals);
        rollups.changeSignalMask(stored.id, newMask);
        mask.bind(1, stored.id).bind(2, newMask).run();
        for (const Signal& signal : stored.interaction.signals) {
            insert.bind(1, stored.id).bind(2, std::string_view(signalKindName(signal.kind)));
            insert.bind(3, signal.messageIndex).bind(4, signal.confidence).bind(5, signal.reason).run();
        }
    }
    rollups.flush();
    transaction.commit();
}

namespace {
// Filter fields and the SQL condition each becomes; values are always bound parameters.
const std::map<std::string, std::string>& filterConditions()
{
    static const std::map<std::string, std::string> conditions = {
        {"agent", "i.agent IS ?"},
        {"agent_version", "i.agent_version IS ?"},
        {"model", "i.model IS ?"},
        {"intent", "i.intent IS ?"},
        {"channel", "i.channel IS ?"},
        {"outcome", "i.outcome IS ?"},
        {"user", "i.user IS ?"},
        {"session", "i.session IS ?"},
        {"signal", "(i.signal_mask & ?) != 0"},
        {"thumb", "(CASE WHEN i.thumb < 0 THEN -1 WHEN i.thumb > 0 THEN 1 ELSE 0 END) = ?"},
        {"tool", "EXISTS(SELECT 1 FROM tool_calls t WHERE t.id >= i.first_tool_call_id "
                 "AND t.id < i.first_tool_call_id + i.tool_call_count AND t.name = ?)"},
    };
    return conditions;
}

// "WHERE ..." for a filter, and a binder for its values from parameter 1 on.
std::string whereClause(const MetricsFilter& filter)
{
    std::string sql = " WHERE 1";
    if (filter.fromMs)
        sql += " AND i.start_ms >= ?";
    if (filter.toMs)
        sql += " AND i.start_ms < ?";
    for (const auto& [field, value] : filter.where) {
        const auto it = filterConditions().find(field);
        if (it == filterConditions().end())
            throw sql::Error("unknown filter field '" + field + "'", 0);
        sql += " AND " + it->second;
    }
    return sql;
}

void bindFilter(sql::Statement& statement, const MetricsFilter& filter, int p = 1)
{
    if (filter.fromMs)
        statement.bind(p++, *filter.fromMs);
    if (filter.toMs)
        statement.bind(p++, *filter.toMs);
    for (const auto& [field, value] : filter.where) {
        SignalKind kind;
        if (field == "signal" && parseSignalKind(value, kind))
            statement.bind(p++, std::int64_t(1) << static_cast<int>(kind));
        else if (field == "signal")
            throw sql::Error("unknown signal kind '" + value + "'", 0);
        else if (field == "thumb" && (value == "down" || value == "up" || value == "none"))
            statement.bind(p++, std::int64_t(value == "down" ? -1 : value == "up" ? 1 : 0));
        else if (field == "thumb")
            throw sql::Error("thumb is down, up or none, not '" + value + "'", 0);
        else // an empty value asks for the field's absence (stored as NULL): IS matches both
            statement.bindTextOrNull(p++, std::string_view(value));
    }
}
} // namespace

bool MetricsFilter::isField(const std::string& field)
{
    return filterConditions().count(field) > 0;
}

bool MetricsFilter::isDimension(const std::string& field)
{
    return isField(field) && field != "signal" && field != "tool" && field != "thumb";
}

std::vector<MetricRow> Store::metricRows(const MetricsFilter& filter, const std::string& dimension,
                                         const std::string& scoreName)
{
    if (!dimension.empty() && !MetricsFilter::isDimension(dimension))
        throw sql::Error("cannot break down by '" + dimension + "'", 0);
    std::vector<MetricRow> rows;
    // The dimension is a checked column name, never text from the caller.
    const std::string dimensionColumn = dimension.empty() ? std::string("NULL") : "i." + dimension;
    const std::string scoreColumn = scoreName.empty()
                                        ? std::string("NULL")
                                        : "(SELECT s.value FROM scores s WHERE s.interaction_id = i.id "
                                          "AND s.name = ?)";
    sql::Statement select(
        m_db, "SELECT i.start_ms, " + successOutcomeSql("i.outcome") +
                  ", coalesce(i.thumb, 0), i.signal_mask, i.latency_ms, coalesce(i.input_tokens, 0), "
                  "coalesce(i.output_tokens, 0), coalesce(i.cost_usd, 0), " +
                  dimensionColumn + ", " + scoreColumn + " FROM interactions i" + whereClause(filter));
    int firstFilterParameter = 1;
    if (!scoreName.empty())
        select.bind(firstFilterParameter++, std::string_view(scoreName));
    bindFilter(select, filter, firstFilterParameter);
    while (select.step()) {
        MetricRow row;
        row.startMs = select.optionalInt64(0);
        row.success = select.int64(1) != 0;
        row.thumb = static_cast<int>(select.int64(2));
        row.signalMask = select.int64(3);
        row.latencyMs = select.optionalReal(4);
        row.inputTokens = select.int64(5);
        row.outputTokens = select.int64(6);
        row.costUsd = select.real(7);
        row.dimension = select.text(8);
        row.score = select.optionalReal(9);
        rows.push_back(std::move(row));
    }
    return rows;
}

std::map<std::string, std::pair<double, std::int64_t>> Store::scoreTotals(const MetricsFilter& filter)
{
    std::map<std::string, std::pair<double, std::int64_t>> totals;
    sql::Statement select(m_db, "SELECT s.name, sum(s.value), count(*) FROM scores s JOIN interactions i "
                                "ON i.id = s.interaction_id" +
                                    whereClause(filter) + " GROUP BY s.name");
    bindFilter(select, filter);
    while (select.step())
        totals[select.text(0)] = {select.real(1), select.int64(2)};
    return totals;
}

std::int64_t Store::storeId()
{
    return m_db.queryInt("SELECT value FROM store_state WHERE key = 'store_id'");
}

std::vector<QuarantineEntry> Store::quarantine(std::int64_t limit)
{
    std::vector<QuarantineEntry> result;
    sql::Statement select(m_db,
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

void Store::saveProfile(const MappingProfile& profile)
{
    sql::Statement upsert(m_db, "INSERT INTO mapping_profiles(name, spec) VALUES(?1, ?2) "
                                "ON CONFLICT(name) DO UPDATE SET spec = excluded.spec");
    upsert.bind(1, profile.name).bind(2, profile.specJson).run();
}

std::optional<MappingProfile> Store::profile(const std::string& name)
{
    sql::Statement select(m_db, "SELECT name, spec FROM mapping_profiles WHERE name = ?1");
    select.bind(1, name);
    if (!select.step())
        return std::nullopt;
    return MappingProfile{select.text(0), select.text(1)};
}

std::vector<MappingProfile> Store::profiles()
{
    std::vector<MappingProfile> result;
    sql::Statement select(m_db, "SELECT name, spec FROM mapping_profiles ORDER BY name");
    while (select.step())
        result.push_back({select.text(0), select.text(1)});
    return result;
}

bool Store::deleteProfile(const std::string& name)
{
    sql::Statement remove(m_db, "DELETE FROM mapping_profiles WHERE name = ?1");
    remove.bind(1, name).run();
    return m_db.changes() > 0;
}

} // namespace winnow

namespace winnow {

namespace {
constexpr const char* listColumns =
    "SELECT i.id, i.start_ms, i.agent, i.agent_version, i.model, i.intent, i.channel, i.outcome, "
    "i.signal_mask, i.latency_ms, i.cost_usd, (SELECT substr(m.content, 1, 300) FROM messages m "
    "WHERE m.id >= i.first_message_id AND m.id < i.first_message_id + i.message_count "
    "AND m.role = 'user' ORDER BY m.id LIMIT 1) FROM interactions i";

InteractionListRow readListRow(const sql::Statement& s)
{
    InteractionListRow row;
    row.id = s.int64(0);
    row.startMs = s.optionalInt64(1);
    row.agent = s.text(2);
    row.agentVersion = s.text(3);
    row.model = s.text(4);
    row.intent = s.text(5);
    row.channel = s.text(6);
    row.outcome = s.text(7);
    row.signalMask = s.int64(8);
    row.latencyMs = s.optionalReal(9);
    row.costUsd = s.optionalReal(10);
    row.firstUserMessage = s.text(11);
    return row;
}

int filterParameterCount(const MetricsFilter& filter)
{
    return (filter.fromMs ? 1 : 0) + (filter.toMs ? 1 : 0) + static_cast<int>(filter.where.size());
}
} // namespace

std::vector<InteractionListRow> Store::rowsInTimeOrder(const MetricsFilter& filter, TimeOrder order,
                                                       std::int64_t boundaryMs, std::int64_t skip,
                                                       std::int64_t limit)
{
    const bool newestFirst = order == TimeOrder::NewestFirst;
    sql::Statement select(m_db, std::string(listColumns) + whereClause(filter) +
                                    (newestFirst ? " AND i.start_ms < ? ORDER BY i.start_ms DESC, i.id DESC"
                                                 : " AND i.start_ms >= ? ORDER BY i.start_ms, i.id") +
                                    " LIMIT ?");
    bindFilter(select, filter);
    const int next = filterParameterCount(filter) + 1;
    select.bind(next, boundaryMs).bind(next + 1, skip + limit);
    std::vector<InteractionListRow> rows;
    for (std::int64_t seen = 0; select.step(); ++seen)
        if (seen >= skip)
            rows.push_back(readListRow(select));
    return rows;
}

std::vector<InteractionListRow> Store::rowsWithoutStart(const MetricsFilter& filter, std::int64_t skip,
                                                        std::int64_t limit)
{
    if (filter.fromMs || filter.toMs)
        return {};
    sql::Statement select(m_db, std::string(listColumns) + whereClause(filter) +
                                    " AND i.start_ms IS NULL ORDER BY i.id LIMIT ?");
    bindFilter(select, filter);
    select.bind(filterParameterCount(filter) + 1, skip + limit);
    std::vector<InteractionListRow> rows;
    for (std::int64_t seen = 0; select.step(); ++seen)
        if (seen >= skip)
            rows.push_back(readListRow(select));
    return rows;
}

std::vector<InteractionListRow> Store::rowsByIds(const std::vector<std::int64_t>& ids)
{
    std::vector<InteractionListRow> rows;
    sql::Statement select(m_db, std::string(listColumns) + " WHERE i.id = ?1");
    for (std::int64_t id : ids) {
        select.bind(1, id);
        if (select.step())
            rows.push_back(readListRow(select));
        select.reset();
    }
    return rows;
}

std::vector<std::int64_t> Store::idsInSlice(const std::vector<std::int64_t>& ids, const MetricsFilter& filter,
                                            TimeOrder order)
{
    sql::Statement select(m_db,
                          "SELECT i.start_ms FROM interactions i" + whereClause(filter) + " AND i.id = ?");
    const int idParameter = filterParameterCount(filter) + 1;
    bindFilter(select, filter);
    std::vector<std::pair<std::int64_t, std::int64_t>> kept; // (start or a sentinel, id)
    for (std::int64_t id : ids) {
        select.bind(idParameter, id);
        if (select.step()) {
            const auto start = select.optionalInt64(0);
            kept.emplace_back(start ? *start : (order == TimeOrder::NewestFirst ? INT64_MIN : INT64_MAX), id);
        }
        select.reset();
    }
    if (order == TimeOrder::NewestFirst)
        std::sort(kept.begin(), kept.end(), std::greater<>());
    else
        std::sort(kept.begin(), kept.end());
    std::vector<std::int64_t> result;
    result.reserve(kept.size());
    for (const auto& entry : kept)
        result.push_back(entry.second);
    return result;
}

std::map<std::int64_t, std::int64_t> Store::countsByTime(const MetricsFilter& filter, std::int64_t widthMs)
{
    // The slice's parameters come first in the text, so they are numbered first.
    sql::Statement select(
        m_db, "WITH slice(s) AS (SELECT i.start_ms FROM interactions i" + whereClause(filter) +
                  ") SELECT CASE WHEN s IS NULL THEN -9223372036854775808 "
                  "ELSE s - ((s % ?) + ?) % ? END AS bucket, count(*) FROM slice GROUP BY bucket");
    bindFilter(select, filter);
    const int next = filterParameterCount(filter) + 1;
    select.bind(next, widthMs).bind(next + 1, widthMs).bind(next + 2, widthMs);
    std::map<std::int64_t, std::int64_t> counts;
    while (select.step())
        counts[select.int64(0)] = select.int64(1);
    return counts;
}

std::optional<std::pair<std::int64_t, std::int64_t>> Store::startTimeRange()
{
    // Two statements: SQLite answers a lone min() or max() from the index, both together by a scan.
    sql::Statement earliest(m_db, "SELECT min(start_ms) FROM interactions");
    sql::Statement latest(m_db, "SELECT max(start_ms) FROM interactions");
    if (!earliest.step() || earliest.isNull(0) || !latest.step())
        return std::nullopt;
    return std::pair(earliest.int64(0), latest.int64(0));
}

std::optional<InteractionDetail> Store::interactionDetail(std::int64_t id)
{
    sql::Statement select(
        m_db,
        "SELECT i.key, s.path, i.session, i.user, i.agent, i.agent_version, i.model, i.channel, i.intent, "
        "i.start_ms, i.end_ms, i.latency_ms, i.input_tokens, i.output_tokens, i.cost_usd, i.outcome, "
        "i.thumb, i.rating, i.feedback_comment, i.first_message_id, i.message_count, "
        "i.first_tool_call_id, i.tool_call_count, (SELECT json FROM interaction_metadata "
        "WHERE interaction_id = i.id) FROM interactions i LEFT JOIN sources s ON s.id = i.source_id "
        "WHERE i.id = ?1");
    select.bind(1, id);
    if (!select.step())
        return std::nullopt;
    InteractionDetail detail;
    detail.id = id;
    detail.sourcePath = select.text(1);
    Interaction& in = detail.interaction;
    in.key = select.text(0);
    in.session = select.text(2);
    in.user = select.text(3);
    in.agent = select.text(4);
    in.agentVersion = select.text(5);
    in.model = select.text(6);
    in.channel = select.text(7);
    in.intent = select.text(8);
    in.startMs = select.optionalInt64(9);
    in.endMs = select.optionalInt64(10);
    in.latencyMs = select.optionalReal(11);
    in.inputTokens = select.optionalInt64(12);
    in.outputTokens = select.optionalInt64(13);
    in.costUsd = select.optionalReal(14);
    in.outcome = select.text(15);
    if (!select.isNull(16))
        in.thumb = static_cast<int>(select.int64(16));
    in.rating = select.optionalReal(17);
    in.feedbackComment = select.text(18);
    in.metadataJson = select.text(23);
    sql::Statement messages(m_db, "SELECT role, content, name, tool_call_id, parts_json FROM messages "
                                  "WHERE id >= ?1 AND id < ?2 ORDER BY id");
    if (!select.isNull(19)) {
        messages.bind(1, select.int64(19)).bind(2, select.int64(19) + select.int64(20));
        while (messages.step()) {
            Message m;
            m.role = messages.text(0);
            m.contentIsNull = messages.isNull(1);
            m.content = messages.text(1);
            m.name = messages.text(2);
            m.toolCallId = messages.text(3);
            m.partsJson = messages.text(4);
            in.messages.push_back(std::move(m));
        }
    }
    sql::Statement calls(m_db,
                         "SELECT call_id, name, arguments, result, status, error, latency_ms, message_seq, "
                         "result_message_seq FROM tool_calls WHERE id >= ?1 AND id < ?2 ORDER BY id");
    if (!select.isNull(21)) {
        calls.bind(1, select.int64(21)).bind(2, select.int64(21) + select.int64(22));
        while (calls.step()) {
            ToolCall c;
            c.callId = calls.text(0);
            c.name = calls.text(1);
            c.arguments = calls.text(2);
            c.result = calls.text(3);
            c.status = calls.text(4);
            c.error = calls.text(5);
            c.latencyMs = calls.optionalReal(6);
            c.messageIndex = calls.isNull(7) ? -1 : static_cast<int>(calls.int64(7));
            c.resultMessageIndex = calls.isNull(8) ? -1 : static_cast<int>(calls.int64(8));
            in.toolCalls.push_back(std::move(c));
        }
    }
    sql::Statement scores(m_db, "SELECT name, value FROM scores WHERE interaction_id = ?1");
    scores.bind(1, id);
    while (scores.step())
        in.scores.push_back({scores.text(0), scores.real(1)});
    sql::Statement signals(m_db, "SELECT kind, message_seq, confidence, reason FROM signals "
                                 "WHERE interaction_id = ?1 ORDER BY message_seq, kind");
    signals.bind(1, id);
    while (signals.step()) {
        SignalKind kind;
        if (parseSignalKind(signals.textView(0), kind))
            in.signals.push_back(
                {kind, static_cast<int>(signals.int64(1)), signals.real(2), signals.text(3)});
    }
    return detail;
}

} // namespace winnow
