#include "core/store/signal_store.h"

#include "core/store/database.h"
#include "core/store/rollups.h"

namespace winnow {

SignalStore::SignalStore(Database& database) : m_database(database) {}

std::vector<std::pair<SignalKind, std::int64_t>> SignalStore::counts()
{
    std::vector<std::pair<SignalKind, std::int64_t>> counts;
    sql::Statement select(m_database.connection(),
                          "SELECT kind, count(DISTINCT interaction_id) FROM signals GROUP BY kind");
    while (select.step()) {
        SignalKind kind;
        if (parseSignalKind(select.textView(0), kind))
            counts.emplace_back(kind, select.int64(1));
    }
    return counts;
}

std::vector<SignalEntry> SignalStore::ofKind(SignalKind kind, std::int64_t limit)
{
    std::vector<SignalEntry> entries;
    sql::Statement select(m_database.connection(),
                          "SELECT i.key, i.start_ms, s.message_seq, s.confidence, s.reason FROM signals s "
                          "JOIN interactions i ON i.id = s.interaction_id WHERE s.kind = ?1 "
                          "ORDER BY s.interaction_id DESC LIMIT ?2");
    select.bind(1, std::string_view(signalKindName(kind))).bind(2, limit);
    while (select.step()) {
        SignalEntry entry;
        entry.interactionKey = select.text(0);
        entry.startMs = select.optionalInt64(1);
        entry.signal = {kind, static_cast<int>(select.int64(2)), select.real(3), select.text(4)};
        entries.push_back(std::move(entry));
    }
    return entries;
}

void SignalStore::replace(const std::vector<StoredInteraction>& interactions, RollupWriter& rollups)
{
    sql::Connection& db = m_database.connection();
    sql::Statement remove(db, "DELETE FROM signals WHERE interaction_id = ?1");
    sql::Statement mask(db, "UPDATE interactions SET signal_mask = ?2 WHERE id = ?1");
    sql::Statement insert(
        db, "INSERT OR IGNORE INTO signals(interaction_id, kind, message_seq, confidence, reason) "
            "VALUES(?1, ?2, ?3, ?4, ?5)");
    for (const StoredInteraction& stored : interactions) {
        std::optional<RollupFacts> before = readStoredFacts(db, stored.id);
        if (!before)
            continue;
        const std::int64_t newMask = signalMask(stored.interaction.signals);
        remove.bind(1, stored.id).run();
        if (before->signalMask != newMask) {
            rollups.add(*before, -1);
            RollupFacts after = *before;
            after.signalMask = newMask;
            rollups.add(after, 1);
            rollups.updateLatencyMask(*before, newMask);
            mask.bind(1, stored.id).bind(2, newMask).run();
        }
        for (const Signal& signal : stored.interaction.signals) {
            insert.bind(1, stored.id).bind(2, std::string_view(signalKindName(signal.kind)));
            insert.bind(3, signal.messageIndex).bind(4, signal.confidence).bind(5, signal.reason).run();
        }
    }
}

} // namespace winnow
