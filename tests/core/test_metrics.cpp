#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/metrics/metrics.h"
#include "core/signals/rebuild.h"
#include "core/store/rollups.h"
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

namespace {

void expectSameSummary(const MetricsSummary& a, const MetricsSummary& b, const std::string& where)
{
    SCOPED_TRACE(where);
    EXPECT_EQ(a.interactions, b.interactions);
    ASSERT_EQ(a.rates.size(), b.rates.size());
    for (const auto& [name, rate] : a.rates) {
        EXPECT_EQ(rate.hits, b.rates.at(name).hits) << name;
        EXPECT_EQ(rate.n, b.rates.at(name).n) << name;
    }
    EXPECT_EQ(a.latencyP50, b.latencyP50);
    EXPECT_EQ(a.latencyP90, b.latencyP90);
    EXPECT_EQ(a.latencyP99, b.latencyP99);
    EXPECT_EQ(a.inputTokens, b.inputTokens);
    EXPECT_EQ(a.outputTokens, b.outputTokens);
    EXPECT_NEAR(a.costUsd, b.costUsd, 1e-9 * std::max(1.0, std::fabs(b.costUsd)));
    ASSERT_EQ(a.scores.size(), b.scores.size());
    for (const auto& [name, score] : a.scores) {
        EXPECT_NEAR(score.first, b.scores.at(name).first, 1e-9) << name;
        EXPECT_EQ(score.second, b.scores.at(name).second) << name;
    }
}

// The rollups' answer against the scan's, for every part of the report.
void expectRollupsAgree(Store& store, const MetricsQuery& query, const std::string& name)
{
    ASSERT_TRUE(rollupsCanAnswer(store, query)) << name;
    const MetricsReport fast = computeMetrics(store, query);
    const MetricsReport reference = computeMetricsByScanning(store, query);
    ASSERT_TRUE(fast.fromRollups);
    ASSERT_FALSE(reference.fromRollups);
    expectSameSummary(fast.summary, reference.summary, name + " summary");
    ASSERT_EQ(fast.series.size(), reference.series.size()) << name;
    for (size_t i = 0; i < fast.series.size(); ++i) {
        EXPECT_EQ(fast.series[i].first, reference.series[i].first) << name;
        expectSameSummary(fast.series[i].second, reference.series[i].second,
                          name + " bucket " + std::to_string(i));
    }
    ASSERT_EQ(fast.breakdown.size(), reference.breakdown.size()) << name;
    for (size_t i = 0; i < fast.breakdown.size(); ++i) {
        EXPECT_EQ(fast.breakdown[i].value, reference.breakdown[i].value) << name;
        EXPECT_EQ(fast.breakdown[i].impact, reference.breakdown[i].impact) << name;
        expectSameSummary(fast.breakdown[i].summary, reference.breakdown[i].summary,
                          name + " breakdown " + fast.breakdown[i].value);
    }
    ASSERT_EQ(fast.previous.has_value(), reference.previous.has_value()) << name;
    if (fast.previous)
        expectSameSummary(*fast.previous, *reference.previous, name + " previous");
    for (const auto& [rate, comparison] : reference.comparison)
        EXPECT_EQ(fast.comparison.at(rate).significant, comparison.significant) << name << " " << rate;
}

void expectRollupsAgreeOnManyQueries(Store& store, std::int64_t firstDay)
{
    constexpr std::int64_t hour = 3'600'000, day = 86'400'000;
    MetricsQuery all;
    expectRollupsAgree(store, all, "whole store");

    MetricsQuery daily;
    daily.filter.fromMs = firstDay + 2 * day;
    daily.filter.toMs = firstDay + 23 * day;
    daily.bucket = Bucket::Day;
    daily.breakdown = "agent_version";
    daily.compareFromMs = firstDay;
    daily.compareToMs = firstDay + 2 * day;
    expectRollupsAgree(store, daily, "aligned days, breakdown, comparison");

    // Edges inside hours, hours inside days: raw, hourly and daily parts together.
    MetricsQuery ragged;
    ragged.filter.fromMs = firstDay + 3 * day + 5 * hour + 1234;
    ragged.filter.toMs = firstDay + 11 * day + 17 * hour + 59 * 60'000 + 7;
    ragged.bucket = Bucket::Week;
    ragged.breakdown = "intent";
    expectRollupsAgree(store, ragged, "ragged range by week");
    ragged.bucket = Bucket::Hour;
    ragged.breakdown = "model";
    ragged.filter.where = {{"agent", "support-bot"}};
    expectRollupsAgree(store, ragged, "ragged range by hour, one agent");

    MetricsQuery withinOneHour;
    withinOneHour.filter.fromMs = firstDay + 4 * day + 10 * hour + 60'000;
    withinOneHour.filter.toMs = firstDay + 4 * day + 10 * hour + 40 * 60'000;
    expectRollupsAgree(store, withinOneHour, "inside one hour");

    MetricsQuery onlyFrom;
    onlyFrom.filter.fromMs = firstDay + 20 * day + 90'000;
    onlyFrom.breakdown = "channel";
    expectRollupsAgree(store, onlyFrom, "only a start");
    MetricsQuery onlyTo;
    onlyTo.filter.toMs = firstDay + 9 * day + 3 * hour + 5;
    onlyTo.filter.where = {{"model", "gpt-4o"}, {"channel", "web"}};
    onlyTo.bucket = Bucket::Day;
    expectRollupsAgree(store, onlyTo, "only an end, two conditions");

    MetricsQuery nothing;
    nothing.filter.where = {{"agent", "no-such-agent"}};
    nothing.bucket = Bucket::Day;
    expectRollupsAgree(store, nothing, "matches nothing");
}

std::int64_t firstDayOf(Store& store)
{
    const std::int64_t first = store.connection().queryInt("SELECT min(start_ms) FROM interactions");
    return bucketStart(first, Bucket::Day);
}

// A demo store with some interactions that have no start time, latency or scores.
void fillDemoStore(Store& store, const test::TempDir& dir)
{
    DemoOptions options;
    options.interactions = 6000;
    options.seed = 5;
    ASSERT_EQ(writeDemo(options, DemoFormat::Jsonl, dir.path("d.jsonl")), "");
    IngestOptions ingest;
    ingest.indexText = false;
    Ingestor(store, ingest).ingest({dir.path("d.jsonl")});
    Batch odd;
    for (int i = 0; i < 5; ++i) {
        Interaction in;
        in.key = "odd" + std::to_string(i);
        in.agent = "support-bot";
        if (i % 2)
            in.latencyMs = 50.0 * i;
        in.scores.push_back({"reward", 0.1 * i});
        in.scores.push_back({"reward", 0.2 * i}); // the last of a name counts
        odd.interactions.push_back(in);
    }
    store.writeBatch(odd);
}

} // namespace

TEST(Rollups, LatencyBinsAreOrderedAndNarrow)
{
    EXPECT_EQ(latencyBin(0), 0);
    EXPECT_EQ(latencyBin(-5), 0);
    EXPECT_EQ(latencyBin(std::nan("")), 0);
    EXPECT_EQ(latencyBin(1), 1);
    EXPECT_EQ(latencyBin(1e300), latencyBinCount - 1);
    int previous = 0;
    for (double ms = 0.5; ms < 1e7; ms *= 1.003) {
        const int bin = latencyBin(ms);
        EXPECT_GE(bin, previous);
        previous = bin;
    }
    EXPECT_EQ(latencyBin(1024), latencyBin(1024 * 1.0108)); // 2^(1/64): about 1.1% wide
    EXPECT_EQ(latencyBin(1024 * 1.011), latencyBin(1024) + 1);
}

TEST(Rollups, AgreeWithScanningOnDemoData)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    fillDemoStore(store, dir);
    expectRollupsAgreeOnManyQueries(store, firstDayOf(store));

    // Queries the rollups cannot answer go the long way, and say so.
    MetricsQuery bySignal;
    bySignal.filter.where = {{"signal", "escalation"}};
    EXPECT_FALSE(rollupsCanAnswer(store, bySignal));
    EXPECT_FALSE(computeMetrics(store, bySignal).fromRollups);
    MetricsQuery byScore;
    byScore.successScore = "reward";
    EXPECT_FALSE(rollupsCanAnswer(store, byScore));
}

TEST(Rollups, FollowRebuiltSignals)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    fillDemoStore(store, dir);
    DetectorSettings stricter;
    stricter.correctionPatterns = {R"(\bthat'?s wrong\b)"};
    stricter.repeatWindowMinutes = 5;
    rebuildSignals(store, stricter);
    MetricsQuery all;
    all.bucket = Bucket::Day;
    all.breakdown = "agent";
    expectRollupsAgree(store, all, "after rebuilding signals");
    const MetricsReport before = computeMetrics(store, all);
    rebuildSignals(store, {});
    expectRollupsAgree(store, all, "back to the defaults");
    EXPECT_NE(computeMetrics(store, all).summary.rates.at("correction").hits,
              before.summary.rates.at("correction").hits);
}

TEST(Rollups, MigrationFromSchemaTwoBuildsThem)
{
    test::TempDir dir;
    const std::string path = dir.path("s.db");
    {
        Store store(path);
        fillDemoStore(store, dir);
        // Make it a schema-2 store again: no rollup tables.
        store.connection().exec(
            "DROP TABLE rollup_dimensions; DROP TABLE rollups_hourly; DROP TABLE rollups_daily; "
            "DROP TABLE rollup_scores_hourly; DROP TABLE rollup_scores_daily; "
            "DROP TABLE latencies; PRAGMA user_version = 2");
    }
    {
        Store readOnly(path, Store::Mode::ReadOnly);
        MetricsQuery all;
        EXPECT_FALSE(rollupsCanAnswer(readOnly, all));
        EXPECT_GT(computeMetrics(readOnly, all).summary.interactions, 0); // by scanning
    }
    Store store(path);
    EXPECT_EQ(store.connection().queryInt("PRAGMA user_version"), Store::schemaVersion);
    expectRollupsAgreeOnManyQueries(store, firstDayOf(store));
    store.rebuildRollups();
    expectRollupsAgreeOnManyQueries(store, firstDayOf(store));
}

TEST(Rollups, CountsPerDimensionAgreeWithCountingEachValue)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    fillDemoStore(store, dir);
    const std::int64_t firstDay = firstDayOf(store);
    MetricsFilter ragged;
    ragged.fromMs = firstDay + 86'400'000 + 3'600'000 * 5 + 17;
    ragged.toMs = firstDay + 12 * 86'400'000 + 999;
    ragged.where = {{"channel", "web"}};
    for (Bucket bucket : {Bucket::Hour, Bucket::Day, Bucket::Week}) {
        const auto byVersion = interactionCountsBy(store, ragged, bucket, "agent_version");
        ASSERT_GE(byVersion.size(), 3u);
        for (const auto& [version, counts] : byVersion) {
            MetricsFilter one = ragged;
            one.where.emplace_back("agent_version", version);
            // The reference: SQL GROUP BY over the interactions, no rollups.
            std::map<std::int64_t, std::int64_t> expected;
            for (const auto& [start, n] : store.countsByTime(one, 3'600'000))
                expected[bucketStart(start, bucket)] += n;
            EXPECT_EQ(counts, expected) << version;
        }
    }
}

// What the dashboard's thumbs-down points drill into: exactly the interactions the rate counts.
TEST(Metrics, ThumbFilterFindsExactlyTheThumbsDown)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    fillDemoStore(store, dir);
    MetricsQuery all;
    const MetricsReport report = computeMetrics(store, all);
    MetricsQuery down;
    down.filter.where = {{"thumb", "down"}};
    EXPECT_FALSE(rollupsCanAnswer(store, down));
    const MetricsReport thumbsDown = computeMetrics(store, down);
    EXPECT_GT(thumbsDown.summary.interactions, 50);
    EXPECT_EQ(thumbsDown.summary.interactions, report.summary.rates.at("thumbs_down").hits);
    EXPECT_EQ(thumbsDown.summary.rates.at("thumbs_down").hits, thumbsDown.summary.interactions);
    down.filter.where = {{"thumb", "sideways"}};
    EXPECT_THROW(computeMetrics(store, down), sql::Error);
}
