#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, RetentionIsKeptInTheStoreAndApplied)
{
    // Recent interactions and old ones: today and a year ago.
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::ofstream out(path("a.jsonl"));
    for (int i = 0; i < 10; ++i)
        out << "{\"id\":\"new" << i << "\",\"start_time\":" << now - i * 3'600'000LL << "}\n"
            << "{\"id\":\"old" << i << "\",\"start_time\":" << now - 365LL * 86'400'000 << "}\n";
    out.close();
    ASSERT_EQ(run({"--db", db(), "ingest", path("a.jsonl")}).exitCode, 0);
    EXPECT_EQ(interactions(), 20);
    EXPECT_EQ(
        run({"--db", db(), "retention", "--json"}).json().value(QStringLiteral("retention_days")).toInt(), 0);
    auto set = run({"--db", db(), "retention", "--days", "30"});
    ASSERT_EQ(set.exitCode, 0) << set.err;
    EXPECT_NE(set.out.find("kept 30 days"), std::string::npos) << set.out;
    EXPECT_EQ(interactions(), 10);
    EXPECT_EQ(
        run({"--db", db(), "retention", "--json"}).json().value(QStringLiteral("retention_days")).toInt(),
        30);
    EXPECT_EQ(run({"--db", db(), "retention", "--days", "-1"}).exitCode, 2);
}
