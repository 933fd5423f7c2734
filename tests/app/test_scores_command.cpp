#include "cli_test_helpers.h"

#include <QJsonArray>

using namespace winnow;
using test::Cli;

TEST_F(Cli, ScoresGiveMeansWithIntervalsDistributionAndBreakdown)
{
    demoStore(1500, 2);
    auto scores = run({"--db", db(), "scores", "--by", "agent_version", "--json"});
    ASSERT_EQ(scores.exitCode, 0) << scores.err;
    const QJsonObject s = scores.json();
    EXPECT_EQ(s.value(QStringLiteral("score")).toString(), QStringLiteral("reward"));
    const QJsonObject reward = s.value(QStringLiteral("scores")).toArray().at(0).toObject();
    const int n = reward.value(QStringLiteral("n")).toInt();
    EXPECT_GT(n, 100);
    EXPECT_LT(reward.value(QStringLiteral("low")).toDouble(),
              reward.value(QStringLiteral("mean")).toDouble());
    EXPECT_GT(reward.value(QStringLiteral("high")).toDouble(),
              reward.value(QStringLiteral("mean")).toDouble());
    // The same n and mean as metrics reports from the rollups.
    auto metrics = run({"--db", db(), "metrics", "--json"});
    const QJsonObject fromRollups =
        metrics.json().value(QStringLiteral("scores")).toObject().value(QStringLiteral("reward")).toObject();
    EXPECT_EQ(fromRollups.value(QStringLiteral("n")).toInt(), n);
    EXPECT_NEAR(fromRollups.value(QStringLiteral("mean")).toDouble(),
                reward.value(QStringLiteral("mean")).toDouble(), 1e-9);
    int binned = 0;
    for (const QJsonValue bin :
         s.value(QStringLiteral("distribution")).toObject().value(QStringLiteral("bins")).toArray())
        binned += bin.toObject().value(QStringLiteral("count")).toInt();
    EXPECT_EQ(binned, n);
    int grouped = 0;
    for (const QJsonValue row :
         s.value(QStringLiteral("breakdown")).toObject().value(QStringLiteral("rows")).toArray())
        grouped += row.toObject().value(QStringLiteral("n")).toInt();
    EXPECT_EQ(grouped, n);

    auto text = run({"--db", db(), "scores", "--score", "reward", "--by", "metadata.region"});
    ASSERT_EQ(text.exitCode, 0) << text.err;
    EXPECT_NE(text.out.find("95% interval"), std::string::npos);
    EXPECT_NE(text.out.find("us-east"), std::string::npos);
    auto missing = run({"--db", db(), "scores", "--score", "nope"});
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_NE(missing.err.find("nope"), std::string::npos);
    EXPECT_EQ(run({"--db", db(), "scores", "--by", "tool"}).exitCode, 2);
}
