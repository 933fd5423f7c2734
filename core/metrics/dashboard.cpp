#include "core/metrics/dashboard.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/rollups.h"

namespace winnow {

namespace {
constexpr std::int64_t hourMs = 3'600'000;
constexpr std::int64_t dayMs = 86'400'000;
} // namespace

Bucket bucketForRange(std::int64_t fromMs, std::int64_t toMs)
{
    if (toMs - fromMs <= 2 * dayMs)
        return Bucket::Hour;
    if (toMs - fromMs <= 90 * dayMs)
        return Bucket::Day;
    return Bucket::Week;
}

DashboardData loadDashboard(Database& database, const MetricsFilter& filter, const DashboardOptions& options)
{
    if (filter.fromMs.has_value() != filter.toMs.has_value())
        throw Failure("the dashboard needs a time range with both ends, or none (all time)");
    ReadSnapshot snapshot(database);
    DashboardData data;
    data.filter = filter;
    data.options = options;
    const auto storeRange = InteractionStore(database).startTimeRange();
    if (storeRange)
        data.logsBeginMs = storeRange->first;
    if (filter.fromMs)
        data.span = std::pair(*filter.fromMs, *filter.toMs);
    else if (storeRange) // whole days around the timed interactions, as the series buckets them
        data.span = std::pair(floorToMultiple(storeRange->first, dayMs),
                              floorToMultiple(storeRange->second, hourMs) + hourMs);
    data.bucket = data.span ? bucketForRange(data.span->first, data.span->second) : Bucket::Day;

    MetricsQuery query;
    query.filter = filter;
    query.bucket = data.bucket;
    query.breakdown = options.breakdown;
    query.successScore = options.successScore;
    query.successThreshold = options.successThreshold;
    data.report = computeMetrics(database, query);

    // The previous period of the same length, shown only when it is a whole period of logs and
    // both hold enough interactions to compare.
    if (data.allTime()) {
        data.withheld = ComparisonWithheld::AllTime;
    } else {
        MetricsQuery previous = query;
        previous.filter.fromMs = *filter.fromMs - (*filter.toMs - *filter.fromMs);
        previous.filter.toMs = *filter.fromMs;
        previous.bucket.reset();
        previous.breakdown.reset();
        const MetricsSummary before = computeMetrics(database, previous).summary;
        data.previousInteractions = before.interactions;
        if (!data.logsBeginMs || *data.logsBeginMs > *previous.filter.fromMs)
            data.withheld = ComparisonWithheld::LogsBeginInside;
        else if (before.interactions < comparisonMinimum ||
                 data.report.summary.interactions < comparisonMinimum)
            data.withheld = ComparisonWithheld::TooFew;
        else
            addComparison(data.report, before);
    }

    // Without the range: the untimed interactions of the slice, and first appearances over all time.
    MetricsFilter allTime = filter;
    allTime.fromMs.reset();
    allTime.toMs.reset();
    const auto perVersionDays = interactionCountsBy(database, allTime, Bucket::Day, Dimension::AgentVersion);
    std::optional<std::int64_t> storeFirstDay;
    std::map<std::string, std::int64_t> firstDays;
    for (const auto& [version, days] : perVersionDays) {
        if (const auto untimed = days.find(noStartBucket); untimed != days.end())
            data.untimed += untimed->second;
        const auto first = days.upper_bound(noStartBucket);
        if (first == days.end())
            continue;
        storeFirstDay = std::min(storeFirstDay.value_or(first->first), first->first);
        if (!version.empty())
            firstDays[version] = first->first;
    }
    if (data.span) {
        MetricsFilter timed = filter;
        timed.fromMs = data.span->first;
        timed.toMs = data.span->second;
        data.volumeByVersion = interactionCountsBy(database, timed, data.bucket, Dimension::AgentVersion);
        data.volumeByVersion.erase(std::string()); // interactions that name no version
        // A version there from the store's first day on was not released in view: the logs begin there.
        for (const auto& [version, day] : firstDays)
            if (day != storeFirstDay && day >= bucketStart(data.span->first, Bucket::Day) &&
                day < data.span->second)
                data.releases[version] = day;
        for (StoredTrigger& trigger : MonitorStore(database).triggers())
            if (trigger.windowToMs > data.span->first && trigger.windowToMs <= data.span->second)
                data.triggers.push_back(std::move(trigger));
    }
    return data;
}

} // namespace winnow
