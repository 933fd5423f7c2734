#pragma once
// The canonical records every input format is parsed into and the store writes. Plain values:
// they are built on the parser thread and handed whole to the writer. Empty strings mean
// "not present" and are stored as NULL.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winnow {

struct ToolCall
{
    std::string callId;
    std::string name;
    std::string arguments; // JSON text, as logged
    std::string result;
    std::string status; // "ok", "error" or empty when the log does not say
    std::string error;
    std::optional<double> latencyMs;
    int messageIndex = -1; // the assistant message that made the call, -1 if none was logged
    int resultMessageIndex = -1;
    // At ingest: a separately logged record of the call (a top-level entry, a tool span) was
    // joined to it. Call ids repeat in real logs, so joins go by order, not by id alone.
    bool recordJoined = false;
};

struct Message
{
    std::string role;
    std::string content; // text; multi-part content is joined, the parts kept in partsJson
    bool contentIsNull = false;
    std::string name;
    std::string toolCallId;
    std::string partsJson;
};

struct Score
{
    std::string name;
    double value = 0;
};

// Feedback signals (see core/signals): derived from an interaction on the parser thread and
// written with it.
// Appended only: a kind's number is its bit in interactions.signal_mask and its rollup facet.
enum class SignalKind {
    Escalation,
    Correction,
    Repeat,
    Partial,
    NegativeFeedback,
    ToolError,
    HandoffOffered
};
constexpr int signalKindCount = 7;

// The name a kind is stored and shown under.
inline const char* signalKindName(SignalKind kind)
{
    static constexpr const char* names[signalKindCount] = {
        "escalation",        "correction", "repeat",         "partial",
        "negative_feedback", "tool_error", "handoff_offered"};
    return names[static_cast<int>(kind)];
}

inline bool parseSignalKind(std::string_view name, SignalKind& kind)
{
    for (int k = 0; k < signalKindCount; ++k)
        if (name == signalKindName(static_cast<SignalKind>(k))) {
            kind = static_cast<SignalKind>(k);
            return true;
        }
    return false;
}

struct Signal
{
    SignalKind kind = SignalKind::Escalation;
    int messageIndex = -1; // the message it points at, -1 for the interaction as a whole
    double confidence = 1.0;
    std::string reason;
};

// A guardrail rule found in an interaction (core/rules): where (a message, or a tool call's
// arguments or result), the span in code points of that text, and what it matched. Written with
// the interaction, by the version that found it.
struct RuleHit
{
    std::string ruleId;
    std::int64_t version = 0;
    int messageIndex = -1;
    int toolCallIndex = -1;
    std::int64_t start = 0; // code points
    std::int64_t end = 0;
    std::string excerpt;
    bool operator==(const RuleHit&) const = default;
};

// One span of the trace an interaction was assembled from, as it happened: what the detail pane
// draws as a waterfall ("which LLM call was slow, which tool failed").
struct SpanRecord
{
    std::string spanId, parentSpanId, name;
    int kind = 0; // OTLP SpanKind
    std::int64_t startNs = 0, endNs = 0;
    int statusCode = 0; // 0 unset, 1 ok, 2 error
    std::string statusMessage;
    std::string role; // "llm", "tool", "agent" or ""
    std::string model, toolName;
    std::optional<std::int64_t> inputTokens, outputTokens;
};

struct Interaction
{
    std::string key; // stable identity: the logged id, or "h:" + a hash of the record's content
    std::string session;
    std::string user;
    std::string agent;
    std::string agentVersion;
    std::string model;
    std::string channel;
    std::string intent;
    std::optional<std::int64_t> startMs; // milliseconds since the Unix epoch, UTC
    std::optional<std::int64_t> endMs;
    std::optional<double> latencyMs;
    std::optional<std::int64_t> inputTokens;
    std::optional<std::int64_t> outputTokens;
    std::optional<double> costUsd;
    bool costEstimated = false; // from the price table and the tokens, not from the log
    std::string outcome;
    std::optional<int> thumb; // +1 up, -1 down
    std::optional<double> rating;
    std::string feedbackComment;
    std::string metadataJson;      // an object, or empty
    std::vector<SpanRecord> spans; // from traces only, by start time
    std::vector<Score> scores;
    std::vector<Message> messages;
    std::vector<ToolCall> toolCalls;
    std::vector<Signal> signals;
    std::vector<RuleHit> ruleHits;
};

struct QuarantinedRecord
{
    std::int64_t line = 0; // 1-based line, 0 when the record is not line-based
    std::int64_t byteOffset = 0;
    std::string reason;
    std::string excerpt; // valid UTF-8: invalid bytes are written as \xNN
};

// Where a source stands once a batch is committed: the next run resumes from here.
struct SourcePosition
{
    std::int64_t sourceId = 0;
    std::int64_t offset = 0;
    std::int64_t line = 0;
};

} // namespace winnow
