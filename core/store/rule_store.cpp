#include "core/store/rule_store.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/rollups.h"
#include "core/util/text.h"

namespace winnow {

namespace {

constexpr const char* versionColumns =
    "SELECT number, state, author, created_ms, comment, pack_json, backtest_json, "
    "published_ms FROM rule_versions ";

RuleVersionState stateOf(std::string_view name)
{
    return name == "published"  ? RuleVersionState::Published
           : name == "rejected" ? RuleVersionState::Rejected
                                : RuleVersionState::Pending;
}

RuleVersion readVersion(const sql::Statement& s)
{
    RuleVersion v;
    v.number = s.int64(0);
    v.state = stateOf(s.textView(1));
    v.author = s.text(2);
    v.createdMs = s.int64(3);
    v.comment = s.text(4);
    v.packJson = s.text(5);
    v.backtestJson = s.text(6);
    v.publishedMs = s.optionalInt64(7);
    return v;
}

} // namespace

const char* ruleVersionStateName(RuleVersionState state)
{
    switch (state) {
    case RuleVersionState::Pending:
        return "pending";
    case RuleVersionState::Published:
        return "published";
    case RuleVersionState::Rejected:
        return "rejected";
    }
    return "";
}

RuleStore::RuleStore(Database& database) : m_database(database) {}

std::vector<RuleVersion> RuleStore::versions()
{
    std::vector<RuleVersion> list;
    sql::Statement select(m_database.connection(), std::string(versionColumns) + "ORDER BY number DESC");
    while (select.step())
        list.push_back(readVersion(select));
    return list;
}

std::optional<RuleVersion> RuleStore::version(std::int64_t number)
{
    sql::Statement select(m_database.connection(), std::string(versionColumns) + "WHERE number = ?1");
    select.bind(1, number);
    if (!select.step())
        return std::nullopt;
    return readVersion(select);
}

std::optional<RuleVersion> RuleStore::applied()
{
    sql::Statement select(m_database.connection(),
                          std::string(versionColumns) +
                              "WHERE state = 'published' ORDER BY number DESC LIMIT 1");
    if (!select.step())
        return std::nullopt;
    return readVersion(select);
}

std::optional<RuleDraft> RuleStore::draft()
{
    sql::Statement select(m_database.connection(), "SELECT author, updated_ms, pack_json FROM rule_draft");
    if (!select.step())
        return std::nullopt;
    return RuleDraft{select.text(0), select.int64(1), select.text(2)};
}

std::vector<RuleEvent> RuleStore::events(std::optional<std::int64_t> version)
{
    sql::Statement select(m_database.connection(),
                          "SELECT version, at_ms, actor, action, reason FROM rule_events WHERE ?1 IS NULL OR "
                          "version = ?1 ORDER BY id");
    select.bind(1, version);
    std::vector<RuleEvent> list;
    while (select.step())
        list.push_back({select.int64(0), select.int64(1), select.text(2), select.text(3), select.text(4)});
    return list;
}

std::optional<std::int64_t> RuleStore::scannedVersion()
{
    sql::Statement select(m_database.connection(),
                          "SELECT value FROM store_state WHERE key = 'rules_scanned_version'");
    if (!select.step())
        return std::nullopt;
    return select.int64(0);
}

std::vector<std::pair<std::string, std::int64_t>> RuleStore::hitCounts()
{
    sql::Statement select(m_database.connection(),
                          "SELECT rule_id, count(DISTINCT interaction_id) FROM rule_hits GROUP BY rule_id");
    std::vector<std::pair<std::string, std::int64_t>> counts;
    while (select.step())
        counts.emplace_back(select.text(0), select.int64(1));
    return counts;
}

std::vector<std::pair<std::string, std::int64_t>> RuleStore::hitCountsAmong(const std::vector<std::int64_t>& ids)
{
    std::string list = "[";
    for (const std::int64_t id : ids)
        list += (list.size() > 1 ? "," : "") + std::to_string(id);
    list += "]";
    // The ids as one bound JSON array: no statement text is built from them.
    sql::Statement select(m_database.connection(),
                          "SELECT rule_id, count(DISTINCT interaction_id) AS n FROM rule_hits WHERE interaction_id IN "
                          "(SELECT value FROM json_each(?1)) GROUP BY rule_id ORDER BY n DESC, rule_id");
    select.bind(1, std::string_view(list));
    std::vector<std::pair<std::string, std::int64_t>> counts;
    while (select.step())
        counts.emplace_back(select.text(0), select.int64(1));
    return counts;
}

std::map<std::string, std::map<std::int64_t, std::int64_t>> RuleStore::hitsPerDay(std::int64_t fromMs,
                                                                                  std::int64_t toMs)
{
    sql::Statement select(
        m_database.connection(),
        "SELECT h.rule_id, i.start_ms - (i.start_ms % 86400000) - (CASE WHEN i.start_ms % 86400000 < 0 "
        "THEN 86400000 ELSE 0 END), count(DISTINCT h.interaction_id) FROM rule_hits h JOIN "
        "interactions i ON i.id = h.interaction_id WHERE i.start_ms >= ?1 AND i.start_ms < ?2 "
        "GROUP BY 1, 2");
    select.bind(1, fromMs).bind(2, toMs);
    std::map<std::string, std::map<std::int64_t, std::int64_t>> days;
    while (select.step())
        days[select.text(0)][select.int64(1)] = select.int64(2);
    return days;
}

void RuleStore::saveDraft(const std::string& packJson, const std::string& author)
{
    sql::Statement upsert(m_database.connection(),
                          "INSERT INTO rule_draft(id, author, updated_ms, pack_json) VALUES(1, ?1, ?2, ?3) "
                          "ON CONFLICT(id) DO UPDATE SET author = ?1, updated_ms = ?2, pack_json = ?3");
    upsert.bind(1, std::string_view(author)).bind(2, nowMs()).bind(3, std::string_view(packJson)).run();
}

void RuleStore::discardDraft()
{
    m_database.connection().exec("DELETE FROM rule_draft");
}

std::int64_t RuleStore::addVersion(const std::string& packJson, const std::string& author,
                                   const std::string& comment, const std::string& backtestJson,
                                   RuleVersionState state)
{
    sql::Connection& db = m_database.connection();
    sql::Statement insert(db,
                          "INSERT INTO rule_versions(number, state, author, created_ms, comment, pack_json, "
                          "backtest_json, published_ms) VALUES((SELECT coalesce(max(number), 0) + 1 FROM "
                          "rule_versions), ?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    const std::int64_t now = nowMs();
    insert.bind(1, std::string_view(ruleVersionStateName(state)))
        .bind(2, std::string_view(author))
        .bind(3, now);
    insert.bind(4, std::string_view(comment))
        .bind(5, std::string_view(packJson))
        .bind(6, std::string_view(backtestJson));
    if (state == RuleVersionState::Published)
        insert.bind(7, now);
    insert.run();
    return db.lastInsertRowId();
}

void RuleStore::setState(std::int64_t number, RuleVersionState state)
{
    sql::Statement update(
        m_database.connection(),
        "UPDATE rule_versions SET state = ?2, published_ms = CASE WHEN ?2 = 'published' THEN ?3 "
        "ELSE published_ms END WHERE number = ?1");
    update.bind(1, number).bind(2, std::string_view(ruleVersionStateName(state))).bind(3, nowMs()).run();
}

void RuleStore::addEvent(const RuleEvent& event)
{
    sql::Statement insert(
        m_database.connection(),
        "INSERT INTO rule_events(version, at_ms, actor, action, reason) VALUES(?1, ?2, ?3, ?4, ?5)");
    insert.bind(1, event.version)
        .bind(2, event.atMs ? event.atMs : nowMs())
        .bind(3, std::string_view(event.actor));
    insert.bind(4, std::string_view(event.action)).bind(5, std::string_view(event.reason)).run();
}

void RuleStore::setScannedVersion(std::optional<std::int64_t> version)
{
    if (!version) {
        m_database.connection().exec("DELETE FROM store_state WHERE key = 'rules_scanned_version'");
        return;
    }
    sql::Statement upsert(
        m_database.connection(),
        "INSERT OR REPLACE INTO store_state(key, value) VALUES('rules_scanned_version', ?1)");
    upsert.bind(1, *version).run();
}

void RuleStore::replaceHits(const std::vector<StoredInteraction>& interactions, RollupWriter& rollups)
{
    sql::Connection& db = m_database.connection();
    sql::Statement remove(db, "DELETE FROM rule_hits WHERE interaction_id = ?1");
    sql::Statement insert(
        db, "INSERT INTO rule_hits(interaction_id, seq, rule_id, version, message_seq, tool_call_seq, "
            "start_char, end_char, excerpt) VALUES(?1, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    sql::Statement count(db, "UPDATE interactions SET rule_hits = ?2 WHERE id = ?1");
    for (const StoredInteraction& stored : interactions) {
        const std::optional<RollupFacts> before = readStoredFacts(db, stored.id);
        if (!before)
            continue; // deleted meanwhile
        const std::vector<RuleHit>& hits = stored.interaction.ruleHits;
        remove.bind(1, stored.id).run();
        std::int64_t seq = 0;
        for (const RuleHit& hit : hits) {
            insert.bind(1, stored.id).bind(9, seq++).bind(2, std::string_view(hit.ruleId)).bind(3, hit.version);
            if (hit.messageIndex >= 0)
                insert.bind(4, hit.messageIndex);
            if (hit.toolCallIndex >= 0)
                insert.bind(5, hit.toolCallIndex);
            insert.bind(6, hit.start).bind(7, hit.end).bind(8, std::string_view(hit.excerpt)).run();
        }
        count.bind(1, stored.id).bind(2, static_cast<std::int64_t>(hits.size())).run();
        if (before->guardrail != !hits.empty()) {
            rollups.add(*before, -1);
            RollupFacts after = *before;
            after.guardrail = !hits.empty();
            rollups.add(after, 1);
        }
    }
}

} // namespace winnow
