#include "core/metrics/metrics.h"

#include <algorithm>
#include <cmath>

namespace winnow {

RateEstimate wilsonRate(std::int64_t hits, std::int64_t n)
{
    RateEstimate rate;
    rate.hits = hits;
    rate.n = n;
    if (n == 0)
        return rate;
    constexpr double z = 1.959963984540054; // two-sided 95%
    const double nn = static_cast<double>(n);
    const double p = static_cast<double>(hits) / nn;
    const double denominator = 1 + z * z / nn;
    const double centre = (p + z * z / (2 * nn)) / denominator;
    const double margin = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denominator;
    rate.value = p;
    rate.low = std::max(0.0, centre - margin);
    rate.high = std::min(1.0, centre + margin);
    return rate;
}

bool isSuccessOutcome(const std::string& outcome)
{
    return outcome == "resolved" || outcome == "success" || outcome == "succeeded" || outcome == "completed";
}

double nearestRankPercentile(const std::vector<double>& sorted, double p)
{
    if (sorted.empty())
        return 0;
    const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

MetricsSummary computeMetrics(Store& store, const MetricsFilter& filter)
{
    MetricsSummary summary;
    const std::vector<MetricRow> rows = store.metricRows(filter);
    summary.interactions = static_cast<std::int64_t>(rows.size());
    std::int64_t success = 0, thumbsDown = 0;
    std::int64_t byKind[signalKindCount] = {};
    std::vector<double> latencies;
    latencies.reserve(rows.size());
    for (const MetricRow& row : rows) {
        success += row.success;
        thumbsDown += row.thumb < 0;
        for (int k = 0; k < signalKindCount; ++k)
            byKind[k] += (row.signalMask >> k) & 1;
        if (row.latencyMs)
            latencies.push_back(*row.latencyMs);
        summary.inputTokens += row.inputTokens;
        summary.outputTokens += row.outputTokens;
        summary.costUsd += row.costUsd;
    }
    const std::int64_t n = summary.interactions;
    summary.rates["success"] = wilsonRate(success, n);
    summary.rates["thumbs_down"] = wilsonRate(thumbsDown, n);
    for (SignalKind kind : {SignalKind::Escalation, SignalKind::Correction, SignalKind::Repeat,
                            SignalKind::Partial, SignalKind::ToolError})
        summary.rates[signalKindName(kind)] = wilsonRate(byKind[static_cast<int>(kind)], n);
    std::sort(latencies.begin(), latencies.end());
    if (!latencies.empty()) {
        summary.latencyP50 = nearestRankPercentile(latencies, 50);
        summary.latencyP90 = nearestRankPercentile(latencies, 90);
        summary.latencyP99 = nearestRankPercentile(latencies, 99);
    }
    for (const auto& [name, total] : store.scoreTotals(filter))
        summary.scores[name] = {total.second ? total.first / static_cast<double>(total.second) : 0.0,
                                total.second};
    return summary;
}

} // namespace winnow
