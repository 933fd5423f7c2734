#include "../test_helpers.h"
#include "core/metrics/metrics.h"
#include "core/metrics/scores.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace winnow;

namespace {
Interaction scored(const std::string& key, std::vector<Score> scores, const std::string& metadata = {})
{
    Interaction in;
    in.key = key;
    in.scores = std::move(scores);
    in.metadataJson = metadata;
    return in;
}
} // namespace

TEST(Scores, MeanIntervalAndSpreadByHand)
{
    EXPECT_DOUBLE_EQ(studentT975(1), 12.706);
    EXPECT_DOUBLE_EQ(studentT975(7), 2.365);
    EXPECT_NEAR(studentT975(1000), 1.962, 0.001);
    EXPECT_NEAR(studentT975(40), 2.021, 0.003);

    test::TestStore store;
    std::vector<Interaction> runs;
    const double values[] = {2, 4, 4, 4, 5, 5, 7, 9};
    for (int i = 0; i < 8; ++i)
        runs.push_back(scored("r" + std::to_string(i), {{"grade", values[i]}, {"reward", i / 7.0}},
                              "{\"trial\":" + std::to_string(i % 2) + "}"));
    runs.push_back(scored("lone", {{"other", 3}}));
    store.write(runs);

    ScoreQuery query;
    query.detail = "grade";
    query.breakdown = Grouping{FilterField::Metadata, "trial"};
    const ScoreReport report = computeScores(store.reader(), query);
    ASSERT_EQ(report.scores.size(), 3u);
    const ScoreSummary& grade = report.scores[0];
    EXPECT_EQ(grade.name, "grade");
    EXPECT_EQ(grade.n, 8);
    EXPECT_DOUBLE_EQ(grade.mean, 5);
    EXPECT_NEAR(grade.sd, std::sqrt(32.0 / 7), 1e-12);
    EXPECT_NEAR(grade.high - grade.mean, 2.365 * std::sqrt(32.0 / 7) / std::sqrt(8.0), 1e-9);
    EXPECT_NEAR(grade.mean - grade.low, grade.high - grade.mean, 1e-12);
    EXPECT_DOUBLE_EQ(grade.min, 2);
    EXPECT_DOUBLE_EQ(grade.max, 9);
    const ScoreSummary& lone = report.scores[1];
    EXPECT_EQ(lone.name, "other");
    EXPECT_EQ(lone.n, 1);
    EXPECT_DOUBLE_EQ(lone.low, 3); // one value: no interval to speak of
    EXPECT_DOUBLE_EQ(lone.high, 3);

    // Integer grades 2..9: one bin per value.
    EXPECT_TRUE(report.distribution.perValue);
    EXPECT_EQ(report.distribution.counts, (std::vector<std::int64_t>{1, 0, 3, 2, 0, 1, 0, 1}));
    ASSERT_EQ(report.groups.size(), 2u);
    for (const ScoreGroup& g : report.groups) {
        EXPECT_EQ(g.summary.n, 4);
        EXPECT_DOUBLE_EQ(g.summary.mean, g.value == "0" ? (2 + 4 + 5 + 7) / 4.0 : (4 + 4 + 5 + 9) / 4.0)
            << g.value;
    }

    // A fractional score: equal bins from min to max, the maximum in the last.
    query.detail = "reward";
    query.bins = 4;
    query.breakdown.reset();
    const ScoreReport reward = computeScores(store.reader(), query);
    EXPECT_FALSE(reward.distribution.perValue);
    EXPECT_EQ(reward.distribution.counts, (std::vector<std::int64_t>{2, 2, 2, 2}));
    // Each bin's edges, as conditions, select exactly its interactions (the last bin's top included).
    const ScoreDistribution& d = reward.distribution;
    for (size_t i = 0; i < d.counts.size(); ++i) {
        char low[40], high[40];
        std::snprintf(low, sizeof low, "%.17g", d.edge(i));
        std::snprintf(high, sizeof high, "%.17g", d.edge(i + 1));
        MetricsFilter bin;
        bin.with(Condition{FilterField::Score, low, "reward", Comparison::GreaterOrEqual});
        bin.with(Condition{FilterField::Score, high, "reward",
                           i + 1 == d.counts.size() ? Comparison::LessOrEqual : Comparison::Less});
        EXPECT_EQ(computeMetrics(store.reader(), bin).interactions, d.counts[i]) << i;
    }
    EXPECT_TRUE(reward.groups.empty());

    // The slice narrows the scores; a filter on a score narrows the others too.
    query.filter.with(*parseCondition("score.reward>=0.5"));
    query.detail = "grade";
    const ScoreReport high = computeScores(store.reader(), query);
    ASSERT_EQ(high.scores.size(), 2u);
    EXPECT_EQ(high.scores[0].n, 4); // r4..r7: grades 5, 5, 7, 9
    EXPECT_DOUBLE_EQ(high.scores[0].mean, 6.5);

    query.breakdown = Grouping{FilterField::Tool, {}};
    EXPECT_THROW(computeScores(store.reader(), query), Failure);
}
