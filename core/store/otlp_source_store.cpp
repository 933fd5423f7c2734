#include "core/store/otlp_source_store.h"

#include "core/store/database.h"

namespace winnow {

namespace {
// OTLP/JSON sources as text, protobuf ones as the bytes they are.
void bindSource(sql::Statement& statement, int index, std::string_view source)
{
    if (!source.empty() && source.front() == '{')
        statement.bind(index, source);
    else
        statement.bindBlob(index, source);
}
} // namespace

OtlpSourceStore::OtlpSourceStore(Database& database) : m_database(database) {}

// A source waits while its seq is in otlp_waiting: committing a trace deletes those small rows
// instead of rewriting each of its sources.
std::vector<OtlpSource> OtlpSourceStore::waiting()
{
    std::vector<OtlpSource> sources;
    sql::Statement select(
        m_database.connection(),
        "SELECT s.trace_id, s.received_ms, s.request FROM otlp_waiting w JOIN otlp_sources s "
        "ON s.seq = w.seq ORDER BY w.seq");
    while (select.step())
        sources.push_back({select.text(0), select.int64(1), select.text(2)});
    return sources;
}

void OtlpSourceStore::addWaiting(const std::vector<OtlpSource>& sources)
{
    sql::Statement insert(m_database.connection(),
                          "INSERT INTO otlp_sources(trace_id, received_ms, request) VALUES(?1, ?2, ?3)");
    sql::Statement wait(m_database.connection(), "INSERT INTO otlp_waiting(seq) VALUES(last_insert_rowid())");
    for (const OtlpSource& source : sources) {
        insert.bind(1, std::string_view(source.traceId)).bind(2, source.receivedMs);
        bindSource(insert, 3, source.request);
        insert.run();
        wait.run();
    }
}

void OtlpSourceStore::commitTraces(
    const std::unordered_map<std::string, std::vector<std::string>>& sourcesByTrace, std::int64_t committedMs)
{
    sql::Statement insert(m_database.connection(),
                          "INSERT INTO otlp_sources(trace_id, received_ms, request) VALUES(?1, ?2, ?3)");
    std::vector<std::string> traceIds;
    traceIds.reserve(sourcesByTrace.size());
    for (const auto& entry : sourcesByTrace)
        traceIds.push_back(entry.first);
    removeTraces(traceIds);
    for (const auto& [traceId, sources] : sourcesByTrace)
        for (const std::string& source : sources) {
            insert.bind(1, std::string_view(traceId)).bind(2, committedMs);
            bindSource(insert, 3, source);
            insert.run();
        }
}

void OtlpSourceStore::markCommitted(const std::vector<std::string>& traceIds)
{
    sql::Statement repeats(
        m_database.connection(),
        "SELECT s.seq FROM otlp_sources s WHERE s.trace_id = ?1 AND EXISTS (SELECT 1 FROM "
        "otlp_waiting w WHERE w.seq = s.seq) AND s.request IN (SELECT c.request FROM "
        "otlp_sources c WHERE c.trace_id = ?1 AND NOT EXISTS (SELECT 1 FROM otlp_waiting w "
        "WHERE w.seq = c.seq))");
    sql::Statement unwait(m_database.connection(), "DELETE FROM otlp_waiting WHERE seq = ?1");
    sql::Statement remove(m_database.connection(), "DELETE FROM otlp_sources WHERE seq = ?1");
    sql::Statement mark(m_database.connection(), "DELETE FROM otlp_waiting WHERE seq IN (SELECT seq FROM "
                                                 "otlp_sources WHERE trace_id = ?1)");
    std::vector<std::int64_t> repeated;
    for (const std::string& traceId : traceIds) {
        repeated.clear();
        repeats.bind(1, std::string_view(traceId));
        while (repeats.step())
            repeated.push_back(repeats.int64(0));
        repeats.reset();
        // Out of the list first: a source's seq may be given again once its row is gone.
        for (const std::int64_t seq : repeated) {
            unwait.bind(1, seq).run();
            remove.bind(1, seq).run();
        }
        mark.bind(1, std::string_view(traceId)).run();
    }
}

std::vector<std::string> OtlpSourceStore::committedSources(const std::string& traceId)
{
    std::vector<std::string> sources;
    sql::Statement select(m_database.connection(),
                          "SELECT request FROM otlp_sources s WHERE trace_id = ?1 AND NOT EXISTS (SELECT 1 "
                          "FROM otlp_waiting w WHERE w.seq = s.seq) ORDER BY seq");
    select.bind(1, std::string_view(traceId));
    while (select.step())
        sources.push_back(select.text(0));
    return sources;
}

bool OtlpSourceStore::hasCommitted()
{
    sql::Statement select(m_database.connection(),
                          "SELECT EXISTS(SELECT 1 FROM otlp_sources s WHERE NOT EXISTS (SELECT 1 FROM "
                          "otlp_waiting w WHERE w.seq = s.seq))");
    return select.step() && select.int64(0) != 0;
}

void OtlpSourceStore::removeTraces(const std::vector<std::string>& traceIds)
{
    sql::Statement unwait(m_database.connection(), "DELETE FROM otlp_waiting WHERE seq IN (SELECT seq FROM "
                                                   "otlp_sources WHERE trace_id = ?1)");
    sql::Statement remove(m_database.connection(), "DELETE FROM otlp_sources WHERE trace_id = ?1");
    for (const std::string& traceId : traceIds) {
        unwait.bind(1, std::string_view(traceId)).run();
        remove.bind(1, std::string_view(traceId)).run();
    }
}

void OtlpSourceStore::forgetInteractions(const std::vector<std::int64_t>& interactionIds)
{
    // An interaction's trace is its metadata's trace_id; a joined run's other traces name it.
    constexpr const char* traces = "WITH head(trace_id) AS (SELECT json_extract(json, '$.trace_id') FROM "
                                   "interaction_metadata WHERE interaction_id = ?1 AND json_valid(json)) ";
    constexpr const char* ofTraces = "(SELECT trace_id FROM head UNION SELECT trace_id FROM otlp_runs WHERE "
                                     "run_trace_id IN (SELECT trace_id FROM head))";
    sql::Statement unwait(m_database.connection(),
                          std::string(traces) +
                              "DELETE FROM otlp_waiting WHERE seq IN (SELECT seq FROM otlp_sources WHERE "
                              "trace_id IN " +
                              ofTraces + ")");
    sql::Statement sources(m_database.connection(),
                           std::string(traces) + "DELETE FROM otlp_sources WHERE trace_id IN " + ofTraces);
    sql::Statement runs(m_database.connection(),
                        std::string(traces) +
                            "DELETE FROM otlp_runs WHERE run_trace_id IN (SELECT trace_id FROM "
                            "head) OR trace_id IN (SELECT trace_id FROM head)");
    for (const std::int64_t id : interactionIds) {
        unwait.bind(1, id).run();
        sources.bind(1, id).run();
        runs.bind(1, id).run();
    }
}

void OtlpSourceStore::saveRuns(const std::vector<OtlpRunRecord>& runs)
{
    sql::Statement upsert(
        m_database.connection(),
        "INSERT OR REPLACE INTO otlp_runs(trace_id, run_trace_id, conversation_hash, agent, "
        "session, user_id, start_ms, end_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    for (const OtlpRunRecord& run : runs) {
        upsert.bind(1, std::string_view(run.traceId)).bind(2, std::string_view(run.runTraceId));
        if (run.conversationHash)
            upsert.bind(3, static_cast<std::int64_t>(*run.conversationHash));
        else
            upsert.bindNull(3);
        upsert.bind(4, std::string_view(run.agent))
            .bind(5, std::string_view(run.session))
            .bind(6, std::string_view(run.user))
            .bind(7, run.startMs)
            .bind(8, run.endMs)
            .run();
    }
}

namespace {
constexpr const char* runColumns = "SELECT trace_id, run_trace_id, conversation_hash, agent, session, "
                                   "user_id, start_ms, end_ms FROM otlp_runs ";

OtlpRunRecord runOf(sql::Statement& select)
{
    OtlpRunRecord run{select.text(0), select.text(1), std::nullopt,    select.text(3),
                      select.text(4), select.text(5), select.int64(6), select.int64(7)};
    if (!select.isNull(2))
        run.conversationHash = static_cast<std::uint64_t>(select.int64(2));
    return run;
}
} // namespace

std::optional<OtlpRunRecord> OtlpSourceStore::run(const std::string& traceId)
{
    sql::Statement select(m_database.connection(), std::string(runColumns) + "WHERE trace_id = ?1");
    select.bind(1, std::string_view(traceId));
    if (!select.step())
        return std::nullopt;
    return runOf(select);
}

std::vector<std::string> OtlpSourceStore::runMembers(const std::string& runTraceId)
{
    std::vector<std::string> members;
    sql::Statement select(m_database.connection(),
                          "SELECT trace_id FROM otlp_runs WHERE run_trace_id = ?1 ORDER BY trace_id");
    select.bind(1, std::string_view(runTraceId));
    while (select.step())
        members.push_back(select.text(0));
    return members;
}

std::vector<OtlpRunRecord> OtlpSourceStore::runsEndingIn(std::uint64_t conversationHash)
{
    std::vector<OtlpRunRecord> runs;
    sql::Statement select(m_database.connection(), std::string(runColumns) + "WHERE conversation_hash = ?1 "
                                                                             "ORDER BY end_ms DESC LIMIT 16");
    select.bind(1, static_cast<std::int64_t>(conversationHash));
    while (select.step())
        runs.push_back(runOf(select));
    return runs;
}

} // namespace winnow
