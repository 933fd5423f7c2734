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

double nearestRankPercentile(const std::vector<double>& sorted, double p)
{
    if (sorted.empty())
        return 0;
    const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

MetricsSummary summariseRows(const std::vector<const MetricRow*>& rows,
                             std::optional<double> successThreshold)
{
    std::int64_t scored = 0;
    MetricsSummary summary;
    summary.interactions = static_cast<std::int64_t>(rows.size());
    std::int64_t success = 0, thumbsDown = 0;
    std::int64_t byKind[signalKindCount] = {};
    std::vector<double> latencies;
    latencies.reserve(rows.size());
    for (const MetricRow* row : rows) {
        if (!successThreshold) {
            success += row->success;
        } else if (row->score) {
            ++scored;
            success += *row->score >= *successThreshold;
        }
        thumbsDown += row->thumb < 0;
        for (int k = 0; k < signalKindCount; ++k)
            byKind[k] += (row->signalMask >> k) & 1;
        if (row->latencyMs)
            latencies.push_back(*row->latencyMs);
        summary.inputTokens += row->inputTokens;
        summary.outputTokens += row->outputTokens;
        summary.costUsd += row->costUsd;
    }
    const std::int64_t n = summary.interactions;
    summary.rates["success"] = wilsonRate(success, successThreshold ? scored : n);
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
    return summary;
}

namespace {
std::vector<const MetricRow*> pointersTo(const std::vector<MetricRow>& rows)
{
    std::vector<const MetricRow*> pointers;
    pointers.reserve(rows.size());
    for (const MetricRow& row : rows)
        pointers.push_back(&row);
    return pointers;
}

constexpr std::int64_t dayMs = 86'400'000;
} // namespace

std::int64_t bucketStart(std::int64_t ms, Bucket bucket)
{
    auto floorDiv = [](std::int64_t a, std::int64_t b) { return a / b - ((a % b) < 0); };
    switch (bucket) {
    case Bucket::Hour:
        return floorDiv(ms, 3'600'000) * 3'600'000;
    case Bucket::Day:
        return floorDiv(ms, dayMs) * dayMs;
    case Bucket::Week: // weeks start on Monday; 1970-01-01 was a Thursday
        return (floorDiv(floorDiv(ms, dayMs) + 3, 7) * 7 - 3) * dayMs;
    }
    return ms;
}

bool parseBucket(const std::string& name, Bucket& bucket)
{
    if (name == "hour")
        bucket = Bucket::Hour;
    else if (name == "day")
        bucket = Bucket::Day;
    else if (name == "week")
        bucket = Bucket::Week;
    else
        return false;
    return true;
}

RateComparison compareRates(const RateEstimate& current, const RateEstimate& other)
{
    RateComparison c;
    c.difference = current.value - other.value;
    const double n1 = static_cast<double>(current.n), n2 = static_cast<double>(other.n);
    if (n1 == 0 || n2 == 0)
        return c;
    const double pooled = static_cast<double>(current.hits + other.hits) / (n1 + n2);
    const double se = std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
    if (se == 0)
        return c;
    c.z = c.difference / se;
    c.pValue = std::erfc(std::fabs(c.z) / std::sqrt(2.0));
    c.significant = c.pValue < 0.01;
    return c;
}

MetricsReport computeMetrics(Store& store, const MetricsQuery& query)
{
    MetricsReport report;
    const std::optional<double> threshold =
        query.successScore.empty() ? std::nullopt : std::optional<double>(query.successThreshold);
    const std::vector<MetricRow> rows = store.metricRows(query.filter, query.breakdown, query.successScore);
    report.summary = summariseRows(pointersTo(rows), threshold);
    for (const auto& [name, total] : store.scoreTotals(query.filter))
        report.summary.scores[name] = {total.second ? total.first / static_cast<double>(total.second) : 0.0,
                                       total.second};
    if (query.bucket) {
        std::map<std::int64_t, std::vector<const MetricRow*>> buckets;
        for (const MetricRow& row : rows)
            if (row.startMs)
                buckets[bucketStart(*row.startMs, *query.bucket)].push_back(&row);
        for (const auto& [start, members] : buckets)
            report.series.emplace_back(start, summariseRows(members, threshold));
    }
    if (!query.breakdown.empty()) {
        std::map<std::string, std::vector<const MetricRow*>> groups;
        for (const MetricRow& row : rows)
            groups[row.dimension].push_back(&row);
        for (const auto& [value, members] : groups) {
            BreakdownRow row{value, summariseRows(members, threshold), 0};
            const auto rate = row.summary.rates.find(query.impactRate);
            row.impact = rate == row.summary.rates.end() ? 0 : rate->second.hits; // rate × volume
            report.breakdown.push_back(std::move(row));
        }
        std::stable_sort(report.breakdown.begin(), report.breakdown.end(),
                         [](const BreakdownRow& a, const BreakdownRow& b) { return a.impact > b.impact; });
    }
    if (query.compareFromMs && query.compareToMs) {
        MetricsFilter other = query.filter;
        other.fromMs = query.compareFromMs;
        other.toMs = query.compareToMs;
        const std::vector<MetricRow> otherRows = store.metricRows(other, {}, query.successScore);
        MetricsSummary previous = summariseRows(pointersTo(otherRows), threshold);
        for (const auto& [name, rate] : report.summary.rates)
            report.comparison[name] = compareRates(rate, previous.rates[name]);
        report.previous = std::move(previous);
    }
    return report;
}

MetricsSummary computeMetrics(Store& store, const MetricsFilter& filter)
{
    MetricsQuery query;
    query.filter = filter;
    return computeMetrics(store, query).summary;
}

} // namespace winnow
