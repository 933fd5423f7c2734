#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, DemoWritesTheSameBytesForTheSameOptions)
{
    auto first = run({"demo", "--interactions", "200", "--seed", "3", "--out", path("a.jsonl"), "--json"});
    ASSERT_EQ(first.exitCode, 0) << first.err;
    EXPECT_EQ(first.json().value(QStringLiteral("interactions")).toInt(), 200);
    ASSERT_EQ(run({"demo", "--interactions", "200", "--seed", "3", "--out", path("b.jsonl")}).exitCode, 0);
    EXPECT_EQ(test::slurp(path("a.jsonl")), test::slurp(path("b.jsonl")));
    EXPECT_EQ(run({"demo", "--interactions", "5", "--format", "otlp", "--out", path("t.json")}).exitCode, 0);
    EXPECT_NE(test::slurp(path("t.json")).find("resourceSpans"), std::string::npos);
    EXPECT_EQ(run({"demo", "--out", path("x"), "--format", "xml"}).exitCode, 2);
    EXPECT_EQ(run({"demo", "--out", path("x"), "--days", "0"}).exitCode, 2);
    EXPECT_EQ(run({"demo", "--out", path("x"), "--end", "someday"}).exitCode, 2);
    EXPECT_EQ(run({"demo"}).exitCode, 2); // --out is needed
}
