#include "../test_helpers.h"
#include "core/ingest/otlp.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

#include <google/protobuf/util/json_util.h>

#include <gtest/gtest.h>

#include <QByteArray>

#include <regex>
#include <sstream>

using namespace winnow;

namespace {
std::string addJson(OtlpAssembler& assembler, const std::string& json, std::int64_t offset = 0)
{
    static simdjson::dom::parser parser;
    simdjson::padded_string padded(json);
    simdjson::dom::element element;
    if (parser.parse(padded).get(element))
        return "invalid JSON";
    return assembler.addRequest(element, offset);
}

std::string span(const std::string& trace, const std::string& id, const std::string& parent,
                 const std::string& attributes, const std::string& start = "1000000000",
                 const std::string& end = "2000000000")
{
    return R"({"traceId":")" + trace + R"(","spanId":")" + id + R"(")" +
           (parent.empty() ? "" : R"(,"parentSpanId":")" + parent + R"(")") +
           R"(,"name":"s","kind":1,"startTimeUnixNano":")" + start + R"(","endTimeUnixNano":")" + end +
           R"(","attributes":[)" + attributes + "]}";
}

std::string request(const std::string& spans)
{
    return R"({"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"t"},"spans":[)" +
           spans + "]}]}]}";
}

std::string attr(const std::string& key, const std::string& value)
{
    std::string escaped;
    for (char c : value) {
        if (c == '"' || c == '\\')
            escaped += '\\';
        escaped += c;
    }
    return R"({"key":")" + key + R"(","value":{"stringValue":")" + escaped + R"("}})";
}

const std::string traceA = "0af7651916cd43dd8448eb211c80319c";
} // namespace

TEST(Otlp, PrettyPrintedGenAiTraceWithFlattenedPromptsEventsAndToolSpans)
{
    OtlpAssembler assembler;
    ASSERT_EQ(addJson(assembler, test::readFile(test::dataFile("otlp_genai_pretty.json"))), "");
    auto interactions = assembler.takeCompleted();
    ASSERT_EQ(interactions.size(), 1u);
    const Interaction& in = interactions[0];
    EXPECT_EQ(in.key, "trace:5b8efff798038103d269b633813fc60c");
    EXPECT_EQ(in.agent, "travel");
    EXPECT_EQ(in.agentVersion, "2.0.1"); // the resource's service.version
    EXPECT_EQ(in.session, "conv-77");
    EXPECT_EQ(in.user, "u-9");
    EXPECT_EQ(in.model, "gpt-4o-2024-08-06");
    EXPECT_EQ(*in.inputTokens, 300); // older and newer usage names, summed over the two model calls
    EXPECT_EQ(*in.outputTokens, 55);
    EXPECT_EQ(*in.startMs, 1761984000000);
    EXPECT_DOUBLE_EQ(*in.latencyMs, 2100);
    // The second call's events hold the whole history: system, user, tool call, tool result, answer.
    ASSERT_EQ(in.messages.size(), 5u);
    EXPECT_EQ(in.messages[0].role, "system");
    EXPECT_EQ(in.messages[1].content, "Find me a hotel in Porto");
    EXPECT_EQ(in.messages[2].role, "assistant");
    EXPECT_EQ(in.messages[3].role, "tool");
    EXPECT_EQ(in.messages[4].content, "Sorry, the hotel search is not responding right now.");
    ASSERT_EQ(in.toolCalls.size(), 1u);
    const ToolCall& call = in.toolCalls[0];
    EXPECT_EQ(call.callId, "call_h1");
    EXPECT_EQ(call.name, "search_hotels");
    EXPECT_EQ(call.arguments, R"({"city":"Porto"})");
    EXPECT_EQ(call.result, "error: timed out");
    EXPECT_EQ(call.status, "error");
    EXPECT_EQ(call.error, "TimeoutError");
    EXPECT_DOUBLE_EQ(*call.latencyMs, 250);
    EXPECT_EQ(call.messageIndex, 2);
    EXPECT_EQ(call.resultMessageIndex, 3);
    ASSERT_EQ(in.scores.size(), 1u);
    EXPECT_EQ(in.scores[0].name, "helpfulness");
    EXPECT_DOUBLE_EQ(in.scores[0].value, 0.25);
}

TEST(Otlp, OpenInferenceWithProtobufJsIdsAndLongTimestampsAcrossRequests)
{
    OtlpAssembler assembler;
    std::istringstream lines(test::readFile(test::dataFile("otlp_openinference.jsonl")));
    std::string line;
    std::getline(lines, line);
    ASSERT_EQ(addJson(assembler, line), "");
    EXPECT_TRUE(assembler.takeCompleted().empty()); // the root has not arrived yet
    EXPECT_EQ(assembler.pendingTraces(), 1u);
    std::getline(lines, line);
    ASSERT_EQ(addJson(assembler, line, 100), ""); // the root, its ids in base64
    auto interactions = assembler.takeCompleted();
    ASSERT_EQ(interactions.size(), 1u);
    const Interaction& in = interactions[0];
    EXPECT_EQ(in.key, "trace:0102030405060708090a0b0c0d0e0f10");
    EXPECT_EQ(in.model, "gpt-4o-mini");
    EXPECT_EQ(in.session, "sess-1");
    EXPECT_EQ(in.user, "alice");
    EXPECT_EQ(*in.inputTokens, 50);
    EXPECT_EQ(*in.outputTokens, 12);
    ASSERT_EQ(in.messages.size(), 2u);
    EXPECT_EQ(in.messages[0].content, "What is 2+2?");
    EXPECT_EQ(in.messages[1].content, "4");
    ASSERT_EQ(in.scores.size(), 1u);
    EXPECT_EQ(in.scores[0].name, "correctness");
    // The LLM span's end, a protobuf.js Long, is the last moment of the trace.
    const std::int64_t longEnd = (static_cast<std::int64_t>(410268093) << 32) + 1786603264;
    EXPECT_EQ(*in.endMs, longEnd / 1000000);
    EXPECT_EQ(*in.startMs, 1762074000000);
}

TEST(Otlp, GenAiInputAndOutputMessagesWithParts)
{
    const std::string input =
        R"([{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]},)"
        R"({"role":"assistant","parts":[{"type":"tool_call","id":"t1","name":"get_weather","arguments":{"city":"Paris"}}]},)"
        R"({"role":"tool","parts":[{"type":"tool_call_response","id":"t1","result":"rainy, 12C"}]}])";
    const std::string output =
        R"([{"role":"assistant","parts":[{"type":"text","content":"Rainy and 12C."}],"finish_reason":"stop"}])";
    OtlpAssembler assembler;
    ASSERT_EQ(addJson(assembler, request(span(traceA, "b7ad6b7169203331", "",
                                              attr("gen_ai.operation.name", "chat") + "," +
                                                  attr("gen_ai.request.model", "gpt-4o") + "," +
                                                  attr("gen_ai.system_instructions", "Be brief.") + "," +
                                                  attr("gen_ai.input.messages", input) + "," +
                                                  attr("gen_ai.output.messages", output)))),
              "");
    auto interactions = assembler.takeCompleted();
    ASSERT_EQ(interactions.size(), 1u);
    const Interaction& in = interactions[0];
    ASSERT_EQ(in.messages.size(), 5u);
    EXPECT_EQ(in.messages[0].role, "system");
    EXPECT_EQ(in.messages[0].content, "Be brief.");
    EXPECT_EQ(in.messages[3].toolCallId, "t1");
    EXPECT_EQ(in.messages[4].content, "Rainy and 12C.");
    ASSERT_EQ(in.toolCalls.size(), 1u);
    EXPECT_EQ(in.toolCalls[0].arguments, R"({"city":"Paris"})");
    EXPECT_EQ(in.toolCalls[0].result, "rainy, 12C");
    EXPECT_EQ(in.toolCalls[0].resultMessageIndex, 3);
}

TEST(Otlp, SpansWithoutARootWaitUntilTheEnd)
{
    OtlpAssembler assembler;
    ASSERT_EQ(addJson(assembler,
                      request(span(traceA, "b7ad6b7169203331", "00f067aa0ba902b7",
                                   attr("gen_ai.operation.name", "chat"))),
                      40),
              "");
    EXPECT_TRUE(assembler.takeCompleted().empty());
    EXPECT_EQ(assembler.earliestPending().offset, 40);
    const auto all = assembler.takeAll();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(assembler.earliestPending().offset, -1);
}

TEST(Otlp, MalformedRequestsAreRejectedWithAReason)
{
    OtlpAssembler assembler;
    EXPECT_EQ(addJson(assembler, R"({"resourceSpans":{}})"),
              "not an OTLP request: no resourceSpans or resourceLogs array");
    EXPECT_EQ(addJson(assembler, request(R"({"spanId":"00f067aa0ba902b7"})")), "span without traceId");
    EXPECT_EQ(addJson(assembler, request(span(traceA, "b7ad6b7169203331", "", "", "soon"))),
              "span b7ad6b7169203331: startTimeUnixNano is not an integer");
    EXPECT_EQ(assembler.pendingTraces(), 0u);
}

// The trace as it happened: every span with its timing and status, LLM calls with their model and
// tokens, tool spans with their tool; stored with the interaction and read back for the waterfall.
TEST(Otlp, SpansKeepTheirTimingStatusAndRoleThroughTheStore)
{
    OtlpAssembler assembler;
    ASSERT_EQ(addJson(assembler, test::readFile(test::dataFile("otlp_genai_pretty.json"))), "");
    auto interactions = assembler.takeCompleted();
    ASSERT_EQ(interactions.size(), 1u);
    const Interaction& in = interactions[0];
    ASSERT_EQ(in.spans.size(), 4u);
    int llm = 0, tool = 0, agent = 0;
    for (const SpanRecord& span : in.spans) {
        EXPECT_GE(span.endNs, span.startNs) << span.name;
        if (span.role == "llm") {
            ++llm;
            EXPECT_EQ(span.model.rfind("gpt-4o", 0), 0u) << span.model;
            EXPECT_TRUE(span.inputTokens) << span.name;
        } else if (span.role == "tool") {
            ++tool;
            EXPECT_EQ(span.toolName, "search_hotels");
            EXPECT_EQ(span.statusCode, 2);
            EXPECT_EQ(span.statusMessage, "hotel search timed out");
            EXPECT_EQ(span.parentSpanId, "eee19b7ec3c1b173");
        } else if (span.role == "agent") {
            ++agent;
            EXPECT_TRUE(span.parentSpanId.empty());
        }
    }
    EXPECT_EQ(llm, 2);
    EXPECT_EQ(tool, 1);
    EXPECT_EQ(agent, 1);
    EXPECT_LE(in.spans.front().startNs, in.spans.back().startNs);

    test::TestStore store;
    store.write({in});
    const auto detail =
        InteractionStore(store.reader())
            .detail(store.queryInt(
                "SELECT id FROM interactions WHERE key = 'trace:5b8efff798038103d269b633813fc60c'"));
    ASSERT_TRUE(detail);
    ASSERT_EQ(detail->interaction.spans.size(), in.spans.size());
    for (size_t i = 0; i < in.spans.size(); ++i) {
        const SpanRecord& a = in.spans[i];
        const SpanRecord& b = detail->interaction.spans[i];
        EXPECT_EQ(a.spanId, b.spanId);
        EXPECT_EQ(a.name, b.name);
        EXPECT_EQ(a.startNs, b.startNs);
        EXPECT_EQ(a.endNs, b.endNs);
        EXPECT_EQ(a.statusCode, b.statusCode);
        EXPECT_EQ(a.role, b.role);
        EXPECT_EQ(a.model, b.model);
        EXPECT_EQ(a.inputTokens, b.inputTokens);
    }
    // Deleting the interaction takes its spans.
    ASSERT_TRUE(store.writer->write(WritePriority::Interactive,
                                    [](WriteTransaction& tx) { tx.interactions().remove({1}); }));
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM spans"), 0);
}

// An agent run of three model calls under one agent span: each call's input repeats the whole
// conversation so far. Assembled, every message and tool call is there once, and the usage is the
// sum of the calls (each call did consume its tokens).
TEST(Otlp, LlmSpansThatRepeatTheHistoryCountEachMessageAndToolCallOnce)
{
    auto user = [](const char* text) {
        return std::string(R"({"role":"user","parts":[{"type":"text","content":")") + text + R"("}]})";
    };
    const std::string call1 =
        R"({"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"find_order","arguments":{"id":"A1"}}]})";
    const std::string result1 =
        R"({"role":"tool","parts":[{"type":"tool_call_response","id":"c1","result":"shipped"}]})";
    const std::string call2 =
        R"({"role":"assistant","parts":[{"type":"tool_call","id":"c2","name":"track","arguments":{"id":"A1"}}]})";
    const std::string result2 =
        R"({"role":"tool","parts":[{"type":"tool_call_response","id":"c2","result":"out for delivery"}]})";
    const std::string answer =
        R"({"role":"assistant","parts":[{"type":"text","content":"It arrives today."}]})";
    const std::string history1 = "[" + user("Where is order A1?") + "]";
    const std::string history2 = "[" + user("Where is order A1?") + "," + call1 + "," + result1 + "]";
    const std::string history3 =
        "[" + user("Where is order A1?") + "," + call1 + "," + result1 + "," + call2 + "," + result2 + "]";
    auto llm = [&](const char* id, const std::string& input, const std::string& output, const char* start,
                   const char* end) {
        return span(traceA, id, "aaaaaaaaaaaaaaa0",
                    attr("gen_ai.operation.name", "chat") + "," + attr("gen_ai.request.model", "gpt-4o") +
                        "," + attr("gen_ai.input.messages", input) + "," +
                        attr("gen_ai.output.messages", "[" + output + "]") +
                        R"(,{"key":"gen_ai.usage.input_tokens","value":{"intValue":"100"}})" +
                        R"(,{"key":"gen_ai.usage.output_tokens","value":{"intValue":"10"}})",
                    start, end);
    };
    const std::string spans =
        span(traceA, "aaaaaaaaaaaaaaa0", "", attr("gen_ai.operation.name", "invoke_agent"), "1000000000",
             "9000000000") +
        "," + llm("bbbbbbbbbbbbbbb1", history1, call1, "1100000000", "2000000000") + "," +
        llm("bbbbbbbbbbbbbbb2", history2, call2, "3000000000", "4000000000") + "," +
        llm("bbbbbbbbbbbbbbb3", history3, answer, "5000000000", "6000000000");
    OtlpAssembler assembler;
    ASSERT_EQ(addJson(assembler, request(spans)), "");
    auto interactions = assembler.takeCompleted();
    ASSERT_EQ(interactions.size(), 1u);
    const Interaction& in = interactions[0];
    ASSERT_EQ(in.messages.size(), 6u); // user, call, result, call, result, answer
    EXPECT_EQ(in.messages[0].role, "user");
    EXPECT_EQ(in.messages[5].content, "It arrives today.");
    ASSERT_EQ(in.toolCalls.size(), 2u);
    EXPECT_EQ(in.toolCalls[0].name, "find_order");
    EXPECT_EQ(in.toolCalls[0].result, "shipped");
    EXPECT_EQ(in.toolCalls[1].name, "track");
    EXPECT_EQ(in.toolCalls[1].result, "out for delivery");
    EXPECT_EQ(*in.inputTokens, 300);
    EXPECT_EQ(*in.outputTokens, 30);
    EXPECT_EQ(in.spans.size(), 4u);
}

namespace {
// OTLP/JSON writes ids in hex where protobuf's own JSON reader expects base64.
std::string withBase64Ids(const std::string& json)
{
    static const std::regex id(R"re("(traceId|spanId|parentSpanId)"\s*:\s*"([0-9a-fA-F]*)")re");
    std::string out;
    auto begin = std::sregex_iterator(json.begin(), json.end(), id);
    size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
        const std::smatch& m = *it;
        out.append(json, last, size_t(m.position()) - last);
        QByteArray bytes = QByteArray::fromHex(QByteArray::fromStdString(m[2].str()));
        out += "\"" + m[1].str() + "\":\"" + bytes.toBase64().toStdString() + "\"";
        last = size_t(m.position() + m.length());
    }
    out.append(json, last);
    return out;
}
} // namespace

// Protobuf is read directly, not through JSON: the same request gives the same interaction.
TEST(Otlp, ProtobufAndJsonGiveTheSameInteraction)
{
    for (const std::string file :
         {"otlp_genai_pretty.json", "otel_js/chat-agent/traces.jsonl", "otel_js/responses/traces.jsonl"}) {
        SCOPED_TRACE(file);
        std::string text = test::readFile(test::dataFile(file));
        std::vector<std::string> requests;
        if (file.ends_with(".jsonl")) {
            std::istringstream lines(text);
            for (std::string line; std::getline(lines, line);)
                if (!line.empty())
                    requests.push_back(line);
        } else {
            requests.push_back(text);
        }
        OtlpAssembler fromJson, fromProtobuf;
        for (const std::string& request : requests) {
            ASSERT_EQ(addJson(fromJson, request), "");
            opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest message;
            ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(withBase64Ids(request), &message).ok());
            OtlpDecoded decoded;
            ASSERT_EQ(decodeOtlpProtobuf(message.SerializeAsString(), false, false, decoded), "");
            fromProtobuf.add(std::move(decoded), 0);
        }
        const std::vector<Interaction> a = fromJson.takeAll(), b = fromProtobuf.takeAll();
        ASSERT_EQ(a.size(), b.size());
        ASSERT_FALSE(a.empty());
        for (size_t i = 0; i < a.size(); ++i) {
            EXPECT_EQ(a[i].key, b[i].key);
            EXPECT_EQ(a[i].agent, b[i].agent);
            EXPECT_EQ(a[i].agentVersion, b[i].agentVersion);
            EXPECT_EQ(a[i].model, b[i].model);
            EXPECT_EQ(a[i].session, b[i].session);
            EXPECT_EQ(a[i].startMs, b[i].startMs);
            EXPECT_EQ(a[i].latencyMs, b[i].latencyMs);
            EXPECT_EQ(a[i].inputTokens, b[i].inputTokens);
            EXPECT_EQ(a[i].outputTokens, b[i].outputTokens);
            EXPECT_EQ(a[i].costUsd, b[i].costUsd);
            EXPECT_EQ(a[i].metadataJson, b[i].metadataJson);
            ASSERT_EQ(a[i].messages.size(), b[i].messages.size());
            for (size_t m = 0; m < a[i].messages.size(); ++m) {
                EXPECT_EQ(a[i].messages[m].role, b[i].messages[m].role);
                EXPECT_EQ(a[i].messages[m].content, b[i].messages[m].content);
            }
            ASSERT_EQ(a[i].toolCalls.size(), b[i].toolCalls.size());
            for (size_t c = 0; c < a[i].toolCalls.size(); ++c) {
                EXPECT_EQ(a[i].toolCalls[c].name, b[i].toolCalls[c].name);
                EXPECT_EQ(a[i].toolCalls[c].arguments, b[i].toolCalls[c].arguments);
                EXPECT_EQ(a[i].toolCalls[c].result, b[i].toolCalls[c].result);
                EXPECT_EQ(a[i].toolCalls[c].status, b[i].toolCalls[c].status);
            }
            ASSERT_EQ(a[i].scores.size(), b[i].scores.size());
            EXPECT_EQ(a[i].spans.size(), b[i].spans.size());
        }
    }
}
