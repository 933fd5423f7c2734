// What the official OpenTelemetry JS SDK and its OpenAI instrumentation really emit, recorded by
// tools/record-otlp-fixtures against a fake model server (tests/data/otel_js): the message
// content comes as log records, in files and requests of their own.

#include "../test_helpers.h"

#include <gtest/gtest.h>

#include <fstream>

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
