#include "../core/test_helpers.h"
#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, StatsCountsWhatTheStoreHolds)
{
    demoStore(150, 4);
    auto stats = run({"--db", db(), "stats", "--json"});
    ASSERT_EQ(stats.exitCode, 0) << stats.err;
    const QJsonObject counts = stats.json();
    EXPECT_EQ(counts.value(QStringLiteral("interactions")).toInt(), 150);
    for (const char* key : {"messages", "tool_calls", "sources", "quarantined", "store"})
        EXPECT_TRUE(counts.contains(QString::fromLatin1(key))) << key;
    EXPECT_EQ(counts.value(QStringLiteral("sources")).toInt(), 1);
    const auto words = run({"--db", db(), "stats"});
    EXPECT_NE(words.out.find("interactions  150"), std::string::npos) << words.out;
}

// A store from an older Winnow is upgraded by the first command that reads it, which says so on
// standard error (an upgrade of a large store takes a minute) and keeps --json output whole.
TEST_F(Cli, StatsUpgradesAnOlderStoreAndSaysSo)
{
    demoStore(120, 5);
    test::downgradeToSchema(db(), 3);
    const auto upgraded = run({"--db", db(), "stats", "--json"});
    ASSERT_EQ(upgraded.exitCode, 0) << upgraded.err;
    EXPECT_NE(upgraded.err.find("Upgrading " + db() + " from store version 3 to "), std::string::npos)
        << upgraded.err;
    EXPECT_EQ(upgraded.json().value(QStringLiteral("interactions")).toInt(), 120);
    const auto again = run({"--db", db(), "stats", "--json"});
    EXPECT_EQ(again.err, "");
}

// A writing command upgrades it too, and says so the same way.
TEST_F(Cli, IngestUpgradesAnOlderStoreAndSaysSo)
{
    demoStore(120, 5);
    test::downgradeToSchema(db(), 3);
    demo(30, 6, "more.jsonl");
    const auto upgraded = run({"--db", db(), "ingest", path("more.jsonl"), "--json"});
    ASSERT_EQ(upgraded.exitCode, 0) << upgraded.err;
    EXPECT_NE(upgraded.err.find("Upgrading " + db() + " from store version 3 to "), std::string::npos)
        << upgraded.err;
    EXPECT_EQ(upgraded.json().value(QStringLiteral("ingested")).toInt() +
                  upgraded.json().value(QStringLiteral("duplicates")).toInt(),
              30); // the demo's ids repeat across seeds: a stored id is a duplicate
    const auto again = run({"--db", db(), "ingest", path("more.jsonl")});
    EXPECT_EQ(again.err.find("Upgrading"), std::string::npos) << again.err;
}
