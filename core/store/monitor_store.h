#pragma once
// Monitors and their triggers' SQL: each monitor's definition (JSON, core/monitors reads it) and
// how far its windows were evaluated; each trigger with its figures, evidence (the interactions
// behind it, kept as a slice: trigger=ID), where it stands in the loop, and what happened to it.
// Plain values in and out.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;

struct StoredMonitor
{
    std::int64_t id = 0;
    std::string name;
    std::string owner;
    std::string definitionJson;
    bool enabled = true;
    std::int64_t createdMs = 0;
    std::optional<std::int64_t> checkedThroughMs; // windows ending at or before it were evaluated
};

enum class TriggerState { Open, InReview, Exported, Validated, NotRecovered, Dismissed };
constexpr int triggerStateCount = 6;
const char* triggerStateName(TriggerState state);
std::optional<TriggerState> parseTriggerState(std::string_view name);
// Open, in review and exported triggers still walk the loop; the others are closed.
bool isActive(TriggerState state);

struct StoredTrigger
{
    std::int64_t id = 0;
    std::int64_t monitorId = 0;
    std::string monitorName, owner; // the monitor's
    std::string group;              // the value of the monitor's per field ("" when it has none)
    std::int64_t firedMs = 0;       // when it was recorded
    std::int64_t windowFromMs = 0, windowToMs = 0; // the regressed window (the data's time)
    std::string figuresJson;
    std::string evidenceJson;
    TriggerState state = TriggerState::Open;
    std::optional<std::int64_t> queueId, batchId;
    std::string validationJson;
    std::optional<std::int64_t> validateAfterMs; // the owner's date to validate on
    std::string reason;                          // why it was dismissed
    std::int64_t evidenceCount = 0;
};

struct TriggerEvent
{
    std::int64_t atMs = 0;
    std::string actor;
    std::string state;
    std::string note;
};

class MonitorStore
{
public:
    explicit MonitorStore(Database& database);

    std::vector<StoredMonitor> monitors();
    std::optional<StoredMonitor> monitor(const std::string& name);
    std::vector<StoredTrigger> triggers(); // newest first
    std::optional<StoredTrigger> trigger(std::int64_t id);
    std::vector<TriggerEvent> events(std::int64_t triggerId);
    std::vector<std::int64_t> evidence(std::int64_t triggerId);

    // Writing.
    std::int64_t addMonitor(const StoredMonitor& monitor);
    void setCheckedThrough(std::int64_t monitorId, std::int64_t ms);
    void setEnabled(std::int64_t monitorId, bool enabled);
    void setOwner(std::int64_t monitorId, const std::string& owner);
    std::int64_t addTrigger(const StoredTrigger& trigger, const std::vector<std::int64_t>& evidence,
                            const std::string& actor);
    // A new state with its event (and the queue, batch, validation or reason that go with it).
    void setState(std::int64_t triggerId, TriggerState state, const std::string& actor, const std::string& note);
    void setQueue(std::int64_t triggerId, std::int64_t queueId);
    void setBatch(std::int64_t triggerId, std::int64_t batchId);
    void setValidation(std::int64_t triggerId, const std::string& validationJson);
    void setValidateAfter(std::int64_t triggerId, std::optional<std::int64_t> ms);
    void setReason(std::int64_t triggerId, const std::string& reason);

private:
    Database& m_database;
};

} // namespace winnow
