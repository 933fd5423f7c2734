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
