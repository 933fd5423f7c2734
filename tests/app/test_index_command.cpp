#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, TheSearchIndexCanBeBuiltLater)
{
    std::ofstream(path("a.jsonl")) << R"({"id":"1","messages":[{"role":"user","content":"hello"}]})"
                                      "\n";
    ASSERT_EQ(run({"--db", db(), "ingest", "--no-index", path("a.jsonl")}).exitCode, 0);
    auto index = run({"--db", db(), "index", "--json"});
    ASSERT_EQ(index.exitCode, 0) << index.err;
    EXPECT_EQ(index.json().value(QStringLiteral("indexed_messages")).toInt(), 1);
    EXPECT_EQ(run({"--db", db(), "index", "--json"}).json().value(QStringLiteral("indexed_messages")).toInt(),
              0);
}
