#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, MappingProfilesAreSavedInTheStoreAndReused)
{
    std::ofstream(path("rl.jsonl"))
        << R"({"episode":"e1","traj":[{"role":"user","content":"hi"}],"reward":1,"info":{"source":"done"}})"
           "\n";
    auto save = run({"--db", db(), "profile", "save", "rl", "--map", "id=episode", "--map", "messages=traj",
                     "--map", "scores.reward=reward", "--map", "metadata.end_reason=info.source"});
    ASSERT_EQ(save.exitCode, 0) << save.err;
    auto list = run({"--db", db(), "profile", "list", "--json"});
    EXPECT_NE(list.out.find("episode"), std::string::npos);
    auto ingest = run({"--db", db(), "ingest", "--profile", "rl", path("rl.jsonl"), "--json"});
    ASSERT_EQ(ingest.exitCode, 0) << ingest.err;
    EXPECT_EQ(ingest.json().value(QStringLiteral("ingested")).toInt(), 1);
    EXPECT_EQ(query("SELECT count(*) FROM interactions WHERE key = 'e1'"), 1);
    EXPECT_EQ(query("SELECT count(*) FROM scores WHERE name = 'reward' AND value = 1"), 1);
    EXPECT_EQ(run({"--db", db(), "ingest", "--profile", "nope", path("rl.jsonl")}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "profile", "show", "rl", "--json"}).exitCode, 0);
    EXPECT_EQ(run({"--db", db(), "profile", "delete", "rl"}).exitCode, 0);
    EXPECT_EQ(run({"--db", db(), "profile", "delete", "rl"}).exitCode, 1);
    const auto empty = run({"--db", db(), "profile", "list"});
    EXPECT_NE(empty.out.find("no profiles yet"), std::string::npos) << empty.out;
    EXPECT_EQ(run({"--db", db(), "profile", "save", "x", "--map", "nonsense"}).exitCode, 2);
}
