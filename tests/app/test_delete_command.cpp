#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, DeleteBySourceSliceOrTime)
{
    demo(500, 7, "a.jsonl");
    {
        std::ofstream b(path("b.jsonl"));
        for (int i = 0; i < 40; ++i)
            b << "{\"id\":\"b" << i << "\",\"agent\":\"support-bot\",\"start_time\":\"2026-11-1" << i % 9
              << "T08:00:00Z\"}\n";
    }
    ASSERT_EQ(run({"--db", db(), "ingest", path("a.jsonl")}).exitCode, 0);
    ASSERT_EQ(run({"--db", db(), "ingest", path("b.jsonl")}).exitCode, 0);
    const std::int64_t before = interactions();
    ASSERT_EQ(before, 540);

    auto dryRun = run({"--db", db(), "delete", "--where", "agent=it-helpdesk", "--dry-run", "--json"});
    ASSERT_EQ(dryRun.exitCode, 0) << dryRun.err;
    const int helpdesk = dryRun.json().value(QStringLiteral("would_delete")).toInt();
    EXPECT_EQ(helpdesk, query("SELECT count(*) FROM interactions WHERE agent = 'it-helpdesk'"));
    EXPECT_EQ(interactions(), before);
    auto slice = run({"--db", db(), "delete", "--where", "agent=it-helpdesk", "--json"});
    ASSERT_EQ(slice.exitCode, 0) << slice.err;
    EXPECT_EQ(slice.json().value(QStringLiteral("deleted")).toInt(), helpdesk);
    EXPECT_EQ(query("SELECT count(*) FROM interactions WHERE agent = 'it-helpdesk'"), 0);
    // The metrics agree: nothing of the deleted is counted anywhere.
    auto metrics = run({"--db", db(), "metrics", "--json"});
    EXPECT_EQ(metrics.json().value(QStringLiteral("interactions")).toInt(), interactions());

    const std::int64_t fromB =
        query("SELECT count(*) FROM interactions i JOIN sources s ON s.id = i.source_id "
              "WHERE s.path LIKE '%b.jsonl'");
    EXPECT_EQ(fromB, 40);
    auto source = run({"--db", db(), "delete", "--source", path("b.jsonl")});
    ASSERT_EQ(source.exitCode, 0) << source.err;
    EXPECT_NE(source.out.find("deleted " + std::to_string(fromB) + " interactions"), std::string::npos)
        << source.out;
    EXPECT_EQ(query("SELECT count(*) FROM sources"), 1);

    auto old = run({"--db", db(), "delete", "--before", "2026-11-01", "--json"});
    ASSERT_EQ(old.exitCode, 0) << old.err;
    EXPECT_EQ(query("SELECT count(*) FROM interactions WHERE start_ms < 1793491200000"), 0);
    EXPECT_GT(interactions(), 0);

    EXPECT_EQ(run({"--db", db(), "delete"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "delete", "--source", "x", "--before", "2026-01-01"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "delete", "--where", "colour=red"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "delete", "--source", path("never.jsonl")}).exitCode, 1);
}
