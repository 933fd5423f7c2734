#include "core/store/feedback_store.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/rollups.h"

#include <algorithm>
#include <tuple>

namespace winnow {

namespace {
bool sameFacts(const RollupFacts& a, const RollupFacts& b)
{
    auto key = [](const RollupFacts& f) { return std::tie(f.success, f.thumbsDown, f.signalMask); };
    if (key(a) != key(b) || a.scores.size() != b.scores.size())
        return false;
    for (size_t i = 0; i < a.scores.size(); ++i)
        if (a.scores[i].name != b.scores[i].name || a.scores[i].value != b.scores[i].value)
            return false;
    return true;
}
} // namespace

FeedbackStore::FeedbackStore(Database& database) : m_database(database) {}

std::optional<std::int64_t> FeedbackStore::latestOfSession(const std::string& session)
{
    sql::Statement select(m_database.connection(),
                          "SELECT id FROM interactions WHERE session = ?1 "
                          "ORDER BY coalesce(start_ms, -9223372036854775808) DESC, id DESC LIMIT 1");
    select.bind(1, std::string_view(session));
    if (select.step())
        return select.int64(0);
    return std::nullopt;
}

std::optional<Interaction> FeedbackStore::withValues(std::int64_t id, const FeedbackValues& values)
{
    auto detail = InteractionStore(m_database).detail(id);
    if (!detail)
        return std::nullopt;
    Interaction& in = detail->interaction;
    if (values.thumb)
        in.thumb = values.thumb;
    if (values.rating)
        in.rating = values.rating;
    if (values.comment)
        in.feedbackComment = *values.comment;
    if (values.outcome)
        in.outcome = *values.outcome;
    for (const Score& score : values.scores) {
        auto same = std::find_if(in.scores.begin(), in.scores.end(),
                                 [&](const Score& s) { return s.name == score.name; });
        if (same == in.scores.end())
            in.scores.push_back(score);
        else
            same->value = score.value;
    }
    return std::move(detail->interaction);
}

bool FeedbackStore::write(std::int64_t id, const FeedbackValues& values, const std::vector<Signal>& signals,
                          RollupWriter& rollups)
{
    sql::Connection& db = m_database.connection();
    const std::optional<RollupFacts> before = readStoredFacts(db, id);
    if (!before)
        return false;
    sql::Statement current(db,
                           "SELECT thumb, rating, feedback_comment, outcome FROM interactions WHERE id = ?1");
    current.bind(1, id);
    current.step();
    bool changed = false;
    auto differs = [&](int column, const std::optional<double>& value) {
        return value && (current.isNull(column) || current.real(column) != *value);
    };
    changed |= values.thumb && differs(0, double(*values.thumb));
    changed |= differs(1, values.rating);
    changed |= values.comment && current.text(2) != *values.comment;
    changed |= values.outcome && current.text(3) != *values.outcome;
    for (const Score& score : values.scores) {
        auto stored = std::find_if(before->scores.begin(), before->scores.end(),
                                   [&](const Score& s) { return s.name == score.name; });
        changed |= stored == before->scores.end() || stored->value != score.value;
    }
    const std::int64_t mask = signalMask(signals);
    changed |= mask != before->signalMask;
    sql::Statement storedSignals(db, "SELECT count(*) FROM signals WHERE interaction_id = ?1");
    storedSignals.bind(1, id);
    storedSignals.step();
    changed |= storedSignals.int64(0) != static_cast<std::int64_t>(signals.size());
    if (!changed)
        return false;

    sql::Statement update(
        db, "UPDATE interactions SET thumb = coalesce(?2, thumb), rating = coalesce(?3, rating), "
            "feedback_comment = coalesce(?4, feedback_comment), outcome = coalesce(?5, outcome), "
            "signal_mask = ?6 WHERE id = ?1");
    update.bind(1, id).bind(2, values.thumb ? std::optional<std::int64_t>(*values.thumb) : std::nullopt);
    update.bind(3, values.rating);
    if (values.comment)
        update.bind(4, std::string_view(*values.comment));
    if (values.outcome)
        update.bind(5, std::string_view(*values.outcome));
    update.bind(6, mask).run();
    sql::Statement score(db, "INSERT INTO scores(interaction_id, name, value) VALUES(?1, ?2, ?3) "
                             "ON CONFLICT(interaction_id, name) DO UPDATE SET value = excluded.value");
    for (const Score& s : values.scores)
        score.bind(1, id).bind(2, std::string_view(s.name)).bind(3, s.value).run();
    sql::Statement removeSignals(db, "DELETE FROM signals WHERE interaction_id = ?1");
    removeSignals.bind(1, id).run();
    sql::Statement insertSignal(
        db, "INSERT OR IGNORE INTO signals(interaction_id, kind, message_seq, confidence, "
            "reason) VALUES(?1, ?2, ?3, ?4, ?5)");
    for (const Signal& signal : signals)
        insertSignal.bind(1, id)
            .bind(2, std::string_view(signalKindName(signal.kind)))
            .bind(3, signal.messageIndex)
            .bind(4, signal.confidence)
            .bind(5, std::string_view(signal.reason))
            .run();
    // The totals follow in the same transaction: out with the old facts, in with the new.
    const std::optional<RollupFacts> after = readStoredFacts(db, id);
    if (after && !sameFacts(*before, *after)) {
        rollups.add(*before, -1);
        rollups.add(*after, 1);
        if (after->signalMask != before->signalMask)
            rollups.updateLatencyMask(*before, after->signalMask);
    }
    return true;
}

} // namespace winnow
