#pragma once
// OTLP/JSON traces and logs (ExportTraceServiceRequest, ExportLogsServiceRequest) to canonical
// interactions. Spans and GenAI log records (message content the official instrumentations send
// as events: gen_ai.user.message, gen_ai.choice, gen_ai.client.inference.operation.details, ...)
// are collected per trace, whichever comes first, and each log record joins its span by span id;
// a trace becomes one interaction when its root span has arrived (children end, and so are
// exported, before their parents) or when the input ends. Understands the OpenTelemetry GenAI
// semantic conventions in their three content generations and OpenInference attributes.
// Lives on the ingest parser thread.

#include "core/store/records.h"

#include <simdjson.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace winnow {

struct OtlpAttribute
{
    enum class Type { String, Int, Double, Bool, Json };
    Type type = Type::String;
    std::string text; // strings as they are; numbers in decimal; arrays and maps as JSON
    double number = 0;
};

using OtlpAttributes = std::map<std::string, OtlpAttribute, std::less<>>;

struct OtlpEvent
{
    std::string name;
    std::int64_t timeNs = 0;
    OtlpAttributes attributes;
};

struct OtlpSpan
{
    std::string traceId; // lowercase hex
    std::string spanId;
    std::string parentSpanId;
    std::string name;
    int kind = 0;
    std::int64_t startNs = 0;
    std::int64_t endNs = 0;
    int statusCode = 0; // 0 unset, 1 ok, 2 error
    std::string statusMessage;
    OtlpAttributes attributes;
    std::vector<OtlpEvent> events;
    std::shared_ptr<const OtlpAttributes> resource;
    std::int64_t inputOffset = 0; // where the request that carried it starts in the input
    std::int64_t inputLine = 0;
    // The span as a request of its own (its resource, scope and itself), kept when the assembler
    // keeps sources: what the receiver stores while the span waits for its trace.
    std::string source;
};

// A GenAI log record: an event of the span it names, whose body's fields (a map body) are read as
// the event's attributes.
struct OtlpLogRecord
{
    std::string traceId;
    std::string spanId;
    std::string eventName; // the eventName field, or the older event.name attribute
    std::int64_t timeNs = 0;
    OtlpAttributes attributes;
    std::shared_ptr<const OtlpAttributes> resource;
    std::int64_t inputOffset = 0;
    std::int64_t inputLine = 0;
    std::string source; // as OtlpSpan::source
};

namespace otlp_detail {
std::string hexOf(const unsigned char* bytes, size_t size);
std::string eventName(const std::string& eventNameField, const OtlpAttributes& attributes);
bool isConversationEvent(std::string_view eventName);
std::string unjoinable(const OtlpLogRecord& record); // why it cannot be joined, or empty
// The first byte of a source kept as protobuf (JSON sources start with '{').
constexpr char protobufTracesMarker = 'T';
constexpr char protobufLogsMarker = 'L';
} // namespace otlp_detail

// The spans and GenAI log records of one request, read but not yet added.
struct OtlpDecoded
{
    std::vector<OtlpSpan> spans;
    std::vector<OtlpLogRecord> logs;
    std::int64_t skippedLogRecords = 0; // log records that are not GenAI events
    std::int64_t items() const { return std::int64_t(spans.size() + logs.size()) + skippedLogRecords; }
    bool hasRootSpan() const;
};

// Reads an OTLP/JSON request (ExportTraceServiceRequest or ExportLogsServiceRequest); an error
// for a request whose shape is wrong, or an empty string. With `keepSources`, each span and log
// record keeps its source.
std::string decodeOtlpJson(simdjson::dom::element request, bool keepSources, OtlpDecoded& out);
// Reads a protobuf ExportTraceServiceRequest (`logs` false) or ExportLogsServiceRequest as it is,
// without a JSON round trip. Sources are kept as protobuf (the request of that one span or log
// record, after a one-byte marker), which the assembler reads back as well as JSON ones.
std::string decodeOtlpProtobuf(std::string_view body, bool logs, bool keepSources, OtlpDecoded& out);

class OtlpAssembler
{
public:
    // Reads the spans of one ExportTraceServiceRequest or the GenAI log records of one
    // ExportLogsServiceRequest (other log records are counted and skipped). Returns an error for a
    // request whose shape is wrong (then nothing of it is kept), or an empty string.
    std::string addRequest(simdjson::dom::element request, std::int64_t inputOffset,
                           std::int64_t inputLine = 0);
    void add(OtlpDecoded decoded, std::int64_t inputOffset, std::int64_t inputLine = 0);
    // A source kept before (OtlpSpan::source), JSON or protobuf.
    std::string addSource(std::string_view source, std::int64_t inputOffset);

    // Interactions of the traces whose root span has arrived.
    std::vector<Interaction> takeCompleted();
    // Every pending trace, root or not (end of input).
    std::vector<Interaction> takeAll();
    // Every pending trace as one interaction (a run joined from several traces).
    std::optional<Interaction> takeAllAsOne();
    // The completed traces and those whose newest span came from input before inputOffset (the
    // OTLP receiver passes arrival times: a trace whose root never comes is kept a while, then
    // taken as it is).
    std::vector<Interaction> takeQuietSince(std::int64_t inputOffset);

    // Where a restart must re-read from to see every span still pending ({-1, 0} when none is).
    struct InputPosition
    {
        std::int64_t offset = -1;
        std::int64_t line = 0;
    };
    InputPosition earliestPending() const;
    size_t pendingTraces() const { return m_pending.size(); }

    // Keep each span's source (OtlpSpan::source) while it waits.
    void keepSources(bool keep) { m_keepSources = keep; }
    // Record the source of every span and log record added (the receiver stores each before it
    // answers, whether its trace waits or is complete), for takeNewSources.
    void recordNewSources(bool record) { m_recordNewSources = record; }
    // The sources recorded since the last call: (trace id, source), in arrival order.
    std::vector<std::pair<std::string, std::string>> takeNewSources();
    // The sources of the spans of each trace the take* calls took since the last call.
    std::unordered_map<std::string, std::vector<std::string>> takeTakenSources();
    // Takes a waiting trace out (it is merged elsewhere): its spans' sources.
    std::vector<std::string> takeWaiting(const std::string& traceId);
    std::vector<std::string> waitingTraceIds() const;
    std::int64_t pendingSpans() const { return m_pendingSpans; } // log records included
    // The traces added to since the last call (once each): those committed before are late
    // arrivals to merge.
    std::vector<std::string> takeTouched();
    bool hasTouched() const { return !m_touched.empty(); }
    // Traces whose root span has arrived, not taken yet.
    size_t completedTraces() const { return m_completedOrder.size(); }
    // The trace ids of the interactions the last take* call returned, in the same order.
    const std::vector<std::string>& lastTakenTraceIds() const { return m_takenIds; }
    std::int64_t skippedLogRecords() const { return m_skippedLogRecords; }
    std::int64_t pendingSourceBytes() const { return m_pendingBytes; }

    static Interaction assemble(std::vector<OtlpSpan> spans, std::vector<OtlpLogRecord> logs = {});

private:
    struct Trace
    {
        std::vector<OtlpSpan> spans;
        std::vector<OtlpLogRecord> logs;
        std::unordered_set<std::string> logSources; // a record sent twice is read once
        bool rootSeen = false;
        std::int64_t newestInputOffset = 0;
    };
    void stopWaiting(const Trace& trace); // the pending counts without it
    void took(const std::string& traceId, const Trace& trace);
    Interaction assembleTaken(const std::string& traceId, Trace& trace);
    std::unordered_map<std::string, Trace> m_pending;
    std::vector<std::string> m_completedOrder;
    std::unordered_set<std::string> m_completed;
    bool m_keepSources = false;
    bool m_recordNewSources = false;
    std::vector<std::pair<std::string, std::string>> m_newSources;
    std::unordered_map<std::string, std::vector<std::string>> m_takenSources;
    std::int64_t m_pendingSpans = 0;
    std::int64_t m_pendingBytes = 0;
    std::vector<std::string> m_touched;
    std::vector<std::string> m_takenIds;
    std::int64_t m_skippedLogRecords = 0;
};

} // namespace winnow
