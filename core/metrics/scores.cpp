#include "core/metrics/scores.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace winnow {

namespace {

// Welford's running mean and variance: stable where sums of squares cancel.
struct Running
{
    std::int64_t n = 0;
    double mean = 0, m2 = 0, min = 0, max = 0;
    void add(double value)
    {
        if (n == 0)
            min = max = value;
        min = std::min(min, value);
        max = std::max(max, value);
        ++n;
        const double delta = value - mean;
        mean += delta / static_cast<double>(n);
        m2 += delta * (value - mean);
    }
    ScoreSummary summary(const std::string& name) const
    {
        ScoreSummary s;
        s.name = name;
        s.n = n;
        s.mean = mean;
        s.min = min;
        s.max = max;
        s.sd = n > 1 ? std::sqrt(m2 / static_cast<double>(n - 1)) : 0;
        const double half = n > 1 ? studentT975(n - 1) * s.sd / std::sqrt(static_cast<double>(n)) : 0;
        s.low = mean - half;
        s.high = mean + half;
        return s;
    }
};

ScoreDistribution distributionOf(const std::vector<double>& values, const Running& running, int bins)
{
    ScoreDistribution d;
    if (values.empty())
        return d;
    bins = std::clamp(bins, 1, 200);
    const bool integers =
        std::all_of(values.begin(), values.end(), [](double v) { return v == std::floor(v); });
    if (integers && running.max - running.min < 20) {
        d.perValue = true;
        d.from = running.min;
        d.width = 1;
        d.counts.assign(static_cast<size_t>(running.max - running.min) + 1, 0);
    } else {
        d.from = running.min;
        d.width = running.max > running.min ? (running.max - running.min) / bins : 1;
        d.counts.assign(static_cast<size_t>(running.max > running.min ? bins : 1), 0);
    }
    d.to = running.max;
    // By the same edges a drill-down into a bin compares with, so the two agree to the last bit.
    std::vector<double> edges(d.counts.size());
    for (size_t i = 0; i < edges.size(); ++i)
        edges[i] = d.edge(i);
    for (double v : values) {
        const auto above = std::upper_bound(edges.begin(), edges.end(), v);
        ++d.counts[static_cast<size_t>(std::max<std::ptrdiff_t>(0, above - edges.begin() - 1))];
    }
    return d;
}

} // namespace

double studentT975(std::int64_t df)
{
    static constexpr double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                       2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                       2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    if (df < 1)
        return 0;
    if (df <= 30)
        return table[df - 1];
    // Beyond the table the quantile approaches 1.96 as 1.96 + 2.4/df (within 0.2% from 31 on).
    return 1.959964 + 2.4 / static_cast<double>(df);
}

ScoreReport computeScores(Database& database, const ScoreQuery& query)
{
    checkFilter(query.filter).check();
    if (query.breakdown)
        checkGrouping(*query.breakdown).check();
    ReadSnapshot snapshot(database);
    InteractionStore interactions(database);
    std::map<std::string, Running> perName;
    ScoreReport report;
    report.detailed = query.detail;
    // Without a name asked for, the detail is the first name: which one that is depends on the
    // slice, so the values of every name are kept until it is known.
    std::map<std::string, std::vector<std::pair<double, std::string>>> kept;
    interactions.forEachScore(query.filter, query.breakdown,
                              [&](std::string_view name, double value, std::string_view group) {
                                  perName[std::string(name)].add(value);
                                  if (query.detail.empty() || name == query.detail)
                                      kept[std::string(name)].emplace_back(value, std::string(group));
                              });
    for (const auto& [name, running] : perName)
        report.scores.push_back(running.summary(name));
    if (report.detailed.empty() && !perName.empty())
        report.detailed = perName.begin()->first;
    const auto detail = kept.find(report.detailed);
    if (detail == kept.end())
        return report;
    std::vector<double> values;
    values.reserve(detail->second.size());
    std::map<std::string, Running> perGroup;
    for (const auto& [value, group] : detail->second) {
        values.push_back(value);
        if (query.breakdown)
            perGroup[group].add(value);
    }
    report.distribution = distributionOf(values, perName[report.detailed], query.bins);
    for (const auto& [value, running] : perGroup)
        report.groups.push_back({value, running.summary(report.detailed)});
    std::stable_sort(report.groups.begin(), report.groups.end(),
                     [](const ScoreGroup& a, const ScoreGroup& b) { return a.summary.n > b.summary.n; });
    return report;
}

} // namespace winnow
