#pragma once
// The rules' SQL: numbered, immutable versions (a rule pack as JSON each) and where each stands in
// the approval flow, the one working draft, what happened to each version, and the hits the
// applied version found. Plain values in and out; core/rules makes sense of them.

#include "core/store/records.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;
class RollupWriter;
struct StoredInteraction;

enum class RuleVersionState { Pending, Published, Rejected };
const char* ruleVersionStateName(RuleVersionState state);

struct RuleVersion
{
    std::int64_t number = 0;
    RuleVersionState state = RuleVersionState::Pending;
    std::string author;
    std::int64_t createdMs = 0;
    std::string comment;
    std::string packJson;
    std::string backtestJson;
    std::optional<std::int64_t> publishedMs;
};

struct RuleDraft
{
    std::string author;
    std::int64_t updatedMs = 0;
    std::string packJson;
};

struct RuleEvent
{
    std::int64_t version = 0;
    std::int64_t atMs = 0;
    std::string actor;
    std::string action; // submitted, approved, rejected, published
    std::string reason;
};

class RuleStore
{
public:
    explicit RuleStore(Database& database);

    std::vector<RuleVersion> versions(); // newest first
    std::optional<RuleVersion> version(std::int64_t number);
    // The version that applies: the newest published one.
    std::optional<RuleVersion> applied();
    std::optional<RuleDraft> draft();
    std::vector<RuleEvent> events(std::optional<std::int64_t> version = std::nullopt);
    // The version whose hits every stored interaction has (none after an upgrade or a publish
    // until `rules run` has scanned them all).
    std::optional<std::int64_t> scannedVersion();
    // Hits of stored interactions per rule (all time).
    std::vector<std::pair<std::string, std::int64_t>> hitCounts();
    // Interactions hit per rule among these (a trigger's evidence), most first.
    std::vector<std::pair<std::string, std::int64_t>> hitCountsAmong(const std::vector<std::int64_t>& ids);
    // Interactions hit per rule and day (UTC day start) among those that started in [fromMs, toMs).
    std::map<std::string, std::map<std::int64_t, std::int64_t>> hitsPerDay(std::int64_t fromMs, std::int64_t toMs);

    // Writing.
    void saveDraft(const std::string& packJson, const std::string& author);
    void discardDraft();
    std::int64_t addVersion(const std::string& packJson, const std::string& author,
                            const std::string& comment, const std::string& backtestJson,
                            RuleVersionState state);
    void setState(std::int64_t number, RuleVersionState state);
    void addEvent(const RuleEvent& event);
    void setScannedVersion(std::optional<std::int64_t> version);
    // The interactions' hits replaced by those they carry now (a re-run), and the rollups' guardrail
    // count with them.
    void replaceHits(const std::vector<StoredInteraction>& interactions, RollupWriter& rollups);

private:
    Database& m_database;
};

} // namespace winnow
