#pragma once
// Everything the dashboard draws, computed in one go on a worker: the range's figures with a
// series and a breakdown, the previous period of the same length for the KPI tiles, volume per
// agent version per bucket, and where each version first appeared (release markers).

#include "core/metrics/metrics.h"

#include <map>
#include <string>
#include <vector>

namespace winnow {

struct DashboardData
{
    MetricsFilter filter;
    Bucket bucket = Bucket::Day;
    Dimension breakdown = Dimension::AgentVersion;
    MetricsReport report; // with series, breakdown and the comparison to the previous period
    // Agent version → interactions per bucket start.
    std::map<std::string, std::map<std::int64_t, std::int64_t>> volumeByVersion;
    // Agent version → the start of the day it first appears in the store (within the filter's
    // other conditions), for versions first seen inside the range.
    std::map<std::string, std::int64_t> releases;
};

// The bucket a range of this length is drawn with: hours up to two days, days up to 90, weeks.
Bucket bucketForRange(std::int64_t fromMs, std::int64_t toMs);

// The filter must have a time range.
DashboardData loadDashboard(Database& database, const MetricsFilter& filter, Dimension breakdown);

} // namespace winnow
