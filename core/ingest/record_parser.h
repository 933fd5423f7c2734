#pragma once
// Turns one JSON record into a canonical Interaction through a FieldMapping. Used for Winnow's
// canonical JSONL (the empty mapping) and for any other JSON or JSONL records (--map, profiles).
// Lives on the ingest parser thread.

#include "core/ingest/field_mapping.h"
#include "core/store/records.h"

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace winnow {

class RecordParser
{
public:
    explicit RecordParser(const FieldMapping& mapping);

    // Fills `out` from `record`; `raw` is the record's bytes, hashed for the key when it has no id.
    // Returns the reason the record cannot be used, or an empty string.
    std::string parse(simdjson::dom::element record, std::string_view raw, Interaction& out);

private:
    struct Target
    {
        std::string name;
        std::vector<std::vector<std::string>> paths; // each path split on '.'
    };
    Target compile(const std::string& target) const;

    const FieldMapping m_mapping;
    Target m_id, m_session, m_user, m_agent, m_agentVersion, m_model, m_channel, m_intent;
    Target m_startTime, m_endTime, m_latency, m_inputTokens, m_outputTokens, m_cost, m_outcome;
    Target m_feedback, m_thumb, m_rating, m_comment, m_messages, m_toolCalls, m_scores, m_metadata;
    std::vector<std::pair<std::string, Target>> m_namedScores;   // scores.NAME
    std::vector<std::pair<std::string, Target>> m_namedMetadata; // metadata.NAME
};

} // namespace winnow
