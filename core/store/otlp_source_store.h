#pragma once
// The OTLP requests (one span or log record each) that traces were assembled from. Those of a
// trace still waiting for its root are kept so that a 200 means stored and a restart completes the
// trace; those of a committed trace are kept so that a span or log record arriving later (in
// another request, file or run) is merged into its interaction by assembling the trace again.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace winnow {

class Database;

struct OtlpSource
{
    std::string traceId;
    std::int64_t receivedMs = 0;
    std::string request; // one span or log record as an OTLP/JSON request of its own
};

// A trace in a run of model calls traced one trace each (instrumentation without an agent span):
// its run is named by the run's first trace, which holds the conversation the run ends in.
struct OtlpRunRecord
{
    std::string traceId;
    std::string runTraceId;
    std::optional<std::uint64_t> conversationHash; // on the run's first trace
    std::string agent;
    std::string session;
    std::string user;
    std::int64_t startMs = 0;
    std::int64_t endMs = 0;
};

class OtlpSourceStore
{
public:
    explicit OtlpSourceStore(Database& database);
    std::vector<OtlpSource> waiting(); // in arrival order
    void addWaiting(const std::vector<OtlpSource>& sources);
    // These traces became interactions: their sources, waiting ones included, are all of them now.
    void commitTraces(const std::unordered_map<std::string, std::vector<std::string>>& sourcesByTrace,
                      std::int64_t committedMs);
    // These traces became interactions from sources all stored already (the receiver stores
    // each before it answers): their waiting sources are committed now, but for repeats of one
    // committed before (an exporter's retry), which go.
    void markCommitted(const std::vector<std::string>& traceIds);
    std::vector<std::string> committedSources(const std::string& traceId);
    bool hasCommitted();
    void removeTraces(const std::vector<std::string>& traceIds);
    // These interactions are being deleted (not replaced): the sources and runs of their traces
    // go with them, so that reading the same OTLP input again makes them anew.
    void forgetInteractions(const std::vector<std::int64_t>& interactionIds);

    void saveRuns(const std::vector<OtlpRunRecord>& runs);
    std::optional<OtlpRunRecord> run(const std::string& traceId);
    std::vector<std::string> runMembers(const std::string& runTraceId);      // by trace id
    std::vector<OtlpRunRecord> runsEndingIn(std::uint64_t conversationHash); // the latest first

private:
    Database& m_database;
};

} // namespace winnow
