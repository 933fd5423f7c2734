#include "core/ingest/field_mapping.h"

#include "core/util/text.h"

#include <simdjson.h>

namespace winnow {

namespace {
// Canonical names first, then aliases seen in hand-written agent logs.
const std::map<std::string, std::vector<std::string>>& defaultPaths()
{
    static const std::map<std::string, std::vector<std::string>> paths = {
        {"id", {"id", "interaction_id"}},
        {"session", {"session", "session_id", "conversation_id"}},
        {"user", {"user", "user_id"}},
        {"agent", {"agent", "agent_name"}},
        {"agent_version", {"agent_version"}},
        {"model", {"model"}},
        {"channel", {"channel"}},
        {"intent", {"intent"}},
        {"start_time", {"start_time", "timestamp", "created_at"}},
        {"end_time", {"end_time"}},
        {"latency_ms", {"latency_ms"}},
        {"input_tokens", {"input_tokens", "usage.input_tokens", "usage.prompt_tokens"}},
        {"output_tokens", {"output_tokens", "usage.output_tokens", "usage.completion_tokens"}},
        {"cost_usd", {"cost_usd"}},
        {"outcome", {"outcome"}},
        {"feedback", {"feedback"}},
        {"feedback.thumb", {}},
        {"feedback.rating", {}},
        {"feedback.comment", {}},
        {"messages", {"messages"}},
        {"tool_calls", {"tool_calls"}},
        {"scores", {"scores"}},
        {"metadata", {"metadata"}},
    };
    return paths;
}
} // namespace

const std::vector<std::string>& FieldMapping::targets()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> result;
        for (const auto& [name, paths] : defaultPaths())
            result.push_back(name);
        return result;
    }();
    return names;
}

bool FieldMapping::isValidTarget(const std::string& target)
{
    if (defaultPaths().count(target))
        return true;
    for (const char* prefix : {"scores.", "metadata."}) {
        const std::string p = prefix;
        if (target.size() > p.size() && target.compare(0, p.size(), p) == 0)
            return true;
    }
    return false;
}

std::string FieldMapping::add(const std::string& spec)
{
    const auto equals = spec.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == spec.size())
        return "mapping '" + spec + "' is not TARGET=SOURCE";
    const std::string target = spec.substr(0, equals);
    if (!isValidTarget(target))
        return "unknown mapping target '" + target +
               "' (targets: scores.NAME, metadata.NAME, or one of the canonical fields)";
    set(target, spec.substr(equals + 1));
    return {};
}

void FieldMapping::set(const std::string& target, const std::string& sourcePath)
{
    m_entries[target] = sourcePath;
}

std::string FieldMapping::toJson() const
{
    std::string out = "{";
    bool first = true;
    for (const auto& [target, source] : m_entries) {
        if (!first)
            out += ',';
        first = false;
        appendJsonString(out, target);
        out += ':';
        appendJsonString(out, source);
    }
    out += '}';
    return out;
}

std::optional<FieldMapping> FieldMapping::fromJson(const std::string& json, std::string& error)
{
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(json).get(object)) {
        error = "a mapping profile must be a JSON object of TARGET: SOURCE";
        return std::nullopt;
    }
    FieldMapping mapping;
    for (auto [key, value] : object) {
        std::string_view source;
        if (value.get_string().get(source)) {
            error = "mapping for '" + std::string(key) + "' is not a string";
            return std::nullopt;
        }
        const std::string spec = std::string(key) + "=" + std::string(source);
        error = mapping.add(spec);
        if (!error.empty())
            return std::nullopt;
    }
    return mapping;
}

std::vector<std::string> FieldMapping::sourcePathsFor(const std::string& target) const
{
    if (const auto it = m_entries.find(target); it != m_entries.end())
        return {it->second};
    if (const auto it = defaultPaths().find(target); it != defaultPaths().end())
        return it->second;
    return {};
}

} // namespace winnow
