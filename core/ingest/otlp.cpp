#include "core/ingest/otlp.h"

#include "core/ingest/chat_messages.h"
#include "core/util/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>

namespace winnow {

using simdjson::dom::element;

namespace {

} // namespace

std::string otlp_detail::eventName(const std::string& field, const OtlpAttributes& attributes)
{
    if (!field.empty())
        return field;
    const auto it = attributes.find("event.name");
    return it == attributes.end() ? std::string() : it->second.text;
}

bool otlp_detail::isConversationEvent(std::string_view name)
{
    return name.rfind("gen_ai.", 0) == 0; // else an application's own log line
}

std::string otlp_detail::unjoinable(const OtlpLogRecord& record)
{
    if (record.traceId.empty() || record.spanId.empty())
        return "log record " + record.eventName +
               " without a traceId and spanId: it cannot be joined to its span";
    return {};
}

std::string otlp_detail::hexOf(const unsigned char* bytes, size_t size)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size * 2);
    for (size_t i = 0; i < size; ++i) {
        hex.push_back(digits[bytes[i] >> 4]);
        hex.push_back(digits[bytes[i] & 0xf]);
    }
    return hex;
}

namespace {

bool decodeBase64(std::string_view text, std::string& out)
{
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z')
            return c - 'A';
        if (c >= 'a' && c <= 'z')
            return c - 'a' + 26;
        if (c >= '0' && c <= '9')
            return c - '0' + 52;
        if (c == '+' || c == '-')
            return 62;
        if (c == '/' || c == '_')
            return 63;
        return -1;
    };
    out.clear();
    int buffer = 0, bits = 0;
    for (const char c : text) {
        if (c == '=')
            break;
        const int v = value(c);
        if (v < 0)
            return false;
        buffer = (buffer << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    return true;
}

// Trace and span ids: hex as OTLP/JSON prescribes, base64 as generic proto3 JSON writes bytes, or a
// protobuf.js Buffer dump {"type":"Buffer","data":[...]}.
std::string parseId(element value)
{
    std::string_view text;
    if (!value.get_string().get(text)) {
        const bool isHex = (text.size() == 32 || text.size() == 16) &&
                           std::all_of(text.begin(), text.end(),
                                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
        if (isHex)
            return toLowerAscii(text);
        std::string bytes;
        if ((text.size() == 24 || text.size() == 12) && decodeBase64(text, bytes) &&
            (bytes.size() == 16 || bytes.size() == 8))
            return otlp_detail::hexOf(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
        return toLowerAscii(text);
    }
    simdjson::dom::array data;
    if (!value.at_key("data").get_array().get(data)) {
        std::string bytes;
        for (element b : data) {
            std::int64_t v;
            if (b.get_int64().get(v))
                return {};
            bytes.push_back(static_cast<char>(v & 0xff));
        }
        return otlp_detail::hexOf(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    }
    return {};
}

// 64-bit integers: decimal strings, numbers, or protobuf.js Long {low, high, unsigned}.
bool parseInt64(element value, std::int64_t& out)
{
    std::string_view text;
    if (!value.get_string().get(text)) {
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
        return ec == std::errc() && end == text.data() + text.size();
    }
    if (!value.get_int64().get(out))
        return true;
    std::uint64_t u;
    if (!value.get_uint64().get(u)) {
        out = static_cast<std::int64_t>(u);
        return true;
    }
    double d;
    if (!value.get_double().get(d)) {
        out = static_cast<std::int64_t>(d);
        return true;
    }
    std::int64_t low, high;
    if (!value.at_key("low").get_int64().get(low) && !value.at_key("high").get_int64().get(high)) {
        out = static_cast<std::int64_t>((static_cast<std::uint64_t>(static_cast<std::uint32_t>(high)) << 32) |
                                        static_cast<std::uint32_t>(low));
        return true;
    }
    return false;
}

void appendAnyValueJson(std::string& out, element value);

OtlpAttribute parseAnyValue(element value)
{
    OtlpAttribute attribute;
    element inner;
    std::string_view text;
    if (!value.at_key("stringValue").get_string().get(text)) {
        attribute.text = std::string(text);
    } else if (!value.at_key("intValue").get(inner)) {
        std::int64_t i = 0;
        parseInt64(inner, i);
        attribute.type = OtlpAttribute::Type::Int;
        attribute.number = static_cast<double>(i);
        attribute.text = std::to_string(i);
    } else if (!value.at_key("doubleValue").get(inner)) {
        double d = 0;
        if (inner.get_double().get(d)) {
            std::string_view s;
            if (!inner.get_string().get(s))
                d = std::strtod(std::string(s).c_str(), nullptr);
        }
        attribute.type = OtlpAttribute::Type::Double;
        attribute.number = d;
        attribute.text = simdjson::minify(inner);
    } else if (!value.at_key("boolValue").get(inner)) {
        bool b = false;
        if (inner.get_bool().get(b))
            b = false;
        attribute.type = OtlpAttribute::Type::Bool;
        attribute.number = b ? 1 : 0;
        attribute.text = b ? "true" : "false";
    } else if (!value.at_key("bytesValue").get_string().get(text)) {
        attribute.text = std::string(text);
    } else if (value.at_key("arrayValue").error() == simdjson::SUCCESS ||
               value.at_key("kvlistValue").error() == simdjson::SUCCESS) {
        attribute.type = OtlpAttribute::Type::Json;
        appendAnyValueJson(attribute.text, value);
    } else {
        attribute.type = OtlpAttribute::Type::Json;
        attribute.text = "null";
    }
    return attribute;
}

// Arrays and maps keep their structure as plain JSON (["a","b"], {"k":1}).
void appendAnyValueJson(std::string& out, element value)
{
    simdjson::dom::array values;
    if (!value.at_key("arrayValue").at_key("values").get_array().get(values)) {
        out += '[';
        bool first = true;
        for (element v : values) {
            out += first ? "" : ",";
            first = false;
            appendAnyValueJson(out, v);
        }
        out += ']';
        return;
    }
    if (!value.at_key("kvlistValue").at_key("values").get_array().get(values)) {
        out += '{';
        bool first = true;
        for (element kv : values) {
            std::string_view key;
            element inner;
            if (kv.at_key("key").get_string().get(key) || kv.at_key("value").get(inner))
                continue;
            out += first ? "" : ",";
            first = false;
            appendJsonString(out, key);
            out += ':';
            appendAnyValueJson(out, inner);
        }
        out += '}';
        return;
    }
    if (value.at_key("arrayValue").error() == simdjson::SUCCESS) {
        out += "[]";
        return;
    }
    if (value.at_key("kvlistValue").error() == simdjson::SUCCESS) {
        out += "{}";
        return;
    }
    const OtlpAttribute scalar = parseAnyValue(value);
    if (scalar.type == OtlpAttribute::Type::String)
        appendJsonString(out, scalar.text);
    else
        out += scalar.text;
}

void parseAttributes(element list, OtlpAttributes& into)
{
    simdjson::dom::array attributes;
    if (list.get_array().get(attributes))
        return;
    for (element kv : attributes) {
        std::string_view key;
        element value;
        if (kv.at_key("key").get_string().get(key) || kv.at_key("value").get(value))
            continue;
        into[std::string(key)] = parseAnyValue(value);
    }
}

std::string parseSpan(element span, OtlpSpan& out)
{
    element field;
    if (span.at_key("traceId").get(field))
        return "span without traceId";
    out.traceId = parseId(field);
    if (out.traceId.empty())
        return "span with an unreadable traceId";
    if (!span.at_key("spanId").get(field))
        out.spanId = parseId(field);
    if (!span.at_key("parentSpanId").get(field))
        out.parentSpanId = parseId(field);
    std::string_view name;
    if (!span.at_key("name").get_string().get(name))
        out.name = std::string(name);
    std::int64_t kind = 0;
    if (!span.at_key("kind").get_int64().get(kind))
        out.kind = static_cast<int>(kind);
    if (!span.at_key("startTimeUnixNano").get(field) && !parseInt64(field, out.startNs))
        return "span " + out.spanId + ": startTimeUnixNano is not an integer";
    if (!span.at_key("endTimeUnixNano").get(field) && !parseInt64(field, out.endNs))
        return "span " + out.spanId + ": endTimeUnixNano is not an integer";
    if (!span.at_key("attributes").get(field))
        parseAttributes(field, out.attributes);
    simdjson::dom::array events;
    if (!span.at_key("events").get_array().get(events)) {
        for (element e : events) {
            OtlpEvent event;
            if (!e.at_key("name").get_string().get(name))
                event.name = std::string(name);
            if (!e.at_key("timeUnixNano").get(field))
                parseInt64(field, event.timeNs);
            if (!e.at_key("attributes").get(field))
                parseAttributes(field, event.attributes);
            out.events.push_back(std::move(event));
        }
    }
    element status;
    if (!span.at_key("status").get(status)) {
        std::int64_t code = 0;
        std::string_view codeText;
        if (!status.at_key("code").get_int64().get(code))
            out.statusCode = static_cast<int>(code);
        else if (!status.at_key("code").get_string().get(codeText))
            out.statusCode = codeText == "STATUS_CODE_ERROR" ? 2 : codeText == "STATUS_CODE_OK" ? 1 : 0;
        std::string_view message;
        if (!status.at_key("message").get_string().get(message))
            out.statusMessage = std::string(message);
    }
    return {};
}

// --- assembly -------------------------------------------------------------------------------

const OtlpAttribute* find(const OtlpSpan& span, std::string_view key)
{
    const auto it = span.attributes.find(key);
    return it == span.attributes.end() ? nullptr : &it->second;
}

std::string stringAttr(const OtlpSpan& span, std::initializer_list<std::string_view> keys)
{
    for (const auto key : keys)
        if (const OtlpAttribute* a = find(span, key); a && !a->text.empty())
            return a->text;
    return {};
}

std::optional<double> numberAttr(const OtlpSpan& span, std::initializer_list<std::string_view> keys)
{
    for (const auto key : keys) {
        const OtlpAttribute* a = find(span, key);
        if (!a)
            continue;
        if (a->type != OtlpAttribute::Type::String && a->type != OtlpAttribute::Type::Json)
            return a->number;
        double d = 0;
        const auto [end, ec] = std::from_chars(a->text.data(), a->text.data() + a->text.size(), d);
        if (ec == std::errc())
            return d;
    }
    return std::nullopt;
}

std::string operationOf(const OtlpSpan& span)
{
    return stringAttr(span, {"gen_ai.operation.name"});
}

// The names the GenAI conventions (old and new) and OpenInference give usage and the model.
std::optional<double> inputTokensOf(const OtlpSpan& span)
{
    return numberAttr(span,
                      {"gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"});
}

std::optional<double> outputTokensOf(const OtlpSpan& span)
{
    return numberAttr(
        span, {"gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion"});
}

std::string modelOf(const OtlpSpan& span)
{
    return stringAttr(span, {"gen_ai.response.model", "gen_ai.request.model", "llm.model_name"});
}

bool isInferenceSpan(const OtlpSpan& span)
{
    const std::string operation = operationOf(span);
    if (operation == "chat" || operation == "text_completion" || operation == "generate_content")
        return true;
    return stringAttr(span, {"openinference.span.kind"}) == "LLM";
}

bool isToolSpan(const OtlpSpan& span)
{
    return operationOf(span) == "execute_tool" || stringAttr(span, {"openinference.span.kind"}) == "TOOL";
}

bool isAgentSpan(const OtlpSpan& span)
{
    const std::string operation = operationOf(span);
    return operation == "invoke_agent" || operation == "create_agent" ||
           stringAttr(span, {"openinference.span.kind"}) == "AGENT";
}

// Parses a JSON array of messages (OpenAI or GenAI parts shape) into `into`.
void appendMessagesJson(std::string_view json, Interaction& into)
{
    thread_local simdjson::dom::parser parser;
    simdjson::dom::array array;
    if (parser.parse(json.data(), json.size()).get_array().get(array))
        return;
    appendChatMessages(array, into);
}

// Rebuilds messages logged as flattened attributes: "gen_ai.prompt.N.role",
// "llm.input_messages.N.message.tool_calls.K.tool_call.function.name", ...
void appendFlattenedMessages(const OtlpSpan& span, std::string_view prefix, Interaction& into)
{
    std::map<int, std::map<std::string, const OtlpAttribute*>> byIndex;
    for (auto it = span.attributes.lower_bound(prefix); it != span.attributes.end(); ++it) {
        const std::string_view key = it->first;
        if (key.substr(0, prefix.size()) != prefix)
            break;
        std::string_view rest = key.substr(prefix.size());
        int index = 0;
        const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
        if (ec != std::errc() || end == rest.data() + rest.size() || *end != '.')
            continue;
        std::string suffix(end + 1, rest.data() + rest.size());
        auto erase = [&suffix](std::string_view what) {
            for (size_t at; (at = suffix.find(what)) != std::string::npos;)
                suffix.erase(at, what.size());
        };
        erase("message.");
        erase("tool_call.");
        erase("function.");
        byIndex[index][suffix] = &it->second;
    }
    if (byIndex.empty())
        return;
    std::string json = "[";
    for (const auto& [index, indexFields] : byIndex) {
        const auto& fields = indexFields; // a variable, so that the lambda can capture it
        auto get = [&fields](const std::string& name) -> const OtlpAttribute* {
            const auto f = fields.find(name);
            return f == fields.end() ? nullptr : f->second;
        };
        json += json.size() > 1 ? ",{" : "{";
        json += "\"role\":";
        appendJsonString(json, get("role") ? get("role")->text : std::string("user"));
        std::string content;
        if (const auto* c = get("content"))
            content = c->text;
        for (int m = 0;; ++m) {
            const auto* part = get("contents." + std::to_string(m) + ".message_content.text");
            if (!part)
                break;
            content += content.empty() ? "" : "\n";
            content += part->text;
        }
        json += ",\"content\":";
        appendJsonString(json, content);
        for (const char* key : {"tool_call_id", "name"}) {
            if (const auto* v = get(key)) {
                json += ",\"";
                json += key;
                json += "\":";
                appendJsonString(json, v->text);
            }
        }
        std::string calls;
        for (int k = 0;; ++k) {
            const std::string base = "tool_calls." + std::to_string(k) + ".";
            const auto* name = get(base + "name");
            if (!name)
                break;
            calls += calls.empty() ? "[" : ",";
            calls += "{\"id\":";
            appendJsonString(calls, get(base + "id") ? get(base + "id")->text : std::string());
            calls += ",\"type\":\"function\",\"function\":{\"name\":";
            appendJsonString(calls, name->text);
            calls += ",\"arguments\":";
            appendJsonString(calls, get(base + "arguments") ? get(base + "arguments")->text : std::string());
            calls += "}}";
        }
        if (!calls.empty())
            json += ",\"tool_calls\":" + calls + "]";
        json += '}';
    }
    json += ']';
    appendMessagesJson(json, into);
}

// Deprecated per-message events on the span (gen_ai.user.message, gen_ai.choice, ...).
void appendEventMessages(const OtlpSpan& span, bool outputs, Interaction& into)
{
    static const std::map<std::string, std::string, std::less<>> roles = {
        {"gen_ai.system.message", "system"},
        {"gen_ai.user.message", "user"},
        {"gen_ai.assistant.message", "assistant"},
        {"gen_ai.tool.message", "tool"}};
    for (const OtlpEvent& event : span.events) {
        const bool isChoice = event.name == "gen_ai.choice";
        const auto role = roles.find(event.name);
        if (outputs ? !isChoice : role == roles.end())
            continue;
        auto attr = [&event](std::string_view key) -> const OtlpAttribute* {
            const auto it = event.attributes.find(key);
            return it == event.attributes.end() ? nullptr : &it->second;
        };
        std::string json = "[{\"role\":";
        appendJsonString(json, isChoice ? std::string("assistant") : role->second);
        const OtlpAttribute* message = attr("message");
        if (message && message->type == OtlpAttribute::Type::Json) {
            json = "[" + message->text + "]";
            if (message->text.find("\"role\"") == std::string::npos)
                json.insert(2, "\"role\":\"assistant\",");
            appendMessagesJson(json, into);
            continue;
        }
        json += ",\"content\":";
        appendJsonString(json, attr("content") ? attr("content")->text : std::string());
        if (const auto* id = attr("id"); id && role != roles.end() && role->second == "tool") {
            json += ",\"tool_call_id\":";
            appendJsonString(json, id->text);
        }
        if (const auto* calls = attr("tool_calls"); calls && calls->type == OtlpAttribute::Type::Json)
            json += ",\"tool_calls\":" + calls->text;
        json += "}]";
        appendMessagesJson(json, into);
    }
}

// The messages an inference span saw (input) or produced (output), whichever generation logged them.
void appendShifted(Interaction& into, Interaction&& from);

Interaction spanMessages(const OtlpSpan& span, bool outputs)
{
    Interaction messages;
    const char* current = outputs ? "gen_ai.output.messages" : "gen_ai.input.messages";
    if (const OtlpAttribute* a = find(span, current)) {
        Interaction listed;
        appendMessagesJson(a->text, listed);
        // The system instructions, unless the input lists them already (some instrumentations
        // send them both ways).
        const OtlpAttribute* system = outputs ? nullptr : find(span, "gen_ai.system_instructions");
        if (system && (listed.messages.empty() || listed.messages.front().role != "system")) {
            std::string json = "[{\"role\":\"system\",\"content\":";
            if (system->type == OtlpAttribute::Type::Json && !system->text.empty() && system->text[0] == '[')
                json += system->text;
            else
                appendJsonString(json, system->text);
            json += "}]";
            appendMessagesJson(json, messages);
            appendShifted(messages, std::move(listed));
            return messages;
        }
        return listed;
    }
    appendFlattenedMessages(span, outputs ? "gen_ai.completion." : "gen_ai.prompt.", messages);
    if (messages.messages.empty())
        appendFlattenedMessages(span, outputs ? "llm.output_messages." : "llm.input_messages.", messages);
    if (messages.messages.empty())
        appendEventMessages(span, outputs, messages);
    return messages;
}

void appendShifted(Interaction& into, Interaction&& from)
{
    const int shift = static_cast<int>(into.messages.size());
    for (auto& message : from.messages)
        into.messages.push_back(std::move(message));
    for (auto& call : from.toolCalls) {
        if (call.messageIndex >= 0)
            call.messageIndex += shift;
        if (call.resultMessageIndex >= 0)
            call.resultMessageIndex += shift;
        if (call.messageIndex >= 0)
            joinCallRequest(into, std::move(call));
        else
            mergeToolCall(into, std::move(call));
    }
}

} // namespace

namespace {
std::string decodeJsonLogs(simdjson::dom::array resourceLogs, OtlpDecoded& out);

// A repeated field: absent or null is empty (proto3 JSON); present as anything but an array is
// the wrong type, an error naming it.
std::string repeatedField(element parent, const char* key, simdjson::dom::array& list, bool& present)
{
    element value;
    present = false;
    if (parent.at_key(key).get(value) || value.is_null())
        return {};
    if (value.get_array().get(list))
        return std::string(key) + " is not an array";
    present = true;
    return {};
}

// A span's or log record's source is a request of its own with that one item: its resource and
// scope are the same for every item of a scope, so that part is made once.
std::string sourcePrefix(element resourceItem, element scopeItem, const char* resourceList,
                         const char* scopeList, const char* itemList)
{
    std::string prefix = std::string("{\"") + resourceList + "\":[{";
    element resource, scope;
    if (!resourceItem.at_key("resource").get(resource))
        prefix += "\"resource\":" + simdjson::minify(resource) + ",";
    prefix += std::string("\"") + scopeList + "\":[{";
    if (!scopeItem.at_key("scope").get(scope))
        prefix += "\"scope\":" + simdjson::minify(scope) + ",";
    prefix += std::string("\"") + itemList + "\":[";
    return prefix;
}

std::string sourceOf(const std::string& prefix, element item)
{
    std::string source;
    const std::string minified = simdjson::minify(item);
    source.reserve(prefix.size() + minified.size() + 7);
    source += prefix;
    source += minified;
    source += "]}]}]}";
    return source;
}
} // namespace

std::string OtlpAssembler::addRequest(element request, std::int64_t inputOffset, std::int64_t inputLine)
{
    OtlpDecoded decoded;
    std::string error = decodeOtlpJson(request, m_keepSources, decoded);
    if (!error.empty())
        return error;
    add(std::move(decoded), inputOffset, inputLine);
    return {};
}

std::string decodeOtlpJson(element request, bool keepSources, OtlpDecoded& out)
{
    simdjson::dom::array resourceLogs;
    if (!request.at_key("resourceLogs").get_array().get(resourceLogs))
        return decodeJsonLogs(resourceLogs, out);
    simdjson::dom::array resourceSpans;
    if (request.at_key("resourceSpans").get_array().get(resourceSpans))
        return "not an OTLP request: no resourceSpans or resourceLogs array";
    std::vector<OtlpSpan>& spans = out.spans;
    for (element resourceSpan : resourceSpans) {
        auto resource = std::make_shared<OtlpAttributes>();
        element attributes;
        if (!resourceSpan.at_key("resource").at_key("attributes").get(attributes))
            parseAttributes(attributes, *resource);
        simdjson::dom::array scopeSpans;
        bool present = false;
        if (std::string error = repeatedField(resourceSpan, "scopeSpans", scopeSpans, present); !error.empty())
            return error;
        if (!present) {
            if (std::string error = repeatedField(resourceSpan, "instrumentationLibrarySpans", scopeSpans, present);
                !error.empty())
                return error;
            if (!present)
                continue;
        }
        for (element scopeSpan : scopeSpans) {
            simdjson::dom::array list;
            if (std::string error = repeatedField(scopeSpan, "spans", list, present); !error.empty())
                return error;
            if (!present)
                continue;
            const std::string prefix =
                keepSources ? sourcePrefix(resourceSpan, scopeSpan, "resourceSpans", "scopeSpans", "spans")
                            : "";
            for (element span : list) {
                OtlpSpan parsed;
                std::string error = parseSpan(span, parsed);
                if (!error.empty())
                    return error;
                parsed.resource = resource;
                if (keepSources)
                    parsed.source = sourceOf(prefix, span);
                spans.push_back(std::move(parsed));
            }
        }
    }
    return {};
}

void OtlpAssembler::add(OtlpDecoded decoded, std::int64_t inputOffset, std::int64_t inputLine)
{
    for (OtlpSpan& span : decoded.spans) {
        span.inputOffset = inputOffset;
        span.inputLine = inputLine;
        Trace& trace = m_pending[span.traceId];
        if (m_touched.empty() || m_touched.back() != span.traceId)
            m_touched.push_back(span.traceId);
        trace.newestInputOffset = std::max(trace.newestInputOffset, inputOffset);
        if (span.parentSpanId.empty() && !trace.rootSeen) {
            trace.rootSeen = true;
            if (m_completed.insert(span.traceId).second)
                m_completedOrder.push_back(span.traceId);
        }
        ++m_pendingSpans;
        m_pendingBytes += static_cast<std::int64_t>(span.source.size());
        if (m_recordNewSources)
            m_newSources.emplace_back(span.traceId, span.source);
        trace.spans.push_back(std::move(span));
    }
    m_skippedLogRecords += decoded.skippedLogRecords;
    for (OtlpLogRecord& record : decoded.logs) {
        record.inputOffset = inputOffset;
        record.inputLine = inputLine;
        Trace& trace = m_pending[record.traceId];
        if (m_touched.empty() || m_touched.back() != record.traceId)
            m_touched.push_back(record.traceId);
        trace.newestInputOffset = std::max(trace.newestInputOffset, inputOffset);
        if (!trace.logSources.insert(record.source).second)
            continue; // sent again: read once
        ++m_pendingSpans;
        m_pendingBytes += static_cast<std::int64_t>(record.source.size());
        if (m_recordNewSources)
            m_newSources.emplace_back(record.traceId, record.source);
        trace.logs.push_back(std::move(record));
    }
}

std::vector<std::string> OtlpAssembler::takeTouched()
{
    std::sort(m_touched.begin(), m_touched.end());
    m_touched.erase(std::unique(m_touched.begin(), m_touched.end()), m_touched.end());
    return std::exchange(m_touched, {});
}

namespace {

std::string decodeJsonLogs(simdjson::dom::array resourceLogs, OtlpDecoded& out)
{
    std::vector<OtlpLogRecord>& records = out.logs;
    std::int64_t& skipped = out.skippedLogRecords;
    for (element resourceLog : resourceLogs) {
        auto resource = std::make_shared<OtlpAttributes>();
        element attributes;
        if (!resourceLog.at_key("resource").at_key("attributes").get(attributes))
            parseAttributes(attributes, *resource);
        simdjson::dom::array scopeLogs;
        bool present = false;
        if (std::string error = repeatedField(resourceLog, "scopeLogs", scopeLogs, present); !error.empty())
            return error;
        if (!present)
            continue;
        for (element scopeLog : scopeLogs) {
            simdjson::dom::array list;
            if (std::string error = repeatedField(scopeLog, "logRecords", list, present); !error.empty())
                return error;
            if (!present)
                continue;
            std::string prefix; // made for the first record kept: most are skipped
            for (element record : list) {
                OtlpLogRecord parsed;
                std::string_view name;
                if (!record.at_key("eventName").get_string().get(name))
                    parsed.eventName = std::string(name);
                element field;
                if (!record.at_key("attributes").get(field))
                    parseAttributes(field, parsed.attributes);
                parsed.eventName = otlp_detail::eventName(parsed.eventName, parsed.attributes);
                if (!otlp_detail::isConversationEvent(parsed.eventName)) {
                    ++skipped;
                    continue;
                }
                if (!record.at_key("traceId").get(field))
                    parsed.traceId = parseId(field);
                if (!record.at_key("spanId").get(field))
                    parsed.spanId = parseId(field);
                if (std::string error = otlp_detail::unjoinable(parsed); !error.empty())
                    return error;
                std::int64_t time = 0;
                if (!record.at_key("timeUnixNano").get(field) && parseInt64(field, time) && time > 0)
                    parsed.timeNs = time;
                else if (!record.at_key("observedTimeUnixNano").get(field) && parseInt64(field, time))
                    parsed.timeNs = time;
                // The body's fields are the event's attributes (the older events carry their
                // content there); a body that is not a map is kept whole.
                element body;
                simdjson::dom::array fields;
                if (!record.at_key("body").get(body)) {
                    if (!body.at_key("kvlistValue").at_key("values").get_array().get(fields)) {
                        for (element kv : fields) {
                            std::string_view key;
                            element value;
                            if (kv.at_key("key").get_string().get(key) || kv.at_key("value").get(value))
                                continue;
                            parsed.attributes.try_emplace(std::string(key), parseAnyValue(value));
                        }
                    } else if (body.type() == simdjson::dom::element_type::OBJECT &&
                               body.get_object().size() > 0) {
                        parsed.attributes.try_emplace("body", parseAnyValue(body));
                    }
                }
                parsed.resource = resource;
                if (prefix.empty())
                    prefix = sourcePrefix(resourceLog, scopeLog, "resourceLogs", "scopeLogs", "logRecords");
                parsed.source = sourceOf(prefix, record);
                records.push_back(std::move(parsed));
            }
        }
    }
    return {};
}

} // namespace

void OtlpAssembler::stopWaiting(const Trace& trace)
{
    m_pendingSpans -= static_cast<std::int64_t>(trace.spans.size() + trace.logs.size());
    for (const OtlpSpan& span : trace.spans)
        m_pendingBytes -= static_cast<std::int64_t>(span.source.size());
    for (const OtlpLogRecord& record : trace.logs)
        m_pendingBytes -= static_cast<std::int64_t>(record.source.size());
}

void OtlpAssembler::took(const std::string& traceId, const Trace& trace)
{
    stopWaiting(trace);
    if (m_keepSources) {
        auto& sources = m_takenSources[traceId];
        for (const OtlpSpan& span : trace.spans)
            sources.push_back(span.source);
        for (const OtlpLogRecord& record : trace.logs)
            sources.push_back(record.source);
    }
}

bool OtlpDecoded::hasRootSpan() const
{
    return std::any_of(spans.begin(), spans.end(),
                       [](const OtlpSpan& span) { return span.parentSpanId.empty(); });
}

std::string OtlpAssembler::addSource(std::string_view source, std::int64_t inputOffset)
{
    OtlpDecoded decoded;
    std::string error;
    if (!source.empty() && source.front() == '{') {
        thread_local simdjson::dom::parser parser;
        element request;
        if (parser.parse(source.data(), source.size()).get(request) != simdjson::SUCCESS)
            return "a stored source is not valid JSON";
        error = decodeOtlpJson(request, m_keepSources, decoded);
    } else if (!source.empty()) {
        error = decodeOtlpProtobuf(source.substr(1), source.front() == otlp_detail::protobufLogsMarker,
                                   m_keepSources, decoded);
    }
    if (error.empty())
        add(std::move(decoded), inputOffset);
    return error;
}

Interaction OtlpAssembler::assembleTaken(const std::string& traceId, Trace& trace)
{
    took(traceId, trace);
    m_takenIds.push_back(traceId);
    return assemble(std::move(trace.spans), std::move(trace.logs));
}

std::unordered_map<std::string, std::vector<std::string>> OtlpAssembler::takeTakenSources()
{
    return std::exchange(m_takenSources, {});
}

std::vector<std::string> OtlpAssembler::takeWaiting(const std::string& traceId)
{
    std::vector<std::string> sources;
    const auto it = m_pending.find(traceId);
    if (it == m_pending.end())
        return sources;
    for (const OtlpSpan& span : it->second.spans)
        sources.push_back(span.source);
    for (const OtlpLogRecord& record : it->second.logs)
        sources.push_back(record.source);
    stopWaiting(it->second);
    m_pending.erase(it);
    if (m_completed.erase(traceId))
        std::erase(m_completedOrder, traceId);
    return sources;
}

std::vector<std::string> OtlpAssembler::waitingTraceIds() const
{
    std::vector<std::string> ids;
    ids.reserve(m_pending.size());
    for (const auto& [traceId, trace] : m_pending)
        ids.push_back(traceId);
    return ids;
}

std::vector<std::pair<std::string, std::string>> OtlpAssembler::takeNewSources()
{
    return std::exchange(m_newSources, {});
}

std::vector<Interaction> OtlpAssembler::takeCompleted()
{
    m_takenIds.clear();
    std::vector<Interaction> result;
    for (const std::string& traceId : m_completedOrder) {
        auto it = m_pending.find(traceId);
        if (it == m_pending.end())
            continue;
        result.push_back(assembleTaken(traceId, it->second));
        m_pending.erase(it);
    }
    m_completedOrder.clear();
    m_completed.clear();
    return result;
}

std::vector<Interaction> OtlpAssembler::takeAll()
{
    std::vector<Interaction> result = takeCompleted(); // clears the taken ids
    std::vector<std::pair<std::int64_t, std::string>> order;
    for (const auto& [traceId, trace] : m_pending)
        order.emplace_back(
            trace.spans.empty() ? trace.logs.front().inputOffset : trace.spans.front().inputOffset, traceId);
    std::sort(order.begin(), order.end());
    for (const auto& [offset, traceId] : order)
        result.push_back(assembleTaken(traceId, m_pending[traceId]));
    m_pending.clear();
    return result;
}

std::optional<Interaction> OtlpAssembler::takeAllAsOne()
{
    m_takenIds.clear();
    if (m_pending.empty())
        return std::nullopt;
    std::vector<OtlpSpan> spans;
    std::vector<OtlpLogRecord> logs;
    for (auto& [traceId, trace] : m_pending) {
        took(traceId, trace);
        m_takenIds.push_back(traceId);
        std::move(trace.spans.begin(), trace.spans.end(), std::back_inserter(spans));
        std::move(trace.logs.begin(), trace.logs.end(), std::back_inserter(logs));
    }
    m_pending.clear();
    m_completed.clear();
    m_completedOrder.clear();
    return assemble(std::move(spans), std::move(logs));
}

std::vector<Interaction> OtlpAssembler::takeQuietSince(std::int64_t inputOffset)
{
    std::vector<Interaction> result = takeCompleted();
    for (auto it = m_pending.begin(); it != m_pending.end();) {
        if (it->second.newestInputOffset < inputOffset) {
            result.push_back(assembleTaken(it->first, it->second));
            it = m_pending.erase(it);
        } else {
            ++it;
        }
    }
    return result;
}

OtlpAssembler::InputPosition OtlpAssembler::earliestPending() const
{
    InputPosition earliest;
    for (const auto& [traceId, trace] : m_pending) {
        if (m_completed.count(traceId))
            continue;
        for (const OtlpSpan& span : trace.spans)
            if (earliest.offset < 0 || span.inputOffset < earliest.offset)
                earliest = {span.inputOffset, span.inputLine};
        for (const OtlpLogRecord& record : trace.logs)
            if (earliest.offset < 0 || record.inputOffset < earliest.offset)
                earliest = {record.inputOffset, record.inputLine};
    }
    return earliest;
}

namespace {

// Each GenAI log record becomes an event of its span; the attributes of an operation-details
// record (input and output messages, system instructions) are the span's own where it has none. A
// record whose span never came gets a stand-in inference span, so that its content is kept.
void joinLogRecords(std::vector<OtlpSpan>& spans, std::vector<OtlpLogRecord> logs)
{
    if (logs.empty())
        return;
    // Records of one call are sent one by one and may arrive out of order: their time orders them.
    std::stable_sort(logs.begin(), logs.end(),
                     [](const OtlpLogRecord& a, const OtlpLogRecord& b) { return a.timeNs < b.timeNs; });
    std::unordered_map<std::string, size_t> bySpanId;
    std::unordered_set<size_t> standIns;
    std::unordered_map<std::string, std::string> rootOfTrace;
    for (size_t i = 0; i < spans.size(); ++i) {
        bySpanId.emplace(spans[i].traceId + spans[i].spanId, i);
        if (spans[i].parentSpanId.empty())
            rootOfTrace.try_emplace(spans[i].traceId, spans[i].spanId);
    }
    for (OtlpLogRecord& record : logs) {
        auto at = bySpanId.find(record.traceId + record.spanId);
        if (at == bySpanId.end()) {
            OtlpSpan standIn;
            standIn.traceId = record.traceId;
            standIn.spanId = record.spanId;
            if (const auto root = rootOfTrace.find(record.traceId); root != rootOfTrace.end())
                standIn.parentSpanId = root->second;
            standIn.name = "chat";
            standIn.startNs = standIn.endNs = record.timeNs;
            standIn.attributes["gen_ai.operation.name"].text = "chat";
            standIn.resource = record.resource;
            standIn.inputOffset = record.inputOffset;
            standIn.inputLine = record.inputLine;
            spans.push_back(std::move(standIn));
            standIns.insert(spans.size() - 1);
            at = bySpanId.emplace(record.traceId + record.spanId, spans.size() - 1).first;
        }
        OtlpSpan& span = spans[at->second];
        if (standIns.count(at->second))
            span.endNs = std::max(span.endNs, record.timeNs);
        if (record.eventName == "gen_ai.client.inference.operation.details")
            for (const auto& [key, value] : record.attributes)
                if (key.rfind("gen_ai.", 0) == 0)
                    span.attributes.try_emplace(key, value);
        span.events.push_back({std::move(record.eventName), record.timeNs, std::move(record.attributes)});
    }
}

} // namespace

Interaction OtlpAssembler::assemble(std::vector<OtlpSpan> spans, std::vector<OtlpLogRecord> logs)
{
    // A span sent twice (an exporter retrying) counts once.
    std::unordered_set<std::string> seenSpans;
    std::erase_if(spans, [&seenSpans](const OtlpSpan& span) {
        return !span.spanId.empty() && !seenSpans.insert(span.traceId + span.spanId).second;
    });
    joinLogRecords(spans, std::move(logs));
    std::stable_sort(spans.begin(), spans.end(),
                     [](const OtlpSpan& a, const OtlpSpan& b) { return a.startNs < b.startNs; });
    Interaction out;
    out.key = "trace:" + spans.front().traceId;
    for (const OtlpSpan& span : spans)
        if (const OtlpAttribute* id = find(span, "winnow.interaction.id"); id && !id->text.empty())
            out.key = id->text;
    const OtlpSpan* root = &spans.front();
    for (const OtlpSpan& span : spans)
        if (span.parentSpanId.empty()) {
            root = &span;
            break;
        }

    // Span attributes first (the agent span before the others), then the resource.
    std::vector<const OtlpSpan*> byPreference;
    for (const OtlpSpan& span : spans)
        if (isAgentSpan(span))
            byPreference.push_back(&span);
    byPreference.push_back(root);
    for (const OtlpSpan& span : spans)
        byPreference.push_back(&span);
    auto first = [&](std::initializer_list<std::string_view> keys) {
        for (const OtlpSpan* span : byPreference) {
            std::string value = stringAttr(*span, keys);
            if (!value.empty())
                return value;
        }
        return std::string();
    };
    auto resourceAttr = [&](std::string_view key) {
        if (root->resource) {
            const auto it = root->resource->find(key);
            if (it != root->resource->end())
                return it->second.text;
        }
        return std::string();
    };

    out.session = first({"gen_ai.conversation.id", "session.id"});
    out.user = first({"user.id", "enduser.id", "gen_ai.user.id"});
    out.agent = first({"gen_ai.agent.name"});
    if (out.agent.empty())
        out.agent = resourceAttr("service.name");
    out.agentVersion = first({"gen_ai.agent.version"});
    if (out.agentVersion.empty())
        out.agentVersion = resourceAttr("service.version");
    out.channel = first({"winnow.channel", "channel"});
    out.intent = first({"winnow.intent", "intent"});
    out.outcome = first({"winnow.outcome", "outcome"});

    std::int64_t startNs = spans.front().startNs;
    std::int64_t endNs = 0;
    for (const OtlpSpan& span : spans)
        endNs = std::max(endNs, span.endNs);
    if (startNs > 0)
        out.startMs = startNs / 1000000;
    if (endNs > 0)
        out.endMs = endNs / 1000000;
    // A run joined from several traces lasts from its first span to its last.
    const bool oneTrace = std::all_of(spans.begin(), spans.end(), [&](const OtlpSpan& span) {
        return span.traceId == spans.front().traceId;
    });
    if (oneTrace && root->endNs > root->startNs && root->startNs > 0)
        out.latencyMs = static_cast<double>(root->endNs - root->startNs) / 1e6;
    else if (startNs > 0 && endNs >= startNs)
        out.latencyMs = static_cast<double>(endNs - startNs) / 1e6;

    // Usage: summed over inference spans; an agent span's own totals only when none carries usage.
    std::optional<double> inputTokens, outputTokens, cost;
    auto add = [](std::optional<double>& total, std::optional<double> value) {
        if (value)
            total = total.value_or(0) + *value;
    };
    for (const OtlpSpan& span : spans) {
        if (!isInferenceSpan(span))
            continue;
        add(inputTokens, inputTokensOf(span));
        add(outputTokens, outputTokensOf(span));
        add(cost, numberAttr(span, {"llm.cost.total", "gen_ai.usage.cost"}));
    }
    for (const OtlpSpan* span : byPreference) {
        if (!inputTokens)
            inputTokens = inputTokensOf(*span);
        if (!outputTokens)
            outputTokens = outputTokensOf(*span);
        if (!cost)
            cost = numberAttr(*span, {"winnow.cost_usd", "llm.cost.total"});
    }
    if (inputTokens)
        out.inputTokens = static_cast<std::int64_t>(*inputTokens);
    if (outputTokens)
        out.outputTokens = static_cast<std::int64_t>(*outputTokens);
    out.costUsd = cost;

    if (auto thumb = first({"winnow.feedback.thumb"}); !thumb.empty())
        out.thumb = (thumb == "up" || thumb == "1" || thumb == "true") ? 1 : -1;
    for (const OtlpSpan* span : byPreference)
        if (auto rating = numberAttr(*span, {"winnow.feedback.rating"})) {
            out.rating = rating;
            break;
        }
    out.feedbackComment = first({"winnow.feedback.comment"});

    // The conversation: each inference call sees the history so far; the longest input is the
    // latest context, and every call's output follows it.
    for (const OtlpSpan& span : spans) {
        if (!isInferenceSpan(span))
            continue;
        Interaction input = spanMessages(span, false);
        if (input.messages.size() >= out.messages.size()) {
            out.messages = std::move(input.messages);
            out.toolCalls = std::move(input.toolCalls);
        }
        appendShifted(out, spanMessages(span, true));
        const std::string model = modelOf(span);
        if (!model.empty())
            out.model = model;
    }
    if (out.model.empty())
        out.model = first({"gen_ai.response.model", "gen_ai.request.model", "llm.model_name"});

    for (const OtlpSpan& span : spans) {
        if (!isToolSpan(span))
            continue;
        ToolCall call;
        call.callId = stringAttr(span, {"gen_ai.tool.call.id", "tool_call.id"});
        call.name = stringAttr(span, {"gen_ai.tool.name", "tool.name"});
        call.arguments = stringAttr(span, {"gen_ai.tool.call.arguments", "input.value", "tool.parameters"});
        call.result = stringAttr(span, {"gen_ai.tool.call.result", "output.value"});
        call.status = span.statusCode == 2 ? "error" : "ok";
        call.error = stringAttr(span, {"error.type"});
        if (call.error.empty() && span.statusCode == 2)
            call.error = span.statusMessage;
        if (span.endNs > span.startNs)
            call.latencyMs = static_cast<double>(span.endNs - span.startNs) / 1e6;
        if (call.callId.empty()) {
            // No call id: the first logged call of that name without a span of its own.
            for (auto& existing : out.toolCalls)
                if (existing.name == call.name && !existing.latencyMs && existing.status.empty()) {
                    call.callId = existing.callId;
                    break;
                }
        }
        mergeToolCall(out, std::move(call));
    }

    // Scores: GenAI evaluation events, OpenInference annotations, winnow.score.NAME.
    for (const OtlpSpan& span : spans) {
        for (const OtlpEvent& event : span.events) {
            if (event.name != "gen_ai.evaluation.result")
                continue;
            const auto name = event.attributes.find("gen_ai.evaluation.name");
            const auto value = event.attributes.find("gen_ai.evaluation.score.value");
            if (name != event.attributes.end() && value != event.attributes.end())
                out.scores.push_back({name->second.text, value->second.number});
        }
        for (int n = 0;; ++n) {
            const std::string base = "annotations." + std::to_string(n) + ".annotation.";
            const std::string name = stringAttr(span, {base + "name"});
            if (name.empty())
                break;
            if (auto score = numberAttr(span, {base + "score"}))
                out.scores.push_back({name, *score});
        }
        for (auto it = span.attributes.lower_bound("winnow.score."); it != span.attributes.end(); ++it) {
            if (it->first.rfind("winnow.score.", 0) != 0)
                break;
            out.scores.push_back({it->first.substr(13), it->second.number});
        }
    }

    // Metadata: the producer's own (winnow.metadata, a JSON object) plus where the trace came from.
    std::string metadata = first({"winnow.metadata"});
    thread_local simdjson::dom::parser metadataParser;
    simdjson::dom::object producerMetadata;
    if (!metadata.empty() && !metadataParser.parse(metadata).get(producerMetadata)) {
        metadata = simdjson::minify(producerMetadata);
        metadata.pop_back();
        metadata += metadata.size() > 1 ? "," : "";
    } else {
        metadata = "{";
    }
    metadata += "\"trace_id\":";
    appendJsonString(metadata, spans.front().traceId);
    metadata += ",\"root_span\":";
    appendJsonString(metadata, root->name);
    metadata += ",\"spans\":" + std::to_string(spans.size());
    if (!oneTrace) {
        std::unordered_set<std::string_view> traces;
        for (const OtlpSpan& span : spans)
            traces.insert(span.traceId);
        metadata += ",\"traces\":" + std::to_string(traces.size());
    }
    if (root->statusCode == 2) {
        metadata += ",\"error\":";
        appendJsonString(metadata, root->statusMessage.empty() ? stringAttr(*root, {"error.type"})
                                                               : root->statusMessage);
    }
    if (root->resource) {
        for (const auto& [key, value] : *root->resource) {
            metadata += ',';
            appendJsonString(metadata, "resource." + key);
            metadata += ':';
            appendJsonString(metadata, value.text);
        }
    }
    metadata += '}';
    out.metadataJson = std::move(metadata);

    // The spans themselves, with their timing and status, for the detail pane's waterfall.
    out.spans.reserve(spans.size());
    for (const OtlpSpan& span : spans) {
        SpanRecord record;
        record.spanId = span.spanId;
        record.parentSpanId = span.parentSpanId;
        record.name = span.name;
        record.kind = span.kind;
        record.startNs = span.startNs;
        record.endNs = span.endNs;
        record.statusCode = span.statusCode;
        record.statusMessage = span.statusMessage;
        record.role = isInferenceSpan(span) ? "llm"
                      : isToolSpan(span)    ? "tool"
                      : isAgentSpan(span)   ? "agent"
                                            : "";
        if (record.role == "llm") {
            record.model = modelOf(span);
            if (auto tokens = inputTokensOf(span))
                record.inputTokens = static_cast<std::int64_t>(*tokens);
            if (auto tokens = outputTokensOf(span))
                record.outputTokens = static_cast<std::int64_t>(*tokens);
        }
        if (record.role == "tool")
            record.toolName = stringAttr(span, {"gen_ai.tool.name", "tool.name"});
        out.spans.push_back(std::move(record));
    }
    return out;
}

} // namespace winnow
