#pragma once
// A slice of the store: a time range [fromMs, toMs) and FIELD=VALUE conditions, all of which hold;
// metadata.KEY=VALUE and score.NAME>=X (or <, <=, >, =) too; review state (label=REVIEWER,
// verdict=pass|fail|unsure, category=NAME, reviewed=yes|no); rule=ID, exported=yes|no and trigger=ID.
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
    Signal,   // a signal kind found in the interaction
    Tool,     // a tool the interaction called
    Thumb,    // down, up or none
    Metadata, // a top-level key of the interaction's metadata (Condition::key)
    Score,    // a named score (Condition::key), compared with a number
    // Review (labels as they stand: an item's adjudicated label where it has one, else every
    // submitted label, so that an item its reviewers disagree on matches each of their answers).
    Label,    // a reviewer who submitted a label on it
    Verdict,  // pass, fail or unsure
    Category, // a taxonomy category, by name (any case)
    Reviewed, // yes (a label submitted) or no
    Rule,     // a guardrail rule that hit it (its id), or * for any
    Exported, // yes (it went into an export batch) or no
    Trigger,  // the evidence of a retraining trigger (its id)
};
constexpr int filterFieldCount = 20;
// rule=* : any guardrail rule hit it.
constexpr const char* anyRule = "*";
const char* filterFieldName(FilterField field);
std::optional<FilterField> parseFilterField(std::string_view name);
// The rollup dimension a field is, if it is one.
std::optional<Dimension> dimensionOf(FilterField field);
FilterField fieldOf(Dimension dimension);
// Fields with one value per interaction, which a breakdown can group by (metadata with a key).
bool isGroupable(FilterField field);
// "agent, agent_version, model, ..." for help texts.
std::string filterFieldList();

enum class Comparison { Equal, Less, LessOrEqual, Greater, GreaterOrEqual };
const char* comparisonText(Comparison comparison);

struct Condition
{
    FilterField field = FilterField::Agent;
    // An empty value asks for interactions that do not have the field (the key, the score).
    std::string value;
    std::string key;                           // metadata key or score name
    Comparison comparison = Comparison::Equal; // only scores take another
    bool operator==(const Condition&) const = default;
};
// The condition as the command line writes it: "agent=a", "metadata.task=x", "score.reward>=0.5".
std::string conditionText(const Condition& condition);

// What a breakdown groups by: a groupable field, and for metadata its key ("metadata.KEY").
struct Grouping
{
    Grouping() = default;
    Grouping(FilterField groupField, std::string metadataKey = {})
        : field(groupField), key(std::move(metadataKey))
    {
    }
    FilterField field = FilterField::Agent;
    std::string key;
    bool operator==(const Grouping&) const = default;
};
Result<Grouping> parseGrouping(std::string_view text);
// A field with one value per interaction; a key for metadata, and only for metadata.
Status checkGrouping(const Grouping& grouping);
std::string groupingText(const Grouping& grouping);

struct MetricsFilter
{
    std::optional<std::int64_t> fromMs;
    std::optional<std::int64_t> toMs;
    std::vector<Condition> where;

    MetricsFilter& with(FilterField field, std::string value)
    {
        where.push_back({field, std::move(value), {}, Comparison::Equal});
        return *this;
    }
    MetricsFilter& with(Condition condition)
    {
        where.push_back(std::move(condition));
        return *this;
    }
    bool operator==(const MetricsFilter&) const = default;
};

// "FIELD=VALUE": a known field, and for signal a kind, for thumb down, up or none;
// "metadata.KEY=VALUE"; "score.NAME" then =, <, <=, > or >= and a number.
Result<Condition> parseCondition(std::string_view text);
// Conditions separated by spaces, a value with spaces in double quotes (metadata.task="web search"),
// a backslash before a quote or backslash that is part of the value: what the app's filter bar takes.
Result<std::vector<Condition>> parseConditionList(std::string_view text);
// The text parseConditionList reads back as these conditions.
std::string conditionListText(const std::vector<Condition>& conditions);
// The same check for a condition built in code (from the app's filter bar, a drill-down).
Status checkCondition(const Condition& condition);
// A range whose end is not after its start asks for nothing: an error, not an empty answer.
Status checkTimeRange(std::optional<std::int64_t> fromMs, std::optional<std::int64_t> toMs);
// Every condition and the range.
Status checkFilter(const MetricsFilter& filter);

// The number a score condition compares with (none when it asks for the score's absence).
std::optional<double> scoreBound(const Condition& condition);
// The signal kind of a signal condition's value.
std::optional<SignalKind> signalOf(const Condition& condition);

} // namespace winnow
