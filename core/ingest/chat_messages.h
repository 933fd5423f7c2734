#pragma once
// Reads chat messages in the shapes agents log them into canonical Messages and ToolCalls:
// OpenAI chat (content string, null or parts; tool_calls with arguments as a JSON string or an
// object; tool_call_id), OpenTelemetry GenAI parts ({role, parts:[text | tool_call |
// tool_call_response]}) and ShareGPT ({from, value}). A call, its result message and any
// separately logged record of it are one ToolCall, joined by call id.

#include "core/store/records.h"

#include <simdjson.h>

#include <string>

namespace winnow {

// Appends the messages of `array` to `interaction`; returns an error naming the offending
// message ("messages[3]: ..."), or an empty string.
std::string appendChatMessages(simdjson::dom::array array, Interaction& interaction,
                               const char* fieldName = "messages");

// Appends one message; tool calls it makes or answers are joined into interaction.toolCalls.
std::string appendChatMessage(simdjson::dom::element message, Interaction& interaction,
                              const std::string& where);

// Call ids repeat in real logs, so calls are joined by order, never by id alone:
// - a call requested in a message is its own call (joined only with a separate record of that id
//   logged before the messages and not yet tied to a request);
// - a result answers the latest earlier call with its id that has no result yet;
// - a separately logged record (a canonical "tool_calls" entry, an execute_tool span) joins the
//   first call of its id no record was joined to yet, or is appended.
void joinCallRequest(Interaction& interaction, ToolCall request);
void mergeToolCall(Interaction& interaction, ToolCall call);

// Text of a JSON value as logged: strings as they are, anything else minified.
std::string jsonText(simdjson::dom::element value);

} // namespace winnow
