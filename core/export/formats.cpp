#include "core/export/formats.h"

#include "core/ingest/canonical_json.h"
#include "core/util/text.h"

#include <simdjson.h>

#include <array>
#include <cmath>
#include <set>

namespace winnow {

namespace {

constexpr std::array<const char*, exportFormatCount> formatNames = {
    "openai-chat", "openai-preference", "trl-sft", "trl-dpo", "trl-kto", "eval", "jsonl", "csv"};
constexpr std::array<const char*, leftOutCount> leftOutNames = {
    "no_label",          "unsure",           "not_adjudicated",     "fail_without_correction",
    "pass_not_used",     "no_assistant_turn", "arguments_not_object"};

// One message of a conversation as OpenAI (and TRL) write it.
struct ChatCall
{
    std::string id, name, arguments; // arguments: JSON text as it will be written
};
struct ChatTurn
{
    std::string role;
    std::optional<std::string> content; // none: null (an assistant turn that only calls tools)
    std::string name, toolCallId;
    std::vector<ChatCall> calls;
    std::optional<int> weight;
};

simdjson::dom::parser& threadParser()
{
    thread_local simdjson::dom::parser parser;
    return parser;
}

// A call's arguments in the asked style: a JSON string, or the object itself (minified); none when
// an object is asked for and the arguments are not one.
std::optional<std::string> argumentsText(const std::string& logged, ArgumentsStyle style)
{
    const std::string text = logged.empty() ? std::string("{}") : logged;
    if (style == ArgumentsStyle::String)
        return jsonString(text);
    simdjson::dom::element element;
    if (threadParser().parse(text).get(element) || !element.is_object())
        return std::nullopt;
    return simdjson::minify(element);
}

std::string callId(const ToolCall& call, size_t index)
{
    return call.callId.empty() ? "call_" + std::to_string(index) : call.callId;
}

class Conversation
{
public:
    Conversation(const Interaction& in, ArgumentsStyle style) : m_in(in), m_style(style)
    {
        m_callsOf.resize(in.messages.size());
        for (size_t c = 0; c < in.toolCalls.size(); ++c) {
            const int at = in.toolCalls[c].messageIndex;
            if (at >= 0 && at < static_cast<int>(in.messages.size()))
                m_callsOf[size_t(at)].push_back(c);
        }
    }

    bool argumentsFailed() const { return m_argumentsFailed; }

    // The assistant message at `index` as a turn (its text and the calls it made); none when it
    // says nothing and calls nothing.
    std::optional<ChatTurn> assistantTurn(size_t index)
    {
        const Message& message = m_in.messages[index];
        ChatTurn turn;
        turn.role = "assistant";
        if (!message.content.empty())
            turn.content = message.content;
        for (const size_t c : m_callsOf[index]) {
            const ToolCall& call = m_in.toolCalls[c];
            std::optional<std::string> arguments = argumentsText(call.arguments, m_style);
            if (!arguments) {
                m_argumentsFailed = true;
                arguments = "{}";
            }
            turn.calls.push_back({callId(call, c), call.name, std::move(*arguments)});
        }
        if (!turn.content && turn.calls.empty())
            return std::nullopt;
        return turn;
    }

    // The messages before `end` as turns: system, user, assistant and tool messages (others are
    // not part of a training conversation), a result logged only on its call as a tool turn after
    // the call, empty turns left out.
    std::vector<ChatTurn> turnsBefore(size_t end)
    {
        std::vector<ChatTurn> turns;
        end = std::min(end, m_in.messages.size());
        for (size_t m = 0; m < end; ++m) {
            const Message& message = m_in.messages[m];
            if (message.role == "assistant") {
                std::optional<ChatTurn> turn = assistantTurn(m);
                if (!turn)
                    continue;
                turns.push_back(std::move(*turn));
                for (const size_t c : m_callsOf[m]) {
                    const ToolCall& call = m_in.toolCalls[c];
                    if (call.resultMessageIndex >= 0 || (call.result.empty() && call.error.empty()))
                        continue;
                    ChatTurn result;
                    result.role = "tool";
                    result.toolCallId = callId(call, c);
                    result.content = call.result.empty() ? call.error : call.result;
                    turns.push_back(std::move(result));
                }
            } else if (message.role == "tool") {
                ChatTurn turn;
                turn.role = "tool";
                turn.content = message.content;
                turn.toolCallId = message.toolCallId;
                for (size_t c = 0; c < m_in.toolCalls.size(); ++c)
                    if (m_in.toolCalls[c].resultMessageIndex == static_cast<int>(m))
                        turn.toolCallId = callId(m_in.toolCalls[c], c);
                if (!turn.toolCallId.empty())
                    turns.push_back(std::move(turn));
            } else if ((message.role == "system" || message.role == "user") && !message.content.empty()) {
                ChatTurn turn;
                turn.role = message.role;
                turn.content = message.content;
                turn.name = message.name;
                turns.push_back(std::move(turn));
            }
        }
        return turns;
    }

private:
    const Interaction& m_in;
    ArgumentsStyle m_style;
    std::vector<std::vector<size_t>> m_callsOf;
    bool m_argumentsFailed = false;
};

void appendTurn(std::string& out, const ChatTurn& turn)
{
    out += "{\"role\":";
    appendJsonString(out, turn.role);
    out += ",\"content\":";
    if (turn.content)
        appendJsonString(out, *turn.content);
    else
        out += "null";
    if (!turn.name.empty()) {
        out += ",\"name\":";
        appendJsonString(out, turn.name);
    }
    if (!turn.calls.empty()) {
        out += ",\"tool_calls\":[";
        for (size_t c = 0; c < turn.calls.size(); ++c) {
            out += c ? ",{\"id\":" : "{\"id\":";
            appendJsonString(out, turn.calls[c].id);
            out += ",\"type\":\"function\",\"function\":{\"name\":";
            appendJsonString(out, turn.calls[c].name);
            out += ",\"arguments\":";
            out += turn.calls[c].arguments;
            out += "}}";
        }
        out += "]";
    }
    if (!turn.toolCallId.empty()) {
        out += ",\"tool_call_id\":";
        appendJsonString(out, turn.toolCallId);
    }
    if (turn.weight)
        out += ",\"weight\":" + std::to_string(*turn.weight);
    out += "}";
}

std::string turnsJson(const std::vector<ChatTurn>& turns)
{
    std::string out = "[";
    for (size_t t = 0; t < turns.size(); ++t) {
        if (t)
            out += ",";
        appendTurn(out, turns[t]);
    }
    return out + "]";
}

ChatTurn answer(const std::string& text)
{
    ChatTurn turn;
    turn.role = "assistant";
    turn.content = text;
    return turn;
}

bool hasAssistant(const std::vector<ChatTurn>& turns)
{
    for (const ChatTurn& turn : turns)
        if (turn.role == "assistant")
            return true;
    return false;
}

// The assistant message a label judges: its turn, else the message that made its tool call, else
// the default; -1 when that is not an assistant message.
int judgedTurn(const Interaction& in, const Label* label)
{
    int turn = -1;
    if (label && label->turn)
        turn = *label->turn;
    else if (label && label->toolCall && *label->toolCall >= 0 &&
             *label->toolCall < static_cast<int>(in.toolCalls.size()))
        turn = in.toolCalls[size_t(*label->toolCall)].messageIndex;
    if (turn < 0 || turn >= static_cast<int>(in.messages.size()) || in.messages[size_t(turn)].role != "assistant")
        turn = defaultJudgedTurn(in);
    if (turn < 0 || in.messages[size_t(turn)].role != "assistant")
        return -1;
    return turn;
}

// A spreadsheet runs a cell that begins with = + - @ (or a tab or carriage return before one) as a
// formula: a user's message can be made to do that in an analyst's Excel. Such text cells get a
// leading apostrophe, which spreadsheets show as text and do not print.
std::string spreadsheetSafe(const std::string& text)
{
    if (!text.empty() && std::string_view("=+-@\t\r").find(text.front()) != std::string_view::npos)
        return "'" + text;
    return text;
}

std::string csvField(std::string_view text)
{
    if (text.find_first_of(",\"\r\n") == std::string_view::npos)
        return std::string(text);
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

std::string number(std::optional<double> value)
{
    return value ? numberText(*value) : std::string();
}

std::string csvRow(const ExportSubject& subject)
{
    const Interaction& in = *subject.interaction;
    std::string signals, rules, firstUser, lastAssistant;
    for (const Signal& signal : in.signals)
        if (signals.find(signalKindName(signal.kind)) == std::string::npos)
            signals += (signals.empty() ? "" : ";") + std::string(signalKindName(signal.kind));
    std::set<std::string> ruleIds;
    for (const RuleHit& hit : in.ruleHits)
        ruleIds.insert(hit.ruleId);
    for (const std::string& id : ruleIds)
        rules += (rules.empty() ? "" : ";") + id;
    for (const Message& message : in.messages) {
        if (message.role == "user" && firstUser.empty())
            firstUser = message.content;
        if (message.role == "assistant" && !message.content.empty())
            lastAssistant = message.content;
    }
    std::string categories;
    for (const std::string& name : subject.categories)
        categories += (categories.empty() ? "" : ";") + name;
    const Label* label = subject.label;
    const std::vector<std::string> fields = {
        in.key,
        in.startMs ? formatIsoTimestamp(*in.startMs) : std::string(),
        in.session,
        in.agent,
        in.agentVersion,
        in.model,
        in.intent,
        in.channel,
        in.outcome,
        signals,
        rules,
        label && label->verdict ? verdictName(*label->verdict) : "",
        categories,
        label && label->severity ? std::to_string(*label->severity) : std::string(),
        label && label->corrected ? *label->corrected : std::string(),
        firstUser,
        lastAssistant,
        number(in.latencyMs),
        number(in.inputTokens ? std::optional<double>(double(*in.inputTokens)) : std::nullopt),
        number(in.outputTokens ? std::optional<double>(double(*in.outputTokens)) : std::nullopt),
        number(in.costUsd),
    };
    // The last four columns are numbers Winnow wrote; every other cell holds logged or typed text.
    const size_t firstNumber = fields.size() - 4;
    std::string row;
    for (size_t f = 0; f < fields.size(); ++f) {
        if (f)
            row += ',';
        row += csvField(f < firstNumber ? spreadsheetSafe(fields[f]) : fields[f]);
    }
    return row;
}

constexpr std::array<const char*, 21> csvColumns = {
    "interaction_id", "start_time",   "session",      "agent",       "agent_version", "model",
    "intent",         "channel",      "outcome",      "signals",     "rule_hits",     "verdict",
    "categories",     "severity",     "corrected",    "first_user_message", "last_assistant_message",
    "latency_ms",     "input_tokens", "output_tokens", "cost_usd"};

std::string jsonlRecord(const ExportSubject& subject)
{
    const Interaction& in = *subject.interaction;
    std::string out = canonicalJson(in);
    out.pop_back(); // the closing brace: Winnow's own findings follow
    out += ",\"winnow\":{\"interaction_id\":" + std::to_string(subject.id);
    out += ",\"signals\":[";
    for (size_t s = 0; s < in.signals.size(); ++s) {
        const Signal& signal = in.signals[s];
        out += s ? ",{\"kind\":" : "{\"kind\":";
        appendJsonString(out, signalKindName(signal.kind));
        out += ",\"message\":" + std::to_string(signal.messageIndex) + ",\"reason\":";
        appendJsonString(out, signal.reason);
        out += "}";
    }
    out += "],\"rule_hits\":[";
    for (size_t h = 0; h < in.ruleHits.size(); ++h) {
        const RuleHit& hit = in.ruleHits[h];
        out += h ? ",{\"rule\":" : "{\"rule\":";
        appendJsonString(out, hit.ruleId);
        out += ",\"version\":" + std::to_string(hit.version) + ",\"message\":" + std::to_string(hit.messageIndex) +
               ",\"tool_call\":" + std::to_string(hit.toolCallIndex) + ",\"start\":" + std::to_string(hit.start) +
               ",\"end\":" + std::to_string(hit.end) + "}";
    }
    out += "]";
    if (!subject.labelJson.empty())
        out += ",\"label\":" + subject.labelJson;
    return out + "}}";
}

std::string dedupeTextOf(const Interaction& in, const Label* label)
{
    std::string text;
    for (const Message& message : in.messages)
        if ((message.role == "user" || message.role == "assistant") && !message.content.empty()) {
            text += message.content;
            text += '\n';
        }
    if (label && label->corrected)
        text += *label->corrected;
    return text;
}

} // namespace

const char* exportFormatName(ExportFormat format)
{
    return formatNames[static_cast<size_t>(format)];
}

std::optional<ExportFormat> parseExportFormat(std::string_view name)
{
    for (int f = 0; f < exportFormatCount; ++f)
        if (name == formatNames[size_t(f)])
            return static_cast<ExportFormat>(f);
    return std::nullopt;
}

std::string exportFormatList()
{
    std::string list;
    for (const char* name : formatNames)
        list += (list.empty() ? "" : ", ") + std::string(name);
    return list;
}

bool formatNeedsLabel(ExportFormat format)
{
    return format != ExportFormat::Jsonl && format != ExportFormat::Csv;
}

const char* fileExtension(ExportFormat format)
{
    return format == ExportFormat::Csv ? "csv" : "jsonl";
}

ArgumentsStyle defaultArgumentsStyle(ExportFormat format)
{
    return format == ExportFormat::TrlSft || format == ExportFormat::TrlDpo || format == ExportFormat::TrlKto
               ? ArgumentsStyle::Object
               : ArgumentsStyle::String;
}

const char* argumentsStyleName(ArgumentsStyle style)
{
    return style == ArgumentsStyle::Object ? "object" : "string";
}

const char* leftOutName(LeftOut reason)
{
    return leftOutNames[static_cast<size_t>(reason)];
}

std::string csvHeader()
{
    std::string header;
    for (const char* column : csvColumns)
        header += (header.empty() ? "" : ",") + std::string(column);
    return header;
}

std::optional<LeftOut> labelFit(ExportFormat format, const Label* label, bool unreviewedAsPasses,
                                bool adjudicatedOnly)
{
    if (adjudicatedOnly && (!label || !label->reviewer.empty()))
        return LeftOut::NotAdjudicated;
    if (!formatNeedsLabel(format))
        return std::nullopt;
    if (!label)
        return unreviewedAsPasses && format != ExportFormat::OpenAiPreference && format != ExportFormat::TrlDpo
                   ? std::nullopt
                   : std::optional<LeftOut>(LeftOut::NoLabel);
    if (!label->verdict || *label->verdict == Verdict::Unsure)
        return LeftOut::Unsure;
    const bool corrected = label->corrected && !label->corrected->empty();
    if (*label->verdict == Verdict::Pass)
        return format == ExportFormat::OpenAiPreference || format == ExportFormat::TrlDpo
                   ? std::optional<LeftOut>(LeftOut::PassNotUsed)
                   : std::nullopt;
    if (!corrected && format != ExportFormat::TrlKto)
        return LeftOut::FailWithoutCorrection;
    return std::nullopt;
}

int recordsPerItem(ExportFormat format, const Label* label)
{
    const bool correctedFailure = label && label->verdict == Verdict::Fail && label->corrected &&
                                  !label->corrected->empty();
    return format == ExportFormat::TrlKto && correctedFailure ? 2 : 1;
}

FormattedRecords formatRecords(const ExportSubject& subject, const FormatOptions& options)
{
    FormattedRecords records;
    const Interaction& in = *subject.interaction;
    const Label* label = subject.label;
    records.stratum = !label ? std::string("unreviewed")
                      : label->verdict == Verdict::Pass
                          ? std::string("pass")
                          : "fail" + (subject.categories.empty() ? std::string() : ":" + subject.categories.front());
    records.dedupeText = dedupeTextOf(in, label);
    if (options.format == ExportFormat::Jsonl) {
        records.lines.push_back(jsonlRecord(subject));
        return records;
    }
    if (options.format == ExportFormat::Csv) {
        records.lines.push_back(csvRow(subject));
        return records;
    }
    auto leave = [&records](LeftOut reason) {
        records.lines.clear();
        records.leftOut = reason;
        return records;
    };
    if (const auto reason = labelFit(options.format, label, options.unreviewedAsPasses, false))
        return leave(*reason);
    const bool pass = !label || *label->verdict == Verdict::Pass;
    const std::optional<std::string> corrected =
        label && label->corrected && !label->corrected->empty() ? label->corrected : std::nullopt;
    const int turn = judgedTurn(in, label);
    if (turn < 0)
        return leave(LeftOut::NoAssistantTurn);
    Conversation conversation(in, options.arguments);
    const ExportFormat format = options.format;

    switch (format) {
    case ExportFormat::OpenAiChat:
    case ExportFormat::TrlSft: {
        std::vector<ChatTurn> turns;
        if (pass) {
            turns = conversation.turnsBefore(in.messages.size());
        } else {
            if (!corrected)
                return leave(LeftOut::FailWithoutCorrection);
            turns = conversation.turnsBefore(size_t(turn));
            for (ChatTurn& t : turns)
                if (t.role == "assistant")
                    t.weight = 0; // context: the conversation that led to the failure
            turns.push_back(answer(*corrected));
            turns.back().weight = 1;
        }
        if (!hasAssistant(turns))
            return leave(LeftOut::NoAssistantTurn);
        for (ChatTurn& t : turns)
            if (t.role == "assistant") {
                if (format != ExportFormat::OpenAiChat || !options.weights)
                    t.weight.reset();
                else if (!t.weight)
                    t.weight = 1;
            }
        records.lines.push_back("{\"messages\":" + turnsJson(turns) + "}");
        break;
    }
    case ExportFormat::OpenAiPreference:
    case ExportFormat::TrlDpo: {
        if (pass)
            return leave(LeftOut::PassNotUsed);
        if (!corrected)
            return leave(LeftOut::FailWithoutCorrection);
        const std::vector<ChatTurn> prompt = conversation.turnsBefore(size_t(turn));
        const std::optional<ChatTurn> original = conversation.assistantTurn(size_t(turn));
        if (!original)
            return leave(LeftOut::NoAssistantTurn);
        const std::string chosen = turnsJson({answer(*corrected)});
        const std::string rejected = turnsJson({*original});
        if (format == ExportFormat::OpenAiPreference)
            records.lines.push_back("{\"input\":{\"messages\":" + turnsJson(prompt) +
                                    "},\"preferred_output\":" + chosen + ",\"non_preferred_output\":" + rejected +
                                    "}");
        else
            records.lines.push_back("{\"prompt\":" + turnsJson(prompt) + ",\"chosen\":" + chosen +
                                    ",\"rejected\":" + rejected + "}");
        break;
    }
    case ExportFormat::TrlKto: {
        const std::string prompt = turnsJson(conversation.turnsBefore(size_t(turn)));
        const std::optional<ChatTurn> original = conversation.assistantTurn(size_t(turn));
        auto kto = [&prompt](const ChatTurn& completion, bool desirable) {
            return "{\"prompt\":" + prompt + ",\"completion\":" + turnsJson({completion}) +
                   ",\"label\":" + (desirable ? "true" : "false") + "}";
        };
        if (pass) {
            if (!original)
                return leave(LeftOut::NoAssistantTurn);
            records.lines.push_back(kto(*original, true));
            break;
        }
        if (corrected)
            records.lines.push_back(kto(answer(*corrected), true));
        if (original)
            records.lines.push_back(kto(*original, false));
        if (records.lines.empty())
            return leave(LeftOut::NoAssistantTurn);
        break;
    }
    case ExportFormat::Eval: {
        std::string ideal;
        if (pass)
            ideal = in.messages[size_t(turn)].content;
        else if (corrected)
            ideal = *corrected;
        else
            return leave(LeftOut::FailWithoutCorrection);
        if (ideal.empty())
            return leave(LeftOut::NoAssistantTurn);
        std::string line = "{\"input\":" + turnsJson(conversation.turnsBefore(size_t(turn))) + ",\"ideal\":";
        appendJsonString(line, ideal);
        line += ",\"category\":";
        if (pass || subject.categories.empty())
            line += "null";
        else
            appendJsonString(line, subject.categories.front());
        line += ",\"interaction\":";
        appendJsonString(line, in.key);
        records.lines.push_back(line + "}");
        break;
    }
    case ExportFormat::Jsonl:
    case ExportFormat::Csv:
        break;
    }
    if (conversation.argumentsFailed())
        return leave(LeftOut::ArgumentsNotObject);
    return records;
}

// --- Checking written records ---------------------------------------------------------------

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

std::string_view keyOf(const simdjson::dom::key_value_pair& field)
{
    return field.key;
}

std::optional<std::string> onlyKeys(object obj, std::initializer_list<std::string_view> known,
                                    const std::string& where)
{
    for (const auto& field : obj) {
        bool ok = false;
        for (const std::string_view k : known)
            ok = ok || keyOf(field) == k;
        if (!ok)
            return where + ": unknown key \"" + std::string(keyOf(field)) + "\"";
    }
    return std::nullopt;
}

struct MessageRules
{
    bool weights = false;         // weight allowed on assistant turns
    bool outputOnly = false;      // only assistant (and tool) messages
    bool argumentsString = true;  // tool-call arguments must be a JSON string (OpenAI)
};

std::optional<std::string> checkMessage(element message, const MessageRules& rules, const std::string& where)
{
    object obj;
    if (message.get_object().get(obj))
        return where + ": a message must be an object";
    if (auto bad = onlyKeys(obj, {"role", "content", "name", "tool_calls", "tool_call_id", "weight"}, where))
        return bad;
    std::string_view role;
    if (obj["role"].get_string().get(role))
        return where + ": role is missing or not a string";
    if (role != "system" && role != "user" && role != "assistant" && role != "tool")
        return where + ": unknown role \"" + std::string(role) + "\"";
    if (rules.outputOnly && role != "assistant" && role != "tool")
        return where + ": an output holds only assistant and tool messages, not " + std::string(role);
    element content;
    const bool hasContent = !obj["content"].get(content);
    std::string_view text;
    if (hasContent && !content.is_null() && content.get_string().get(text))
        return where + ": content must be a string or null";
    element calls;
    const bool hasCalls = !obj["tool_calls"].get(calls);
    if (hasCalls) {
        if (role != "assistant")
            return where + ": only assistant messages make tool calls";
        simdjson::dom::array list;
        if (calls.get_array().get(list) || list.size() == 0)
            return where + ": tool_calls must be a non-empty array";
        size_t c = 0;
        for (element call : list) {
            const std::string at = where + ".tool_calls[" + std::to_string(c++) + "]";
            object callObject;
            if (call.get_object().get(callObject))
                return at + ": a tool call must be an object";
            if (auto bad = onlyKeys(callObject, {"id", "type", "function"}, at))
                return bad;
            std::string_view type, name;
            if (callObject["type"].get_string().get(type) || type != "function")
                return at + ": type must be \"function\"";
            object function;
            if (callObject["function"].get_object().get(function))
                return at + ": function must be an object";
            if (function["name"].get_string().get(name) || name.empty())
                return at + ": function.name must be a non-empty string";
            element arguments;
            if (function["arguments"].get(arguments))
                return at + ": function.arguments is missing";
            if (rules.argumentsString && !arguments.is_string())
                return at + ": function.arguments must be a JSON string";
            if (!arguments.is_string() && !arguments.is_object())
                return at + ": function.arguments must be a JSON string or an object";
        }
    }
    if (role == "assistant" && text.empty() && !hasCalls)
        return where + ": an assistant message needs content or tool calls";
    if (role != "assistant" && (!hasContent || content.is_null()))
        return where + ": a " + std::string(role) + " message needs content";
    if (role == "tool") {
        std::string_view id;
        if (obj["tool_call_id"].get_string().get(id) || id.empty())
            return where + ": a tool message needs tool_call_id";
    }
    element weight;
    if (!obj["weight"].get(weight)) {
        if (!rules.weights || role != "assistant")
            return where + ": weight is allowed only on assistant messages";
        std::int64_t value = -1;
        if (weight.get_int64().get(value) || (value != 0 && value != 1))
            return where + ": weight must be 0 or 1";
    }
    return std::nullopt;
}

std::optional<std::string> checkMessages(element list, const MessageRules& rules, const std::string& where,
                                         bool needsAssistant)
{
    simdjson::dom::array messages;
    if (list.get_array().get(messages) || messages.size() == 0)
        return where + " must be a non-empty array of messages";
    bool assistant = false;
    size_t m = 0;
    for (element message : messages) {
        if (auto bad = checkMessage(message, rules, where + "[" + std::to_string(m++) + "]"))
            return bad;
        std::string_view role;
        assistant = assistant || (!message["role"].get_string().get(role) && role == "assistant");
    }
    if (needsAssistant && !assistant)
        return where + " has no assistant message";
    return std::nullopt;
}

} // namespace

std::optional<std::string> checkRecord(ExportFormat format, std::string_view line)
{
    if (format == ExportFormat::Csv) {
        std::string error;
        const std::vector<CsvRow> rows = readCsv(line, &error);
        if (!error.empty())
            return error;
        if (rows.size() != 1 || rows.front().fields.size() != csvColumns.size())
            return "a row must have " + std::to_string(csvColumns.size()) + " fields";
        return std::nullopt;
    }
    simdjson::dom::parser& parser = threadParser();
    element root;
    if (parser.parse(line.data(), line.size()).get(root))
        return std::string("not valid JSON");
    object obj;
    if (root.get_object().get(obj))
        return std::string("a record must be a JSON object");
    const bool trl = format == ExportFormat::TrlSft || format == ExportFormat::TrlDpo || format == ExportFormat::TrlKto;
    MessageRules messages;
    messages.argumentsString = !trl;
    MessageRules outputs = messages;
    outputs.outputOnly = true;
    element field;
    switch (format) {
    case ExportFormat::OpenAiChat:
    case ExportFormat::TrlSft:
        if (auto bad = onlyKeys(obj, {"messages", "tools", "parallel_tool_calls"}, "record"))
            return bad;
        if (obj["messages"].get(field))
            return std::string("messages is missing");
        messages.weights = format == ExportFormat::OpenAiChat;
        return checkMessages(field, messages, "messages", true);
    case ExportFormat::OpenAiPreference: {
        if (auto bad = onlyKeys(obj, {"input", "preferred_output", "non_preferred_output"}, "record"))
            return bad;
        object input;
        if (obj["input"].get_object().get(input))
            return std::string("input must be an object");
        if (auto bad = onlyKeys(input, {"messages", "tools", "parallel_tool_calls"}, "input"))
            return bad;
        if (input["messages"].get(field))
            return std::string("input.messages is missing");
        if (auto bad = checkMessages(field, messages, "input.messages", false))
            return bad;
        for (const char* output : {"preferred_output", "non_preferred_output"}) {
            if (obj[output].get(field))
                return std::string(output) + " is missing";
            if (auto bad = checkMessages(field, outputs, output, true))
                return bad;
        }
        return std::nullopt;
    }
    case ExportFormat::TrlDpo:
        if (auto bad = onlyKeys(obj, {"prompt", "chosen", "rejected"}, "record"))
            return bad;
        if (obj["prompt"].get(field))
            return std::string("prompt is missing");
        if (auto bad = checkMessages(field, messages, "prompt", false))
            return bad;
        for (const char* output : {"chosen", "rejected"}) {
            if (obj[output].get(field))
                return std::string(output) + " is missing";
            if (auto bad = checkMessages(field, outputs, output, true))
                return bad;
        }
        return std::nullopt;
    case ExportFormat::TrlKto: {
        if (auto bad = onlyKeys(obj, {"prompt", "completion", "label"}, "record"))
            return bad;
        if (obj["prompt"].get(field))
            return std::string("prompt is missing");
        if (auto bad = checkMessages(field, messages, "prompt", false))
            return bad;
        if (obj["completion"].get(field))
            return std::string("completion is missing");
        if (auto bad = checkMessages(field, outputs, "completion", true))
            return bad;
        bool label = false;
        if (obj["label"].get_bool().get(label))
            return std::string("label must be true or false");
        return std::nullopt;
    }
    case ExportFormat::Eval: {
        if (auto bad = onlyKeys(obj, {"input", "ideal", "category", "interaction"}, "record"))
            return bad;
        if (obj["input"].get(field))
            return std::string("input is missing");
        if (auto bad = checkMessages(field, messages, "input", false))
            return bad;
        std::string_view ideal;
        if (obj["ideal"].get_string().get(ideal) || ideal.empty())
            return std::string("ideal must be a non-empty string");
        if (obj["category"].get(field) || !(field.is_null() || field.is_string()))
            return std::string("category must be a string or null");
        std::string_view key;
        if (obj["interaction"].get_string().get(key))
            return std::string("interaction must be a string");
        return std::nullopt;
    }
    case ExportFormat::Jsonl: {
        if (obj["messages"].get(field) || !field.is_array())
            return std::string("messages must be an array");
        object winnow;
        if (obj["winnow"].get_object().get(winnow))
            return std::string("winnow must be an object");
        return std::nullopt;
    }
    case ExportFormat::Csv:
        break;
    }
    return std::nullopt;
}

std::vector<CsvRow> readCsv(std::string_view text, std::string* error)
{
    std::vector<CsvRow> rows;
    std::int64_t line = 1;
    size_t i = 0;
    while (i < text.size()) {
        CsvRow row;
        row.line = line;
        std::string field;
        bool quoted = false, inQuotes = false, rowDone = false;
        while (i < text.size() && !rowDone) {
            const char c = text[i++];
            if (inQuotes) {
                if (c == '"') {
                    if (i < text.size() && text[i] == '"') {
                        field += '"';
                        ++i;
                    } else {
                        inQuotes = false;
                    }
                } else {
                    if (c == '\n')
                        ++line;
                    field += c;
                }
            } else if (c == '"' && field.empty() && !quoted) {
                inQuotes = quoted = true;
            } else if (c == ',') {
                row.fields.push_back(std::move(field));
                field.clear();
                quoted = false;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i < text.size() && text[i] == '\n')
                    ++i;
                ++line;
                rowDone = true;
            } else {
                field += c;
            }
        }
        if (inQuotes) {
            if (error)
                *error = "line " + std::to_string(row.line) + ": a quoted field is not closed";
            return rows;
        }
        row.fields.push_back(std::move(field));
        rows.push_back(std::move(row));
    }
    return rows;
}

} // namespace winnow
