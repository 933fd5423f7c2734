#pragma once
// Monitors turn evaluation figures into retraining triggers. A monitor watches one figure (a rate,
// a latency percentile, a score's mean, or the reviewed failure rate of a category) of a slice,
// for each value of a dimension when it has one ("per agent"), over windows of whole days; it fires
// when the figure crosses a threshold, or changes for the worse against the window before (or a
// baseline period) by the metrics comparison test, with enough interactions on both sides. A
// trigger keeps its figures, its evidence (the interactions behind the change, with their top
// failure categories, signals and rule hits) and walks the loop: open, in review (a queue of its
// evidence), exported (a batch of it), then validated or not recovered once a newer version (or
// the owner's date) has enough traffic; or dismissed with a reason. The app and the command line
// call these same functions.

#include "core/metrics/metrics.h"
#include "core/review/review.h"
#include "core/store/filter.h"
#include "core/store/monitor_store.h"
#include "core/util/result.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace winnow {

class Database;
class StoreWriter;

enum class MonitorFigure { Rate, LatencyP50, LatencyP90, LatencyP99, ScoreMean, CategoryFailureRate };
enum class MonitorCondition { Above, Below, ChangeFromPrevious, ChangeFromBaseline };
const char* monitorFigureName(MonitorFigure figure);     // rate, latency_p50, ..., category_failure_rate
const char* monitorConditionName(MonitorCondition c);    // above, below, change, change_from_baseline
std::optional<MonitorFigure> parseMonitorFigure(std::string_view name);
std::optional<MonitorCondition> parseMonitorCondition(std::string_view name);

struct MonitorDefinition
{
    MonitorFigure figure = MonitorFigure::Rate;
    Rate rate = Rate::Escalation; // figure Rate
    std::string score;            // figure ScoreMean
    std::string category;         // figure CategoryFailureRate
    std::vector<Condition> where; // the slice (no time: the windows are the time)
    std::optional<Dimension> per; // one evaluation per value of this dimension
    int windowDays = 7;
    MonitorCondition condition = MonitorCondition::ChangeFromPrevious;
    double threshold = 0; // Above, Below
    std::optional<std::int64_t> baselineFromMs, baselineToMs;
    std::int64_t minSample = 200; // interactions (or reviewed ones) needed in each window compared
    // A change fires below this p-value. A monitor tests a window every day, so it is stricter than
    // a one-off comparison: a month of daily checks of a dozen figures rarely raises a false alarm.
    double alpha = 0.001;
    bool operator==(const MonitorDefinition&) const = default;
};
Status checkMonitorDefinition(const MonitorDefinition& definition);
std::string monitorDefinitionJson(const MonitorDefinition& definition);
Result<MonitorDefinition> parseMonitorDefinition(std::string_view json);
// "escalation rate", "latency p90", "score reward mean", "failure rate: tone".
std::string figureText(const MonitorDefinition& definition);
// "up significantly from the previous 7 days", "above 0.1".
std::string conditionText(const MonitorDefinition& definition);
// Higher is worse, except for success and scores.
bool higherIsWorse(const MonitorDefinition& definition);

// A new store's monitors: each core rate (success, escalation, correction, tool error) per agent,
// against the previous 7 days.
std::vector<std::pair<std::string, MonitorDefinition>> defaultMonitors();

struct Monitor
{
    StoredMonitor stored;
    MonitorDefinition definition;
};
std::vector<Monitor> loadMonitors(Database& reader);
Result<std::int64_t> addMonitor(StoreWriter& writer, const std::string& name, const std::string& owner,
                                const MonitorDefinition& definition);

// A monitor switched off (it keeps its triggers) or on again; a monitor handed to another owner
// (shown on the triggers it raises from then on, and on those it raised).
Status setMonitorEnabled(Database& reader, StoreWriter& writer, const std::string& name, bool enabled);
Status setMonitorOwner(Database& reader, StoreWriter& writer, const std::string& name, const std::string& owner);

// A figure over a slice: its value with a 95% interval where it has one, and its counts.
struct FigureValue
{
    double value = 0;
    std::optional<double> low, high;
    std::int64_t hits = 0, n = 0;
};
std::optional<FigureValue> computeFigure(Database& reader, const MonitorDefinition& definition,
                                         const MetricsFilter& slice);

// What a check did: the triggers it raised and those it validated (or found not recovered).
struct MonitorCheck
{
    std::int64_t windows = 0; // window evaluations
    std::vector<std::int64_t> raised;
    std::vector<std::int64_t> validated;
    std::vector<std::int64_t> notRecovered;
};
// Evaluates every enabled monitor on each whole day's window not evaluated yet (windows end at day
// boundaries up to the newest interaction's time), raises a trigger where one fires and none of
// that monitor and group is still walking the loop, then validates exported triggers whose newer
// version (or date) has enough traffic.
Result<MonitorCheck> checkMonitors(Database& reader, StoreWriter& writer, const std::string& actor,
                                   const std::atomic<bool>* cancel = nullptr);

// The loop's steps.
// A review queue of the trigger's evidence (worst first), opened by the actor; the trigger is then
// in review.
Result<ReviewQueue> reviewTrigger(Database& reader, StoreWriter& writer, std::int64_t triggerId,
                                  const std::string& actor);
Status dismissTrigger(Database& reader, StoreWriter& writer, std::int64_t triggerId, const std::string& actor,
                      const std::string& reason);
// Validate on the traffic from this date on instead of a newer version's.
Status setValidationDate(Database& reader, StoreWriter& writer, std::int64_t triggerId, std::int64_t fromMs);
// Validates one exported trigger now, when it can be: true when it was (validated or not
// recovered), false when there is not enough traffic yet (`why` says so).
Result<bool> validateTrigger(Database& reader, StoreWriter& writer, std::int64_t triggerId,
                             const std::string& actor, std::string* why = nullptr);

} // namespace winnow
