#include "core/store/monitor_store.h"

#include "core/store/database.h"
#include "core/store/sqlite.h"
#include "core/util/text.h"

#include <array>

namespace winnow {

namespace {
constexpr std::array<const char*, triggerStateCount> stateNames = {"open",      "in_review",     "exported",
                                                                   "validated", "not_recovered", "dismissed"};

constexpr const char* triggerColumns =
    "SELECT t.id, t.monitor_id, m.name, m.owner, t.group_value, t.fired_ms, t.window_from_ms, t.window_to_ms, "
    "t.figures_json, t.evidence_json, t.state, t.queue_id, t.batch_id, t.validation_json, t.validate_after_ms, "
    "t.reason, (SELECT count(*) FROM trigger_evidence e WHERE e.trigger_id = t.id) FROM triggers t JOIN "
    "monitors m ON m.id = t.monitor_id ";

StoredTrigger readTrigger(const sql::Statement& s)
{
    StoredTrigger t;
    t.id = s.int64(0);
    t.monitorId = s.int64(1);
    t.monitorName = s.text(2);
    t.owner = s.text(3);
    t.group = s.text(4);
    t.firedMs = s.int64(5);
    t.windowFromMs = s.int64(6);
    t.windowToMs = s.int64(7);
    t.figuresJson = s.text(8);
    t.evidenceJson = s.text(9);
    t.state = parseTriggerState(s.textView(10)).value_or(TriggerState::Open);
    t.queueId = s.optionalInt64(11);
    t.batchId = s.optionalInt64(12);
    t.validationJson = s.text(13);
    t.validateAfterMs = s.optionalInt64(14);
    t.reason = s.text(15);
    t.evidenceCount = s.int64(16);
    return t;
}

constexpr const char* monitorColumns =
    "SELECT id, name, owner, definition_json, enabled, created_ms, checked_through_ms FROM monitors ";

StoredMonitor readMonitor(const sql::Statement& s)
{
    return {s.int64(0), s.text(1), s.text(2), s.text(3), s.int64(4) != 0, s.int64(5), s.optionalInt64(6)};
}
} // namespace

const char* triggerStateName(TriggerState state)
{
    return stateNames[static_cast<size_t>(state)];
}

std::optional<TriggerState> parseTriggerState(std::string_view name)
{
    for (int s = 0; s < triggerStateCount; ++s)
        if (name == stateNames[size_t(s)])
            return static_cast<TriggerState>(s);
    return std::nullopt;
}

bool isActive(TriggerState state)
{
    return state == TriggerState::Open || state == TriggerState::InReview || state == TriggerState::Exported;
}

MonitorStore::MonitorStore(Database& database) : m_database(database) {}

std::vector<StoredMonitor> MonitorStore::monitors()
{
    sql::Statement select(m_database.connection(), std::string(monitorColumns) + "ORDER BY id");
    std::vector<StoredMonitor> list;
    while (select.step())
        list.push_back(readMonitor(select));
    return list;
}

std::optional<StoredMonitor> MonitorStore::monitor(const std::string& name)
{
    sql::Statement select(m_database.connection(), std::string(monitorColumns) + "WHERE name = ?1");
    select.bind(1, std::string_view(name));
    if (!select.step())
        return std::nullopt;
    return readMonitor(select);
}

std::vector<StoredTrigger> MonitorStore::triggers()
{
    sql::Statement select(m_database.connection(), std::string(triggerColumns) + "ORDER BY t.id DESC");
    std::vector<StoredTrigger> list;
    while (select.step())
        list.push_back(readTrigger(select));
    return list;
}

std::optional<StoredTrigger> MonitorStore::trigger(std::int64_t id)
{
    sql::Statement select(m_database.connection(), std::string(triggerColumns) + "WHERE t.id = ?1");
    select.bind(1, id);
    if (!select.step())
        return std::nullopt;
    return readTrigger(select);
}

std::vector<TriggerEvent> MonitorStore::events(std::int64_t triggerId)
{
    sql::Statement select(m_database.connection(),
                          "SELECT at_ms, actor, state, note FROM trigger_events WHERE trigger_id = ?1 ORDER BY id");
    select.bind(1, triggerId);
    std::vector<TriggerEvent> list;
    while (select.step())
        list.push_back({select.int64(0), select.text(1), select.text(2), select.text(3)});
    return list;
}

std::vector<std::int64_t> MonitorStore::evidence(std::int64_t triggerId)
{
    sql::Statement select(m_database.connection(),
                          "SELECT interaction_id FROM trigger_evidence WHERE trigger_id = ?1 ORDER BY interaction_id");
    select.bind(1, triggerId);
    std::vector<std::int64_t> ids;
    while (select.step())
        ids.push_back(select.int64(0));
    return ids;
}

std::int64_t MonitorStore::addMonitor(const StoredMonitor& monitor)
{
    sql::Statement insert(m_database.connection(),
                          "INSERT INTO monitors(name, owner, definition_json, enabled, created_ms) VALUES(?1, ?2, "
                          "?3, ?4, ?5)");
    insert.bind(1, std::string_view(monitor.name))
        .bind(2, std::string_view(monitor.owner))
        .bind(3, std::string_view(monitor.definitionJson))
        .bind(4, std::int64_t(monitor.enabled ? 1 : 0))
        .bind(5, monitor.createdMs ? monitor.createdMs : nowMs())
        .run();
    return m_database.connection().lastInsertRowId();
}

void MonitorStore::setCheckedThrough(std::int64_t monitorId, std::int64_t ms)
{
    sql::Statement update(m_database.connection(), "UPDATE monitors SET checked_through_ms = ?2 WHERE id = ?1");
    update.bind(1, monitorId).bind(2, ms).run();
}

void MonitorStore::setEnabled(std::int64_t monitorId, bool enabled)
{
    sql::Statement update(m_database.connection(), "UPDATE monitors SET enabled = ?2 WHERE id = ?1");
    update.bind(1, monitorId).bind(2, std::int64_t(enabled ? 1 : 0)).run();
}

void MonitorStore::setOwner(std::int64_t monitorId, const std::string& owner)
{
    sql::Statement update(m_database.connection(), "UPDATE monitors SET owner = ?2 WHERE id = ?1");
    update.bind(1, monitorId).bind(2, std::string_view(owner)).run();
}

std::int64_t MonitorStore::addTrigger(const StoredTrigger& trigger, const std::vector<std::int64_t>& evidence,
                                      const std::string& actor)
{
    sql::Connection& db = m_database.connection();
    sql::Statement insert(db, "INSERT INTO triggers(monitor_id, group_value, fired_ms, window_from_ms, "
                              "window_to_ms, figures_json, evidence_json, state) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                              "'open')");
    insert.bind(1, trigger.monitorId)
        .bind(2, std::string_view(trigger.group))
        .bind(3, trigger.firedMs ? trigger.firedMs : nowMs())
        .bind(4, trigger.windowFromMs)
        .bind(5, trigger.windowToMs)
        .bind(6, std::string_view(trigger.figuresJson))
        .bind(7, std::string_view(trigger.evidenceJson))
        .run();
    const std::int64_t id = db.lastInsertRowId();
    sql::Statement item(db, "INSERT OR IGNORE INTO trigger_evidence(trigger_id, interaction_id) VALUES(?1, ?2)");
    for (const std::int64_t interaction : evidence)
        item.bind(1, id).bind(2, interaction).run();
    sql::Statement event(db, "INSERT INTO trigger_events(trigger_id, at_ms, actor, state, note) VALUES(?1, ?2, ?3, "
                             "'open', '')");
    event.bind(1, id).bind(2, nowMs()).bind(3, std::string_view(actor)).run();
    return id;
}

void MonitorStore::setState(std::int64_t triggerId, TriggerState state, const std::string& actor,
                            const std::string& note)
{
    sql::Connection& db = m_database.connection();
    sql::Statement update(db, "UPDATE triggers SET state = ?2 WHERE id = ?1");
    update.bind(1, triggerId).bind(2, std::string_view(triggerStateName(state))).run();
    sql::Statement event(db,
                         "INSERT INTO trigger_events(trigger_id, at_ms, actor, state, note) VALUES(?1, ?2, ?3, ?4, ?5)");
    event.bind(1, triggerId)
        .bind(2, nowMs())
        .bind(3, std::string_view(actor))
        .bind(4, std::string_view(triggerStateName(state)))
        .bind(5, std::string_view(note))
        .run();
}

void MonitorStore::setQueue(std::int64_t triggerId, std::int64_t queueId)
{
    sql::Statement update(m_database.connection(), "UPDATE triggers SET queue_id = ?2 WHERE id = ?1");
    update.bind(1, triggerId).bind(2, queueId).run();
}

void MonitorStore::setBatch(std::int64_t triggerId, std::int64_t batchId)
{
    sql::Statement update(m_database.connection(), "UPDATE triggers SET batch_id = ?2 WHERE id = ?1");
    update.bind(1, triggerId).bind(2, batchId).run();
}

void MonitorStore::setValidation(std::int64_t triggerId, const std::string& validationJson)
{
    sql::Statement update(m_database.connection(), "UPDATE triggers SET validation_json = ?2 WHERE id = ?1");
    update.bind(1, triggerId).bind(2, std::string_view(validationJson)).run();
}

void MonitorStore::setValidateAfter(std::int64_t triggerId, std::optional<std::int64_t> ms)
{
    sql::Statement update(m_database.connection(), "UPDATE triggers SET validate_after_ms = ?2 WHERE id = ?1");
    update.bind(1, triggerId).bind(2, ms).run();
}

void MonitorStore::setReason(std::int64_t triggerId, const std::string& reason)
{
    sql::Statement update(m_database.connection(), "UPDATE triggers SET reason = ?2 WHERE id = ?1");
    update.bind(1, triggerId).bind(2, std::string_view(reason)).run();
}

} // namespace winnow
