#pragma once
// Evaluation figures over any slice of the store: rates with Wilson 95% intervals, exact latency
// percentiles, tokens, cost and named scores.
//
// Two ways to the same figures: from the rollups (core/store/rollups.h) when a rollup level fixes
// every dimension the query filters or groups by (and at most one signal condition, answered by a
// facet level), with success by outcome; otherwise by scanning the narrow per-interaction rows.
// Both take a Database (a reader's connection) and are called the same way by the app's jobs and
// the command line.

#include "core/store/filter.h"
#include "core/store/interaction_store.h"
#include "core/store/rollups.h"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;

// The rates every summary carries.
enum class Rate {
    Success,
    Escalation,
    Correction,
    Repeat,
    Partial,
    ToolError,
    ThumbsDown,
    HandoffOffered,
    Guardrail, // a guardrail rule of the applied version hit it
};
constexpr int rateCount = 9;
constexpr std::array<Rate, rateCount> allRates = {Rate::Success,    Rate::Escalation,     Rate::Correction,
                                                  Rate::Repeat,     Rate::Partial,        Rate::ToolError,
                                                  Rate::ThumbsDown, Rate::HandoffOffered, Rate::Guardrail};
// As named in JSON and on the command line: success, escalation, ..., thumbs_down.
const char* rateName(Rate rate);
std::optional<Rate> parseRate(std::string_view name);
std::string rateList();
// The signal kind a rate counts, for the rates that count one.
std::optional<SignalKind> signalOfRate(Rate rate);

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
    std::array<RateEstimate, rateCount> rates;
    // ms, nearest-rank, over interactions with a latency
    std::optional<double> latencyP50, latencyP90, latencyP99;
    std::int64_t inputTokens = 0;
    std::int64_t outputTokens = 0;
    double costUsd = 0;
    std::int64_t priced = 0;        // interactions with a cost (the rest have none: unknown, not $0)
    std::int64_t costEstimated = 0; // of those, estimated from the price table
    std::map<std::string, std::pair<double, std::int64_t>> scores; // name → (mean, n)

    const RateEstimate& rate(Rate r) const { return rates[static_cast<size_t>(r)]; }
    RateEstimate& rate(Rate r) { return rates[static_cast<size_t>(r)]; }
};

// The nearest-rank percentile (p in (0, 100]) of sorted values.
double nearestRankPercentile(const std::vector<double>& sorted, double p);

enum class Bucket { Hour, Day, Week };
std::optional<Bucket> parseBucket(std::string_view name);
const char* bucketName(Bucket bucket);
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
    std::optional<Grouping> breakdown;         // a groupable field or metadata key to break down by
    Rate impactRate = Rate::Escalation;        // breakdown rows are sorted by this rate's hits
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
    std::array<RateComparison, rateCount> comparison;            // per rate, with previous
    bool fromRollups = false;                                    // which way it was computed
};

// The other period's figures beside the report's, with a test per rate.
void addComparison(MetricsReport& report, MetricsSummary previous);

// The query's conditions, range and breakdown checked; an Error names what is wrong.
Status checkQuery(const MetricsQuery& query);

// From the rollups when they can answer the query, otherwise by scanning.
MetricsReport computeMetrics(Database& database, const MetricsQuery& query);
MetricsSummary computeMetrics(Database& database, const MetricsFilter& filter);
// Always by scanning the interactions: the reference the rollups are tested against.
MetricsReport computeMetricsByScanning(Database& database, const MetricsQuery& query);
bool rollupsCanAnswer(const MetricsQuery& query);

// How many interactions of the slice start in each hour or day (by bucket start), from the rollups
// when they can answer, otherwise counted from the interactions. Interactions without a start
// time are counted under noStartBucket (rollups.h).
std::map<std::int64_t, std::int64_t> interactionCounts(Database& database, const MetricsFilter& filter,
                                                       Bucket bucket);
// The same per value of a dimension ("" for interactions without one), in one pass.
std::map<std::string, std::map<std::int64_t, std::int64_t>>
interactionCountsBy(Database& database, const MetricsFilter& filter, Bucket bucket, Dimension dimension);

// The values each dimension takes in the store, sorted; what a filter bar offers.
std::map<Dimension, std::vector<std::string>> dimensionValues(Database& database);

// What the store holds, for the choices a filter bar and a dashboard offer. Cheap at any size.
struct StoreOutline
{
    bool empty = true;
    std::map<Dimension, std::vector<std::string>> values;
    std::optional<std::int64_t> oldestMs, newestMs; // start times, of the interactions that have one
    std::int64_t untimed = 0;                       // interactions without a start time
    std::vector<std::string> scoreNames;            // sorted
    std::vector<std::string> metadataKeys;          // top-level keys of the newest interactions' metadata
};
StoreOutline readStoreOutline(Database& database);

// Recomputes the stored rollups from the interactions (repair); a write operation.
class StoreWriter;
Status rebuildRollups(StoreWriter& writer);

// Figures of rows added one at a time (no scores: they come from their own table). With a
// threshold, success is row.score >= threshold over the rows that have a score. Keeps counts and
// the latencies only, so a scan of millions of rows holds no rows.
class RowSummary
{
public:
    explicit RowSummary(std::optional<double> successThreshold = std::nullopt) : m_threshold(successThreshold)
    {
    }
    void add(const MetricRow& row);
    MetricsSummary summary(); // selects the percentiles in place: call once

private:
    std::optional<double> m_threshold;
    RollupCounts m_counts;
    std::int64_t m_scored = 0, m_scoredSuccess = 0;
    std::vector<double> m_latencies;
};

} // namespace winnow
