#pragma once
// Turns one JSON record into a canonical Interaction through a FieldMapping. Used for Winnow's
// canonical JSONL (the empty mapping) and for any other JSON or JSONL records (--map, profiles).
// Lives on the ingest parser thread.

#include "core/ingest/field_mapping.h"
#include "core/store/records.h"

#include <simdjson.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace winnow {

class RecordParser
{
public:
    explicit RecordParser(const FieldMapping& mapping);

    // Fills `out` from `record`; `raw` is the record's bytes, hashed for the key when it has no id.
    // Returns the reason the record cannot be used, or an empty string.
    std::string parse(simdjson::dom::element record, std::string_view raw, Interaction& out);
    // After a parse that found no messages: where in the record role/content objects are (a
    // key, or KEY.KEY one level down), for a --map hint; empty when there are none.
    const std::string& messagesHint() const { return m_messagesHint; }

    struct Path
    {
        int slot = 0;                  // the record's top-level key, found once per record
        std::vector<std::string> rest; // the path below it, split on '.'
    };
    struct Target
    {
        std::string name;
        std::vector<Path> paths; // tried in order
    };

private:
    Target compile(const std::string& target);

    struct TransparentHash
    {
        using is_transparent = void;
        size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
    };
    // Top-level keys any target reads, and where this record's values for them are.
    std::unordered_map<std::string, int, TransparentHash, std::equal_to<>> m_slotOfKey;
    std::vector<simdjson::dom::element> m_slots;
    std::vector<char> m_slotFilled;

    std::string m_messagesHint;
    const FieldMapping m_mapping;
    Target m_id, m_session, m_user, m_agent, m_agentVersion, m_model, m_channel, m_intent;
    Target m_startTime, m_endTime, m_latency, m_inputTokens, m_outputTokens, m_cost, m_outcome;
    Target m_feedback, m_thumb, m_rating, m_comment, m_messages, m_toolCalls, m_scores, m_metadata;
    std::vector<std::pair<std::string, Target>> m_namedScores;   // scores.NAME
    std::vector<std::pair<std::string, Target>> m_namedMetadata; // metadata.NAME
};

} // namespace winnow
