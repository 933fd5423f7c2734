#pragma once
// Guardrail rules over the store: the version that applies (compiled once for an ingest or the
// receiver), the working draft, publishing (with an approver other than the author when the
// store's policy asks for it), rolling back, comparing versions, and re-running a version over
// every stored interaction. The app and the command line call these same functions.

#include "core/rules/engine.h"
#include "core/store/rule_store.h"
#include "core/util/result.h"

#include <atomic>
#include <functional>
#include <memory>

namespace winnow {

class Database;
class StoreWriter;

// A stored version's pack (its rules as they were published).
Result<RulePack> versionPack(Database& database, std::int64_t number);
// The applied version compiled: null when the store has none (a store older than rules is
// upgraded with one). `current` is kept when it is that version already (a tail's next round).
Result<std::shared_ptr<const RuleEngine>> loadAppliedRules(Database& database,
                                                           std::shared_ptr<const RuleEngine> current = {});

// The working draft: the applied version's rules until someone saves one.
Result<RulePack> draftPack(Database& database);
// Checks every rule (patterns, examples) and saves the draft (an interactive write). `stillWanted`
// is asked on the writer's thread, in write order: a save overtaken by a publish asked after it is
// skipped, not written over the published state.
Status saveDraftPack(StoreWriter& writer, const RulePack& pack, const std::string& author,
                     std::function<bool()> stillWanted = {});

struct PublishResult
{
    std::int64_t version = 0;
    RuleVersionState state = RuleVersionState::Published; // Pending when it waits for an approver
};
// Makes the pack an immutable numbered version: published at once, or pending an approver when
// the store asks for approval. Every rule is checked first; a pack that fails is not stored.
Result<PublishResult> publishPack(Database& reader, StoreWriter& writer, RulePack pack,
                                  const std::string& author, const std::string& comment,
                                  const std::string& backtestJson = {});
// An approver other than the version's author publishes a pending version, or rejects it with a
// reason; both are kept with the version.
Status approveVersion(Database& reader, StoreWriter& writer, std::int64_t number,
                      const std::string& approver);
Status rejectVersion(Database& reader, StoreWriter& writer, std::int64_t number, const std::string& approver,
                     const std::string& reason);
// Publishes an old version's rules again, as a new version.
Result<PublishResult> rollBackTo(Database& reader, StoreWriter& writer, std::int64_t number,
                                 const std::string& author);

// What changed from one pack to another, rule by rule.
struct RuleChange
{
    enum class Kind { Added, Removed, Changed } kind;
    std::string ruleId;
    std::vector<std::string> fields; // Changed: the fields that differ ("status", "detector", ...)
};
std::vector<RuleChange> diffPacks(const RulePack& from, const RulePack& to);

struct RulesRunSummary
{
    std::int64_t version = 0;
    std::int64_t interactions = 0;
    std::int64_t withHits = 0;
    std::int64_t hits = 0;
    bool cancelled = false;
};
// Re-runs a version (the applied one by default) over every stored interaction, a chunk per
// transaction, replacing their hits; when it ran to the end over the applied version, the store
// says every interaction has its hits.
Result<RulesRunSummary>
runRules(Database& reader, StoreWriter& writer, std::optional<std::int64_t> version = {},
         const std::function<void(std::int64_t done, std::int64_t total)>& progress = {},
         const std::atomic<bool>* cancel = nullptr);

} // namespace winnow
