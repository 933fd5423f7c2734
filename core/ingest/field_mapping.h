#pragma once
// How the fields of an arbitrary JSON record map onto Winnow's canonical interaction. Each target
// field reads from a dotted source path ("info.source", "traj.0.content"); targets without an
// explicit mapping read from their canonical name (and a few common aliases), so the canonical
// Winnow JSONL format is simply the empty mapping.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class FieldMapping
{
public:
    // The fixed targets; "scores.NAME" and "metadata.NAME" are open-ended.
    static const std::vector<std::string>& targets();
    static bool isValidTarget(const std::string& target);

    // Adds "TARGET=SOURCE"; returns an error message, or an empty string.
    std::string add(const std::string& spec);
    void set(const std::string& target, const std::string& sourcePath);
    const std::map<std::string, std::string>& entries() const { return m_entries; }
    bool isEmpty() const { return m_entries.empty(); }

    // {"TARGET":"SOURCE",...}, the form profiles are saved in.
    std::string toJson() const;
    static std::optional<FieldMapping> fromJson(const std::string& json, std::string& error);

    // The source paths tried for a target, in order: the explicit one, or the defaults.
    std::vector<std::string> sourcePathsFor(const std::string& target) const;

private:
    std::map<std::string, std::string> m_entries;
};

} // namespace winnow
