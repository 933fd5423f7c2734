#include "core/rules/rules.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/rederive.h"
#include "core/store/settings_store.h"
#include "core/store/store_writer.h"

#include <map>

namespace winnow {

Result<RulePack> versionPack(Database& database, std::int64_t number)
{
    const std::optional<RuleVersion> version = RuleStore(database).version(number);
    if (!version)
        return Error{"no rules version " + std::to_string(number) + " (winnow rules list)", {}};
    auto pack = parseRulePack(version->packJson);
    if (!pack)
        return Error{"rules version " + std::to_string(number) + " cannot be read: " + pack.error().message,
                     {}};
    pack->version = version->number;
    pack->author = version->author;
    pack->comment = version->comment;
    pack->publishedMs = version->publishedMs.value_or(0);
    pack->backtestJson = version->backtestJson;
    return pack;
}

Result<std::shared_ptr<const RuleEngine>> loadAppliedRules(Database& database,
                                                           std::shared_ptr<const RuleEngine> current)
{
    const std::optional<RuleVersion> applied = RuleStore(database).applied();
    if (!applied)
        return std::shared_ptr<const RuleEngine>();
    if (current && current->version() == applied->number)
        return current;
    auto pack = versionPack(database, applied->number);
    if (!pack)
        return pack.error();
    return RuleEngine::compile(std::move(pack->rules), applied->number);
}

Result<RulePack> draftPack(Database& database)
{
    RuleStore rules(database);
    if (const std::optional<RuleDraft> draft = rules.draft()) {
        auto pack = parseRulePack(draft->packJson);
        if (!pack)
            return Error{"the draft cannot be read: " + pack.error().message, {}};
        pack->version = 0;
        pack->author = draft->author;
        return pack;
    }
    if (const std::optional<RuleVersion> applied = rules.applied()) {
        auto pack = versionPack(database, applied->number);
        if (pack)
            pack->version = 0;
        return pack;
    }
    return RulePack{};
}

Status saveDraftPack(StoreWriter& writer, const RulePack& pack, const std::string& author,
                     std::function<bool()> stillWanted)
{
    if (Status checked = checkRulePack(pack); !checked)
        return checked;
    RulePack draft = pack;
    draft.version = 0;
    draft.publishedMs = 0;
    const std::string json = rulePackJson(draft);
    return writer.write(WritePriority::Interactive, [json, author, stillWanted](WriteTransaction& tx) {
        if (stillWanted && !stillWanted())
            return;
        RuleStore(tx.database()).saveDraft(json, author);
        tx.changed(StoreChange::Rules);
    });
}

Result<PublishResult> publishPack(Database& reader, StoreWriter& writer, RulePack pack,
                                  const std::string& author, const std::string& comment,
                                  const std::string& backtestJson)
{
    if (author.empty())
        return Error{"a version needs its author (--reviewer NAME)", {}};
    if (Status checked = checkRulePack(pack); !checked)
        return checked.error();
    const bool needsApproval = SettingsStore(reader).get(storeSettings::rulesNeedApproval) != 0;
    pack.author = author;
    pack.comment = comment;
    pack.backtestJson = backtestJson;
    pack.version = 0;
    pack.publishedMs = 0;
    const std::string json = rulePackJson(pack);
    auto published =
        writer.write<PublishResult>(WritePriority::Interactive, [json, author, comment, backtestJson,
                                                                 needsApproval](WriteTransaction& tx) {
            RuleStore rules(tx.database());
            PublishResult result;
            result.state = needsApproval ? RuleVersionState::Pending : RuleVersionState::Published;
            result.version = rules.addVersion(json, author, comment, backtestJson, result.state);
            rules.addEvent({result.version, 0, author, needsApproval ? "submitted" : "published", {}});
            if (!needsApproval) {
                rules.discardDraft();
                // The stored interactions' hits are the older version's until `rules run`; a store with
                // none is all scanned.
                rules.setScannedVersion(InteractionStore(tx.database()).isEmpty()
                                            ? std::optional<std::int64_t>(result.version)
                                            : std::nullopt);
            }
            tx.changed(StoreChange::Rules);
            return result;
        });
    return published;
}

namespace {
Result<RuleVersion> pendingVersion(Database& reader, std::int64_t number, const std::string& approver)
{
    const std::optional<RuleVersion> version = RuleStore(reader).version(number);
    if (!version)
        return Error{"no rules version " + std::to_string(number), {}};
    if (version->state != RuleVersionState::Pending)
        return Error{"rules version " + std::to_string(number) + " is " +
                         ruleVersionStateName(version->state) + ", not waiting for approval",
                     {}};
    if (approver.empty())
        return Error{"an approver needs a name (--reviewer NAME)", {}};
    if (approver == version->author)
        return Error{"version " + std::to_string(number) + " was written by " + approver +
                         ": someone else approves it",
                     {}};
    return *version;
}
} // namespace

Status approveVersion(Database& reader, StoreWriter& writer, std::int64_t number, const std::string& approver)
{
    auto version = pendingVersion(reader, number, approver);
    if (!version)
        return version.error();
    return writer.write(WritePriority::Interactive, [number, approver](WriteTransaction& tx) {
        RuleStore rules(tx.database());
        rules.setState(number, RuleVersionState::Published);
        rules.addEvent({number, 0, approver, "approved", {}});
        rules.addEvent({number, 0, approver, "published", {}});
        rules.discardDraft();
        rules.setScannedVersion(
            InteractionStore(tx.database()).isEmpty() ? std::optional<std::int64_t>(number) : std::nullopt);
        tx.changed(StoreChange::Rules);
    });
}

Status rejectVersion(Database& reader, StoreWriter& writer, std::int64_t number, const std::string& approver,
                     const std::string& reason)
{
    auto version = pendingVersion(reader, number, approver);
    if (!version)
        return version.error();
    if (reason.empty())
        return Error{"a rejection says why (--reason TEXT)", {}};
    return writer.write(WritePriority::Interactive, [number, approver, reason](WriteTransaction& tx) {
        RuleStore rules(tx.database());
        rules.setState(number, RuleVersionState::Rejected);
        rules.addEvent({number, 0, approver, "rejected", reason});
        tx.changed(StoreChange::Rules);
    });
}

Result<PublishResult> rollBackTo(Database& reader, StoreWriter& writer, std::int64_t number,
                                 const std::string& author)
{
    auto pack = versionPack(reader, number);
    if (!pack)
        return pack.error();
    return publishPack(reader, writer, std::move(*pack), author,
                       "Roll back to version " + std::to_string(number));
}

std::vector<RuleChange> diffPacks(const RulePack& from, const RulePack& to)
{
    std::vector<RuleChange> changes;
    std::map<std::string, const Rule*> before, after;
    for (const Rule& r : from.rules)
        before[r.id] = &r;
    for (const Rule& r : to.rules)
        after[r.id] = &r;
    for (const auto& [id, rule] : before)
        if (!after.count(id))
            changes.push_back({RuleChange::Kind::Removed, id, {}});
    for (const auto& [id, rule] : after) {
        const auto old = before.find(id);
        if (old == before.end()) {
            changes.push_back({RuleChange::Kind::Added, id, {}});
            continue;
        }
        // Field by field through the pack's own form: one definition of what a rule is.
        const auto a = ruleFields(*old->second);
        const auto b = ruleFields(*rule);
        std::vector<std::string> differing;
        for (const auto& [field, value] : b) {
            const auto was = a.find(field);
            if (was == a.end() || was->second != value)
                differing.push_back(field);
        }
        for (const auto& [field, value] : a)
            if (!b.count(field))
                differing.push_back(field);
        if (!differing.empty())
            changes.push_back({RuleChange::Kind::Changed, id, differing});
    }
    return changes;
}

Result<RulesRunSummary> runRules(Database& reader, StoreWriter& writer, std::optional<std::int64_t> version,
                                 const std::function<void(std::int64_t, std::int64_t)>& progress,
                                 const std::atomic<bool>* cancel)
{
    RuleStore rules(reader);
    const std::optional<RuleVersion> applied = rules.applied();
    const std::int64_t number = version ? *version : applied ? applied->number : 0;
    if (!number)
        return Error{"the store has no rules version to run", {}};
    auto pack = versionPack(reader, number);
    if (!pack)
        return pack.error();
    auto engine = RuleEngine::compile(pack->rules, number);
    if (!engine)
        return engine.error();
    RulesRunSummary summary;
    summary.version = number;
    const std::int64_t total = InteractionStore(reader).stats().interactions;
    const std::shared_ptr<const RuleEngine> scanner = *engine;
    auto rewritten = rederiveStored(
        reader, writer,
        [&summary, &scanner](std::vector<StoredInteraction>& batch) {
            for (StoredInteraction& stored : batch) {
                stored.interaction.ruleHits = scanner->scan(stored.interaction);
                summary.withHits += !stored.interaction.ruleHits.empty();
                summary.hits += static_cast<std::int64_t>(stored.interaction.ruleHits.size());
            }
        },
        [](WriteTransaction& tx, const std::vector<StoredInteraction>& batch) {
            RuleStore(tx.database()).replaceHits(batch, tx.rollups());
            tx.changed(StoreChange::Rules | StoreChange::Interactions);
        },
        [&progress, total](std::int64_t done) {
            if (progress)
                progress(done, total);
        },
        cancel);
    if (!rewritten)
        return rewritten.error();
    summary.interactions = *rewritten;
    summary.cancelled = cancel && cancel->load();
    if (!summary.cancelled && applied && applied->number == number) {
        Status marked = writer.write(WritePriority::Interactive, [number](WriteTransaction& tx) {
            // Only if no newer version was published meanwhile.
            RuleStore rules(tx.database());
            if (const auto now = rules.applied(); now && now->number == number)
                rules.setScannedVersion(number);
            tx.changed(StoreChange::Rules);
        });
        if (!marked)
            return marked.error();
    }
    return summary;
}

} // namespace winnow
