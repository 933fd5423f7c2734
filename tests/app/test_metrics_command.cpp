#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, MetricsAsJson)
{
    demoStore(1500, 2);
    auto metrics = run({"--db", db(), "metrics", "--where", "agent=support-bot", "--json"});
    ASSERT_EQ(metrics.exitCode, 0) << metrics.err;
    const QJsonObject m = metrics.json();
    EXPECT_GT(m.value(QStringLiteral("interactions")).toInt(), 300);
    EXPECT_EQ(m.value(QStringLiteral("computed_from")).toString(), QStringLiteral("rollups"));
    // Rebuilding the rollups changes no figure.
    auto rebuilt =
        run({"--db", db(), "metrics", "--where", "agent=support-bot", "--rebuild-rollups", "--json"});
    ASSERT_EQ(rebuilt.exitCode, 0) << rebuilt.err;
    EXPECT_EQ(rebuilt.json(), m);
    for (const char* key : {"rates", "latency_ms", "tokens", "cost_usd", "scores"})
        EXPECT_TRUE(m.contains(QString::fromLatin1(key))) << key;
    const QJsonObject escalation =
        m.value(QStringLiteral("rates")).toObject().value(QStringLiteral("escalation")).toObject();
    for (const char* key : {"value", "low", "high", "n"})
        EXPECT_TRUE(escalation.contains(QString::fromLatin1(key))) << key;
    EXPECT_LE(escalation.value(QStringLiteral("low")).toDouble(),
              escalation.value(QStringLiteral("value")).toDouble());
    for (const char* key : {"p50", "p90", "p99"})
        EXPECT_GT(m.value(QStringLiteral("latency_ms")).toObject().value(QString::fromLatin1(key)).toDouble(),
                  0)
            << key;
    auto full = run({"--db", db(), "metrics", "--bucket", "day", "--by", "agent_version", "--compare-to",
                     "2026-10-01..2026-11-05", "--from", "2026-11-05", "--json"});
    ASSERT_EQ(full.exitCode, 0) << full.err;
    const QJsonObject f = full.json();
    EXPECT_GT(f.value(QStringLiteral("series")).toArray().size(), 10);
    EXPECT_EQ(f.value(QStringLiteral("breakdown")).toObject().value(QStringLiteral("dimension")).toString(),
              QStringLiteral("agent_version"));
    EXPECT_GE(f.value(QStringLiteral("breakdown")).toObject().value(QStringLiteral("rows")).toArray().size(),
              3);
    const QJsonObject comparison = f.value(QStringLiteral("comparison")).toObject();
    for (const char* key : {"difference", "z", "p_value", "significant"})
        EXPECT_TRUE(comparison.value(QStringLiteral("rates"))
                        .toObject()
                        .value(QStringLiteral("escalation"))
                        .toObject()
                        .contains(QString::fromLatin1(key)))
            << key;
    auto scored = run({"--db", db(), "metrics", "--success-score", "reward>=0.5", "--json"});
    ASSERT_EQ(scored.exitCode, 0) << scored.err;
    EXPECT_EQ(scored.json().value(QStringLiteral("computed_from")).toString(), QStringLiteral("scan"));
    const QJsonObject success =
        scored.json().value(QStringLiteral("rates")).toObject().value(QStringLiteral("success")).toObject();
    EXPECT_EQ(success.value(QStringLiteral("n")).toInt(), scored.json()
                                                              .value(QStringLiteral("scores"))
                                                              .toObject()
                                                              .value(QStringLiteral("reward"))
                                                              .toObject()
                                                              .value(QStringLiteral("n"))
                                                              .toInt());
    EXPECT_EQ(run({"--db", db(), "metrics", "--success-score", "reward"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "metrics", "--by", "tool"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "metrics", "--compare-to", "2026-10-01"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "metrics", "--where", "colour=red"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "metrics", "--from", "last week"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "metrics", "--impact", "vibes"}).exitCode, 2);
}

// A signal filter is answered from the rollups (a facet level) with the scan's figures.
TEST_F(Cli, MetricsBySignalComeFromTheRollups)
{
    demoStore(1500, 6);
    auto bySignal =
        run({"--db", db(), "metrics", "--where", "signal=escalation", "--by", "agent_version", "--json"});
    ASSERT_EQ(bySignal.exitCode, 0) << bySignal.err;
    EXPECT_EQ(bySignal.json().value(QStringLiteral("computed_from")).toString(), QStringLiteral("rollups"));
    auto scanned = run(
        {"--db", db(), "metrics", "--where", "signal=escalation", "--where", "outcome=escalated", "--json"});
    EXPECT_EQ(scanned.json().value(QStringLiteral("computed_from")).toString(), QStringLiteral("scan"));
    EXPECT_EQ(bySignal.json().value(QStringLiteral("interactions")).toInt(),
              query("SELECT count(*) FROM interactions WHERE signal_mask & 1 != 0"));
}

TEST_F(Cli, MetricsSliceAndBreakDownByMetadataAndScores)
{
    demoStore(1500, 2);
    auto byRegion = run({"--db", db(), "metrics", "--by", "metadata.region", "--json"});
    ASSERT_EQ(byRegion.exitCode, 0) << byRegion.err;
    const QJsonObject breakdown = byRegion.json().value(QStringLiteral("breakdown")).toObject();
    EXPECT_EQ(breakdown.value(QStringLiteral("dimension")).toString(), QStringLiteral("metadata.region"));
    std::map<QString, int> perRegion;
    for (const QJsonValue row : breakdown.value(QStringLiteral("rows")).toArray())
        perRegion[row.toObject().value(QStringLiteral("value")).toString()] =
            row.toObject().value(QStringLiteral("interactions")).toInt();
    ASSERT_EQ(perRegion.size(), 2u) << byRegion.out;
    auto usEast = run({"--db", db(), "metrics", "--where", "metadata.region=us-east", "--json"});
    ASSERT_EQ(usEast.exitCode, 0) << usEast.err;
    EXPECT_EQ(usEast.json().value(QStringLiteral("interactions")).toInt(),
              perRegion[QStringLiteral("us-east")]);
    EXPECT_EQ(usEast.json().value(QStringLiteral("computed_from")).toString(), QStringLiteral("scan"));

    auto all = run({"--db", db(), "metrics", "--json"});
    auto high = run({"--db", db(), "metrics", "--where", "score.reward>=0.5", "--json"});
    auto low = run({"--db", db(), "metrics", "--where", "score.reward<0.5", "--json"});
    auto none = run({"--db", db(), "metrics", "--where", "score.reward=", "--json"});
    ASSERT_EQ(high.exitCode, 0) << high.err;
    const int scored = all.json()
                           .value(QStringLiteral("scores"))
                           .toObject()
                           .value(QStringLiteral("reward"))
                           .toObject()
                           .value(QStringLiteral("n"))
                           .toInt();
    EXPECT_GT(high.json().value(QStringLiteral("interactions")).toInt(), 0);
    EXPECT_GT(low.json().value(QStringLiteral("interactions")).toInt(), 0);
    EXPECT_EQ(high.json().value(QStringLiteral("interactions")).toInt() +
                  low.json().value(QStringLiteral("interactions")).toInt(),
              scored);
    EXPECT_EQ(scored + none.json().value(QStringLiteral("interactions")).toInt(),
              all.json().value(QStringLiteral("interactions")).toInt());

    auto wrong = run({"--db", db(), "metrics", "--where", "score.reward>=high"});
    EXPECT_EQ(wrong.exitCode, 2);
    EXPECT_NE(wrong.err.find("a score compares with a number"), std::string::npos) << wrong.err;
    EXPECT_EQ(run({"--db", db(), "metrics", "--by", "score"}).exitCode, 2);
    // The same conditions select what delete removes.
    auto deleted = run({"--db", db(), "delete", "--where", "score.reward<0.5", "--json"});
    ASSERT_EQ(deleted.exitCode, 0) << deleted.err;
    auto after = run({"--db", db(), "metrics", "--where", "score.reward<0.5", "--json"});
    EXPECT_EQ(after.json().value(QStringLiteral("interactions")).toInt(), 0);
}
