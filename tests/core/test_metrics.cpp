#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/metrics/metrics.h"
#include "test_helpers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace winnow;

TEST(Metrics, WilsonIntervalsMatchHandComputedValues)
{
    const RateEstimate seven = wilsonRate(7, 10);
    EXPECT_DOUBLE_EQ(seven.value, 0.7);
    EXPECT_NEAR(seven.low, 0.396778, 1e-6);
    EXPECT_NEAR(seven.high, 0.892209, 1e-6);
    const RateEstimate none = wilsonRate(0, 10);
    EXPECT_DOUBLE_EQ(none.low, 0);
    EXPECT_NEAR(none.high, 0.277533, 1e-6);
    const RateEstimate all = wilsonRate(10, 10);
    EXPECT_NEAR(all.low, 0.722467, 1e-6);
    EXPECT_NEAR(all.high, 1.0, 1e-9);
    const RateEstimate empty = wilsonRate(0, 0);
    EXPECT_EQ(empty.n, 0);
    EXPECT_DOUBLE_EQ(empty.value, 0);
}

TEST(Metrics, NearestRankPercentiles)
{
    std::vector<double> values;
    for (int i = 1; i <= 10; ++i)
        values.push_back(i * 100.0);
    EXPECT_DOUBLE_EQ(nearestRankPercentile(values, 50), 500);
    EXPECT_DOUBLE_EQ(nearestRankPercentile(values, 90), 900);
    EXPECT_DOUBLE_EQ(nearestRankPercentile(values, 99), 1000);
    EXPECT_DOUBLE_EQ(nearestRankPercentile({42.0}, 1), 42);
}

// Ten interactions whose figures are worked out by hand.
TEST(Metrics, HandComputedFixture)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    Batch batch;
    for (int i = 0; i < 10; ++i) {
        Interaction in;
        in.key = "i" + std::to_string(i);
        in.agent = i < 8 ? "a" : "b";
        in.startMs = 1'000'000 + i * 1000;
        in.latencyMs = (10 - i) * 100.0; // 1000, 900, ..., 100
        in.inputTokens = 100;
        in.outputTokens = 10 * i;
        in.costUsd = 0.5;
        in.outcome = i < 7 ? "resolved" : (i < 9 ? "escalated" : "abandoned");
        if (i == 7 || i == 8)
            in.signals.push_back({SignalKind::Escalation, -1, 1.0, "outcome"});
        if (i == 9)
            in.signals.push_back({SignalKind::Partial, -1, 1.0, "outcome"});
        if (i == 2 || i == 8)
            in.thumb = -1;
        if (i < 4)
            in.scores.push_back({"reward", i * 0.25}); // 0, .25, .5, .75
        batch.interactions.push_back(in);
    }
    store.writeBatch(batch);

    const MetricsSummary all = computeMetrics(store, MetricsFilter{});
    EXPECT_EQ(all.interactions, 10);
    EXPECT_EQ(all.rates.at("success").hits, 7);
    EXPECT_NEAR(all.rates.at("success").low, 0.396778, 1e-6);
    EXPECT_EQ(all.rates.at("escalation").hits, 2);
    EXPECT_EQ(all.rates.at("partial").hits, 1);
    EXPECT_EQ(all.rates.at("thumbs_down").hits, 2);
    EXPECT_EQ(all.rates.at("correction").hits, 0);
    EXPECT_DOUBLE_EQ(*all.latencyP50, 500);
    EXPECT_DOUBLE_EQ(*all.latencyP90, 900);
    EXPECT_DOUBLE_EQ(*all.latencyP99, 1000);
    EXPECT_EQ(all.inputTokens, 1000);
    EXPECT_EQ(all.outputTokens, 450);
    EXPECT_DOUBLE_EQ(all.costUsd, 5.0);
    ASSERT_EQ(all.scores.count("reward"), 1u);
    EXPECT_DOUBLE_EQ(all.scores.at("reward").first, 0.375);
    EXPECT_EQ(all.scores.at("reward").second, 4);

    MetricsFilter agentB;
    agentB.where = {{"agent", "b"}};
    const MetricsSummary b = computeMetrics(store, agentB);
    EXPECT_EQ(b.interactions, 2);
    EXPECT_EQ(b.rates.at("escalation").hits, 1);
    EXPECT_EQ(b.rates.at("partial").hits, 1);
    EXPECT_DOUBLE_EQ(*b.latencyP50, 100);
    EXPECT_TRUE(b.scores.empty());

    MetricsFilter window; // [1,002,000, 1,005,000): interactions 2, 3, 4
    window.fromMs = 1'002'000;
    window.toMs = 1'005'000;
    const MetricsSummary w = computeMetrics(store, window);
    EXPECT_EQ(w.interactions, 3);
    EXPECT_DOUBLE_EQ(*w.latencyP50, 700);
    EXPECT_EQ(w.scores.at("reward").second, 2);

    // Success by a score: reward >= 0.5 holds for 2 of the 4 interactions that have a reward.
    MetricsQuery byScore;
    byScore.successScore = "reward";
    byScore.successThreshold = 0.5;
    const RateEstimate scoredSuccess = computeMetrics(store, byScore).summary.rates.at("success");
    EXPECT_EQ(scoredSuccess.hits, 2);
    EXPECT_EQ(scoredSuccess.n, 4);
    byScore.filter.where = {{"agent", "a"}}; // the score's parameter comes before the filter's
    EXPECT_EQ(computeMetrics(store, byScore).summary.rates.at("success").n, 4);

    MetricsFilter escalated;
    escalated.where = {{"signal", "escalation"}};
    EXPECT_EQ(computeMetrics(store, escalated).interactions, 2);
    MetricsFilter bogus;
    bogus.where = {{"colour", "red"}};
    EXPECT_THROW(computeMetrics(store, bogus), sql::Error);
}

// Against a reference computed in the test straight from the raw rows, on demo data.
TEST(Metrics, AgreeWithAReferenceFromRawRows)
{
    test::TempDir dir;
    DemoOptions options;
    options.interactions = 5000;
    options.seed = 17;
    ASSERT_EQ(writeDemo(options, DemoFormat::Jsonl, dir.path("d.jsonl")), "");
    Store store(dir.path("s.db"));
    IngestOptions ingest;
    ingest.indexText = false;
    Ingestor(store, ingest).ingest({dir.path("d.jsonl")});

    MetricsFilter filter;
    filter.where = {{"agent", "support-bot"}, {"tool", "issue_refund"}};
    const MetricsSummary m = computeMetrics(store, filter);

    // The reference: every interaction read back whole, filtered and counted here.
    std::int64_t n = 0, success = 0, escalation = 0, thumbsDown = 0, input = 0;
    std::vector<double> latencies;
    InteractionCursor cursor;
    sql::Statement details(
        store.connection(),
        "SELECT agent, thumb, latency_ms, input_tokens, signal_mask FROM interactions WHERE key = ?1");
    for (auto page = store.interactionsAfter(cursor, 1000); !page.empty();
         page = store.interactionsAfter(cursor, 1000)) {
        for (const StoredInteraction& stored : page) {
            const Interaction& in = stored.interaction;
            const bool calledRefund = std::any_of(in.toolCalls.begin(), in.toolCalls.end(),
                                                  [](const ToolCall& c) { return c.name == "issue_refund"; });
            details.bind(1, in.key);
            ASSERT_TRUE(details.step());
            const bool isSupport = details.text(0) == "support-bot";
            if (isSupport && calledRefund) {
                ++n;
                success += in.outcome == "resolved";
                escalation += (details.int64(4) & 1) != 0;
                thumbsDown += !details.isNull(1) && details.int64(1) < 0;
                latencies.push_back(details.real(2));
                input += details.int64(3);
            }
            details.reset();
        }
    }
    ASSERT_GT(n, 100);
    EXPECT_EQ(m.interactions, n);
    EXPECT_EQ(m.rates.at("success").hits, success);
    EXPECT_EQ(m.rates.at("escalation").hits, escalation);
    EXPECT_EQ(m.rates.at("thumbs_down").hits, thumbsDown);
    EXPECT_EQ(m.inputTokens, input);
    std::sort(latencies.begin(), latencies.end());
    const auto rank = [&](double p) {
        return latencies[static_cast<size_t>(std::ceil(p / 100 * static_cast<double>(n))) - 1];
    };
    EXPECT_DOUBLE_EQ(*m.latencyP50, rank(50));
    EXPECT_DOUBLE_EQ(*m.latencyP90, rank(90));
    EXPECT_DOUBLE_EQ(*m.latencyP99, rank(99));
}

TEST(Metrics, TwoProportionZTestByHand)
{
    const RateComparison big = compareRates(wilsonRate(30, 100), wilsonRate(10, 100));
    EXPECT_NEAR(big.difference, 0.2, 1e-12);
    EXPECT_NEAR(big.z, 3.535534, 1e-6);
    EXPECT_NEAR(big.pValue, 0.000407, 1e-6);
    EXPECT_TRUE(big.significant);
    const RateComparison small = compareRates(wilsonRate(12, 100), wilsonRate(10, 100));
    EXPECT_NEAR(small.z, 0.451985, 1e-6);
    EXPECT_NEAR(small.pValue, 0.651280, 1e-6);
    EXPECT_FALSE(small.significant);
    EXPECT_FALSE(compareRates(wilsonRate(0, 0), wilsonRate(5, 10)).significant);
}

TEST(Metrics, BucketsStartOnTheUtcHourDayAndMonday)
{
    const std::int64_t thursdayNoon = 7 * 86'400'000LL + 12 * 3'600'000LL + 123; // 1970-01-08T12:00:00.123Z
    EXPECT_EQ(bucketStart(thursdayNoon, Bucket::Hour), 7 * 86'400'000LL + 12 * 3'600'000LL);
    EXPECT_EQ(bucketStart(thursdayNoon, Bucket::Day), 7 * 86'400'000LL);
    EXPECT_EQ(bucketStart(thursdayNoon, Bucket::Week), 4 * 86'400'000LL); // Monday 1970-01-05
    EXPECT_EQ(bucketStart(0, Bucket::Week), -3 * 86'400'000LL);           // Monday 1969-12-29
    EXPECT_EQ(bucketStart(-1, Bucket::Day), -86'400'000LL);
}

TEST(Metrics, SeriesBreakdownAndComparison)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    Batch batch;
    const std::int64_t day = 86'400'000;
    // Day 0: 4 interactions, 1 escalated; day 1: 6 interactions, 4 escalated (agent b's release).
    for (int i = 0; i < 10; ++i) {
        Interaction in;
        in.key = std::to_string(i);
        in.startMs = (i < 4 ? 0 : day) + i * 1000;
        in.agent = i % 2 ? "a" : "b";
        in.latencyMs = 100.0 * (i + 1);
        const bool escalated = i == 0 || (i >= 4 && i < 8);
        if (escalated)
            in.signals.push_back({SignalKind::Escalation, -1, 1.0, "test"});
        in.outcome = escalated ? "escalated" : "resolved";
        batch.interactions.push_back(in);
    }
    store.writeBatch(batch);

    MetricsQuery query;
    query.bucket = Bucket::Day;
    query.breakdown = "agent";
    MetricsReport report = computeMetrics(store, query);
    ASSERT_EQ(report.series.size(), 2u);
    EXPECT_EQ(report.series[0].first, 0);
    EXPECT_EQ(report.series[0].second.interactions, 4);
    EXPECT_EQ(report.series[0].second.rates.at("escalation").hits, 1);
    EXPECT_EQ(report.series[1].first, day);
    EXPECT_EQ(report.series[1].second.rates.at("escalation").hits, 4);
    EXPECT_DOUBLE_EQ(*report.series[1].second.latencyP50, 700); // 500..1000, rank 3
    ASSERT_EQ(report.breakdown.size(), 2u);
    // Escalations: b has 0, 4, 6 -> 3 of 5; a has 5, 7 -> 2 of 5. Largest impact first.
    EXPECT_EQ(report.breakdown[0].value, "b");
    EXPECT_EQ(report.breakdown[0].impact, 3);
    EXPECT_EQ(report.breakdown[1].value, "a");
    EXPECT_EQ(report.breakdown[1].impact, 2);

    MetricsQuery compared;
    compared.filter.fromMs = day;
    compared.filter.toMs = 2 * day;
    compared.compareFromMs = 0;
    compared.compareToMs = day;
    report = computeMetrics(store, compared);
    ASSERT_TRUE(report.previous);
    EXPECT_EQ(report.summary.interactions, 6);
    EXPECT_EQ(report.previous->interactions, 4);
    const RateComparison& escalation = report.comparison.at("escalation");
    EXPECT_NEAR(escalation.difference, 4.0 / 6 - 1.0 / 4, 1e-12);
    EXPECT_FALSE(escalation.significant); // ten interactions prove nothing at p < 0.01
}
