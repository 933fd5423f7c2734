#include "core/store/filter.h"

#include "core/util/text.h"

#include <array>

namespace winnow {

namespace {
constexpr std::array<const char*, dimensionCount> dimensionNames = {"agent", "agent_version", "model",
                                                                    "intent", "channel"};
constexpr std::array<const char*, filterFieldCount> fieldNames = {
    "agent", "agent_version", "model",  "intent", "channel", "outcome",
    "user",  "session",       "signal", "tool",   "thumb"};
} // namespace

const char* dimensionName(Dimension dimension)
{
    return dimensionNames[static_cast<size_t>(dimension)];
}

std::optional<Dimension> parseDimension(std::string_view name)
{
    for (int d = 0; d < dimensionCount; ++d)
        if (name == dimensionNames[static_cast<size_t>(d)])
            return static_cast<Dimension>(d);
    return std::nullopt;
}

const char* filterFieldName(FilterField field)
{
    return fieldNames[static_cast<size_t>(field)];
}

std::optional<FilterField> parseFilterField(std::string_view name)
{
    for (int f = 0; f < filterFieldCount; ++f)
        if (name == fieldNames[static_cast<size_t>(f)])
            return static_cast<FilterField>(f);
    return std::nullopt;
}

std::optional<Dimension> dimensionOf(FilterField field)
{
    // The first fields are the dimensions, in the same order.
    if (static_cast<int>(field) < dimensionCount)
        return static_cast<Dimension>(field);
    return std::nullopt;
}

FilterField fieldOf(Dimension dimension)
{
    return static_cast<FilterField>(dimension);
}

bool isGroupable(FilterField field)
{
    return field != FilterField::Signal && field != FilterField::Tool && field != FilterField::Thumb;
}

std::string filterFieldList()
{
    std::string list;
    for (const char* name : fieldNames)
        list += (list.empty() ? "" : ", ") + std::string(name);
    return list;
}

std::optional<SignalKind> signalOf(const Condition& condition)
{
    SignalKind kind;
    if (condition.field == FilterField::Signal && parseSignalKind(condition.value, kind))
        return kind;
    return std::nullopt;
}

Status checkCondition(const Condition& condition)
{
    if (condition.field == FilterField::Signal && !signalOf(condition)) {
        std::string kinds;
        for (int k = 0; k < signalKindCount; ++k)
            kinds += (k ? ", " : "") + std::string(signalKindName(static_cast<SignalKind>(k)));
        return Error{"unknown signal kind '" + condition.value + "' (" + kinds + ")", {}};
    }
    if (condition.field == FilterField::Thumb && condition.value != "down" && condition.value != "up" &&
        condition.value != "none")
        return Error{"thumb is down, up or none, not '" + condition.value + "'", {}};
    return {};
}

Result<Condition> parseCondition(std::string_view text)
{
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos)
        return Error{"a condition is FIELD=VALUE, not '" + std::string(text) +
                         "' (fields: " + filterFieldList() + ")",
                     {}};
    const auto field = parseFilterField(text.substr(0, equals));
    if (!field)
        return Error{"unknown field '" + std::string(text.substr(0, equals)) +
                         "' (fields: " + filterFieldList() + ")",
                     {}};
    Condition condition{*field, std::string(text.substr(equals + 1))};
    if (Status checked = checkCondition(condition); !checked)
        return checked.error();
    return condition;
}

Status checkTimeRange(std::optional<std::int64_t> fromMs, std::optional<std::int64_t> toMs)
{
    if (fromMs && toMs && *toMs <= *fromMs)
        return Error{"the time range ends (" + formatIsoTimestamp(*toMs) + ") before it starts (" +
                         formatIsoTimestamp(*fromMs) + ")",
                     {}};
    return {};
}

Status checkFilter(const MetricsFilter& filter)
{
    if (Status range = checkTimeRange(filter.fromMs, filter.toMs); !range)
        return range;
    for (const Condition& condition : filter.where)
        if (Status checked = checkCondition(condition); !checked)
            return checked;
    return {};
}

} // namespace winnow
