#pragma once
// Spans the OTLP receiver has acknowledged whose trace is not complete yet (its root has not
// come): kept in the store, so that a 200 means stored and a restart completes the trace.

#include <cstdint>
#include <string>
#include <vector>

namespace winnow {

class Database;

struct PendingSpan
{
    std::string traceId;
    std::int64_t receivedMs = 0;
    std::string request; // the span as an OTLP/JSON request of its own
};

class PendingSpanStore
{
public:
    explicit PendingSpanStore(Database& database);
    std::vector<PendingSpan> all(); // in arrival order
    void add(const std::vector<PendingSpan>& spans);
    // Their traces became interactions.
    void removeTraces(const std::vector<std::string>& traceIds);

private:
    Database& m_database;
};

} // namespace winnow
