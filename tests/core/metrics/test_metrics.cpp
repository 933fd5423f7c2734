#include "../test_helpers.h"
#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/metrics/metrics.h"
#include "core/signals/rebuild.h"
#include "core/store/deletion.h"
#include "core/store/rollups.h"
#include "core/store/schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

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
    test::TestStore store;
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
    store.write(batch);
    Database& db = store.reader();

    const MetricsSummary all = computeMetrics(db, MetricsFilter{});
    EXPECT_EQ(all.interactions, 10);
    EXPECT_EQ(all.rate(Rate::Success).hits, 7);
    EXPECT_NEAR(all.rate(Rate::Success).low, 0.396778, 1e-6);
    EXPECT_EQ(all.rate(Rate::Escalation).hits, 2);
    EXPECT_EQ(all.rate(Rate::Partial).hits, 1);
    EXPECT_EQ(all.rate(Rate::ThumbsDown).hits, 2);
    EXPECT_EQ(all.rate(Rate::Correction).hits, 0);
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
    agentB.with(FilterField::Agent, "b");
    const MetricsSummary b = computeMetrics(db, agentB);
    EXPECT_EQ(b.interactions, 2);
    EXPECT_EQ(b.rate(Rate::Escalation).hits, 1);
    EXPECT_EQ(b.rate(Rate::Partial).hits, 1);
    EXPECT_DOUBLE_EQ(*b.latencyP50, 100);
    EXPECT_TRUE(b.scores.empty());

    MetricsFilter window; // [1,002,000, 1,005,000): interactions 2, 3, 4
    window.fromMs = 1'002'000;
    window.toMs = 1'005'000;
    const MetricsSummary w = computeMetrics(db, window);
    EXPECT_EQ(w.interactions, 3);
    EXPECT_DOUBLE_EQ(*w.latencyP50, 700);
    EXPECT_EQ(w.scores.at("reward").second, 2);

    // Success by a score: reward >= 0.5 holds for 2 of the 4 interactions that have a reward.
    MetricsQuery byScore;
    byScore.successScore = "reward";
    byScore.successThreshold = 0.5;
    const RateEstimate scoredSuccess = computeMetrics(db, byScore).summary.rate(Rate::Success);
    EXPECT_EQ(scoredSuccess.hits, 2);
    EXPECT_EQ(scoredSuccess.n, 4);
    byScore.filter.with(FilterField::Agent, "a"); // the score's parameter comes before the filter's
    EXPECT_EQ(computeMetrics(db, byScore).summary.rate(Rate::Success).n, 4);

    MetricsFilter escalated;
    escalated.with(FilterField::Signal, "escalation");
    EXPECT_EQ(computeMetrics(db, escalated).interactions, 2);
    MetricsFilter bogus;
    bogus.with(FilterField::Signal, "grumpy");
    EXPECT_THROW(computeMetrics(db, bogus), Failure);
}

// Against a reference computed in the test straight from the raw rows, on demo data.
TEST(Metrics, AgreeWithAReferenceFromRawRows)
{
    test::TestStore store;
    DemoOptions options;
    options.interactions = 5000;
    options.seed = 17;
    ASSERT_EQ(writeDemo(options, DemoFormat::Jsonl, store.dir().path("d.jsonl")), "");
    IngestOptions ingest;
    ingest.indexText = false;
    store.ingest({store.dir().path("d.jsonl")}, ingest);

    MetricsFilter filter;
    filter.with(FilterField::Agent, "support-bot").with(FilterField::Tool, "issue_refund");
    const MetricsSummary m = computeMetrics(store.reader(), filter);

    // The reference: every interaction read back whole, filtered and counted here.
    std::int64_t n = 0, success = 0, escalation = 0, thumbsDown = 0, input = 0;
    std::vector<double> latencies;
    InteractionCursor cursor;
    InteractionStore interactions(store.reader());
    for (auto page = interactions.after(cursor, 1000); !page.empty();
         page = interactions.after(cursor, 1000)) {
        for (const StoredInteraction& stored : page) {
            const Interaction& in = stored.interaction;
            const bool calledRefund = std::any_of(in.toolCalls.begin(), in.toolCalls.end(),
                                                  [](const ToolCall& c) { return c.name == "issue_refund"; });
            if (in.agent == "support-bot" && calledRefund) {
                ++n;
                success += in.outcome == "resolved";
                escalation += std::any_of(in.signals.begin(), in.signals.end(),
                                          [](const Signal& s) { return s.kind == SignalKind::Escalation; });
                thumbsDown += in.thumb && *in.thumb < 0;
                latencies.push_back(*in.latencyMs);
                input += in.inputTokens.value_or(0);
            }
        }
    }
    ASSERT_GT(n, 100);
    EXPECT_EQ(m.interactions, n);
    EXPECT_EQ(m.rate(Rate::Success).hits, success);
    EXPECT_EQ(m.rate(Rate::Escalation).hits, escalation);
    EXPECT_EQ(m.rate(Rate::ThumbsDown).hits, thumbsDown);
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
    test::TestStore store;
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
    store.write(batch);

    MetricsQuery query;
    query.bucket = Bucket::Day;
    query.breakdown = FilterField::Agent;
    MetricsReport report = computeMetrics(store.reader(), query);
    ASSERT_EQ(report.series.size(), 2u);
    EXPECT_EQ(report.series[0].first, 0);
    EXPECT_EQ(report.series[0].second.interactions, 4);
    EXPECT_EQ(report.series[0].second.rate(Rate::Escalation).hits, 1);
    EXPECT_EQ(report.series[1].first, day);
    EXPECT_EQ(report.series[1].second.rate(Rate::Escalation).hits, 4);
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
    report = computeMetrics(store.reader(), compared);
    ASSERT_TRUE(report.previous);
    EXPECT_EQ(report.summary.interactions, 6);
    EXPECT_EQ(report.previous->interactions, 4);
    const RateComparison& escalation = report.comparison[static_cast<size_t>(Rate::Escalation)];
    EXPECT_NEAR(escalation.difference, 4.0 / 6 - 1.0 / 4, 1e-12);
    EXPECT_FALSE(escalation.significant); // ten interactions prove nothing at p < 0.01
}

namespace {

void expectSameSummary(const MetricsSummary& a, const MetricsSummary& b, const std::string& where)
{
    SCOPED_TRACE(where);
    EXPECT_EQ(a.interactions, b.interactions);
    for (Rate rate : allRates) {
        EXPECT_EQ(a.rate(rate).hits, b.rate(rate).hits) << rateName(rate);
        EXPECT_EQ(a.rate(rate).n, b.rate(rate).n) << rateName(rate);
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
void expectRollupsAgree(Database& store, const MetricsQuery& query, const std::string& name)
{
    ASSERT_TRUE(rollupsCanAnswer(query)) << name;
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
    for (Rate rate : allRates)
        EXPECT_EQ(fast.comparison[static_cast<size_t>(rate)].significant,
                  reference.comparison[static_cast<size_t>(rate)].significant)
            << name << " " << rateName(rate);
}

void expectRollupsAgreeOnManyQueries(Database& store, std::int64_t firstDay)
{
    constexpr std::int64_t hour = 3'600'000, day = 86'400'000;
    MetricsQuery all;
    expectRollupsAgree(store, all, "whole store");

    MetricsQuery daily;
    daily.filter.fromMs = firstDay + 2 * day;
    daily.filter.toMs = firstDay + 23 * day;
    daily.bucket = Bucket::Day;
    daily.breakdown = FilterField::AgentVersion;
    daily.compareFromMs = firstDay;
    daily.compareToMs = firstDay + 2 * day;
    expectRollupsAgree(store, daily, "aligned days, breakdown, comparison");

    // Edges inside hours, hours inside days: raw, hourly and daily parts together.
    MetricsQuery ragged;
    ragged.filter.fromMs = firstDay + 3 * day + 5 * hour + 1234;
    ragged.filter.toMs = firstDay + 11 * day + 17 * hour + 59 * 60'000 + 7;
    ragged.bucket = Bucket::Week;
    ragged.breakdown = FilterField::Intent;
    expectRollupsAgree(store, ragged, "ragged range by week");
    ragged.bucket = Bucket::Hour;
    ragged.breakdown = FilterField::Model;
    ragged.filter.with(FilterField::Agent, "support-bot");
    expectRollupsAgree(store, ragged, "ragged range by hour, one agent");

    MetricsQuery withinOneHour;
    withinOneHour.filter.fromMs = firstDay + 4 * day + 10 * hour + 60'000;
    withinOneHour.filter.toMs = firstDay + 4 * day + 10 * hour + 40 * 60'000;
    expectRollupsAgree(store, withinOneHour, "inside one hour");

    MetricsQuery onlyFrom;
    onlyFrom.filter.fromMs = firstDay + 20 * day + 90'000;
    onlyFrom.breakdown = FilterField::Channel;
    expectRollupsAgree(store, onlyFrom, "only a start");
    MetricsQuery onlyTo;
    onlyTo.filter.toMs = firstDay + 9 * day + 3 * hour + 5;
    onlyTo.filter.with(FilterField::Model, "gpt-4o").with(FilterField::Channel, "web");
    onlyTo.bucket = Bucket::Day;
    expectRollupsAgree(store, onlyTo, "only an end, two conditions");

    MetricsQuery nothing;
    nothing.filter.with(FilterField::Agent, "no-such-agent");
    nothing.bucket = Bucket::Day;
    expectRollupsAgree(store, nothing, "matches nothing");

    // A signal condition is a facet of the rollups, alone, with an agent, or an agent and version.
    MetricsQuery escalated;
    escalated.filter.with(FilterField::Signal, "escalation");
    escalated.bucket = Bucket::Day;
    escalated.breakdown = FilterField::AgentVersion;
    escalated.compareFromMs = firstDay;
    escalated.compareToMs = firstDay + 3 * day;
    expectRollupsAgree(store, escalated, "one signal, by version");
    MetricsQuery corrected;
    corrected.filter.fromMs = firstDay + 4 * day + 7 * hour + 11;
    corrected.filter.toMs = firstDay + 13 * day + 2 * hour;
    corrected.filter.with(FilterField::Signal, "correction").with(FilterField::Agent, "support-bot");
    corrected.bucket = Bucket::Hour;
    expectRollupsAgree(store, corrected, "one signal and an agent, ragged, by hour");
    MetricsQuery twice;
    twice.filter.with(FilterField::Signal, "tool_error").with(FilterField::Signal, "tool_error");
    expectRollupsAgree(store, twice, "the same signal twice");
}

std::int64_t firstDayOf(test::TestStore& store)
{
    return bucketStart(store.queryInt("SELECT min(start_ms) FROM interactions"), Bucket::Day);
}

// A demo store with some interactions that have no start time, latency or scores.
void fillDemoStore(test::TestStore& store)
{
    DemoOptions options;
    options.interactions = 6000;
    options.seed = 5;
    ASSERT_EQ(writeDemo(options, DemoFormat::Jsonl, store.dir().path("d.jsonl")), "");
    IngestOptions ingest;
    ingest.indexText = false;
    store.ingest({store.dir().path("d.jsonl")}, ingest);
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
    store.write(odd);
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
    test::TestStore store;
    fillDemoStore(store);
    expectRollupsAgreeOnManyQueries(store.reader(), firstDayOf(store));

    // Queries the rollups cannot answer go the long way, and say so.
    MetricsQuery twoSignals;
    twoSignals.filter.with(FilterField::Signal, "escalation").with(FilterField::Signal, "correction");
    EXPECT_FALSE(rollupsCanAnswer(twoSignals));
    EXPECT_FALSE(computeMetrics(store.reader(), twoSignals).fromRollups);
    MetricsQuery signalAndModel;
    signalAndModel.filter.with(FilterField::Signal, "escalation").with(FilterField::Model, "gpt-4o");
    EXPECT_FALSE(rollupsCanAnswer(signalAndModel));
    MetricsQuery byScore;
    byScore.successScore = "reward";
    EXPECT_FALSE(rollupsCanAnswer(byScore));
    MetricsQuery byOutcome;
    byOutcome.filter.with(FilterField::Outcome, "resolved");
    EXPECT_FALSE(rollupsCanAnswer(byOutcome));
}

// A signal filter used to scan the interactions; now it reads a facet level: the answer is the
// scan's, from rows of that level only.
TEST(Rollups, ASignalFilterIsAnsweredFromTheFacetLevel)
{
    test::TestStore store;
    fillDemoStore(store);
    MetricsQuery escalated;
    escalated.filter.with(FilterField::Signal, "escalation");
    const MetricsReport report = computeMetrics(store.reader(), escalated);
    EXPECT_TRUE(report.fromRollups);
    EXPECT_EQ(report.summary.rate(Rate::Escalation).hits, report.summary.interactions);
    EXPECT_EQ(report.summary.interactions,
              store.queryInt("SELECT count(*) FROM interactions WHERE signal_mask & 1 != 0"));
    const RollupLevel facet = *levelFor(0, static_cast<int>(SignalKind::Escalation));
    EXPECT_EQ(store.queryInt("SELECT sum(value) FROM rollups r JOIN rollup_metrics m ON m.id = r.metric_id "
                             "WHERE m.name = 'interactions' AND granularity = 1 AND level = " +
                             std::to_string(facet.code())),
              report.summary.interactions);
}

TEST(Rollups, LevelsAreChosenCheapestFirst)
{
    const std::uint8_t agent = dimensionBit(Dimension::Agent),
                       version = dimensionBit(Dimension::AgentVersion);
    EXPECT_EQ(levelFor(0, -1)->fixed, 0);
    EXPECT_EQ(levelFor(agent, -1)->fixed,
              agent | version); // an agent's totals are its versions'; no level of its own
    EXPECT_EQ(levelFor(version, -1)->fixed, agent | version); // a version is counted with its agent
    EXPECT_EQ(levelFor(dimensionBit(Dimension::Intent), -1)->fixed, dimensionBit(Dimension::Intent));
    EXPECT_EQ(levelFor(agent | dimensionBit(Dimension::Model), -1)->fixed, allDimensions);
    EXPECT_EQ(levelFor(agent | version, 3)->facet, 3);
    EXPECT_FALSE(levelFor(dimensionBit(Dimension::Model), 0)); // facets are kept by agent and version only
    EXPECT_EQ(levelFor(agent, 2)->fixed, agent | version);
    for (const RollupLevel& level : rollupLevels())
        EXPECT_EQ(RollupLevel::fromCode(level.code()).code(), level.code());
}

TEST(Rollups, FollowRebuiltSignals)
{
    test::TestStore store;
    fillDemoStore(store);
    DetectorSettings stricter;
    stricter.correctionPatterns = {R"(\bthat'?s wrong\b)"};
    stricter.repeatWindowMinutes = 5;
    ASSERT_TRUE(rebuildSignals(store.reader(), *store.writer, stricter));
    MetricsQuery all;
    all.bucket = Bucket::Day;
    all.breakdown = FilterField::Agent;
    expectRollupsAgree(store.reader(), all, "after rebuilding signals");
    MetricsQuery corrected = all;
    corrected.filter.with(FilterField::Signal, "correction");
    expectRollupsAgree(store.reader(), corrected, "a facet after rebuilding signals");
    const MetricsReport before = computeMetrics(store.reader(), all);
    ASSERT_TRUE(rebuildSignals(store.reader(), *store.writer, {}));
    expectRollupsAgree(store.reader(), all, "back to the defaults");
    expectRollupsAgree(store.reader(), corrected, "a facet back to the defaults");
    EXPECT_NE(computeMetrics(store.reader(), all).summary.rate(Rate::Correction).hits,
              before.summary.rate(Rate::Correction).hits);
}

TEST(Rollups, FollowDeletes)
{
    test::TestStore store;
    fillDemoStore(store);
    const std::int64_t firstDay = firstDayOf(store);
    DeleteSelection some;
    some.filter.with(FilterField::Intent, "refund");
    some.filter.fromMs = firstDay + 5 * 86'400'000 + 3'600'000 * 7 + 3;
    ASSERT_GT(deleteInteractions(store.reader(), *store.writer, some)->deleted, 50);
    DeleteSelection before;
    before.kind = DeleteSelection::Kind::Before;
    before.beforeMs = firstDay + 2 * 86'400'000 + 17;
    ASSERT_GT(deleteInteractions(store.reader(), *store.writer, before)->deleted, 50);
    expectRollupsAgreeOnManyQueries(store.reader(), firstDay);
}

// A store from an older Winnow: schema 2 (no rollups) and schema 3 (wide rollups) are brought to
// the long format by the migration's backfill.
TEST(Rollups, MigrationFromOlderSchemasBuildsThem)
{
    for (int from : {2, 3}) {
        SCOPED_TRACE(from);
        test::TempDir dir;
        const std::string path = dir.path("s.db");
        {
            test::TestStore store(path);
            fillDemoStore(store);
        }
        test::downgradeToSchema(path, from);
        {
            // A reader opens it, says it needs an upgrade, and changes nothing.
            auto reader = Database::openForReading(path);
            ASSERT_TRUE(reader);
            EXPECT_FALSE((*reader)->isCurrent());
            EXPECT_NE((*reader)->upgradeNeeded().message.find("older Winnow"), std::string::npos);
        }
        test::TestStore store(path); // the writer migrates
        EXPECT_EQ(store.queryInt("PRAGMA user_version"), latestSchemaVersion());
        expectRollupsAgreeOnManyQueries(store.reader(), firstDayOf(store));
        ASSERT_TRUE(rebuildRollups(*store.writer));
        expectRollupsAgreeOnManyQueries(store.reader(), firstDayOf(store));
    }
}

TEST(Rollups, CountsPerDimensionAgreeWithCountingEachValue)
{
    test::TestStore store;
    fillDemoStore(store);
    const std::int64_t firstDay = firstDayOf(store);
    MetricsFilter ragged;
    ragged.fromMs = firstDay + 86'400'000 + 3'600'000 * 5 + 17;
    ragged.toMs = firstDay + 12 * 86'400'000 + 999;
    ragged.with(FilterField::Channel, "web");
    for (Bucket bucket : {Bucket::Hour, Bucket::Day, Bucket::Week}) {
        const auto byVersion = interactionCountsBy(store.reader(), ragged, bucket, Dimension::AgentVersion);
        ASSERT_GE(byVersion.size(), 3u);
        for (const auto& [version, counts] : byVersion) {
            MetricsFilter one = ragged;
            one.with(FilterField::AgentVersion, version);
            // The reference: SQL GROUP BY over the interactions, no rollups.
            std::map<std::int64_t, std::int64_t> expected;
            for (const auto& [start, n] : InteractionStore(store.reader()).countsByTime(one, 3'600'000))
                expected[bucketStart(start, bucket)] += n;
            EXPECT_EQ(counts, expected) << version;
        }
    }
}

// What the dashboard's thumbs-down points drill into: exactly the interactions the rate counts.
TEST(Metrics, ThumbFilterFindsExactlyTheThumbsDown)
{
    test::TestStore store;
    fillDemoStore(store);
    MetricsQuery all;
    const MetricsReport report = computeMetrics(store.reader(), all);
    MetricsQuery down;
    down.filter.with(FilterField::Thumb, "down");
    EXPECT_FALSE(rollupsCanAnswer(down));
    const MetricsReport thumbsDown = computeMetrics(store.reader(), down);
    EXPECT_GT(thumbsDown.summary.interactions, 50);
    EXPECT_EQ(thumbsDown.summary.interactions, report.summary.rate(Rate::ThumbsDown).hits);
    EXPECT_EQ(thumbsDown.summary.rate(Rate::ThumbsDown).hits, thumbsDown.summary.interactions);
    MetricsQuery sideways;
    sideways.filter.where = {{FilterField::Thumb, "sideways"}};
    EXPECT_THROW(computeMetrics(store.reader(), sideways), Failure);
    EXPECT_FALSE(checkQuery(sideways));
}

TEST(Metrics, AReversedRangeIsAnErrorNotAnEmptyAnswer)
{
    MetricsQuery reversed;
    reversed.filter.fromMs = 2000;
    reversed.filter.toMs = 1000;
    const Status checked = checkQuery(reversed);
    ASSERT_FALSE(checked);
    EXPECT_NE(checked.error().message.find("before it starts"), std::string::npos);
    MetricsQuery byTool;
    byTool.breakdown = FilterField::Tool;
    EXPECT_FALSE(checkQuery(byTool));
}

// Stored values from before ingest checked their range (a start time at the edge of the integer
// range) must not make a query walk every day between them.
TEST(Metrics, QueriesStayBoundedWhateverIsStored)
{
    test::TestStore store;
    fillDemoStore(store);
    const std::int64_t firstDay = firstDayOf(store);
    Interaction far;
    far.key = "far-future";
    far.startMs = INT64_MAX - 5;
    far.latencyMs = 120;
    Interaction past;
    past.key = "far-past";
    past.startMs = INT64_MIN + 5;
    past.latencyMs = 80;
    store.write({far, past});
    MetricsQuery all;
    all.bucket = Bucket::Week;
    const MetricsReport report = computeMetrics(store.reader(), all);
    EXPECT_TRUE(report.fromRollups);
    EXPECT_GT(report.summary.interactions, 6000);
    EXPECT_TRUE(report.summary.latencyP50);
    MetricsQuery recent;
    recent.filter.fromMs = firstDay;
    recent.filter.toMs = firstDay + 86'400'000;
    expectRollupsAgree(store.reader(), recent, "one day beside the extremes");
}

// Evaluation runs are compared by their metadata (trial, task family) and scores: both filter and
// metadata breaks down, on the scan path, with hand-counted answers.
TEST(Metrics, MetadataAndScoreSlices)
{
    test::TestStore store;
    Batch batch;
    for (int i = 0; i < 12; ++i) {
        Interaction in;
        in.key = "run-" + std::to_string(i);
        in.outcome = i % 3 == 0 ? "failed" : "resolved";
        // Top-level keys only; a key with dots is one key, true stays the word true.
        in.metadataJson = "{\"trial\":" + std::to_string(i % 2 + 1) + ",\"task_family\":\"" +
                          (i < 8 ? "web search" : "math") + "\",\"gen_ai.conversation.id\":\"c" +
                          std::to_string(i / 4) + "\",\"pass\":" + (i % 3 == 0 ? "false" : "true") +
                          ",\"nested\":{\"a\":1}}";
        if (i == 11)
            in.metadataJson.clear();
        if (i < 10)
            in.scores.push_back({"reward", i / 10.0}); // 0, 0.1, ..., 0.9
        batch.interactions.push_back(in);
    }
    store.write(batch);
    Database& db = store.reader();
    auto count = [&](std::vector<std::string> conditions) {
        MetricsFilter filter;
        for (const std::string& text : conditions)
            filter.with(*parseCondition(text));
        return computeMetrics(db, filter).interactions;
    };
    EXPECT_EQ(count({"metadata.trial=1"}), 6);
    EXPECT_EQ(count({"metadata.trial=2"}), 5); // 11 has no metadata
    EXPECT_EQ(count({"metadata.trial="}), 1);
    EXPECT_EQ(count({"metadata.task_family=web search"}), 8);
    EXPECT_EQ(count({"metadata.gen_ai.conversation.id=c2"}), 3);
    EXPECT_EQ(count({"metadata.pass=false"}), 4);
    EXPECT_EQ(count({"metadata.pass=true"}), 7);
    EXPECT_EQ(count({"metadata.nested={\"a\":1}"}), 11);
    EXPECT_EQ(count({"metadata.missing=x"}), 0);
    EXPECT_EQ(count({"score.reward>=0.5"}), 5);
    EXPECT_EQ(count({"score.reward>0.5"}), 4);
    EXPECT_EQ(count({"score.reward<0.3"}), 3);
    EXPECT_EQ(count({"score.reward<=0.3"}), 4);
    EXPECT_EQ(count({"score.reward=0.3"}), 1);
    EXPECT_EQ(count({"score.reward="}), 2); // without the score
    EXPECT_EQ(count({"score.other>=0"}), 0);
    EXPECT_EQ(count({"score.reward>=0.5", "metadata.trial=1"}), 2); // 6, 8
    EXPECT_EQ(count({"score.reward>=0.5", "metadata.task_family=math"}), 2);

    MetricsQuery byTrial;
    byTrial.filter.with(*parseCondition("score.reward>=0.2"));
    byTrial.breakdown = Grouping{FilterField::Metadata, "trial"};
    EXPECT_FALSE(rollupsCanAnswer(byTrial));
    const MetricsReport report = computeMetrics(db, byTrial);
    std::map<std::string, std::int64_t> perTrial;
    for (const BreakdownRow& row : report.breakdown)
        perTrial[row.value] = row.summary.interactions;
    EXPECT_EQ(perTrial, (std::map<std::string, std::int64_t>{{"1", 4}, {"2", 4}}));
    byTrial.breakdown = Grouping{FilterField::Metadata, "pass"};
    byTrial.successScore = "reward"; // the score's, the group's and the filter's parameters in order
    byTrial.successThreshold = 0.5;
    perTrial.clear();
    for (const BreakdownRow& row : computeMetrics(db, byTrial).breakdown)
        perTrial[row.value] = row.summary.rate(Rate::Success).hits;
    EXPECT_EQ(perTrial, (std::map<std::string, std::int64_t>{{"false", 2}, {"true", 3}})); // 6, 9 | 5, 7, 8
    byTrial.breakdown = Grouping{FilterField::Metadata, ""};
    EXPECT_FALSE(checkQuery(byTrial));
}

TEST(Filter, ParsesMetadataAndScoreConditions)
{
    const auto metadata = parseCondition("metadata.task=a=b");
    ASSERT_TRUE(metadata);
    EXPECT_EQ(*metadata, (Condition{FilterField::Metadata, "a=b", "task", Comparison::Equal}));
    const auto score = parseCondition("score.reward>=0.25");
    ASSERT_TRUE(score);
    EXPECT_EQ(*score, (Condition{FilterField::Score, "0.25", "reward", Comparison::GreaterOrEqual}));
    EXPECT_EQ(conditionText(*score), "score.reward>=0.25");
    EXPECT_EQ(parseCondition("score.reward<1")->comparison, Comparison::Less);
    EXPECT_EQ(parseCondition("score.reward<=1")->comparison, Comparison::LessOrEqual);
    EXPECT_EQ(parseCondition("score.reward>1")->comparison, Comparison::Greater);
    for (const char* wrong : {"metadata.=x", "metadata.task", "score.reward>=high", "score.>=1",
                              "score.reward", "score.reward>=", "metadata=x", "score=1", "agent>=1",
                              "metadata.a\"b=1", "score.reward>=nan", "score.reward>=1e999"})
        EXPECT_FALSE(parseCondition(wrong)) << wrong;
    const auto list = parseConditionList(R"(  agent=a metadata.task="web search"  score.reward>=0.5)");
    ASSERT_TRUE(list) << list.error().message;
    ASSERT_EQ(list->size(), 3u);
    EXPECT_EQ((*list)[1].value, "web search");
    EXPECT_FALSE(parseConditionList(R"(metadata.task="open)"));
    const std::vector<Condition> awkward = {
        {FilterField::Metadata, R"({"a": "b\c"})", "nested", Comparison::Equal},
        {FilterField::Score, "0.5", "reward", Comparison::Less},
        {FilterField::Agent, "support bot", {}, Comparison::Equal}};
    EXPECT_EQ(*parseConditionList(conditionListText(awkward)), awkward) << conditionListText(awkward);
    // Found by fuzzing: a key with a space (quoted in the middle of a word) did not read back, and a
    // key with a NUL made SQLite's JSON path fail at query time.
    const auto spacedKey = parseConditionList(R"(metadata.task"  family"=x"y z")");
    ASSERT_TRUE(spacedKey) << spacedKey.error().message;
    EXPECT_EQ((*spacedKey)[0].key, "task  family");
    EXPECT_EQ(*parseConditionList(conditionListText(*spacedKey)), *spacedKey) << conditionListText(*spacedKey);
    EXPECT_FALSE(parseCondition(std::string("metadata.a\0b=1", 14)));
    EXPECT_FALSE(parseCondition("metadata.a\x01b=1"));
    EXPECT_TRUE(parseCondition("metadata.a\\b=1")); // a backslash is a character of the key
    EXPECT_FALSE(parseConditionList("agent=a bogus=1"));
    EXPECT_EQ(groupingText(*parseGrouping("metadata.task")), "metadata.task");
    EXPECT_FALSE(parseGrouping("metadata."));
    EXPECT_FALSE(parseGrouping("score"));
    EXPECT_FALSE(parseGrouping("metadata"));
    EXPECT_FALSE(parseGrouping("tool"));
}

// A latency added, taken away and added again (an interaction replaced within one batch) counts
// once in its cell's histogram.
TEST(Rollups, AHistogramBinThatFallsToZeroAndRisesCountsRight)
{
    RollupFacts facts;
    facts.interactionId = 1;
    facts.startMs = 1'700'000'000'000;
    facts.latencyMs = 1234;
    RollupDelta delta;
    delta.add(facts, 1);
    delta.add(facts, -1);
    delta.add(facts, 1);
    delta.compact();
    ASSERT_FALSE(delta.cells().empty());
    for (const RollupDelta::Cell& cell : delta.cells()) {
        ASSERT_EQ(cell.histogram.size(), 1u);
        EXPECT_EQ(cell.histogram.front().second, 1);
    }
}
