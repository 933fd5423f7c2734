#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, SourcesListEveryFileWithWhereReadingStands)
{
    std::ofstream(path("a.jsonl")) << "{\"id\":\"1\"}\n";
    ASSERT_EQ(run({"--db", db(), "retention"}).exitCode, 1); // no store yet: not created by reading
    ASSERT_EQ(run({"--db", db(), "ingest", path("a.jsonl")}).exitCode, 0);
    const auto list = run({"--db", db(), "sources", "--json"});
    ASSERT_EQ(list.exitCode, 0) << list.err;
    const QJsonArray sources = list.json().value(QStringLiteral("sources")).toArray();
    ASSERT_EQ(sources.size(), 1);
    EXPECT_EQ(sources[0].toObject().value(QStringLiteral("line")).toInt(), 1);
    const auto table = run({"--db", db(), "sources"});
    EXPECT_NE(table.out.find("source"), std::string::npos);
    EXPECT_NE(table.out.find(path("a.jsonl")), std::string::npos);
}

TEST_F(Cli, SourcesWithNothingToListSaySo)
{
    ASSERT_EQ(run({"--db", db(), "retention", "--days", "0"}).exitCode, 0); // creates an empty store
    const auto empty = run({"--db", db(), "sources"});
    EXPECT_EQ(empty.exitCode, 0);
    EXPECT_NE(empty.out.find("no sources yet"), std::string::npos) << empty.out;
}
