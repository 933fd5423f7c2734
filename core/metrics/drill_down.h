#pragma once
// From a figure to the interactions behind it: the slice a dashboard point, bar or breakdown row
// opens, and (later) the evidence a monitor's trigger collects. One mapping, shared.

#include "core/metrics/metrics.h"

#include <optional>
#include <string>

namespace winnow {

// The condition that finds exactly the interactions a rate counts (escalation → signal=escalation,
// thumbs down → thumb=down); none for success, which no single condition selects.
std::optional<Condition> conditionForRate(Rate rate);

// A point of a series: the bucket's time range (within the filter's), and the rate's interactions
// when a rate is given.
MetricsFilter drillIntoBucket(const MetricsFilter& filter, Bucket bucket, std::int64_t bucketStart,
                              std::optional<Rate> rate = std::nullopt);
// A bar of the volume chart: one bucket of one agent version.
MetricsFilter drillIntoVolume(const MetricsFilter& filter, Bucket bucket, std::int64_t bucketStart,
                              const std::string& agentVersion);
// A breakdown row: its value of the breakdown field, and the rate's interactions when given.
MetricsFilter drillIntoBreakdown(const MetricsFilter& filter, const Grouping& breakdown,
                                 const std::string& value, std::optional<Rate> rate = std::nullopt);

} // namespace winnow
