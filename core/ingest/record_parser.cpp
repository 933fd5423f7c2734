#include "core/ingest/record_parser.h"

#include "core/ingest/chat_messages.h"
#include "core/util/text.h"

#include <charconv>
#include <cmath>

namespace winnow {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

std::vector<std::string> splitPath(const std::string& path)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        const size_t dot = path.find('.', start);
        parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos)
            break;
        start = dot + 1;
    }
    return parts;
}

bool resolve(element start, const std::vector<std::string>& path, element& out)
{
    element current = start;
    for (const std::string& part : path) {
        if (current.is_object()) {
            if (current.at_key(part).get(current))
                return false;
        } else if (current.is_array()) {
            size_t index = 0;
            const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
            if (ec != std::errc() || end != part.data() + part.size())
                return false;
            if (current.at(index).get(current))
                return false;
        } else {
            return false;
        }
    }
    if (current.is_null())
        return false;
    out = current;
    return true;
}

const char* typeName(element value)
{
    switch (value.type()) {
    case element_type::ARRAY:
        return "an array";
    case element_type::OBJECT:
        return "an object";
    case element_type::STRING:
        return "a string";
    case element_type::BOOL:
        return "a boolean";
    case element_type::NULL_VALUE:
        return "null";
    default:
        return "a number";
    }
}

std::string numberText(element value)
{
    std::int64_t i;
    if (!value.get_int64().get(i))
        return std::to_string(i);
    std::uint64_t u;
    if (!value.get_uint64().get(u))
        return std::to_string(u);
    return simdjson::minify(value);
}

std::string wrongType(const std::string& field, const char* expected, element value)
{
    return "field \"" + field + "\": expected " + expected + ", found " + typeName(value);
}

} // namespace

RecordParser::Target RecordParser::compile(const std::string& target)
{
    Target compiled{target, {}};
    for (const std::string& path : m_mapping.sourcePathsFor(target)) {
        std::vector<std::string> parts = splitPath(path);
        const auto [it, added] = m_slotOfKey.emplace(parts.front(), static_cast<int>(m_slotOfKey.size()));
        compiled.paths.push_back({it->second, std::vector<std::string>(parts.begin() + 1, parts.end())});
    }
    m_slots.resize(m_slotOfKey.size());
    m_slotFilled.resize(m_slotOfKey.size());
    return compiled;
}

RecordParser::RecordParser(const FieldMapping& mapping) : m_mapping(mapping)
{
    m_id = compile("id");
    m_session = compile("session");
    m_user = compile("user");
    m_agent = compile("agent");
    m_agentVersion = compile("agent_version");
    m_model = compile("model");
    m_channel = compile("channel");
    m_intent = compile("intent");
    m_startTime = compile("start_time");
    m_endTime = compile("end_time");
    m_latency = compile("latency_ms");
    m_inputTokens = compile("input_tokens");
    m_outputTokens = compile("output_tokens");
    m_cost = compile("cost_usd");
    m_outcome = compile("outcome");
    m_feedback = compile("feedback");
    m_thumb = compile("feedback.thumb");
    m_rating = compile("feedback.rating");
    m_comment = compile("feedback.comment");
    m_messages = compile("messages");
    m_toolCalls = compile("tool_calls");
    m_scores = compile("scores");
    m_metadata = compile("metadata");
    for (const auto& [target, source] : mapping.entries()) {
        if (target.rfind("scores.", 0) == 0)
            m_namedScores.emplace_back(target.substr(7), compile(target));
        else if (target.rfind("metadata.", 0) == 0)
            m_namedMetadata.emplace_back(target.substr(9), compile(target));
    }
}

namespace {

struct Reader
{
    const std::vector<element>& slots;
    const std::vector<char>& filled;
    std::string error;

    bool find(const auto& target, element& value) const
    {
        for (const auto& path : target.paths) {
            const auto slot = static_cast<size_t>(path.slot);
            if (filled[slot] && resolve(slots[slot], path.rest, value))
                return true;
        }
        return false;
    }

    // Text fields accept numbers too (agent_version 2, id 12345).
    void text(const auto& target, std::string& out)
    {
        element value;
        if (!error.empty() || !find(target, value))
            return;
        std::string_view s;
        if (!value.get_string().get(s))
            out = std::string(s);
        else if (value.is_number())
            out = numberText(value);
        else
            error = wrongType(target.name, "a string", value);
    }

    template <typename T> void number(const auto& target, std::optional<T>& out)
    {
        element value;
        if (!error.empty() || !find(target, value))
            return;
        double d;
        if (value.get_double().get(d) || !std::isfinite(d)) {
            error = wrongType(target.name, "a number", value);
            return;
        }
        if constexpr (std::is_integral_v<T>) {
            std::int64_t i;
            if (value.get_int64().get(i)) {
                if (d != std::floor(d)) {
                    error =
                        "field \"" + target.name + "\": expected a whole number, found " + numberText(value);
                    return;
                }
                i = static_cast<std::int64_t>(d);
            }
            out = i;
        } else {
            out = d;
        }
    }

    void time(const auto& target, std::optional<std::int64_t>& out)
    {
        element value;
        if (!error.empty() || !find(target, value))
            return;
        std::string_view s;
        double d;
        std::int64_t ms;
        if (!value.get_string().get(s)) {
            if (!parseIsoTimestamp(s, ms)) {
                error = "field \"" + target.name + "\": \"" + excerptOf(s, 60) + "\" is not an ISO 8601 time";
                return;
            }
            out = ms;
        } else if (!value.get_double().get(d)) {
            out = epochNumberToMs(d);
        } else {
            error = wrongType(target.name, "a time (ISO 8601 text or epoch number)", value);
        }
    }
};

bool parseThumb(element value, std::optional<int>& thumb)
{
    bool b;
    std::int64_t i;
    std::string_view s;
    if (!value.get_bool().get(b)) {
        thumb = b ? 1 : -1;
    } else if (!value.get_int64().get(i)) {
        if (i == 0)
            return true;
        thumb = i > 0 ? 1 : -1;
    } else if (!value.get_string().get(s)) {
        const std::string lower = toLowerAscii(s);
        if (lower == "up" || lower == "thumbs_up" || lower == "+1" || lower == "1" || lower == "positive" ||
            lower == "like" || lower == "good")
            thumb = 1;
        else if (lower == "down" || lower == "thumbs_down" || lower == "-1" || lower == "negative" ||
                 lower == "dislike" || lower == "bad")
            thumb = -1;
        else if (!lower.empty() && lower != "none" && lower != "0")
            return false;
    } else {
        return false;
    }
    return true;
}

// An array whose first element reads like a chat message: a speaker and what was said.
bool looksLikeMessages(element value)
{
    simdjson::dom::array array;
    if (value.get_array().get(array) || array.size() == 0)
        return false;
    simdjson::dom::object first;
    if (array.at(0).get_object().get(first))
        return false;
    auto has = [&](std::initializer_list<const char*> keys) {
        for (const char* key : keys)
            if (!first.at_key(key).error())
                return true;
        return false;
    };
    return has({"role", "from", "speaker", "author"}) && has({"content", "value", "text", "message"});
}

std::string findMessages(simdjson::dom::object record)
{
    for (auto [key, value] : record)
        if (looksLikeMessages(value))
            return std::string(key);
    for (auto [key, value] : record) {
        simdjson::dom::object inner;
        if (value.get_object().get(inner))
            continue;
        for (auto [innerKey, innerValue] : inner)
            if (looksLikeMessages(innerValue))
                return std::string(key) + "." + std::string(innerKey);
    }
    return {};
}

} // namespace

std::string RecordParser::parse(element record, std::string_view raw, Interaction& out)
{
    m_messagesHint.clear();
    simdjson::dom::object object;
    if (record.get_object().get(object))
        return std::string("a record must be a JSON object, found ") + typeName(record);
    // One pass over the record's keys instead of a search per target and alias.
    std::fill(m_slotFilled.begin(), m_slotFilled.end(), 0);
    for (auto [key, value] : object) {
        const auto it = m_slotOfKey.find(key);
        if (it != m_slotOfKey.end() && !m_slotFilled[static_cast<size_t>(it->second)]) {
            m_slots[static_cast<size_t>(it->second)] = value;
            m_slotFilled[static_cast<size_t>(it->second)] = 1;
        }
    }
    Reader r{m_slots, m_slotFilled, {}};
    r.text(m_id, out.key);
    r.text(m_session, out.session);
    r.text(m_user, out.user);
    r.text(m_agent, out.agent);
    r.text(m_agentVersion, out.agentVersion);
    r.text(m_model, out.model);
    r.text(m_channel, out.channel);
    r.text(m_intent, out.intent);
    r.time(m_startTime, out.startMs);
    r.time(m_endTime, out.endMs);
    r.number(m_latency, out.latencyMs);
    r.number(m_inputTokens, out.inputTokens);
    r.number(m_outputTokens, out.outputTokens);
    r.number(m_cost, out.costUsd);
    r.text(m_outcome, out.outcome);
    if (!r.error.empty())
        return r.error;

    element value;
    if (r.find(m_feedback, value)) {
        if (value.is_object()) {
            element part;
            if (!value.at_key("thumb").get(part) && !part.is_null() && !parseThumb(part, out.thumb))
                return "field \"feedback.thumb\": expected up/down, true/false or +1/-1";
            if (!value.at_key("rating").get(part) && !part.is_null()) {
                double rating;
                if (part.get_double().get(rating))
                    return wrongType("feedback.rating", "a number", part);
                out.rating = rating;
            }
            std::string_view comment;
            if (!value.at_key("comment").get_string().get(comment))
                out.feedbackComment = std::string(comment);
        } else if (!parseThumb(value, out.thumb)) {
            return "field \"feedback\": expected an object {thumb, rating, comment} or up/down";
        }
    }
    if (r.find(m_thumb, value) && !parseThumb(value, out.thumb))
        return "field \"feedback.thumb\": expected up/down, true/false or +1/-1";
    r.number(m_rating, out.rating);
    r.text(m_comment, out.feedbackComment);
    if (!r.error.empty())
        return r.error;

    if (!r.find(m_messages, value)) {
        m_messagesHint = findMessages(object);
    } else {
        simdjson::dom::array messages;
        if (value.get_array().get(messages))
            return wrongType("messages", "an array", value);
        std::string error = appendChatMessages(messages, out);
        if (!error.empty())
            return error;
    }
    if (r.find(m_toolCalls, value)) {
        simdjson::dom::array calls;
        if (value.get_array().get(calls))
            return wrongType("tool_calls", "an array", value);
        size_t i = 0;
        for (element entry : calls) {
            if (!entry.is_object())
                return "tool_calls[" + std::to_string(i) + "]: expected an object";
            ToolCall call;
            std::string_view s;
            if (!entry.at_key("id").get_string().get(s))
                call.callId = std::string(s);
            if (!entry.at_key("name").get_string().get(s))
                call.name = std::string(s);
            element field;
            if (!entry.at_key("arguments").get(field))
                call.arguments = jsonText(field);
            if (!entry.at_key("result").get(field))
                call.result = jsonText(field);
            if (!entry.at_key("status").get_string().get(s))
                call.status = std::string(s);
            if (!entry.at_key("error").get(field) && !field.is_null()) {
                call.error = jsonText(field);
                if (call.status.empty())
                    call.status = "error";
            }
            double latency;
            if (!entry.at_key("latency_ms").get_double().get(latency))
                call.latencyMs = latency;
            mergeToolCall(out, std::move(call));
            ++i;
        }
    }
    if (r.find(m_scores, value)) {
        simdjson::dom::object scores;
        if (value.get_object().get(scores))
            return wrongType("scores", "an object of numbers", value);
        for (auto [name, score] : scores) {
            double d;
            bool b;
            if (!score.get_double().get(d))
                out.scores.push_back({std::string(name), d});
            else if (!score.get_bool().get(b))
                out.scores.push_back({std::string(name), b ? 1.0 : 0.0});
            else if (!score.is_null())
                return wrongType("scores." + std::string(name), "a number", score);
        }
    }
    for (auto& [name, target] : m_namedScores) {
        std::optional<double> score;
        r.number(target, score);
        if (!r.error.empty())
            return r.error;
        if (score)
            out.scores.push_back({name, *score});
    }

    // Metadata: the record's own object, plus each metadata.NAME mapping.
    std::string metadata;
    if (r.find(m_metadata, value)) {
        if (!value.is_object())
            return wrongType("metadata", "an object", value);
        metadata = simdjson::minify(value);
    }
    if (!m_namedMetadata.empty()) {
        std::string extra;
        for (auto& [name, target] : m_namedMetadata) {
            if (!r.find(target, value))
                continue;
            extra += extra.empty() ? "" : ",";
            appendJsonString(extra, name);
            extra += ':';
            extra += simdjson::minify(value);
        }
        if (!extra.empty()) {
            if (metadata.size() > 2)
                metadata = metadata.substr(0, metadata.size() - 1) + "," + extra + "}";
            else
                metadata = "{" + extra + "}";
        }
    }
    if (metadata != "{}")
        out.metadataJson = std::move(metadata);

    if (!out.latencyMs && out.startMs && out.endMs) // in double: out-of-range times must not overflow
        out.latencyMs = static_cast<double>(*out.endMs) - static_cast<double>(*out.startMs);
    if (out.key.empty())
        out.key = contentKey(raw);
    return {};
}

} // namespace winnow
