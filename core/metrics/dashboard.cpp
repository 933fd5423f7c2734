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

DashboardData loadDashboard(Database& database, const MetricsFilter& filter, Dimension breakdown)
{
    if (!filter.fromMs || !filter.toMs)
        throw Failure("the dashboard needs a time range");
    DashboardData data;
    data.filter = filter;
    data.breakdown = breakdown;
    const std::int64_t from = *filter.fromMs, to = *filter.toMs;
    data.bucket = bucketForRange(from, to);
    MetricsQuery query;
    query.filter = filter;
    query.bucket = data.bucket;
    query.breakdown = fieldOf(breakdown);
    query.compareFromMs = from - (to - from);
    query.compareToMs = from;
    data.report = computeMetrics(database, query);

    data.volumeByVersion = interactionCountsBy(database, filter, data.bucket, Dimension::AgentVersion);
    data.volumeByVersion.erase(std::string()); // interactions that name no version
    // First appearances over all time, with the filter's other conditions.
    MetricsFilter allTime = filter;
    allTime.fromMs.reset();
    allTime.toMs.reset();
    std::optional<std::int64_t> storeFirstDay;
    std::map<std::string, std::int64_t> firstDays;
    for (const auto& [version, days] :
         interactionCountsBy(database, allTime, Bucket::Day, Dimension::AgentVersion)) {
        const auto first = days.upper_bound(noStartBucket);
        if (first == days.end())
            continue;
        storeFirstDay = std::min(storeFirstDay.value_or(first->first), first->first);
        if (!version.empty())
            firstDays[version] = first->first;
    }
    // A version there from the store's first day on was not released in view: the logs begin there.
    for (const auto& [version, day] : firstDays)
        if (day != storeFirstDay && day >= bucketStart(from, Bucket::Day) && day < to)
            data.releases[version] = day;
    return data;
}

} // namespace winnow
