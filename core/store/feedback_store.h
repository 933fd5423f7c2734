#pragma once
// Feedback that arrives later and elsewhere (a CSAT survey, a reopened ticket, a thumb from the
// front end), written onto the interaction it is about: the interaction's fields, its scores, its
// signals and the rollups, in the caller's transaction. core/store only holds the SQL.

#include "core/store/records.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;
class RollupWriter;

// What one feedback record says; a field not given is left as it is.
struct FeedbackValues
{
    std::optional<int> thumb; // -1, 1
    std::optional<double> rating;
    std::optional<std::string> comment;
    std::optional<std::string> outcome;
    std::vector<Score> scores;
};

class FeedbackStore
{
public:
    explicit FeedbackStore(Database& database);
    // The latest interaction of a session (the one a survey after it is about).
    std::optional<std::int64_t> latestOfSession(const std::string& session);
    // The stored interaction with these values applied (nothing written): what the signals are
    // detected on.
    std::optional<Interaction> withValues(std::int64_t id, const FeedbackValues& values);
    // Writes the values, the signals (found again by the caller) and the rollups' change. False
    // when nothing changed: importing the same feedback twice changes nothing.
    bool write(std::int64_t id, const FeedbackValues& values, const std::vector<Signal>& signals,
               RollupWriter& rollups);

private:
    Database& m_database;
};

} // namespace winnow
