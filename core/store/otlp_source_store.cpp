#include "core/store/otlp_source_store.h"

#include "core/store/database.h"

namespace winnow {

OtlpSourceStore::OtlpSourceStore(Database& database) : m_database(database) {}

std::vector<OtlpSource> OtlpSourceStore::waiting()
{
    std::vector<OtlpSource> sources;
    sql::Statement select(m_database.connection(), "SELECT trace_id, received_ms, request FROM otlp_sources "
                                                   "WHERE committed = 0 ORDER BY seq");
    while (select.step())
        sources.push_back({select.text(0), select.int64(1), select.text(2)});
    return sources;
}

void OtlpSourceStore::addWaiting(const std::vector<OtlpSource>& sources)
{
    sql::Statement insert(m_database.connection(),
                          "INSERT INTO otlp_sources(trace_id, received_ms, request) VALUES(?1, ?2, ?3)");
    for (const OtlpSource& source : sources)
        insert.bind(1, std::string_view(source.traceId))
            .bind(2, source.receivedMs)
            .bind(3, std::string_view(source.request))
            .run();
}

void OtlpSourceStore::commitTraces(
    const std::unordered_map<std::string, std::vector<std::string>>& sourcesByTrace, std::int64_t committedMs)
{
    sql::Statement insert(m_database.connection(), "INSERT INTO otlp_sources(trace_id, received_ms, request, "
                                                   "committed) VALUES(?1, ?2, ?3, 1)");
    std::vector<std::string> traceIds;
    traceIds.reserve(sourcesByTrace.size());
    for (const auto& entry : sourcesByTrace)
        traceIds.push_back(entry.first);
    removeTraces(traceIds);
    for (const auto& [traceId, sources] : sourcesByTrace)
        for (const std::string& source : sources)
            insert.bind(1, std::string_view(traceId))
                .bind(2, committedMs)
                .bind(3, std::string_view(source))
                .run();
}

std::vector<std::string> OtlpSourceStore::committedSources(const std::string& traceId)
{
    std::vector<std::string> sources;
    sql::Statement select(m_database.connection(), "SELECT request FROM otlp_sources WHERE trace_id = ?1 AND "
                                                   "committed = 1 ORDER BY seq");
    select.bind(1, std::string_view(traceId));
    while (select.step())
        sources.push_back(select.text(0));
    return sources;
}

bool OtlpSourceStore::hasCommitted()
{
    sql::Statement select(m_database.connection(),
                          "SELECT EXISTS(SELECT 1 FROM otlp_sources WHERE committed = 1)");
    return select.step() && select.int64(0) != 0;
}

void OtlpSourceStore::removeTraces(const std::vector<std::string>& traceIds)
{
    sql::Statement remove(m_database.connection(), "DELETE FROM otlp_sources WHERE trace_id = ?1");
    for (const std::string& traceId : traceIds)
        remove.bind(1, std::string_view(traceId)).run();
}

} // namespace winnow
