#include "core/store/filter.h"

#include "core/util/text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace winnow {

namespace {
constexpr std::array<const char*, dimensionCount> dimensionNames = {"agent", "agent_version", "model",
                                                                    "intent", "channel"};
constexpr std::array<const char*, filterFieldCount> fieldNames = {
    "agent", "agent_version", "model",    "intent", "channel", "outcome", "user",     "session",  "signal",
    "tool",  "thumb",         "metadata", "score",  "label",   "verdict", "category", "reviewed", "rule",
    "exported", "trigger"};
constexpr std::string_view metadataPrefix = "metadata.";
constexpr std::string_view scorePrefix = "score.";

std::optional<double> parseNumber(std::string_view text)
{
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

// "score.NAME" and an operator; the operator's position and length, longest first.
std::optional<std::pair<Comparison, size_t>> comparisonAt(std::string_view text, size_t at)
{
    const std::string_view rest = text.substr(at);
    if (rest.starts_with("<="))
        return std::pair{Comparison::LessOrEqual, size_t(2)};
    if (rest.starts_with(">="))
        return std::pair{Comparison::GreaterOrEqual, size_t(2)};
    if (rest.starts_with("<"))
        return std::pair{Comparison::Less, size_t(1)};
    if (rest.starts_with(">"))
        return std::pair{Comparison::Greater, size_t(1)};
    if (rest.starts_with("="))
        return std::pair{Comparison::Equal, size_t(1)};
    return std::nullopt;
}
} // namespace

const char* comparisonText(Comparison comparison)
{
    switch (comparison) {
    case Comparison::Less:
        return "<";
    case Comparison::LessOrEqual:
        return "<=";
    case Comparison::Greater:
        return ">";
    case Comparison::GreaterOrEqual:
        return ">=";
    case Comparison::Equal:
        break;
    }
    return "=";
}

std::string conditionText(const Condition& condition)
{
    std::string text = filterFieldName(condition.field);
    if (condition.field == FilterField::Metadata || condition.field == FilterField::Score)
        text += "." + condition.key;
    return text + comparisonText(condition.comparison) + condition.value;
}

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
    return field != FilterField::Signal && field != FilterField::Tool && field != FilterField::Thumb &&
           field != FilterField::Score && field != FilterField::Label && field != FilterField::Verdict &&
           field != FilterField::Category && field != FilterField::Reviewed &&
           field != FilterField::Exported && field != FilterField::Trigger;
}

Result<Grouping> parseGrouping(std::string_view text)
{
    if (text.starts_with(metadataPrefix)) {
        if (text.size() == metadataPrefix.size())
            return Error{"metadata needs a key: metadata.KEY", {}};
        return Grouping{FilterField::Metadata, std::string(text.substr(metadataPrefix.size()))};
    }
    const auto field = parseFilterField(text);
    if (!field || !isGroupable(*field) || *field == FilterField::Metadata)
        return Error{"cannot break down by '" + std::string(text) +
                         "' (agent, agent_version, model, intent, channel, outcome, user, session, "
                         "metadata.KEY, rule)",
                     {}};
    return Grouping{*field, {}};
}

Status checkGrouping(const Grouping& grouping)
{
    if (!isGroupable(grouping.field))
        return Error{"cannot break down by " + groupingText(grouping) +
                         " (it can hold several values per interaction)",
                     {}};
    if ((grouping.field == FilterField::Metadata) == grouping.key.empty())
        return Error{"only a metadata breakdown takes a key: " + groupingText(grouping), {}};
    return {};
}

std::string groupingText(const Grouping& grouping)
{
    return grouping.field == FilterField::Metadata ? std::string(metadataPrefix) + grouping.key
                                                   : std::string(filterFieldName(grouping.field));
}

std::string filterFieldList()
{
    std::string list;
    for (const char* name : fieldNames)
        list += (list.empty() ? "" : ", ") + std::string(name);
    return list.substr(0, list.rfind(", metadata")) +
           ", metadata.KEY, score.NAME, label, verdict, category, reviewed, rule";
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
    if (condition.field == FilterField::Verdict && condition.value != "pass" && condition.value != "fail" &&
        condition.value != "unsure")
        return Error{"verdict is pass, fail or unsure, not '" + condition.value + "'", {}};
    if ((condition.field == FilterField::Reviewed || condition.field == FilterField::Exported) &&
        condition.value != "yes" && condition.value != "no")
        return Error{std::string(filterFieldName(condition.field)) + " is yes or no, not '" + condition.value + "'",
                     {}};
    if (condition.field == FilterField::Trigger &&
        (condition.value.empty() || condition.value.size() > 18 ||
         condition.value.find_first_not_of("0123456789") != std::string::npos))
        return Error{"trigger is a trigger's number, not '" + condition.value + "'", {}};
    if ((condition.field == FilterField::Label || condition.field == FilterField::Category ||
         condition.field == FilterField::Rule) &&
        condition.value.empty())
        return Error{std::string(filterFieldName(condition.field)) + " needs a value", {}};
    const bool keyed = condition.field == FilterField::Metadata || condition.field == FilterField::Score;
    if (keyed && condition.key.empty())
        return Error{
            std::string(filterFieldName(condition.field)) + " needs a " +
                (condition.field == FilterField::Score ? "name: score.NAME>=X" : "key: metadata.KEY=VALUE"),
            {}};
    // The key becomes a quoted JSON path label ($."KEY"): no quote, and no control character (a
    // NUL ends the path early for SQLite).
    if (condition.key.find('"') != std::string::npos)
        return Error{"a key cannot hold a double quote: " + condition.key, {}};
    if (std::any_of(condition.key.begin(), condition.key.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        return Error{"a key cannot hold a control character", {}};
    if (!keyed && !condition.key.empty())
        return Error{std::string(filterFieldName(condition.field)) + " takes no key", {}};
    if (condition.field != FilterField::Score && condition.comparison != Comparison::Equal)
        return Error{"only scores compare with <, <=, > or >=: " + conditionText(condition), {}};
    if (condition.field == FilterField::Score &&
        !(condition.value.empty() && condition.comparison == Comparison::Equal) &&
        !parseNumber(condition.value))
        return Error{"a score compares with a number, not '" + condition.value + "' (" +
                         conditionText(condition) + ")",
                     {}};
    return {};
}

std::optional<double> scoreBound(const Condition& condition)
{
    return condition.field == FilterField::Score ? parseNumber(condition.value) : std::nullopt;
}

Result<Condition> parseCondition(std::string_view text)
{
    if (text.starts_with(metadataPrefix)) {
        const size_t equals = text.find('=');
        if (equals == std::string_view::npos)
            return Error{"a metadata condition is metadata.KEY=VALUE, not '" + std::string(text) + "'", {}};
        Condition condition{FilterField::Metadata, std::string(text.substr(equals + 1)),
                            std::string(text.substr(metadataPrefix.size(), equals - metadataPrefix.size())),
                            Comparison::Equal};
        if (Status checked = checkCondition(condition); !checked)
            return checked.error();
        return condition;
    }
    if (text.starts_with(scorePrefix)) {
        const size_t at = text.find_first_of("<>=", scorePrefix.size());
        const auto comparison = at == std::string_view::npos ? std::nullopt : comparisonAt(text, at);
        if (!comparison)
            return Error{"a score condition is score.NAME then =, <, <=, > or >= and a number, not '" +
                             std::string(text) + "'",
                         {}};
        Condition condition{FilterField::Score, std::string(text.substr(at + comparison->second)),
                            std::string(text.substr(scorePrefix.size(), at - scorePrefix.size())),
                            comparison->first};
        if (Status checked = checkCondition(condition); !checked)
            return checked.error();
        return condition;
    }
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
    if (*field == FilterField::Metadata || *field == FilterField::Score)
        return Error{
            std::string(filterFieldName(*field)) + " needs a key: " + filterFieldName(*field) + ".KEY", {}};
    Condition condition{*field, std::string(text.substr(equals + 1)), {}, Comparison::Equal};
    if (Status checked = checkCondition(condition); !checked)
        return checked.error();
    return condition;
}

Result<std::vector<Condition>> parseConditionList(std::string_view text)
{
    std::vector<Condition> conditions;
    size_t at = 0;
    while (at < text.size()) {
        if (text[at] == ' ' || text[at] == '\t') {
            ++at;
            continue;
        }
        std::string word;
        bool quoted = false;
        for (; at < text.size() && (quoted || (text[at] != ' ' && text[at] != '\t')); ++at) {
            if (text[at] == '\\' && at + 1 < text.size())
                word += text[++at];
            else if (text[at] == '"')
                quoted = !quoted;
            else
                word += text[at];
        }
        if (quoted)
            return Error{"a quote is not closed: " + word, {}};
        auto condition = parseCondition(word);
        if (!condition)
            return condition.error();
        conditions.push_back(std::move(*condition));
    }
    return conditions;
}

std::string conditionListText(const std::vector<Condition>& conditions)
{
    std::string text;
    for (const Condition& condition : conditions) {
        // The field, key and operator, then the value: each part escaped, and quoted when it
        // holds a space (a key may too: metadata."task family"=x).
        auto quoted = [](std::string_view part) {
            std::string out;
            for (char c : part) {
                if (c == '"' || c == '\\')
                    out += '\\';
                out += c;
            }
            return out.find_first_of(" \t\r\n\f\v") != std::string::npos ? '"' + out + '"' : out;
        };
        std::string prefix = conditionText(condition);
        prefix.resize(prefix.size() - condition.value.size());
        text += (text.empty() ? "" : " ") + quoted(prefix) + quoted(condition.value);
    }
    return text;
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
