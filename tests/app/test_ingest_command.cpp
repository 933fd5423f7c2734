#include "cli_test_helpers.h"

#include <sys/stat.h>

using namespace winnow;
using test::Cli;

TEST_F(Cli, IngestThenStatsAsJson)
{
    auto demoRun = run({"demo", "--interactions", "400", "--seed", "5", "--out", path("d.jsonl"), "--json"});
    ASSERT_EQ(demoRun.exitCode, 0) << demoRun.err;
    auto ingest = run({"--db", db(), "ingest", path("d.jsonl"), "--json"});
    ASSERT_EQ(ingest.exitCode, 0) << ingest.err;
    const QJsonObject summary = ingest.json();
    for (const char* key : {"ingested", "duplicates", "quarantined", "bytes", "seconds"})
        EXPECT_TRUE(summary.contains(QString::fromLatin1(key))) << key;
    EXPECT_EQ(summary.value(QStringLiteral("ingested")).toInt(), 400);
    EXPECT_EQ(summary.value(QStringLiteral("bytes")).toInteger(),
              static_cast<qint64>(test::slurp(path("d.jsonl")).size()));
    auto again = run({"--db", db(), "ingest", path("d.jsonl"), "--json"});
    EXPECT_EQ(again.json().value(QStringLiteral("ingested")).toInt(), 0);
}

TEST_F(Cli, IngestSaysWhatItDidInWords)
{
    std::ofstream(path("a.jsonl")) << "{\"id\":\"1\"}\nnot json\n";
    auto ingest = run({"--db", db(), "ingest", path("a.jsonl")});
    ASSERT_EQ(ingest.exitCode, 0);
    EXPECT_NE(ingest.out.find("ingested     1"), std::string::npos) << ingest.out;
    EXPECT_NE(ingest.out.find("quarantined  1"), std::string::npos) << ingest.out;
    const auto missing = run({"--db", db(), "ingest", path("missing.jsonl"), "--json"});
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_NE(missing.out.find("No such file"), std::string::npos);
    EXPECT_NE(missing.out.find("missing.jsonl"), std::string::npos);
}

TEST_F(Cli, IngestReadsStandardInput)
{
    std::ofstream(path("in.jsonl")) << "{\"id\":\"1\"}\n{\"id\":\"2\"}\n";
    auto ingest = run({"--db", db(), "ingest", "-", "--json"}, path("in.jsonl"));
    ASSERT_EQ(ingest.exitCode, 0) << ingest.err;
    EXPECT_EQ(ingest.json().value(QStringLiteral("ingested")).toInt(), 2);
}

TEST_F(Cli, IngestRefusesAFifoRatherThanWaitingOnIt)
{
    ASSERT_EQ(mkfifo(path("pipe").c_str(), 0600), 0);
    const auto started = std::chrono::steady_clock::now();
    const auto result = run({"--db", db(), "ingest", path("pipe")});
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
    EXPECT_EQ(result.exitCode, 1);
    EXPECT_NE(result.err.find("not a regular file"), std::string::npos) << result.err;
}

TEST_F(Cli, IngestHintsAtTheMappingThatWouldReadTheMessages)
{
    std::ofstream(path("chat.jsonl"))
        << R"({"id":"1","conversation":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]})"
           "\n";
    const auto first = run({"--db", db(), "ingest", path("chat.jsonl")});
    ASSERT_EQ(first.exitCode, 0);
    EXPECT_NE(first.err.find("--map messages=conversation"), std::string::npos) << first.err;
    const auto replaced = run({"--db", db(), "ingest", "--replace", "--map", "messages=conversation",
                               path("chat.jsonl"), "--json"});
    ASSERT_EQ(replaced.exitCode, 0) << replaced.err;
    EXPECT_EQ(replaced.json().value(QStringLiteral("ingested")).toInt(), 1);
    EXPECT_EQ(query("SELECT count(*) FROM messages"), 2);
    EXPECT_EQ(interactions(), 1);
}

TEST_F(Cli, IngestFollowsAGrowingFileUntilInterrupted)
{
    auto line = [](int i) {
        return "{\"id\":\"f" + std::to_string(i) +
               "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n";
    };
    std::ofstream(path("live.jsonl")) << line(0) << line(1);
    const pid_t pid =
        spawn({"--db", db(), "ingest", "--follow", "--interval-ms", "50", path("live.jsonl"), "--json"});
    EXPECT_EQ(waitForInteractions(2), 2);
    std::string third = line(2);
    {
        std::ofstream append(path("live.jsonl"), std::ios::app);
        append << line(3) << third.substr(0, 10); // a writer mid-line
    }
    EXPECT_EQ(waitForInteractions(3), 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(interactions(), 3); // the half line waits for its newline
    {
        std::ofstream append(path("live.jsonl"), std::ios::app);
        append << third.substr(10);
    }
    EXPECT_EQ(waitForInteractions(4), 4);
    kill(pid, SIGINT);
    const auto result = finish(pid);
    EXPECT_EQ(result.exitCode, 0);
    EXPECT_EQ(result.json().value(QStringLiteral("ingested")).toInt(), 4) << result.out;
    EXPECT_EQ(result.json().value(QStringLiteral("quarantined")).toInt(), 0);
}

// A kill -9 at any moment loses nothing committed; the re-run finishes with exact counts.
TEST_F(Cli, IngestKilledMidwayThenRunAgainGivesExactCounts)
{
    const int total = 60000;
    demo(total, 11, "big.jsonl");
    const pid_t pid = spawn({"--db", db(), "ingest", "--batch", "250", path("big.jsonl")});
    // Wait until some batches are committed, then kill without warning.
    std::int64_t committed = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        committed = interactions();
        if (committed >= 2000)
            break;
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the ingest finished before it could be killed";
    ASSERT_GE(committed, 2000);
    const std::int64_t survived = interactions();
    EXPECT_GE(survived, committed);
    EXPECT_LT(survived, total);
    // Everything committed is whole: each interaction has all its messages.
    EXPECT_EQ(query("SELECT count(*) FROM interactions i WHERE message_count != "
                    "(SELECT count(*) FROM messages m WHERE m.interaction_id = i.id)"),
              0);
    auto rerun = run({"--db", db(), "ingest", path("big.jsonl"), "--json"});
    ASSERT_EQ(rerun.exitCode, 0) << rerun.err;
    EXPECT_EQ(rerun.json().value(QStringLiteral("ingested")).toInt() + survived, total);
    EXPECT_EQ(rerun.json().value(QStringLiteral("duplicates")).toInt(), 0); // resumed at the committed offset
    auto stats = run({"--db", db(), "stats", "--json"});
    EXPECT_EQ(stats.json().value(QStringLiteral("interactions")).toInt(), total);
    EXPECT_EQ(stats.json().value(QStringLiteral("quarantined")).toInt(), 0);
    // And the totals the rollups keep are the store's own.
    EXPECT_EQ(query("SELECT sum(value) FROM rollups r JOIN rollup_metrics m ON m.id = r.metric_id WHERE "
                    "m.name = 'interactions' AND granularity = 1 AND level = 0"),
              total);
}
