#include "core/ingest/validation.h"

#include "core/util/text.h"

#include <cmath>
#include <limits>

namespace winnow {

namespace {
constexpr double maxLatencyMs = 366.0 * 86'400'000; // a year
constexpr std::int64_t maxTokens = 1'000'000'000'000;
constexpr double maxCostUsd = 1e9;

std::string number(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return text;
}
} // namespace

std::string implausibleValues(const Interaction& in)
{
    for (const auto& [name, time] : {std::pair{"start_time", in.startMs}, std::pair{"end_time", in.endMs}})
        if (time && (*time < earliestTimeMs || *time > latestTimeMs)) {
            // A number too large for milliseconds arrives saturated: its digits would mislead.
            const bool saturated = *time == std::numeric_limits<std::int64_t>::max() ||
                                   *time == std::numeric_limits<std::int64_t>::min();
            return std::string("field \"") + name + "\": " +
                   (saturated ? std::string("a time beyond any date") : std::to_string(*time) + " ms") +
                   " is out of range (times run from 1970 to 9999)";
        }
    if (in.latencyMs && (!std::isfinite(*in.latencyMs) || *in.latencyMs < 0 || *in.latencyMs > maxLatencyMs))
        return "field \"latency_ms\": " + number(*in.latencyMs) + " is out of range (0 to a year)";
    for (const auto& [name, tokens] :
         {std::pair{"input_tokens", in.inputTokens}, std::pair{"output_tokens", in.outputTokens}})
        if (tokens && (*tokens < 0 || *tokens > maxTokens))
            return std::string("field \"") + name + "\": " + std::to_string(*tokens) +
                   " is out of range (0 to 10^12)";
    if (in.costUsd && (!std::isfinite(*in.costUsd) || *in.costUsd < 0 || *in.costUsd > maxCostUsd))
        return "field \"cost_usd\": " + number(*in.costUsd) + " is out of range (0 to 10^9)";
    for (const Score& score : in.scores)
        if (!std::isfinite(score.value))
            return "score \"" + score.name + "\" is not a finite number";
    if (in.rating && !std::isfinite(*in.rating))
        return "field \"feedback.rating\" is not a finite number";
    return {};
}

} // namespace winnow
