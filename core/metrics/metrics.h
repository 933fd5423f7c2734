#pragma once
// Evaluation figures over any slice of the store: rates with Wilson 95% intervals, exact latency
// percentiles, tokens, cost and named scores. Computed from the narrow per-interaction rows the
// store returns for a filter (Store::metricRows); the core of issue #3's metrics, without the
// rollups that will keep it fast on large stores.

#include "core/store/store.h"

#include <map>
#include <optional>
#include <string>

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

// Outcomes counted as a success.
bool isSuccessOutcome(const std::string& outcome);

// The nearest-rank percentile (p in (0, 100]) of sorted values.
double nearestRankPercentile(const std::vector<double>& sorted, double p);

MetricsSummary computeMetrics(Store& store, const MetricsFilter& filter);

} // namespace winnow
