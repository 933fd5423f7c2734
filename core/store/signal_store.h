#pragma once
// Feedback signals as stored: counts per kind, the interactions behind one kind, and replacing an
// interaction's signals after the detectors changed (rows, mask, rollups and latencies together).

#include "core/store/interaction_store.h"
#include "core/store/records.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace winnow {

class Database;
class RollupWriter;

struct SignalEntry
{
    std::string interactionKey;
    std::optional<std::int64_t> startMs;
    Signal signal;
};

class SignalStore
{
public:
    explicit SignalStore(Database& database);

    // Interactions with at least one signal of each kind found.
    std::vector<std::pair<SignalKind, std::int64_t>> counts();
    std::vector<SignalEntry> ofKind(SignalKind kind, std::int64_t limit);

    // Writing: replaces the signals of these interactions (their signal lists are the new ones).
    void replace(const std::vector<StoredInteraction>& interactions, RollupWriter& rollups);

private:
    Database& m_database;
};

} // namespace winnow
