#include "core/metrics/drill_down.h"

#include "core/store/rollups.h"

#include <algorithm>
#include <climits>

namespace winnow {

std::optional<Condition> conditionForRate(Rate rate)
{
    if (const auto kind = signalOfRate(rate))
        return Condition{FilterField::Signal, signalKindName(*kind)};
    if (rate == Rate::ThumbsDown)
        return Condition{FilterField::Thumb, "down"};
    if (rate == Rate::Guardrail)
        return Condition{FilterField::Rule, anyRule};
    return std::nullopt;
}

namespace {
void addRate(MetricsFilter& filter, std::optional<Rate> rate)
{
    if (!rate)
        return;
    if (const auto condition = conditionForRate(*rate))
        filter.where.push_back(*condition);
}
} // namespace

MetricsFilter drillIntoBucket(const MetricsFilter& filter, Bucket bucket, std::int64_t start,
                              std::optional<Rate> rate)
{
    MetricsFilter result = filter;
    result.fromMs = std::max(start, filter.fromMs.value_or(start));
    result.toMs = std::min(saturatingAdd(start, bucketWidthMs(bucket)), filter.toMs.value_or(INT64_MAX));
    addRate(result, rate);
    return result;
}

MetricsFilter drillIntoVolume(const MetricsFilter& filter, Bucket bucket, std::int64_t start,
                              const std::string& agentVersion)
{
    return drillIntoBucket(filter, bucket, start).with(FilterField::AgentVersion, agentVersion);
}

MetricsFilter drillIntoBreakdown(const MetricsFilter& filter, const Grouping& breakdown,
                                 const std::string& value, std::optional<Rate> rate)
{
    MetricsFilter result = filter;
    result.with(Condition{breakdown.field, value, breakdown.key, Comparison::Equal});
    addRate(result, rate);
    return result;
}

} // namespace winnow
