#pragma once
// Everything the dashboard draws, computed in one go on a worker: the range's figures with a
// series and a breakdown, the previous period of the same length for the KPI tiles (when the two
// can be compared), volume per agent version per bucket, and where each version first appeared
// (release markers). Without a time range it is the all-time view: interactions without a start
// time count in its figures, its series cover the ones that have one.

#include "core/metrics/metrics.h"
#include "core/store/monitor_store.h"

#include <map>
#include <string>
#include <vector>

namespace winnow {

// Why the tiles show no change against the previous period, if they do not.
enum class ComparisonWithheld {
    None,            // compared
    AllTime,         // no previous period to an all-time view
    LogsBeginInside, // the store's logs begin inside the previous period: it is not a whole period
    TooFew,          // one period has fewer than comparisonMinimum interactions
};
// Below this many interactions in either period, a change in percent says more about chance than
// about the agent.
constexpr std::int64_t comparisonMinimum = 100;
// A series bucket with fewer interactions is drawn as such (faded), not as a confident point.
constexpr std::int64_t sparseBucketMinimum = 30;

struct DashboardOptions
{
    Grouping breakdown = FilterField::AgentVersion;
    // Success by a score threshold instead of the outcome ("" for the outcome).
    std::string successScore;
    double successThreshold = 0;
};

struct DashboardData
{
    MetricsFilter filter;
    DashboardOptions options;
    Bucket bucket = Bucket::Day;
    // The time the charts span: the filter's range, or in the all-time view the store's timed
    // interactions (none when nothing has a time).
    std::optional<std::pair<std::int64_t, std::int64_t>> span;
    MetricsReport report; // with series, breakdown and, when comparable, the previous period
    ComparisonWithheld withheld = ComparisonWithheld::None;
    std::int64_t previousInteractions = 0; // in the previous period, compared or not
    std::optional<std::int64_t> logsBeginMs;
    // Interactions of the slice without a start time: counted in the all-time view, left out by a range.
    std::int64_t untimed = 0;
    // Agent version → interactions per bucket start.
    std::map<std::string, std::map<std::int64_t, std::int64_t>> volumeByVersion;
    // Agent version → the start of the day it first appears in the store (within the filter's
    // other conditions), for versions first seen inside the range.
    std::map<std::string, std::int64_t> releases;
    // Retraining triggers whose window ends inside the span: markers on the rates chart.
    std::vector<StoredTrigger> triggers;

    bool allTime() const { return !filter.fromMs && !filter.toMs; }
};

// The bucket a range of this length is drawn with: hours up to two days, days up to 90, weeks.
Bucket bucketForRange(std::int64_t fromMs, std::int64_t toMs);

// A filter with both ends of a range, or with neither (all time).
DashboardData loadDashboard(Database& database, const MetricsFilter& filter,
                            const DashboardOptions& options = {});

} // namespace winnow
