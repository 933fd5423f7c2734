#include "core/ingest/chat_messages.h"

#include <optional>

namespace winnow {

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string jsonText(element value)
{
    std::string_view text;
    if (!value.get_string().get(text))
        return std::string(text);
    if (value.is_null())
        return {};
    return simdjson::minify(value);
}

namespace {

std::string_view stringField(element object, const char* key)
{
    std::string_view text;
    if (object.at_key(key).get_string().get(text))
        return {};
    return text;
}

std::string normaliseRole(std::string_view role)
{
    if (role == "human")
        return "user";
    if (role == "gpt" || role == "model" || role == "ai" || role == "bot")
        return "assistant";
    if (role == "function" || role == "tool_response" || role == "ipython")
        return "tool";
    if (role == "developer")
        return "system";
    return std::string(role);
}

// Call ids are not unique in real logs (some frameworks number each turn's calls from 0 again), so
// every join goes by order: the first call matching `wanted`, or nullptr.
template <typename Wanted>
ToolCall* firstCall(Interaction& interaction, std::string_view callId, Wanted wanted)
{
    if (callId.empty())
        return nullptr;
    for (auto& call : interaction.toolCalls)
        if (call.callId == callId && wanted(call))
            return &call;
    return nullptr;
}

// The call a result with this id answers: the latest call requested before it that has no result
// yet; else a call known only from a separate record (requested in no logged message).
ToolCall* callAnswered(Interaction& interaction, std::string_view callId, int resultIndex)
{
    if (callId.empty())
        return nullptr;
    for (auto it = interaction.toolCalls.rbegin(); it != interaction.toolCalls.rend(); ++it)
        if (it->callId == callId && it->resultMessageIndex < 0 && it->messageIndex >= 0 &&
            it->messageIndex < resultIndex)
            return &*it;
    return firstCall(interaction, callId, [](const ToolCall& call) {
        return call.messageIndex < 0 && call.resultMessageIndex < 0;
    });
}

void recordCallRequest(Interaction& interaction, int messageIndex, std::string callId, std::string name,
                       std::string arguments)
{
    ToolCall request;
    request.callId = std::move(callId);
    request.name = std::move(name);
    request.arguments = std::move(arguments);
    request.messageIndex = messageIndex;
    joinCallRequest(interaction, std::move(request));
}

void recordCallResult(Interaction& interaction, int messageIndex, std::string_view callId,
                      std::string_view name, const std::string& result, std::string_view status)
{
    ToolCall* call = callAnswered(interaction, callId, messageIndex);
    if (!call) {
        // A result without a logged call id: answer the oldest unanswered call of that name.
        for (auto& candidate : interaction.toolCalls) {
            if (candidate.resultMessageIndex < 0 && (name.empty() || candidate.name == name) &&
                callId.empty()) {
                call = &candidate;
                break;
            }
        }
    }
    if (!call) {
        ToolCall orphan;
        orphan.callId = std::string(callId);
        orphan.name = std::string(name);
        interaction.toolCalls.push_back(std::move(orphan));
        call = &interaction.toolCalls.back();
    }
    call->result = result;
    call->resultMessageIndex = messageIndex;
    if (!status.empty())
        call->status = std::string(status);
}

// Text of OpenAI content parts ([{type:"text", text}, {type:"input_text", text}, ...]) or GenAI parts.
std::string joinTextParts(simdjson::dom::array parts)
{
    std::string text;
    for (element part : parts) {
        std::string_view piece;
        if (part.get_string().get(piece) == simdjson::SUCCESS) {
        } else if (!part.at_key("text").get_string().get(piece)) {
        } else if (stringField(part, "type") == "text" && !part.at_key("content").get_string().get(piece)) {
        } else {
            continue;
        }
        if (!text.empty())
            text += '\n';
        text += piece;
    }
    return text;
}

std::string statusOf(const std::optional<element>& isError, std::string_view status)
{
    bool flag = false;
    if (isError && !isError->get_bool().get(flag))
        return flag ? "error" : "ok";
    if (status == "error" || status == "failed" || status == "failure")
        return "error";
    if (status == "ok" || status == "success" || status == "succeeded")
        return "ok";
    return {};
}

} // namespace

void joinCallRequest(Interaction& interaction, ToolCall request)
{
    // Each requested call is its own call; only a separate record logged before the messages (and
    // so not yet tied to a request) is the same call, in order.
    ToolCall* existing = firstCall(interaction, request.callId, [](const ToolCall& call) {
        return call.messageIndex < 0 && call.recordJoined;
    });
    if (!existing) {
        interaction.toolCalls.push_back(std::move(request));
        return;
    }
    existing->messageIndex = request.messageIndex;
    if (existing->name.empty())
        existing->name = std::move(request.name);
    if (existing->arguments.empty())
        existing->arguments = std::move(request.arguments);
    if (request.resultMessageIndex >= 0) {
        existing->resultMessageIndex = request.resultMessageIndex;
        existing->result = std::move(request.result);
    }
}

void mergeToolCall(Interaction& interaction, ToolCall call)
{
    call.recordJoined = true;
    ToolCall* existing = firstCall(interaction, call.callId,
                                   [](const ToolCall& candidate) { return !candidate.recordJoined; });
    if (!existing) {
        interaction.toolCalls.push_back(std::move(call));
        return;
    }
    existing->recordJoined = true;
    auto fill = [](std::string& into, std::string& from) {
        if (into.empty())
            into = std::move(from);
    };
    fill(existing->name, call.name);
    fill(existing->arguments, call.arguments);
    fill(existing->result, call.result);
    if (!call.status.empty())
        existing->status = std::move(call.status);
    fill(existing->error, call.error);
    if (call.latencyMs)
        existing->latencyMs = call.latencyMs;
}

namespace {
std::string_view textOf(const std::optional<element>& e)
{
    std::string_view text;
    if (!e || e->get_string().get(text))
        return {};
    return text;
}
} // namespace

std::string appendChatMessage(element value, Interaction& interaction, const std::string& where)
{
    simdjson::dom::object object;
    if (value.get_object().get(object))
        return where + ": a message must be an object";
    std::optional<element> role, from, shareGptValue, content, name, toolCallId, toolCalls, functionCall,
        parts, isError, status;
    for (auto [key, field] : object) {
        std::optional<element>* slot = nullptr;
        if (key == "role")
            slot = &role;
        else if (key == "content")
            slot = &content;
        else if (key == "tool_calls")
            slot = &toolCalls;
        else if (key == "tool_call_id")
            slot = &toolCallId;
        else if (key == "name")
            slot = &name;
        else if (key == "parts")
            slot = &parts;
        else if (key == "from")
            slot = &from;
        else if (key == "value")
            slot = &shareGptValue;
        else if (key == "function_call")
            slot = &functionCall;
        else if (key == "is_error")
            slot = &isError;
        else if (key == "status")
            slot = &status;
        if (slot && !*slot)
            *slot = field;
    }

    Message message;
    std::string_view roleText = textOf(role);
    const bool shareGpt = roleText.empty() && from;
    if (shareGpt)
        roleText = textOf(from);
    if (roleText.empty())
        return where + ": missing role";
    message.role = normaliseRole(roleText);
    const int index = static_cast<int>(interaction.messages.size());

    if (shareGpt) {
        message.content = std::string(textOf(shareGptValue));
    } else if (content) {
        switch (content->type()) {
        case element_type::STRING:
            message.content = std::string(content->get_string().value_unsafe());
            break;
        case element_type::NULL_VALUE:
            message.contentIsNull = true;
            break;
        case element_type::ARRAY:
            message.content = joinTextParts(content->get_array().value_unsafe());
            message.partsJson = simdjson::minify(*content);
            break;
        default:
            return where + ".content: expected a string, null or an array of parts";
        }
    } else {
        message.contentIsNull = true;
    }
    message.name = std::string(textOf(name));
    message.toolCallId = std::string(textOf(toolCallId));

    // OpenAI tool calls (and the legacy single function_call).
    if (toolCalls && !toolCalls->is_null()) {
        simdjson::dom::array calls;
        if (toolCalls->get_array().get(calls))
            return where + ".tool_calls: expected an array";
        size_t k = 0;
        for (element call : calls) {
            element function;
            if (call.at_key("function").get(function))
                function = call; // some producers flatten {id, name, arguments}
            element arguments;
            std::string argumentsText;
            if (!function.at_key("arguments").get(arguments))
                argumentsText = jsonText(arguments);
            const std::string callName(stringField(function, "name"));
            if (callName.empty())
                return where + ".tool_calls[" + std::to_string(k) + "]: missing function name";
            recordCallRequest(interaction, index, std::string(stringField(call, "id")), callName,
                              std::move(argumentsText));
            ++k;
        }
    }
    if (functionCall && functionCall->is_object()) {
        element arguments;
        std::string argumentsText;
        if (!functionCall->at_key("arguments").get(arguments))
            argumentsText = jsonText(arguments);
        recordCallRequest(interaction, index, {}, std::string(stringField(*functionCall, "name")),
                          std::move(argumentsText));
    }

    // GenAI parts: text, tool_call and tool_call_response.
    simdjson::dom::array partList;
    const bool hasParts = parts && !parts->get_array().get(partList);
    if (hasParts) {
        std::string text;
        for (element part : partList) {
            const std::string_view type = stringField(part, "type");
            if (type == "text") {
                if (!text.empty())
                    text += '\n';
                text += stringField(part, "content");
            } else if (type == "tool_call") {
                element arguments;
                std::string argumentsText;
                if (!part.at_key("arguments").get(arguments))
                    argumentsText = jsonText(arguments);
                recordCallRequest(interaction, index, std::string(stringField(part, "id")),
                                  std::string(stringField(part, "name")), std::move(argumentsText));
            } else if (type == "tool_call_response") {
                element result;
                std::string resultText;
                if (!part.at_key("result").get(result))
                    resultText = jsonText(result);
                if (message.toolCallId.empty())
                    message.toolCallId = std::string(stringField(part, "id"));
                recordCallResult(interaction, index, stringField(part, "id"), {}, resultText, {});
                if (!text.empty())
                    text += '\n';
                text += resultText;
            }
        }
        message.content = std::move(text);
        message.contentIsNull = message.content.empty();
        message.partsJson = simdjson::minify(partList);
    }

    if (message.role == "tool" && !hasParts)
        recordCallResult(interaction, index, message.toolCallId, message.name, message.content,
                         statusOf(isError, textOf(status)));
    interaction.messages.push_back(std::move(message));
    return {};
}

std::string appendChatMessages(simdjson::dom::array array, Interaction& interaction, const char* fieldName)
{
    interaction.messages.reserve(interaction.messages.size() + array.size());
    size_t i = 0;
    for (element value : array) {
        std::string error =
            appendChatMessage(value, interaction, std::string(fieldName) + "[" + std::to_string(i) + "]");
        if (!error.empty())
            return error;
        ++i;
    }
    return {};
}

} // namespace winnow
