#include "core/metrics/dashboard.h"

#include "core/store/rollups.h"

namespace winnow {

Bucket bucketForRange(std::int64_t fromMs, std::int64_t toMs)
{
    constexpr std::int64_t dayMs = 86'400'000;
    if (toMs - fromMs <= 2 * dayMs)
        return Bucket::Hour;
    if (toMs - fromMs <= 90 * dayMs)
        return Bucket::Day;
    return Bucket::Week;
}

DashboardData loadDashboard(Store& store, const MetricsFilter& filter, const std::string& breakdown)
{
    DashboardData data;
    data.filter = filter;
    data.breakdown = breakdown;
    const std::int64_t from = filter.fromMs.value_or(0), to = filter.toMs.value_or(0);
    data.bucket = bucketForRange(from, to);
    MetricsQuery query;
    query.filter = filter;
    query.bucket = data.bucket;
    query.breakdown = breakdown;
    query.compareFromMs = from - (to - from);
    query.compareToMs = from;
    data.report = computeMetrics(store, query);

    const std::vector<std::string> versions = dimensionValues(store)["agent_version"];
    for (const std::string& version : versions) {
        MetricsFilter byVersion = filter;
        bool excluded = false;
        for (const auto& [field, value] : filter.where)
            excluded |= field == "agent_version" && value != version;
        if (excluded)
            continue;
        byVersion.where.emplace_back("agent_version", version);
        auto counts = interactionCounts(store, byVersion, data.bucket);
        if (!counts.empty())
            data.volumeByVersion[version] = std::move(counts);
        // First appearance over all time, with the filter's other conditions.
        MetricsFilter allTime = byVersion;
        allTime.fromMs.reset();
        allTime.toMs.reset();
        const auto days = interactionCounts(store, allTime, Bucket::Day);
        for (const auto& [day, n] : days)
            if (day != noStartBucket && n > 0) {
                if (day >= bucketStart(from, Bucket::Day) && day < to)
                    data.releases[version] = day;
                break;
            }
    }
    // A version there from the store's first day on was not released in view: the logs begin there.
    MetricsFilter everything = filter;
    everything.fromMs.reset();
    everything.toMs.reset();
    const auto allDays = interactionCounts(store, everything, Bucket::Day);
    const auto firstDay = allDays.upper_bound(noStartBucket);
    if (firstDay != allDays.end())
        std::erase_if(data.releases, [&](const auto& release) { return release.second == firstDay->first; });
    return data;
}

std::optional<std::int64_t> newestStart(Store& store)
{
    sql::Statement select(store.connection(), "SELECT max(start_ms) FROM interactions");
    if (select.step() && !select.isNull(0))
        return select.int64(0);
    return std::nullopt;
}

} // namespace winnow
