#include "core/ingest/canonical_json.h"

#include "core/util/text.h"

#include <cmath>
#include <cstdio>

namespace winnow {

namespace {

struct ObjectWriter
{
    std::string& out;
    bool first = true;
    void key(const char* name)
    {
        out += first ? "" : ",";
        first = false;
        appendJsonString(out, name);
        out += ':';
    }
    void text(const char* name, const std::string& value)
    {
        if (value.empty())
            return;
        key(name);
        appendJsonString(out, value);
    }
    void number(const char* name, std::optional<double> value)
    {
        if (!value)
            return;
        key(name);
        out += numberText(*value);
    }
    void raw(const char* name, const std::string& json)
    {
        if (json.empty())
            return;
        key(name);
        out += json;
    }
};

std::optional<double> asDouble(const std::optional<std::int64_t>& value)
{
    return value ? std::optional<double>(static_cast<double>(*value)) : std::nullopt;
}

// A call's arguments are kept as the JSON string OpenAI logs them as.
void appendMessage(std::string& out, const Interaction& interaction, size_t index)
{
    const Message& m = interaction.messages[index];
    out += '{';
    ObjectWriter w{out};
    w.text("role", m.role);
    w.key("content");
    if (m.contentIsNull)
        out += "null";
    else if (!m.partsJson.empty() && m.partsJson.front() == '[' && m.role != "tool")
        out += m.partsJson;
    else
        appendJsonString(out, m.content);
    w.text("name", m.name);
    w.text("tool_call_id", m.toolCallId);
    std::string calls;
    for (const ToolCall& call : interaction.toolCalls) {
        if (call.messageIndex != static_cast<int>(index))
            continue;
        calls += calls.empty() ? "[" : ",";
        calls += "{\"id\":";
        appendJsonString(calls, call.callId);
        calls += ",\"type\":\"function\",\"function\":{\"name\":";
        appendJsonString(calls, call.name);
        calls += ",\"arguments\":";
        appendJsonString(calls, call.arguments);
        calls += "}}";
    }
    if (!calls.empty())
        w.raw("tool_calls", calls + "]");
    out += '}';
}

} // namespace

std::string canonicalJson(const Interaction& in)
{
    std::string out = "{";
    ObjectWriter w{out};
    w.text("id", in.key);
    w.text("session", in.session);
    w.text("user", in.user);
    w.text("agent", in.agent);
    w.text("agent_version", in.agentVersion);
    w.text("model", in.model);
    w.text("channel", in.channel);
    w.text("intent", in.intent);
    if (in.startMs)
        w.text("start_time", formatIsoTimestamp(*in.startMs));
    if (in.endMs)
        w.text("end_time", formatIsoTimestamp(*in.endMs));
    w.number("latency_ms", in.latencyMs);
    w.number("input_tokens", asDouble(in.inputTokens));
    w.number("output_tokens", asDouble(in.outputTokens));
    w.number("cost_usd", in.costUsd);
    w.text("outcome", in.outcome);
    if (in.thumb || in.rating || !in.feedbackComment.empty()) {
        w.key("feedback");
        out += '{';
        ObjectWriter f{out};
        if (in.thumb)
            f.text("thumb", *in.thumb > 0 ? "up" : "down");
        f.number("rating", in.rating);
        f.text("comment", in.feedbackComment);
        out += '}';
    }
    if (!in.scores.empty()) {
        w.key("scores");
        out += '{';
        ObjectWriter s{out};
        for (const Score& score : in.scores)
            s.number(score.name.c_str(), score.value);
        out += '}';
    }
    w.raw("metadata", in.metadataJson);
    w.key("messages");
    out += '[';
    for (size_t i = 0; i < in.messages.size(); ++i) {
        if (i)
            out += ',';
        appendMessage(out, in, i);
    }
    out += ']';
    // What OpenAI messages cannot say about a call (status, error, latency) goes in tool_calls.
    std::string extra;
    for (const ToolCall& call : in.toolCalls) {
        if (call.status.empty() && call.error.empty() && !call.latencyMs)
            continue;
        extra += extra.empty() ? "[" : ",";
        extra += '{';
        ObjectWriter c{extra};
        c.text("id", call.callId);
        c.text("name", call.name);
        c.text("status", call.status);
        c.text("error", call.error);
        c.number("latency_ms", call.latencyMs);
        extra += '}';
    }
    if (!extra.empty())
        w.raw("tool_calls", extra + "]");
    out += '}';
    return out;
}

} // namespace winnow
