#include "../test_helpers.h"
#include "core/ingest/canonical_json.h"
#include "core/ingest/record_parser.h"
#include "core/signals/detectors.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

using namespace winnow;

namespace {
struct Parsed
{
    Interaction interaction;
    std::string error;
};

Parsed parse(const std::string& json, const FieldMapping& mapping = {})
{
    simdjson::dom::parser parser;
    simdjson::padded_string padded(json);
    simdjson::dom::element element;
    Parsed result;
    if (parser.parse(padded).get(element)) {
        result.error = "invalid JSON";
        return result;
    }
    RecordParser records(mapping);
    result.error = records.parse(element, json, result.interaction);
    return result;
}

std::vector<std::string> lines(const std::string& text)
{
    std::vector<std::string> result;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        result.push_back(line);
    return result;
}
} // namespace

TEST(RecordParser, CanonicalRecordWithEveryField)
{
    const auto p =
        parse(R"({"id":"c-1","session":"s-1","user":"u-1","agent":"support-bot","agent_version":"2.3.0",
        "model":"gpt-4o-mini","channel":"web","intent":"refund","start_time":"2026-03-01T10:00:00Z",
        "end_time":"2026-03-01T10:00:02.350Z","input_tokens":812,"output_tokens":164,"cost_usd":0.00022,
        "outcome":"resolved","feedback":{"thumb":"down","rating":2,"comment":"meh"},"scores":{"reward":0.8,"judge_ok":true},
        "metadata":{"region":"eu"},"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_EQ(p.error, "");
    const Interaction& in = p.interaction;
    EXPECT_EQ(in.key, "c-1");
    EXPECT_EQ(in.session, "s-1");
    EXPECT_EQ(in.agentVersion, "2.3.0");
    EXPECT_EQ(*in.startMs, 1772359200000);
    EXPECT_DOUBLE_EQ(*in.latencyMs, 2350); // derived from start and end
    EXPECT_EQ(*in.inputTokens, 812);
    EXPECT_DOUBLE_EQ(*in.costUsd, 0.00022);
    EXPECT_EQ(*in.thumb, -1);
    EXPECT_DOUBLE_EQ(*in.rating, 2);
    EXPECT_EQ(in.feedbackComment, "meh");
    ASSERT_EQ(in.scores.size(), 2u);
    EXPECT_EQ(in.scores[1].name, "judge_ok");
    EXPECT_DOUBLE_EQ(in.scores[1].value, 1);
    EXPECT_EQ(in.metadataJson, "{\"region\":\"eu\"}");
    ASSERT_EQ(in.messages.size(), 1u);
}

TEST(RecordParser, RealWorldOpenAiMessages)
{
    const auto records = lines(test::readFile(test::dataFile("openai_messages.jsonl")));
    ASSERT_EQ(records.size(), 3u);

    const auto first = parse(records[0]);
    ASSERT_EQ(first.error, "");
    const Interaction& a = first.interaction;
    EXPECT_EQ(a.key, "chatcmpl-9x1");
    EXPECT_EQ(*a.startMs, 1761984000000);
    EXPECT_EQ(*a.inputTokens, 412); // from usage.prompt_tokens
    ASSERT_EQ(a.messages.size(), 5u);
    EXPECT_TRUE(a.messages[2].contentIsNull);
    ASSERT_EQ(a.toolCalls.size(), 1u);
    EXPECT_EQ(a.toolCalls[0].callId, "call_abc");
    EXPECT_EQ(a.toolCalls[0].name, "search_flights");
    EXPECT_EQ(a.toolCalls[0].arguments, R"({"destination":"LIS","date":"2026-11-27"})");
    EXPECT_EQ(a.toolCalls[0].result, R"([{"flight":"TP1351","price":189}])");
    EXPECT_EQ(a.toolCalls[0].messageIndex, 2);
    EXPECT_EQ(a.toolCalls[0].resultMessageIndex, 3);

    const auto second = parse(records[1]);
    ASSERT_EQ(second.error, "");
    EXPECT_EQ(second.interaction.messages[0].content, "What's in this picture?");
    EXPECT_NE(second.interaction.messages[0].partsJson.find("image_url"), std::string::npos);

    const auto third = parse(records[2]);
    ASSERT_EQ(third.error, "");
    const Interaction& c = third.interaction;
    EXPECT_EQ(*c.startMs, 1761984010123);
    ASSERT_EQ(c.toolCalls.size(), 2u);
    EXPECT_EQ(c.toolCalls[0].arguments, R"({"city":"Paris"})"); // an object, kept as JSON text
    EXPECT_EQ(c.toolCalls[0].result, R"({"temp":14})");         // answered out of order, joined by id
    EXPECT_EQ(c.toolCalls[1].result, R"({"temp":21})");
}

TEST(RecordParser, WithoutAnIdTheKeyIsAContentHash)
{
    const auto a = parse(R"({"messages":[{"role":"user","content":"hi"}]})");
    const auto b = parse(R"({"messages":[{"role":"user","content":"hi"}]})");
    const auto c = parse(R"({"messages":[{"role":"user","content":"hello"}]})");
    EXPECT_EQ(a.interaction.key.rfind("h:", 0), 0u);
    EXPECT_EQ(a.interaction.key, b.interaction.key);
    EXPECT_NE(a.interaction.key, c.interaction.key);
}

TEST(RecordParser, MappingReadsDottedPathsScoresAndMetadata)
{
    FieldMapping mapping;
    for (const char* spec :
         {"id=episode", "messages=traj", "scores.reward=reward", "metadata.end_reason=info.source",
          "start_time=info.ts", "agent=agent.name", "agent_version=agent.version"})
        ASSERT_EQ(mapping.add(spec), "");
    const auto p =
        parse(R"({"episode":"ep-1","traj":[{"role":"user","content":"x"},{"from":"gpt","value":"y"}],
        "reward":0.75,"info":{"source":"timeout","ts":"2026-01-05T10:00:00+01:00"},"agent":{"name":"it","version":"1.5"}})",
              mapping);
    ASSERT_EQ(p.error, "");
    EXPECT_EQ(p.interaction.key, "ep-1");
    EXPECT_EQ(p.interaction.agent, "it");
    EXPECT_EQ(p.interaction.agentVersion, "1.5");
    EXPECT_EQ(*p.interaction.startMs, 1767603600000);
    ASSERT_EQ(p.interaction.messages.size(), 2u);
    EXPECT_EQ(p.interaction.messages[1].role, "assistant");
    EXPECT_EQ(p.interaction.messages[1].content, "y");
    ASSERT_EQ(p.interaction.scores.size(), 1u);
    EXPECT_EQ(p.interaction.scores[0].name, "reward");
    EXPECT_DOUBLE_EQ(p.interaction.scores[0].value, 0.75);
    EXPECT_EQ(p.interaction.metadataJson, "{\"end_reason\":\"timeout\"}");
}

TEST(RecordParser, MappingRejectsUnknownTargetsAndMalformedSpecs)
{
    FieldMapping mapping;
    EXPECT_NE(mapping.add("colour=x"), "");
    EXPECT_NE(mapping.add("messages"), "");
    EXPECT_NE(mapping.add("=x"), "");
    EXPECT_EQ(mapping.add("scores.anything=a.b"), "");
    std::string error;
    const auto restored = FieldMapping::fromJson(mapping.toJson(), error);
    ASSERT_TRUE(restored);
    EXPECT_EQ(restored->entries(), mapping.entries());
    EXPECT_FALSE(FieldMapping::fromJson("[1]", error));
}

TEST(RecordParser, WrongTypesAreReportedWithTheField)
{
    EXPECT_EQ(parse(R"({"input_tokens":"many"})").error,
              "field \"input_tokens\": expected a number, found a string");
    EXPECT_EQ(parse(R"({"input_tokens":1.5})").error,
              "field \"input_tokens\": expected a whole number, found 1.5");
    EXPECT_EQ(parse(R"({"messages":"hello"})").error,
              "field \"messages\": expected an array, found a string");
    EXPECT_EQ(parse(R"({"messages":[{"content":"no role"}]})").error, "messages[0]: missing role");
    EXPECT_EQ(parse(R"({"messages":[{"role":"user","content":42}]})").error,
              "messages[0].content: expected a string, null or an array of parts");
    EXPECT_EQ(parse(R"({"start_time":"last tuesday"})").error,
              "field \"start_time\": \"last tuesday\" is not an ISO 8601 time");
    EXPECT_EQ(parse(R"({"agent":{"name":"x"}})").error,
              "field \"agent\": expected a string, found an object");
    EXPECT_EQ(parse(R"([1,2])").error, "a record must be a JSON object, found an array");
    EXPECT_EQ(parse(R"({"feedback":"meh"})").error,
              "field \"feedback\": expected an object {thumb, rating, comment} or up/down");
}

TEST(RecordParser, CanonicalJsonRoundTrips)
{
    const auto records = lines(test::readFile(test::dataFile("openai_messages.jsonl")));
    for (const std::string& record : records) {
        const auto original = parse(record);
        ASSERT_EQ(original.error, "");
        const auto again = parse(canonicalJson(original.interaction));
        ASSERT_EQ(again.error, "") << canonicalJson(original.interaction);
        EXPECT_EQ(canonicalJson(again.interaction), canonicalJson(original.interaction));
        EXPECT_EQ(again.interaction.messages.size(), original.interaction.messages.size());
        EXPECT_EQ(again.interaction.toolCalls.size(), original.interaction.toolCalls.size());
    }
}

// Some frameworks and public trajectory sets reuse a call id within one conversation ("call_0"
// for every turn's call). Each requested call stays its own call; a result answers the latest
// earlier call with that id still unanswered; top-level entries join in order.
TEST(RecordParser, ReusedToolCallIdsStayDistinctCalls)
{
    const std::string messages =
        R"("messages":[{"role":"user","content":"Where is order A1? I want a person."},)"
        R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_0","type":"function","function":{"name":"lookup_order","arguments":"{\"id\":\"A1\"}"}}]},)"
        R"({"role":"tool","tool_call_id":"call_0","content":"{\"status\":\"shipped\"}"},)"
        R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_0","type":"function","function":{"name":"transfer_to_human_agents","arguments":"{}"}}]},)"
        R"({"role":"tool","tool_call_id":"call_0","content":"Transfer successful"},)"
        R"({"role":"assistant","content":"A colleague will take over."}])";
    const std::string entries =
        R"("tool_calls":[{"id":"call_0","status":"error","error":"Timeout","latency_ms":120},{"id":"call_0","status":"ok","latency_ms":30}])";
    // The top-level entries before or after the messages: the same calls.
    for (const std::string& record : {"{\"id\":\"r\"," + messages + "," + entries + "}",
                                      "{\"id\":\"r\"," + entries + "," + messages + "}"}) {
        SCOPED_TRACE(record.substr(0, 30));
        const auto parsed = parse(record);
        ASSERT_EQ(parsed.error, "");
        const auto& calls = parsed.interaction.toolCalls;
        ASSERT_EQ(calls.size(), 2u);
        EXPECT_EQ(calls[0].name, "lookup_order");
        EXPECT_EQ(calls[0].arguments, R"({"id":"A1"})");
        EXPECT_EQ(calls[0].result, R"({"status":"shipped"})");
        EXPECT_EQ(calls[0].messageIndex, 1);
        EXPECT_EQ(calls[0].resultMessageIndex, 2);
        EXPECT_EQ(calls[0].status, "error");
        EXPECT_EQ(calls[0].error, "Timeout");
        EXPECT_EQ(*calls[0].latencyMs, 120);
        EXPECT_EQ(calls[1].name, "transfer_to_human_agents");
        EXPECT_EQ(calls[1].result, "Transfer successful");
        EXPECT_EQ(calls[1].messageIndex, 3);
        EXPECT_EQ(calls[1].resultMessageIndex, 4);
        EXPECT_EQ(calls[1].status, "ok");
        EXPECT_EQ(*calls[1].latencyMs, 30);
        // The handoff is a call of its own, so the escalation is found.
        SignalDetector detector{DetectorSettings{}};
        const auto signals = detector.detect(parsed.interaction);
        EXPECT_TRUE(std::any_of(signals.begin(), signals.end(),
                                [](const Signal& s) { return s.kind == SignalKind::Escalation; }));
    }
    // Two calls with one id in one message: each is its own call; the first result answers the
    // latest of them, the next result the other.
    const auto parallel = parse(
        R"({"messages":[{"role":"user","content":"Weather in Paris and Rome?"},)"
        R"({"role":"assistant","content":null,"tool_calls":[)"
        R"({"id":"c","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}},)"
        R"({"id":"c","function":{"name":"weather","arguments":"{\"city\":\"Rome\"}"}}]},)"
        R"({"role":"tool","tool_call_id":"c","content":"21"},{"role":"tool","tool_call_id":"c","content":"14"}]})");
    ASSERT_EQ(parallel.error, "");
    ASSERT_EQ(parallel.interaction.toolCalls.size(), 2u);
    EXPECT_EQ(parallel.interaction.toolCalls[1].result, "21");
    EXPECT_EQ(parallel.interaction.toolCalls[0].result, "14");
}
