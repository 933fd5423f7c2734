#pragma once
// A slice of the store: a time range [fromMs, toMs) and FIELD=VALUE conditions, all of which hold.
// The one description of "which interactions" that metrics, the interactions browser, deletes
// and (later) review queues and exports share, with the one parser the command line and the app
// use to read it.

#include "core/store/records.h"
#include "core/util/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winnow {

// The dimensions the rollups keep totals by (rollups.h), in a fixed order.
enum class Dimension { Agent, AgentVersion, Model, Intent, Channel };
constexpr int dimensionCount = 5;
const char* dimensionName(Dimension dimension);
std::optional<Dimension> parseDimension(std::string_view name);

enum class FilterField {
    Agent,
    AgentVersion,
    Model,
    Intent,
    Channel,
    Outcome,
    User,
    Session,
    Signal, // a signal kind found in the interaction
    Tool,   // a tool the interaction called
    Thumb,  // down, up or none
};
constexpr int filterFieldCount = 11;
const char* filterFieldName(FilterField field);
std::optional<FilterField> parseFilterField(std::string_view name);
// The rollup dimension a field is, if it is one.
std::optional<Dimension> dimensionOf(FilterField field);
FilterField fieldOf(Dimension dimension);
// Fields with one value per interaction, which a breakdown can group by.
bool isGroupable(FilterField field);
// "agent, agent_version, model, ..." for help texts.
std::string filterFieldList();

struct Condition
{
    FilterField field = FilterField::Agent;
    // An empty value asks for interactions that do not have the field.
    std::string value;
    bool operator==(const Condition&) const = default;
};

struct MetricsFilter
{
    std::optional<std::int64_t> fromMs;
    std::optional<std::int64_t> toMs;
    std::vector<Condition> where;

    MetricsFilter& with(FilterField field, std::string value)
    {
        where.push_back({field, std::move(value)});
        return *this;
    }
    bool operator==(const MetricsFilter&) const = default;
};

// "FIELD=VALUE": a known field, and for signal a kind, for thumb down, up or none.
Result<Condition> parseCondition(std::string_view text);
// The same check for a condition built in code (from the app's filter bar, a drill-down).
Status checkCondition(const Condition& condition);
// A range whose end is not after its start asks for nothing: an error, not an empty answer.
Status checkTimeRange(std::optional<std::int64_t> fromMs, std::optional<std::int64_t> toMs);
// Every condition and the range.
Status checkFilter(const MetricsFilter& filter);

// The signal kind of a signal condition's value.
std::optional<SignalKind> signalOf(const Condition& condition);

} // namespace winnow
