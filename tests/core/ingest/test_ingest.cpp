#include "../test_helpers.h"
#include "core/demo/generator.h"
#include "core/ingest/canonical_json.h"
#include "core/ingest/ingestor.h"
#include "core/ingest/validation.h"
#include "core/store/search_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <tuple>

#include <thread>

#include <sys/stat.h>
#include <unistd.h>

using namespace winnow;

namespace {

std::string record(int i, const std::string& text = "hello")
{
    return R"({"id":"r-)" + std::to_string(i) +
           R"(","agent":"a","start_time":"2026-01-01T00:00:00Z","messages":[{"role":"user","content":")" +
           text + R"("},{"role":"assistant","content":"ok"}]})";
}

std::string records(int from, int to)
{
    std::string out;
    for (int i = from; i < to; ++i)
        out += record(i) + "\n";
    return out;
}

struct Fixture
{
    test::TestStore store;
    const test::TempDir& dir = store.dir();
    IngestSummary ingest(const std::vector<std::string>& paths, IngestOptions options = {})
    {
        return store.ingest(paths, options);
    }
};

} // namespace

TEST(Ingest, WinnowJsonlFile)
{
    Fixture f;
    const auto path = f.dir.write("a.jsonl", records(0, 10));
    const auto summary = f.ingest({path});
    EXPECT_EQ(summary.ingested, 10);
    EXPECT_EQ(summary.quarantined, 0);
    EXPECT_EQ(summary.bytes, static_cast<std::int64_t>(std::filesystem::file_size(path)));
    ASSERT_EQ(summary.files.size(), 1u);
    EXPECT_EQ(summary.files[0].format, "jsonl");
    EXPECT_EQ(f.store.stats().messages, 20);
    EXPECT_EQ(summary.indexError, "");
    auto index = test::openIndex(f.store.path()); // brought up to date during the ingest
    EXPECT_EQ(index->pending(), 0);
    EXPECT_EQ(index->searchInteractions("hello", 100).size(), 10u);
}

TEST(Ingest, TheSearchIndexCanBeLeftForLater)
{
    Fixture f;
    IngestOptions options;
    options.indexText = false;
    f.ingest({f.dir.write("a.jsonl", records(0, 10))}, options);
    auto index = test::openIndex(f.store.path());
    EXPECT_EQ(index->pending(), 20);
    EXPECT_TRUE(index->searchInteractions("hello", 100).empty());
}

TEST(Ingest, ReingestingAddsNothing)
{
    Fixture f;
    const auto path = f.dir.write("a.jsonl", records(0, 10));
    f.ingest({path});
    const auto again = f.ingest({path});
    EXPECT_EQ(again.ingested, 0);
    EXPECT_EQ(again.bytes, 0); // nothing new to read: the source offset is at the end
    // The same records in another file are recognised by their ids.
    const auto copy = f.dir.write("copy.jsonl", records(0, 10));
    const auto fromCopy = f.ingest({copy});
    EXPECT_EQ(fromCopy.ingested, 0);
    EXPECT_EQ(fromCopy.duplicates, 10);
    EXPECT_EQ(f.store.stats().interactions, 10);
}

TEST(Ingest, RecordsWithoutIdsAreDeduplicatedByContent)
{
    Fixture f;
    const std::string line = R"({"messages":[{"role":"user","content":"same"}]})";
    const auto path = f.dir.write(
        "a.jsonl", line + "\n" + line + "\n" + R"({"messages":[{"role":"user","content":"other"}]})" + "\n");
    const auto summary = f.ingest({path});
    EXPECT_EQ(summary.ingested, 2);
    EXPECT_EQ(summary.duplicates, 1);
}

TEST(Ingest, TailingReadsOnlyNewBytesAndWaitsForAPartialLine)
{
    Fixture f;
    const auto path = f.dir.write("live.jsonl", records(0, 5));
    EXPECT_EQ(f.ingest({path}).ingested, 5);
    // A writer appends three records and half of a fourth.
    const std::string fourth = record(8);
    f.dir.append("live.jsonl", records(5, 8) + fourth.substr(0, 20));
    IngestOptions follow;
    follow.follow = true;
    auto summary = f.ingest({path}, follow);
    EXPECT_EQ(summary.ingested, 3);
    EXPECT_EQ(summary.duplicates, 0);
    EXPECT_EQ(summary.quarantined, 0);
    EXPECT_EQ(summary.files[0].pendingBytes, 20);
    f.dir.append("live.jsonl", fourth.substr(20) + "\n");
    summary = f.ingest({path}, follow);
    EXPECT_EQ(summary.ingested, 1);
    EXPECT_EQ(summary.duplicates, 0);
    EXPECT_EQ(f.store.stats().interactions, 9);
    EXPECT_EQ(f.store.sources()[0].line, 9);
}

TEST(Ingest, AnUnterminatedLastLineIsTakenWhenCompleteUnlessTailing)
{
    Fixture f;
    const auto path = f.dir.write("a.jsonl", records(0, 2) + record(2)); // no final newline
    const auto summary = f.ingest({path});
    EXPECT_EQ(summary.ingested, 3);
    EXPECT_EQ(summary.files[0].pendingBytes, 0);
    // An incomplete last line is neither taken nor quarantined: it waits.
    const auto partial = f.dir.write("b.jsonl", records(10, 12) + record(12).substr(0, 30));
    const auto second = f.ingest({partial});
    EXPECT_EQ(second.ingested, 2);
    EXPECT_EQ(second.quarantined, 0);
    EXPECT_EQ(second.files[0].pendingBytes, 30);
}

TEST(Ingest, TruncatedFileStartsOver)
{
    Fixture f;
    const auto path = f.dir.write("log.jsonl", records(0, 10));
    f.ingest({path});
    f.dir.write("log.jsonl", records(100, 103)); // truncated and rewritten, shorter than the offset
    const auto summary = f.ingest({path});
    EXPECT_TRUE(summary.files[0].restarted);
    EXPECT_EQ(summary.ingested, 3);
    EXPECT_EQ(f.store.stats().interactions, 13);
}

TEST(Ingest, RotatedFileStartsOver)
{
    Fixture f;
    const auto path = f.dir.write("log.jsonl", records(0, 10));
    f.ingest({path});
    // logrotate: the old file moves away, a new file with other content takes the name, and it
    // is already longer than the old offset.
    std::filesystem::rename(path, f.dir.path("log.jsonl.1"));
    f.dir.write("log.jsonl", records(200, 230));
    const auto summary = f.ingest({path});
    EXPECT_TRUE(summary.files[0].restarted);
    EXPECT_EQ(summary.ingested, 30);
    EXPECT_EQ(summary.duplicates, 0);
}

TEST(Ingest, BadRecordsAreQuarantinedWithLineAndReasonAndNeverStopTheRun)
{
    Fixture f;
    std::string content = record(0) + "\n";
    content += "{\"id\": \"broken\", \n"; // line 2: malformed JSON
    content += R"({"id":"t","input_tokens":"lots"})"
               "\n";                                                  // line 3: wrong type
    content += std::string("{\"id\":\"u\",\"agent\":\"caf\xe9\"}\n"); // line 4: invalid UTF-8
    content += "[1,2,3]\n";                                           // line 5: not an object
    content += "\n   \n";                                             // blank lines are not records
    content += record(1) + "\n";
    const auto path = f.dir.write("bad.jsonl", content);
    const auto summary = f.ingest({path});
    EXPECT_EQ(summary.ingested, 2);
    EXPECT_EQ(summary.quarantined, 4);
    const auto entries = f.store.quarantine();
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0].record.line, 2);
    EXPECT_NE(entries[0].record.reason.find("invalid JSON"), std::string::npos);
    EXPECT_EQ(entries[0].record.excerpt, "{\"id\": \"broken\",");
    EXPECT_EQ(entries[1].record.line, 3);
    EXPECT_EQ(entries[1].record.reason, "field \"input_tokens\": expected a number, found a string");
    EXPECT_EQ(entries[2].record.line, 4);
    EXPECT_EQ(entries[2].record.reason, "invalid UTF-8");
    EXPECT_EQ(entries[2].record.excerpt, "{\"id\":\"u\",\"agent\":\"caf\\xe9\"}");
    EXPECT_EQ(entries[3].record.line, 5);
    EXPECT_EQ(entries[3].record.byteOffset, static_cast<std::int64_t>(content.find("[1,2,3]")));
    EXPECT_EQ(f.store.sources()[0].quarantined, 4);
    // Re-reading the file does not quarantine them twice.
    f.ingest({path});
    EXPECT_EQ(f.store.stats().quarantined, 4);
}

TEST(Ingest, AHugeLineIsQuarantinedWithoutHoldingItInMemory)
{
    Fixture f;
    std::string content = record(0) + "\n";
    content += "{\"id\":\"huge\",\"messages\":[{\"role\":\"user\",\"content\":\"" +
               std::string(50u << 20, 'x') + "\"}]}\n";
    content += record(1) + "\n";
    const auto path = f.dir.write("huge.jsonl", content);
    IngestOptions options;
    options.maxRecordBytes = 8u << 20;
    const auto summary = f.ingest({path}, options);
    EXPECT_EQ(summary.ingested, 2);
    EXPECT_EQ(summary.quarantined, 1);
    const auto entries = f.store.quarantine();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].record.line, 2);
    EXPECT_EQ(entries[0].record.reason, "record longer than 8 MiB");
    EXPECT_LT(entries[0].record.excerpt.size(), 1000u);
    EXPECT_EQ(f.store.sources()[0].line, 3);
}

TEST(Ingest, ABinaryFileIsQuarantinedWhole)
{
    Fixture f;
    std::string bytes(10000, '\0');
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<char>((i * 7919) % 256);
    const auto path = f.dir.write("image.png", bytes);
    const auto summary = f.ingest({path});
    EXPECT_EQ(summary.ingested, 0);
    EXPECT_EQ(summary.quarantined, 1);
    EXPECT_EQ(f.store.quarantine()[0].record.reason, "binary file (NUL bytes in its first 4 KiB)");
    const auto again = f.ingest({path});
    EXPECT_EQ(again.quarantined, 0); // reported once, not on every run
    EXPECT_EQ(f.store.stats().quarantined, 1);
}

TEST(Ingest, MissingFilesAreReportedNotFatal)
{
    Fixture f;
    const auto good = f.dir.write("a.jsonl", records(0, 2));
    const auto summary = f.ingest({f.dir.path("nope.jsonl"), good});
    ASSERT_EQ(summary.files.size(), 2u);
    ASSERT_TRUE(summary.files[0].error);
    EXPECT_EQ(summary.files[0].error->location.path, f.dir.path("nope.jsonl"));
    EXPECT_EQ(summary.unreadable(), 1);
    EXPECT_EQ(summary.ingested, 2);
}

TEST(Ingest, FoldersAreReadRecursivelySkippingHiddenEntries)
{
    Fixture f;
    std::filesystem::create_directories(f.dir.path("logs/day2"));
    std::filesystem::create_directories(f.dir.path("logs/.cache"));
    f.dir.write("logs/day1.jsonl", records(0, 3));
    f.dir.write("logs/day2/part.jsonl", records(3, 5));
    f.dir.write("logs/.cache/x.jsonl", records(50, 60));
    const auto summary = f.ingest({f.dir.path("logs")});
    EXPECT_EQ(summary.files.size(), 2u);
    EXPECT_EQ(summary.ingested, 5);
}

TEST(Ingest, JsonArrayOfRecordsWithAMapping)
{
    Fixture f;
    IngestOptions options;
    for (const char* spec :
         {"id=episode", "messages=traj", "scores.reward=reward", "metadata.end_reason=info.source",
          "start_time=info.ts", "agent=agent.name", "agent_version=agent.version"})
        ASSERT_EQ(options.mapping.add(spec), "");
    const auto summary = f.ingest({test::dataFile("generic_records.json")}, options);
    EXPECT_EQ(summary.files[0].format, "json");
    EXPECT_EQ(summary.ingested, 2);
    EXPECT_EQ(summary.quarantined, 0);
    EXPECT_EQ(f.store.stats().messages, 4);
    EXPECT_EQ(f.store.queryInt("SELECT count(*) FROM scores WHERE name = 'reward'"), 2);
    EXPECT_EQ(f.store.queryInt("SELECT count(*) FROM interactions WHERE agent_version = '1.5.0'"), 2);
}

TEST(Ingest, JsonArrayElementsCrossingReadChunksAreReadWhole)
{
    Fixture f;
    std::string content = "[\n";
    const std::string padding(2000, 'x');
    for (int i = 0; i < 4000; ++i) // 8 MB: elements straddle the 4 MiB read chunks
        content += (i ? ",\n  " : "  ") + record(i, padding);
    content += "\n]\n";
    const auto path = f.dir.write("big.json", content);
    const auto summary = f.ingest({path});
    EXPECT_EQ(summary.files[0].format, "json");
    EXPECT_EQ(summary.ingested, 4000);
    EXPECT_EQ(summary.quarantined, 0);
    EXPECT_EQ(summary.bytes, static_cast<std::int64_t>(content.size()));
}

TEST(Ingest, JsonArrayWithABadElementKeepsTheRest)
{
    Fixture f;
    const auto path = f.dir.write("a.json", "[\n" + record(0) + ",\n  42,\n" + record(1) +
                                                ",\n{\"id\": oops},\n" + record(2) + "\n]\n");
    const auto summary = f.ingest({path}, {InputFormat::Json});
    EXPECT_EQ(summary.ingested, 3);
    EXPECT_EQ(summary.quarantined, 2);
    const auto entries = f.store.quarantine();
    EXPECT_EQ(entries[0].record.line, 3);
    EXPECT_EQ(entries[0].record.reason, "a record must be a JSON object");
    EXPECT_EQ(entries[1].record.line, 5);
}

TEST(Ingest, OtlpFilesAreDetectedAndAssembled)
{
    Fixture f;
    auto summary =
        f.ingest({test::dataFile("otlp_genai_pretty.json"), test::dataFile("otlp_openinference.jsonl")});
    ASSERT_EQ(summary.files.size(), 2u);
    EXPECT_EQ(summary.files[0].format, "otlp");
    EXPECT_EQ(summary.files[1].format, "otlp");
    EXPECT_EQ(summary.ingested, 2);
    EXPECT_EQ(f.store.stats().toolCalls, 1);
}

TEST(Ingest, StandardInputIsReadAsAStream)
{
    Fixture f;
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const std::string content = records(0, 4) + "not json\n";
    ASSERT_EQ(write(fds[1], content.data(), content.size()), static_cast<ssize_t>(content.size()));
    close(fds[1]);
    Ingestor ingestor(*f.store.writer, {});
    const FileReport report = ingestor.ingestStream(fds[0], "stdin@test");
    close(fds[0]);
    EXPECT_EQ(report.ingested, 4);
    EXPECT_EQ(report.quarantined, 1);
}

TEST(Ingest, CancelStopsAtACommitAndAReRunFinishesWithExactCounts)
{
    Fixture f;
    std::string content;
    for (int i = 0; i < 3000; ++i)
        content += record(i) + "\n";
    const auto path = f.dir.write("big.jsonl", content);
    std::atomic<bool> cancel{false};
    IngestOptions options;
    options.batchInteractions = 100;
    options.cancel = &cancel;
    Ingestor ingestor(*f.store.writer, options);
    ingestor.onProgress = [&cancel](const IngestProgress& p) {
        if (p.ingested >= 500)
            cancel = true;
    };
    const auto first = ingestor.ingest({path});
    EXPECT_TRUE(first.cancelled);
    EXPECT_GE(first.ingested, 500);
    EXPECT_LT(first.ingested, 3000);
    EXPECT_EQ(f.store.stats().interactions, first.ingested);
    const auto second = f.ingest({path});
    EXPECT_EQ(first.ingested + second.ingested, 3000);
    EXPECT_EQ(f.store.stats().interactions, 3000);
    EXPECT_EQ(f.store.stats().messages, 6000);
}

// Every prefix and many byte-flipped copies of real records: each line is either ingested or
// quarantined, never lost, and nothing crashes.
TEST(Ingest, MangledRecordsAreIngestedOrQuarantinedNeverLost)
{
    DemoOptions demo;
    demo.interactions = 16;
    Fixture f;
    ASSERT_EQ(writeDemo(demo, DemoFormat::Otlp, f.dir.path("one.otlp")), "");
    std::string otlp = test::readFile(f.dir.path("one.otlp"));
    otlp.pop_back(); // the newline
    const std::string canonical = test::readFile(test::dataFile("openai_messages.jsonl")).substr(0, 600);
    for (const auto& [name, sample, format] :
         {std::tuple{"otlp", otlp, InputFormat::Otlp}, std::tuple{"jsonl", canonical, InputFormat::Jsonl}}) {
        std::string content;
        int lines = 0;
        for (size_t length = 1; length < sample.size(); length += 1 + sample.size() / 400) {
            std::string line = sample.substr(0, length);
            std::replace(line.begin(), line.end(), '\n', ' ');
            content += line + "\n";
            ++lines;
        }
        std::uint64_t state = 12345;
        for (int copy = 0; copy < 200; ++copy) {
            std::string line = sample;
            for (int flip = 0; flip < 3; ++flip) {
                state = state * 6364136223846793005ull + 1442695040888963407ull;
                const size_t at = (state >> 33) % line.size();
                line[at] = static_cast<char>((state >> 13) & 0xff);
            }
            std::replace(line.begin(), line.end(), '\n', ' ');
            content += line + "\n";
            ++lines;
        }
        test::TestStore store(f.dir.path(std::string(name) + ".db"));
        IngestOptions options;
        options.format = format;
        options.indexText = false;
        const auto summary = store.ingest({f.dir.write(std::string(name) + ".mangled", content)}, options);
        EXPECT_FALSE(summary.files[0].error) << name;
        EXPECT_EQ(store.stats().quarantined, summary.quarantined) << name;
        // Each line is quarantined or yields interactions (an OTLP line holds 16 traces, and a
        // byte flipped inside a string can leave valid JSON).
        const std::int64_t sources = store.queryInt("SELECT line FROM sources");
        EXPECT_EQ(sources, lines) << name;
        EXPECT_GE(summary.quarantined, lines * 7 / 10) << name;
        EXPECT_LE(summary.quarantined, lines) << name;
    }
}

TEST(Ingest, DemoLogsInBothFormatsGiveTheSameInteractions)
{
    Fixture f;
    DemoOptions options;
    options.interactions = 300;
    options.seed = 3;
    ASSERT_EQ(writeDemo(options, DemoFormat::Jsonl, f.dir.path("d.jsonl")), "");
    ASSERT_EQ(writeDemo(options, DemoFormat::Otlp, f.dir.path("d.otlp")), "");
    test::TestStore otlpStore(f.dir.path("otlp.db"));
    const auto jsonl = f.ingest({f.dir.path("d.jsonl")});
    const auto otlp = otlpStore.ingest({f.dir.path("d.otlp")});
    EXPECT_EQ(jsonl.ingested, 300);
    EXPECT_EQ(otlp.ingested, 300);
    EXPECT_EQ(otlp.files[0].format, "otlp");
    EXPECT_EQ(jsonl.quarantined + otlp.quarantined, 0);
    // Tool calls with their status and latency, tokens and cost survive the trip through spans.
    const char* figures = "SELECT count(*), sum(input_tokens), sum(output_tokens), round(sum(cost_usd), 6), "
                          "sum(thumb = -1), count(DISTINCT session) FROM interactions";
    EXPECT_EQ(test::queryRow(f.store.path(), figures), test::queryRow(otlpStore.path(), figures));
    const char* calls = "SELECT count(*), sum(status = 'error'), round(sum(latency_ms)) FROM tool_calls";
    EXPECT_EQ(test::queryRow(f.store.path(), calls), test::queryRow(otlpStore.path(), calls));
    // Spans carry every message up to the last model call; a user's reply after it is not traced.
    const char* upToLastAnswer =
        "SELECT count(*) FROM messages m WHERE m.seq <= (SELECT max(seq) FROM messages a "
        "WHERE a.interaction_id = m.interaction_id AND a.role = 'assistant')";
    EXPECT_EQ(f.store.queryInt(upToLastAnswer), otlpStore.queryInt(upToLastAnswer));
}

TEST(Ingest, AFifoOrOtherSpecialFileIsRefusedNotWaitedOn)
{
    Fixture f;
    const std::string fifo = f.dir.path("pipe.jsonl");
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const auto good = f.dir.write("a.jsonl", records(0, 2));
    // No writer ever opens the FIFO: opening it for reading would wait forever.
    const auto summary = f.ingest({fifo, good});
    ASSERT_EQ(summary.files.size(), 2u);
    ASSERT_TRUE(summary.files[0].error);
    EXPECT_NE(summary.files[0].error->message.find("not a regular file"), std::string::npos);
    EXPECT_EQ(summary.files[0].error->location.path, fifo);
    EXPECT_EQ(summary.ingested, 2);
}

TEST(Ingest, ValuesOutOfRangeAreQuarantinedWithTheirReason)
{
    Fixture f;
    std::string content = record(0) + "\n";
    content += R"({"id":"far","start_time":1e30,"messages":[{"role":"user","content":"x"}]})"
               "\n";
    content += R"({"id":"year","start_time":"9999-12-31T23:59:59Z"})"
               "\n"; // the last time allowed
    content += R"({"id":"neg","input_tokens":-5})"
               "\n";
    content += R"({"id":"slow","latency_ms":1e15})"
               "\n";
    content += R"({"id":"cost","cost_usd":-1})"
               "\n";
    content += record(1) + "\n";
    const auto summary = f.ingest({f.dir.write("range.jsonl", content)});
    EXPECT_EQ(summary.ingested, 3);
    EXPECT_EQ(summary.quarantined, 4);
    const auto entries = f.store.quarantine();
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0].record.line, 2);
    EXPECT_NE(entries[0].record.reason.find("\"start_time\""), std::string::npos);
    EXPECT_NE(entries[0].record.reason.find("a time beyond any date is out of range"), std::string::npos)
        << entries[0].record.reason;
    EXPECT_NE(entries[1].record.reason.find("\"input_tokens\""), std::string::npos);
    EXPECT_NE(entries[2].record.reason.find("\"latency_ms\""), std::string::npos);
    EXPECT_NE(entries[3].record.reason.find("\"cost_usd\""), std::string::npos);
    // What was stored keeps every query bounded: the newest start time is a real one.
    const auto range = InteractionStore(f.store.reader()).startTimeRange();
    ASSERT_TRUE(range);
    EXPECT_LE(range->second, latestTimeMs);
}

TEST(Ingest, RecordsWithMessagesUnderAnotherKeyGetAMappingHint)
{
    Fixture f;
    std::string content;
    for (int i = 0; i < 3; ++i)
        content +=
            R"({"id":"c)" + std::to_string(i) +
            R"(","conversation":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]})"
            "\n";
    content += R"({"id":"d0","data":{"turns":[{"from":"human","value":"hey"}]}})"
               "\n";
    const auto path = f.dir.write("other.jsonl", content);
    const auto summary = f.ingest({path});
    EXPECT_EQ(summary.ingested, 4);
    ASSERT_EQ(summary.files[0].hints.size(), 2u);
    EXPECT_EQ(summary.files[0].hints[0].map(), "messages=conversation");
    EXPECT_EQ(summary.files[0].hints[0].records, 3);
    EXPECT_EQ(summary.files[0].hints[1].map(), "messages=data.turns");
    // Read again with the mapping it suggests: the messages arrive, nothing is counted twice.
    IngestOptions options;
    options.replace = true;
    ASSERT_EQ(options.mapping.add("messages=conversation"), "");
    const auto again = f.ingest({path}, options);
    EXPECT_EQ(again.files[0].replaced, 4);
    EXPECT_EQ(again.ingested, 4);
    EXPECT_EQ(again.duplicates, 0);
    EXPECT_EQ(f.store.stats().interactions, 4);
    EXPECT_EQ(f.store.stats().messages, 6);
    ASSERT_EQ(again.files[0].hints.size(), 1u); // only the record under data.turns is left without
}

TEST(Ingest, ReplaceTakesBackTheEarlierReadWithEverythingDerived)
{
    Fixture f;
    const auto path = f.dir.write("a.jsonl", records(0, 20));
    f.ingest({path});
    const auto other = f.dir.write("b.jsonl", records(100, 105));
    f.ingest({other});
    EXPECT_EQ(f.store.stats().interactions, 25);
    // The file is rewritten with fewer, different records; --replace takes back its 20 first.
    f.dir.write("a.jsonl", records(50, 53));
    IngestOptions options;
    options.replace = true;
    const auto summary = f.ingest({path}, options);
    EXPECT_EQ(summary.files[0].replaced, 20);
    EXPECT_EQ(summary.ingested, 3);
    EXPECT_EQ(f.store.stats().interactions, 8);
    EXPECT_EQ(f.store.stats().messages, 16);
    const auto summaryOfMetrics =
        f.store.queryInt("SELECT sum(value) FROM rollups r JOIN rollup_metrics m ON "
                         "m.id = r.metric_id WHERE m.name = 'interactions' AND "
                         "r.granularity = 1 AND r.level = 0");
    EXPECT_EQ(summaryOfMetrics, 8);
}

TEST(Ingest, FollowingReadsAppendedLinesUntilStopped)
{
    Fixture f;
    const auto path = f.dir.write("live.jsonl", records(0, 3));
    std::atomic<bool> stop{false};
    std::vector<std::int64_t> rounds;
    std::thread writer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        f.dir.append("live.jsonl", records(3, 7));
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        stop = true;
    });
    IngestOptions options;
    options.follow = true;
    Ingestor ingestor(*f.store.writer, options);
    const IngestSummary total =
        ingestor.follow({path}, std::chrono::milliseconds(50), stop,
                        [&](const IngestSummary& round) { rounds.push_back(round.ingested); });
    writer.join();
    EXPECT_EQ(total.ingested, 7);
    EXPECT_FALSE(total.cancelled);
    ASSERT_GE(rounds.size(), 2u);
    EXPECT_EQ(rounds.front(), 3);
    EXPECT_EQ(f.store.stats().interactions, 7);
}
