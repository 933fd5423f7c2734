#pragma once
// Evaluation figures over any slice of the store: rates with Wilson 95% intervals, exact latency
// percentiles, tokens, cost and named scores.
//
// Two ways to the same figures: from the rollups (core/store/rollups.h) when the filter and the
// breakdown use only rollup dimensions (agent, agent_version, model, intent, channel) and success
// is by outcome; otherwise by scanning the narrow per-interaction rows (Store::metricRows).

#include "core/store/store.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

struct RateEstimate
{
    std::int64_t hits = 0;
    std::int64_t n = 0;
    double value = 0; // hits / n, 0 when n is 0
    double low = 0;   // Wilson score interval, 95%
    double high = 0;
};

RateEstimate wilsonRate(std::int64_t hits, std::int64_t n);

struct MetricsSummary
{
    std::int64_t interactions = 0;
    std::map<std::string, RateEstimate>
        rates; // success, escalation, correction, repeat, partial, tool_error, thumbs_down
    std::optional<double> latencyP50, latencyP90,
        latencyP99; // ms, nearest-rank, over interactions with a latency
    std::int64_t inputTokens = 0;
    std::int64_t outputTokens = 0;
    double costUsd = 0;
    std::map<std::string, std::pair<double, std::int64_t>> scores; // name → (mean, n)
};

// The nearest-rank percentile (p in (0, 100]) of sorted values.
double nearestRankPercentile(const std::vector<double>& sorted, double p);

MetricsSummary computeMetrics(Store& store, const MetricsFilter& filter);

enum class Bucket { Hour, Day, Week };
bool parseBucket(const std::string& name, Bucket& bucket);
// How long an hour, day or week bucket is, in ms.
std::int64_t bucketWidthMs(Bucket bucket);
// The start of the UTC hour, day or week (Monday) that holds ms.
std::int64_t bucketStart(std::int64_t ms, Bucket bucket);

// Two periods' rates side by side: the two-proportion z-test with a pooled variance; significant
// at p < 0.01.
struct RateComparison
{
    double difference = 0; // this period minus the other
    double z = 0;
    double pValue = 1;
    bool significant = false;
};
RateComparison compareRates(const RateEstimate& current, const RateEstimate& other);

struct MetricsQuery
{
    MetricsFilter filter;
    std::optional<Bucket> bucket;              // a series per bucket
    std::string breakdown;                     // a filter field to break down by, or empty
    std::string impactRate = "escalation";     // breakdown rows are sorted by this rate's hits
    std::optional<std::int64_t> compareFromMs; // the other period, same filter otherwise
    std::optional<std::int64_t> compareToMs;
    // Success by a score instead of the outcome: score >= threshold, over the interactions that
    // have the score.
    std::string successScore;
    double successThreshold = 0;
};

struct BreakdownRow
{
    std::string value;
    MetricsSummary summary;
    std::int64_t impact = 0; // rate × volume: the interactions the impact rate counts
};

struct MetricsReport
{
    MetricsSummary summary;
    std::vector<std::pair<std::int64_t, MetricsSummary>> series; // bucket start → figures
    std::vector<BreakdownRow> breakdown;                         // by impact, largest first
    std::optional<MetricsSummary> previous;                      // the comparison period
    std::map<std::string, RateComparison> comparison;            // per rate
    bool fromRollups = false;                                    // which way it was computed
};

// From the rollups when they can answer the query, otherwise by scanning.
MetricsReport computeMetrics(Store& store, const MetricsQuery& query);
// Always by scanning the interactions: the reference the rollups are tested against.
MetricsReport computeMetricsByScanning(Store& store, const MetricsQuery& query);
bool rollupsCanAnswer(Store& store, const MetricsQuery& query);

// How many interactions of the slice start in each hour or day (by bucket start), from the rollups
// when they can answer, otherwise counted from the interactions. Interactions without a start
// time are counted under noStartBucket (rollups.h).
std::map<std::int64_t, std::int64_t> interactionCounts(Store& store, const MetricsFilter& filter,
                                                       Bucket bucket);
// The same per value of a rollup dimension ("" for interactions without one), in one pass.
std::map<std::string, std::map<std::int64_t, std::int64_t>>
interactionCountsBy(Store& store, const MetricsFilter& filter, Bucket bucket, const std::string& dimension);

// The values each rollup dimension (agent, agent_version, model, intent, channel) takes in the
// store, sorted; what a filter bar offers.
std::map<std::string, std::vector<std::string>> dimensionValues(Store& store);

// Figures of a set of rows (no scores: they come from their own table). With a threshold, success
// is row.score >= threshold over the rows that have a score.
MetricsSummary summariseRows(const std::vector<const MetricRow*>& rows,
                             std::optional<double> successThreshold = std::nullopt);

} // namespace winnow
