#include "core/store/pending_span_store.h"

#include "core/store/database.h"

namespace winnow {

PendingSpanStore::PendingSpanStore(Database& database) : m_database(database) {}

std::vector<PendingSpan> PendingSpanStore::all()
{
    std::vector<PendingSpan> spans;
    sql::Statement select(m_database.connection(),
                          "SELECT trace_id, received_ms, request FROM otlp_pending ORDER BY seq");
    while (select.step())
        spans.push_back({select.text(0), select.int64(1), select.text(2)});
    return spans;
}

void PendingSpanStore::add(const std::vector<PendingSpan>& spans)
{
    sql::Statement insert(m_database.connection(),
                          "INSERT INTO otlp_pending(trace_id, received_ms, request) VALUES(?1, ?2, ?3)");
    for (const PendingSpan& span : spans)
        insert.bind(1, std::string_view(span.traceId))
            .bind(2, span.receivedMs)
            .bind(3, std::string_view(span.request))
            .run();
}

void PendingSpanStore::removeTraces(const std::vector<std::string>& traceIds)
{
    sql::Statement remove(m_database.connection(), "DELETE FROM otlp_pending WHERE trace_id = ?1");
    for (const std::string& traceId : traceIds)
        remove.bind(1, std::string_view(traceId)).run();
}

} // namespace winnow
