// What the official OpenTelemetry JS SDK and its OpenAI instrumentation really emit, recorded by
// tools/otel-js/record against a fake model server (tests/data/otel_js): the message
// content comes as log records, in files and requests of their own.

#include "../test_helpers.h"
#include "core/store/deletion.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace winnow;

namespace {

std::string fixture(const std::string& scenario, const std::string& file)
{
    return test::dataFile("otel_js/" + scenario + "/" + file);
}

std::string toolCalls(const std::string& store)
{
    sql::Connection db(store, sql::Connection::Mode::ReadOnly);
    sql::Statement select(db, "SELECT call_id, name, arguments, coalesce(result, '') FROM tool_calls "
                              "ORDER BY interaction_id, id");
    std::string text;
    while (select.step())
        text += select.text(0) + " " + select.text(1) + " " + select.text(2) + " -> " + select.text(3) + "\n";
    return text;
}

const std::string weatherConversation =
    "system: You are the travel desk assistant. Use tools when they help.\n"
    "user: What is the weather in Lisbon?\n"
    "assistant: \n"
    "tool: {\"temperature_c\":21,\"sky\":\"sunny\"}\n"
    "assistant: It is 21 °C and sunny in Lisbon right now.\n";
const char* interactionsInRollups =
    "SELECT sum(value) FROM rollups r JOIN rollup_metrics m ON m.id = r.metric_id "
    "WHERE m.name = 'interactions' AND r.granularity = 1 AND r.level = 0";
const std::string weatherCall = "call_weather_1 get_weather {\"city\":\"Lisbon\"} -> "
                                "{\"temperature_c\":21,\"sky\":\"sunny\"}\n";

} // namespace

// The application's own invoke_agent span holds both LLM calls: one trace. Its content arrives
// as log records; the logs file is read after the traces file, so every record comes after its
// trace was committed and is merged into it.
TEST(OtelJsFixtures, LogRecordsAfterTheirTraceMergeIntoIt)
{
    test::TestStore store;
    const IngestSummary traces = store.ingest({fixture("chat-agent", "traces.jsonl")});
    EXPECT_EQ(traces.ingested, 1);
    EXPECT_EQ(traces.quarantined, 0);
    EXPECT_EQ(test::conversation(store.path()), ""); // the spans carry no content
    const IngestSummary logs = store.ingest({fixture("chat-agent", "logs.jsonl")});
    EXPECT_EQ(logs.quarantined, 0);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions"), 1);
    EXPECT_EQ(test::conversation(store.path()), weatherConversation);
    EXPECT_EQ(toolCalls(store.path()), weatherCall);
    EXPECT_EQ(store.queryInt("SELECT input_tokens FROM interactions"), 82 + 120);
    EXPECT_EQ(test::queryRow(store.path(), "SELECT agent, session, model FROM interactions"),
              (std::vector<std::string>{"travel-desk", "conv-fixture-7", "gpt-4.1-2025-04-14"}));
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM spans"), 3);

    // Read again (a cron job's next run): nothing changes.
    store.ingest({fixture("chat-agent", "traces.jsonl"), fixture("chat-agent", "logs.jsonl")});
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions"), 1);
    EXPECT_EQ(test::conversation(store.path()), weatherConversation);
}

TEST(OtelJsFixtures, LogRecordsBeforeTheirSpansWaitForThem)
{
    test::TestStore logsFirst;
    logsFirst.ingest({fixture("chat-agent", "logs.jsonl"), fixture("chat-agent", "traces.jsonl")});
    EXPECT_EQ(logsFirst.queryInt("SELECT count(*) FROM interactions"), 1);
    EXPECT_EQ(test::conversation(logsFirst.path()), weatherConversation);
    EXPECT_EQ(toolCalls(logsFirst.path()), weatherCall);

    // One file with both, log records first (as an exporter with a shorter delay sends them).
    test::TempDir dir;
    const std::string both =
        dir.write("both.jsonl", test::readFile(fixture("chat-agent", "logs.jsonl")) +
                                    test::readFile(fixture("chat-agent", "traces.jsonl")));
    test::TestStore oneFile;
    EXPECT_EQ(oneFile.ingest({both}).ingested, 1);
    EXPECT_EQ(test::conversation(oneFile.path()), weatherConversation);
}

// The Responses API instrumentation sends gen_ai.client.inference.operation.details records,
// whose attributes hold the input and output messages.
TEST(OtelJsFixtures, OperationDetailsRecordsCarryTheMessages)
{
    test::TestStore store;
    store.ingest({fixture("responses", "traces.jsonl"), fixture("responses", "logs.jsonl")});
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions"), 1);
    EXPECT_EQ(test::conversation(store.path()),
              "system: You are the order desk assistant.\n"
              "user: Where is my order #4411?\n"
              "assistant: Your order #4411 left our warehouse yesterday.\n");
}

// Log records whose spans never come are kept: a stand-in LLM span holds them.
TEST(OtelJsFixtures, LogRecordsWithoutTheirSpansAreKept)
{
    test::TestStore store;
    const IngestSummary summary = store.ingest({fixture("responses", "logs.jsonl")});
    EXPECT_EQ(summary.ingested, 1);
    EXPECT_EQ(summary.quarantined, 0);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM messages"), 3);
}

// A log record that names no span cannot be joined: quarantined with its line and reason, never
// dropped in silence; application log lines that are not GenAI events are not conversations.
TEST(OtelJsFixtures, UnjoinableLogRecordsAreQuarantined)
{
    test::TempDir dir;
    const std::string path = dir.write(
        "logs.jsonl",
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"gen_ai.user.message","body":{"kvlistValue":{"values":[{"key":"content","value":{"stringValue":"hi"}}]}}}]}]}]})"
        "\n"
        R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"GET /health 200"}}]}]}]})"
        "\n");
    test::TestStore store;
    const IngestSummary summary = store.ingest({path});
    EXPECT_EQ(summary.ingested, 0);
    EXPECT_EQ(summary.quarantined, 1);
    const auto quarantine = store.quarantine();
    ASSERT_EQ(quarantine.size(), 1u);
    EXPECT_EQ(quarantine[0].record.line, 1);
    EXPECT_NE(quarantine[0].record.reason.find("cannot be joined"), std::string::npos)
        << quarantine[0].record.reason;
}

// Without an agent span, the instrumentation traces each model call of one run as a trace of its
// own: the second call's input continues the first call's conversation, so they are one
// interaction, whichever order the traces and log records come in.
TEST(OtelJsFixtures, ModelCallsTracedOneByOneAreOneRun)
{
    const std::string traces = fixture("chat-tools", "traces.jsonl"),
                      logs = fixture("chat-tools", "logs.jsonl");
    std::string expectedTokens;
    for (const auto& order :
         {std::vector<std::string>{traces, logs}, std::vector<std::string>{logs, traces}}) {
        test::TestStore store;
        store.ingest(order);
        EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions"), 1);
        EXPECT_EQ(test::conversation(store.path()), weatherConversation);
        EXPECT_EQ(toolCalls(store.path()), weatherCall);
        EXPECT_EQ(store.queryInt("SELECT input_tokens FROM interactions"), 82 + 120);
        EXPECT_EQ(store.queryInt("SELECT output_tokens FROM interactions"), 17 + 14);
        EXPECT_EQ(store.queryInt("SELECT count(*) FROM spans"), 2);
        // The run lasts from its first call's start to its last call's end.
        EXPECT_EQ(store.queryInt("SELECT round(latency_ms) FROM interactions"),
                  store.queryInt("SELECT round((max(end_ns) - min(start_ns)) / 1e6) FROM spans"));
        // The rollups count one interaction, with both calls' tokens.
        EXPECT_EQ(store.queryInt(interactionsInRollups), 1);
    }
    // Log records in a later run than their traces, one record at a time (a cron job's reads).
    test::TestStore cron;
    cron.ingest({traces});
    EXPECT_EQ(cron.queryInt("SELECT count(*) FROM interactions"), 2); // nothing says they belong together yet
    std::istringstream lines(test::readFile(logs));
    int n = 0;
    for (std::string line; std::getline(lines, line);)
        cron.ingest({cron.dir().write("logs-" + std::to_string(++n) + ".jsonl", line + "\n")});
    EXPECT_EQ(cron.queryInt("SELECT count(*) FROM interactions"), 1);
    EXPECT_EQ(test::conversation(cron.path()), weatherConversation);
    EXPECT_EQ(cron.queryInt(interactionsInRollups), 1);
}

namespace {

// A model call traced on its own (its root span is the call): input and output messages as the
// newest GenAI attributes.
std::string modelCall(const std::string& trace, const std::string& input, const std::string& output,
                      std::int64_t startSeconds, const std::string& more = "", bool underAnAgent = false)
{
    auto escaped = [](const std::string& text) {
        std::string out;
        for (char c : text) {
            if (c == '"' || c == '\\')
                out += '\\';
            out += c;
        }
        return out;
    };
    auto attribute = [&](const std::string& key, const std::string& value) {
        return R"({"key":")" + key + R"(","value":{"stringValue":")" + escaped(value) + R"("}})";
    };
    const std::string start = std::to_string(1'790'000'000 + startSeconds) + "000000000";
    const std::string end = std::to_string(1'790'000'001 + startSeconds) + "000000000";
    std::string spans =
        R"({"traceId":")" + trace + R"(","spanId":"00000000000000c1",)" +
        (underAnAgent ? R"("parentSpanId":"00000000000000a1",)" : "") + R"("name":"chat m","kind":3,)" +
        R"("startTimeUnixNano":")" + start + R"(","endTimeUnixNano":")" + end + R"(","attributes":[)" +
        attribute("gen_ai.operation.name", "chat") + "," + attribute("gen_ai.input.messages", input) + "," +
        attribute("gen_ai.output.messages", output) + (more.empty() ? "" : "," + more) + "]}";
    if (underAnAgent)
        spans += R"(,{"traceId":")" + trace + R"(","spanId":"00000000000000a1","name":"invoke_agent a",)" +
                 R"("startTimeUnixNano":")" + start + R"(","endTimeUnixNano":")" + end +
                 R"(","attributes":[)" + attribute("gen_ai.operation.name", "invoke_agent") + "]}";
    return R"({"resourceSpans":[{"resource":{"attributes":[)" + attribute("service.name", "desk") +
           R"(]},"scopeSpans":[{"spans":[)" + spans + "]}]}]}\n";
}

std::string trace(int n)
{
    std::string id = std::to_string(n);
    return std::string(32 - id.size(), '0') + id;
}

const std::string hi = R"([{"role":"user","content":"Hi"}])";
const std::string hello = R"([{"role":"assistant","content":"Hello! How can I help?"}])";
const std::string booking =
    R"([{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello! How can I help?"},{"role":"user","content":"Book a table for two"}])";
const std::string booked = R"([{"role":"assistant","content":"Booked for 8 pm."}])";

std::string session(const std::string& id)
{
    return R"({"key":"gen_ai.conversation.id","value":{"stringValue":")" + id + R"("}})";
}

} // namespace

// When calls are joined, exactly: the next call's input strictly extends the conversation the run
// ended in, of the same agent (and conversation id where both have one), within 30 minutes.
TEST(OtlpRuns, ACallJoinsTheRunItsInputContinues)
{
    test::TempDir dir;
    auto count = [&](const std::string& content) {
        test::TestStore store;
        store.ingest({dir.write("in.jsonl", content)});
        return store.queryInt("SELECT count(*) FROM interactions");
    };
    EXPECT_EQ(count(modelCall(trace(1), hi, hello, 0) + modelCall(trace(2), booking, booked, 20)), 1);
    // The same first turn twice is two conversations (nothing continues).
    EXPECT_EQ(count(modelCall(trace(1), hi, hello, 0) + modelCall(trace(2), hi, hello, 20)), 2);
    // A different conversation id.
    EXPECT_EQ(count(modelCall(trace(1), hi, hello, 0, session("s1")) +
                    modelCall(trace(2), booking, booked, 20, session("s2"))),
              2);
    EXPECT_EQ(count(modelCall(trace(1), hi, hello, 0, session("s1")) +
                    modelCall(trace(2), booking, booked, 20, session("s1"))),
              1);
    // Two hours later.
    EXPECT_EQ(count(modelCall(trace(1), hi, hello, 0) + modelCall(trace(2), booking, booked, 7200)), 2);
    // Under an agent span, a trace is its run: never joined.
    EXPECT_EQ(count(modelCall(trace(1), hi, hello, 0, "", true) +
                    modelCall(trace(2), booking, booked, 20, "", true)),
              2);
    // Across ingest runs: the run is found in the store.
    test::TestStore store;
    store.ingest({dir.write("first.jsonl", modelCall(trace(1), hi, hello, 0))});
    const IngestSummary second =
        store.ingest({dir.write("second.jsonl", modelCall(trace(2), booking, booked, 20))});
    EXPECT_EQ(second.files.at(0).updated, 1);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions"), 1);
    EXPECT_EQ(test::conversation(store.path()),
              "user: Hi\nassistant: Hello! How can I help?\nuser: Book a table for "
              "two\nassistant: Booked for 8 pm.\n");
    EXPECT_EQ(test::queryRow(store.path(), "SELECT key FROM interactions").at(0), "trace:" + trace(1));
}

// Deleting interactions takes their traces' stored sources and runs with them: the same OTLP input
// read again (--replace) makes them anew, not a retry of what was merged.
TEST(OtelJsFixtures, ReadingAgainAfterADeletionMakesTheInteractionsAnew)
{
    test::TestStore store;
    const std::vector<std::string> files = {fixture("chat-tools", "traces.jsonl"),
                                            fixture("chat-tools", "logs.jsonl")};
    store.ingest(files);
    ASSERT_EQ(store.queryInt("SELECT count(*) FROM interactions"), 1);
    auto deleted = deleteInteractions(store.reader(), *store.writer, DeleteSelection{});
    ASSERT_TRUE(deleted);
    EXPECT_EQ(deleted->deleted, 1);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM otlp_sources"), 0);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM otlp_runs"), 0);
    IngestOptions again;
    again.replace = true;
    store.ingest(files, again);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions"), 1);
    EXPECT_EQ(test::conversation(store.path()), weatherConversation);
}
