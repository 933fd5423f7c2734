#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, QuarantineShowsFileLineAndReason)
{
    std::ofstream(path("a.jsonl")) << "{\"id\":\"1\"}\nnot json\n{\"id\":\"far\",\"start_time\":1e30}\n";
    ASSERT_EQ(run({"--db", db(), "ingest", path("a.jsonl")}).exitCode, 0);
    auto quarantine = run({"--db", db(), "quarantine"});
    EXPECT_NE(quarantine.out.find("a.jsonl:2"), std::string::npos) << quarantine.out;
    EXPECT_NE(quarantine.out.find("invalid JSON"), std::string::npos) << quarantine.out;
    EXPECT_NE(quarantine.out.find("a.jsonl:3"), std::string::npos) << quarantine.out;
    EXPECT_NE(quarantine.out.find("out of range"), std::string::npos) << quarantine.out;
    auto json = run({"--db", db(), "quarantine", "--limit", "1", "--json"});
    EXPECT_EQ(json.json().value(QStringLiteral("quarantined")).toArray().size(), 1);
}

TEST_F(Cli, QuarantineWithNothingInItSaysSo)
{
    std::ofstream(path("a.jsonl")) << "{\"id\":\"1\"}\n";
    ASSERT_EQ(run({"--db", db(), "ingest", path("a.jsonl")}).exitCode, 0);
    const auto empty = run({"--db", db(), "quarantine"});
    EXPECT_EQ(empty.exitCode, 0);
    EXPECT_NE(empty.out.find("nothing is quarantined"), std::string::npos) << empty.out;
}
