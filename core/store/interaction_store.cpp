#include "core/store/interaction_store.h"

#include "core/store/database.h"
#include "core/store/filter_sql.h"
#include "core/store/rollups.h"
#include "core/store/row_inserter.h"
#include "core/store/search_index.h"
#include "core/store/text_store.h"

#include <algorithm>
#include <functional>

namespace winnow {

std::int64_t signalMask(const std::vector<Signal>& signals)
{
    std::int64_t mask = 0;
    for (const Signal& s : signals)
        mask |= std::int64_t(1) << static_cast<int>(s.kind);
    return mask;
}

namespace {

// The interaction columns every whole read takes, in this order.
constexpr const char* interactionColumns =
    "i.id, i.key, i.session, i.user, i.agent, i.agent_version, i.model, i.channel, i.intent, i.start_ms, "
    "i.end_ms, i.latency_ms, i.input_tokens, i.output_tokens, i.cost_usd, i.outcome, i.thumb, i.rating, "
    "i.feedback_comment, i.first_message_id, i.message_count, i.first_tool_call_id, i.tool_call_count, "
    "(SELECT json FROM interaction_metadata WHERE interaction_id = i.id), coalesce(i.cost_estimated, 0)";
constexpr int interactionColumnCount = 25;

// Reads the rest of an interaction (messages, tool calls, scores, signals) after its row: the one
// reader of whole interactions, for the detail pane and for recomputing derived data.
class WholeReader
{
public:
    explicit WholeReader(sql::Connection& db)
        : m_messages(db, "SELECT role, content, name, tool_call_id, parts_json FROM message_texts "
                         "WHERE id >= ?1 AND id < ?2 ORDER BY id"),
          m_calls(db, "SELECT call_id, name, arguments, result, status, error, latency_ms, message_seq, "
                      "result_message_seq FROM tool_calls WHERE id >= ?1 AND id < ?2 ORDER BY id"),
          m_scores(db, "SELECT name, value FROM scores WHERE interaction_id = ?1"),
          m_spans(
              db,
              "SELECT span_id, parent_span_id, name, kind, start_ns, end_ns, status_code, status_message, "
              "role, model, tool_name, input_tokens, output_tokens FROM spans WHERE interaction_id = ?1 "
              "ORDER BY seq"),
          m_signals(db, "SELECT kind, message_seq, confidence, reason FROM signals WHERE interaction_id = ?1 "
                        "ORDER BY message_seq, kind"),
          m_ruleHits(db,
                     "SELECT rule_id, version, coalesce(message_seq, -1), coalesce(tool_call_seq, -1), "
                     "start_char, end_char, excerpt FROM rule_hits WHERE interaction_id = ?1 ORDER BY seq")
    {
    }

    // `row` is positioned on a row of interactionColumns.
    StoredInteraction read(const sql::Statement& row)
    {
        StoredInteraction stored;
        stored.id = row.int64(0);
        Interaction& in = stored.interaction;
        in.key = row.text(1);
        in.session = row.text(2);
        in.user = row.text(3);
        in.agent = row.text(4);
        in.agentVersion = row.text(5);
        in.model = row.text(6);
        in.channel = row.text(7);
        in.intent = row.text(8);
        in.startMs = row.optionalInt64(9);
        in.endMs = row.optionalInt64(10);
        in.latencyMs = row.optionalReal(11);
        in.inputTokens = row.optionalInt64(12);
        in.outputTokens = row.optionalInt64(13);
        in.costUsd = row.optionalReal(14);
        in.outcome = row.text(15);
        if (!row.isNull(16))
            in.thumb = static_cast<int>(row.int64(16));
        in.rating = row.optionalReal(17);
        in.feedbackComment = row.text(18);
        in.metadataJson = row.text(23);
        in.costEstimated = row.int64(24) != 0;
        if (!row.isNull(19)) {
            m_messages.bind(1, row.int64(19)).bind(2, row.int64(19) + row.int64(20));
            while (m_messages.step()) {
                Message m;
                m.role = m_messages.text(0);
                m.contentIsNull = m_messages.isNull(1);
                m.content = m_messages.text(1);
                m.name = m_messages.text(2);
                m.toolCallId = m_messages.text(3);
                m.partsJson = m_messages.text(4);
                in.messages.push_back(std::move(m));
            }
            m_messages.reset();
        }
        if (!row.isNull(21)) {
            m_calls.bind(1, row.int64(21)).bind(2, row.int64(21) + row.int64(22));
            while (m_calls.step()) {
                ToolCall c;
                c.callId = m_calls.text(0);
                c.name = m_calls.text(1);
                c.arguments = m_calls.text(2);
                c.result = m_calls.text(3);
                c.status = m_calls.text(4);
                c.error = m_calls.text(5);
                c.latencyMs = m_calls.optionalReal(6);
                c.messageIndex = m_calls.isNull(7) ? -1 : static_cast<int>(m_calls.int64(7));
                c.resultMessageIndex = m_calls.isNull(8) ? -1 : static_cast<int>(m_calls.int64(8));
                in.toolCalls.push_back(std::move(c));
            }
            m_calls.reset();
        }
        m_scores.bind(1, stored.id);
        while (m_scores.step())
            in.scores.push_back({m_scores.text(0), m_scores.real(1)});
        m_scores.reset();
        m_spans.bind(1, stored.id);
        while (m_spans.step()) {
            SpanRecord s;
            s.spanId = m_spans.text(0);
            s.parentSpanId = m_spans.text(1);
            s.name = m_spans.text(2);
            s.kind = static_cast<int>(m_spans.int64(3));
            s.startNs = m_spans.int64(4);
            s.endNs = m_spans.int64(5);
            s.statusCode = static_cast<int>(m_spans.int64(6));
            s.statusMessage = m_spans.text(7);
            s.role = m_spans.text(8);
            s.model = m_spans.text(9);
            s.toolName = m_spans.text(10);
            s.inputTokens = m_spans.optionalInt64(11);
            s.outputTokens = m_spans.optionalInt64(12);
            in.spans.push_back(std::move(s));
        }
        m_spans.reset();
        m_signals.bind(1, stored.id);
        while (m_signals.step()) {
            SignalKind kind;
            if (parseSignalKind(m_signals.textView(0), kind))
                in.signals.push_back(
                    {kind, static_cast<int>(m_signals.int64(1)), m_signals.real(2), m_signals.text(3)});
        }
        m_signals.reset();
        m_ruleHits.bind(1, stored.id);
        while (m_ruleHits.step())
            in.ruleHits.push_back({m_ruleHits.text(0), m_ruleHits.int64(1), int(m_ruleHits.int64(2)),
                                   int(m_ruleHits.int64(3)), m_ruleHits.int64(4), m_ruleHits.int64(5),
                                   m_ruleHits.text(6)});
        m_ruleHits.reset();
        return stored;
    }

private:
    sql::Statement m_messages, m_calls, m_scores, m_spans, m_signals, m_ruleHits;
};

constexpr const char* listColumns =
    "SELECT i.id, i.start_ms, i.agent, i.agent_version, i.model, i.intent, i.channel, i.outcome, "
    "i.signal_mask, i.latency_ms, i.cost_usd, (SELECT substr(m.content, 1, 300) FROM message_texts m "
    "WHERE m.id >= i.first_message_id AND m.id < i.first_message_id + i.message_count "
    "AND m.role = 'user' ORDER BY m.id LIMIT 1), coalesce(i.cost_estimated, 0) FROM interactions i";

InteractionListRow readListRow(const sql::Statement& s)
{
    InteractionListRow row;
    row.id = s.int64(0);
    row.startMs = s.optionalInt64(1);
    row.agent = s.text(2);
    row.agentVersion = s.text(3);
    row.model = s.text(4);
    row.intent = s.text(5);
    row.channel = s.text(6);
    row.outcome = s.text(7);
    row.signalMask = s.int64(8);
    row.latencyMs = s.optionalReal(9);
    row.costUsd = s.optionalReal(10);
    row.firstUserMessage = s.text(11);
    row.costEstimated = s.int64(12) != 0;
    return row;
}

} // namespace

InteractionStore::InteractionStore(Database& database) : m_database(database) {}

StoreStats InteractionStore::stats()
{
    sql::Connection& db = m_database.connection();
    ReadSnapshot snapshot(m_database);
    StoreStats stats;
    stats.interactions = db.queryInt("SELECT count(*) FROM interactions");
    stats.messages = db.queryInt("SELECT count(*) FROM messages");
    stats.toolCalls = db.queryInt("SELECT count(*) FROM tool_calls");
    stats.sources = db.queryInt("SELECT count(*) FROM sources");
    stats.quarantined = db.queryInt("SELECT count(*) FROM quarantine");
    return stats;
}

std::optional<InteractionDetail> InteractionStore::detail(std::int64_t id)
{
    sql::Connection& db = m_database.connection();
    ReadSnapshot snapshot(m_database);
    sql::Statement select(db, std::string("SELECT ") + interactionColumns +
                                  ", s.path FROM interactions i LEFT JOIN sources s ON s.id = i.source_id "
                                  "WHERE i.id = ?1");
    select.bind(1, id);
    if (!select.step())
        return std::nullopt;
    WholeReader reader(db);
    InteractionDetail detail;
    StoredInteraction stored = reader.read(select);
    detail.id = stored.id;
    detail.interaction = std::move(stored.interaction);
    detail.sourcePath = select.text(interactionColumnCount);
    detail.batches = ExportStore(m_database).batchesOf(id);
    return detail;
}

std::vector<StoredInteraction> InteractionStore::whole(const std::vector<std::int64_t>& ids)
{
    sql::Connection& db = m_database.connection();
    ReadSnapshot snapshot(m_database);
    sql::Statement select(db, std::string("SELECT ") + interactionColumns +
                                  ", i.signal_mask FROM interactions i WHERE i.id = ?1");
    WholeReader reader(db);
    std::vector<StoredInteraction> result;
    result.reserve(ids.size());
    for (const std::int64_t id : ids) {
        select.bind(1, id);
        if (select.step())
            result.push_back(reader.read(select));
        select.reset();
    }
    return result;
}

std::vector<StoredInteraction> InteractionStore::after(InteractionCursor& cursor, std::int64_t limit)
{
    sql::Connection& db = m_database.connection();
    std::vector<StoredInteraction> result;
    sql::Statement select(db, std::string("SELECT ") + interactionColumns +
                                  ", i.signal_mask FROM interactions i "
                                  "WHERE (coalesce(i.start_ms, -9223372036854775808), i.id) > (?1, ?2) "
                                  "ORDER BY coalesce(i.start_ms, -9223372036854775808), i.id LIMIT ?3");
    select.bind(1, cursor.startMs).bind(2, cursor.id).bind(3, limit);
    WholeReader reader(db);
    while (select.step()) {
        result.push_back(reader.read(select));
        const StoredInteraction& last = result.back();
        cursor = {last.interaction.startMs.value_or(INT64_MIN), last.id};
    }
    return result;
}

void InteractionStore::forEachMetricRow(const MetricsFilter& filter, const std::optional<Grouping>& groupBy,
                                        const std::string& scoreName,
                                        const std::function<void(const MetricRow&)>& visit)
{
    const GroupingSql group = groupingSql(groupBy);
    const std::string scoreColumn = scoreName.empty()
                                        ? std::string("NULL")
                                        : "(SELECT s.value FROM scores s WHERE s.interaction_id = i.id "
                                          "AND s.name = ?)";
    sql::Statement select(
        m_database.connection(),
        "SELECT i.id, i.start_ms, " + successOutcomeSql("i.outcome") +
            ", coalesce(i.thumb, 0), i.signal_mask, i.latency_ms, coalesce(i.input_tokens, 0), "
            "coalesce(i.output_tokens, 0), coalesce(i.cost_usd, 0), " +
            group.value + ", " + scoreColumn +
            ", i.cost_usd IS NOT NULL, coalesce(i.cost_estimated, 0), i.rule_hits > 0 FROM interactions i" +
            group.join + whereClause(filter));
    int first = bindGrouping(select, groupBy, 1);
    if (!scoreName.empty())
        select.bind(first++, std::string_view(scoreName));
    bindFilter(select, filter, first);
    MetricRow row; // one, reused: the group's text keeps its buffer
    while (select.step()) {
        row.id = select.int64(0);
        row.startMs = select.optionalInt64(1);
        row.success = select.int64(2) != 0;
        row.thumb = static_cast<int>(select.int64(3));
        row.signalMask = select.int64(4);
        row.latencyMs = select.optionalReal(5);
        row.inputTokens = select.int64(6);
        row.outputTokens = select.int64(7);
        row.costUsd = select.real(8);
        row.group.assign(select.textView(9));
        row.score = select.optionalReal(10);
        row.priced = select.int64(11) != 0;
        row.costEstimated = select.int64(12) != 0;
        row.guardrail = select.int64(13) != 0;
        visit(row);
    }
}

std::map<std::string, std::pair<double, std::int64_t>>
InteractionStore::scoreTotals(const std::vector<std::int64_t>& sortedIds)
{
    std::map<std::string, std::pair<double, std::int64_t>> totals;
    if (sortedIds.empty())
        return totals;
    sql::Statement select(
        m_database.connection(),
        "SELECT interaction_id, name, value FROM scores WHERE interaction_id BETWEEN ?1 AND ?2 "
        "ORDER BY interaction_id");
    select.bind(1, sortedIds.front()).bind(2, sortedIds.back());
    auto next = sortedIds.begin();
    while (select.step()) {
        const std::int64_t id = select.int64(0);
        next = std::lower_bound(next, sortedIds.end(), id);
        if (next == sortedIds.end())
            break;
        if (*next != id)
            continue;
        auto& total = totals[select.text(1)];
        total.first += select.real(2);
        ++total.second;
    }
    return totals;
}

void InteractionStore::forEachScore(
    const MetricsFilter& filter, const std::optional<Grouping>& groupBy,
    const std::function<void(std::string_view name, double value, std::string_view group)>& visit)
{
    const GroupingSql group = groupingSql(groupBy);
    sql::Statement select(m_database.connection(),
                          "SELECT s.name, s.value, " + group.value +
                              " FROM scores s JOIN interactions i ON i.id = s.interaction_id" + group.join +
                              whereClause(filter));
    bindFilter(select, filter, bindGrouping(select, groupBy, 1));
    while (select.step())
        visit(select.textView(0), select.real(1), select.isNull(2) ? std::string_view() : select.textView(2));
}

std::vector<InteractionListRow> InteractionStore::rowsInTimeOrder(const MetricsFilter& filter,
                                                                  TimeOrder order, std::int64_t boundaryMs,
                                                                  std::int64_t skip, std::int64_t limit)
{
    const bool newestFirst = order == TimeOrder::NewestFirst;
    sql::Statement select(m_database.connection(),
                          std::string(listColumns) + whereClause(filter) +
                              (newestFirst ? " AND i.start_ms < ? ORDER BY i.start_ms DESC, i.id DESC"
                                           : " AND i.start_ms >= ? ORDER BY i.start_ms, i.id") +
                              " LIMIT ?");
    const int next = bindFilter(select, filter);
    select.bind(next, boundaryMs).bind(next + 1, skip + limit);
    std::vector<InteractionListRow> rows;
    for (std::int64_t seen = 0; select.step(); ++seen)
        if (seen >= skip)
            rows.push_back(readListRow(select));
    return rows;
}

std::vector<InteractionListRow> InteractionStore::rowsWithoutStart(const MetricsFilter& filter,
                                                                   std::int64_t skip, std::int64_t limit)
{
    if (filter.fromMs || filter.toMs)
        return {};
    sql::Statement select(m_database.connection(), std::string(listColumns) + whereClause(filter) +
                                                       " AND i.start_ms IS NULL ORDER BY i.id LIMIT ?");
    const int next = bindFilter(select, filter);
    select.bind(next, skip + limit);
    std::vector<InteractionListRow> rows;
    for (std::int64_t seen = 0; select.step(); ++seen)
        if (seen >= skip)
            rows.push_back(readListRow(select));
    return rows;
}

std::vector<InteractionListRow> InteractionStore::rowsByIds(const std::vector<std::int64_t>& ids)
{
    std::vector<InteractionListRow> rows;
    sql::Statement select(m_database.connection(), std::string(listColumns) + " WHERE i.id = ?1");
    for (std::int64_t id : ids) {
        select.bind(1, id);
        if (select.step())
            rows.push_back(readListRow(select));
        select.reset();
    }
    return rows;
}

namespace {
// A JSON array of ids: one bound parameter that json_each() reads as a table.
std::string idArray(const std::vector<std::int64_t>& ids)
{
    std::string json = "[";
    for (size_t i = 0; i < ids.size(); ++i)
        json += (i ? "," : "") + std::to_string(ids[i]);
    return json + "]";
}
} // namespace

void InteractionStore::attachScores(std::vector<InteractionListRow>& rows)
{
    if (rows.empty())
        return;
    std::vector<std::int64_t> ids;
    std::map<std::int64_t, InteractionListRow*> byId;
    for (InteractionListRow& row : rows) {
        ids.push_back(row.id);
        byId[row.id] = &row;
        row.scores.clear();
    }
    const std::string json = idArray(ids);
    sql::Statement select(m_database.connection(),
                          "SELECT s.interaction_id, s.name, s.value FROM json_each(?1) j "
                          "JOIN scores s ON s.interaction_id = j.value ORDER BY s.interaction_id, s.name");
    select.bind(1, std::string_view(json));
    while (select.step())
        if (const auto row = byId.find(select.int64(0)); row != byId.end())
            row->second->scores.push_back({select.text(1), select.real(2)});
}

std::vector<std::int64_t> InteractionStore::idsByScore(const MetricsFilter& filter, const std::string& name,
                                                       bool descending, std::int64_t limit)
{
    sql::Statement select(m_database.connection(),
                          "SELECT i.id FROM interactions i LEFT JOIN scores s ON s.interaction_id = i.id "
                          "AND s.name = ?" +
                              whereClause(filter) + " ORDER BY s.value IS NULL, s.value " +
                              (descending ? "DESC" : "ASC") +
                              ", coalesce(i.start_ms, -9223372036854775808) DESC, i.id DESC LIMIT ?");
    select.bind(1, std::string_view(name));
    const int next = bindFilter(select, filter, 2);
    select.bind(next, limit);
    std::vector<std::int64_t> ids;
    while (select.step())
        ids.push_back(select.int64(0));
    return ids;
}

std::vector<std::int64_t> InteractionStore::orderByScore(const std::vector<std::int64_t>& ids,
                                                         const std::string& name, bool descending)
{
    const std::string json = idArray(ids);
    sql::Statement select(
        m_database.connection(),
        std::string("SELECT j.value FROM json_each(?1) j LEFT JOIN scores s ON s.interaction_id = "
                    "j.value AND s.name = ?2 ORDER BY s.value IS NULL, s.value ") +
            (descending ? "DESC" : "ASC") + ", j.key");
    select.bind(1, std::string_view(json)).bind(2, std::string_view(name));
    std::vector<std::int64_t> ordered;
    ordered.reserve(ids.size());
    while (select.step())
        ordered.push_back(select.int64(0));
    return ordered;
}

std::vector<std::int64_t> InteractionStore::idsInSlice(const std::vector<std::int64_t>& ids,
                                                       const MetricsFilter& filter, TimeOrder order)
{
    sql::Statement select(m_database.connection(),
                          "SELECT i.start_ms FROM interactions i" + whereClause(filter) + " AND i.id = ?");
    const int idParameter = bindFilter(select, filter);
    std::vector<std::pair<std::int64_t, std::int64_t>> kept; // (start or a sentinel, id)
    for (std::int64_t id : ids) {
        select.bind(idParameter, id);
        if (select.step()) {
            const auto start = select.optionalInt64(0);
            kept.emplace_back(start ? *start : (order == TimeOrder::NewestFirst ? INT64_MIN : INT64_MAX), id);
        }
        select.reset();
    }
    if (order == TimeOrder::NewestFirst)
        std::sort(kept.begin(), kept.end(), std::greater<>());
    else
        std::sort(kept.begin(), kept.end());
    std::vector<std::int64_t> result;
    result.reserve(kept.size());
    for (const auto& entry : kept)
        result.push_back(entry.second);
    return result;
}

std::map<std::int64_t, std::int64_t> InteractionStore::countsByTime(const MetricsFilter& filter,
                                                                    std::int64_t widthMs)
{
    // The slice's parameters come first in the text, so they are numbered first.
    sql::Statement select(
        m_database.connection(),
        "WITH slice(s) AS (SELECT i.start_ms FROM interactions i" + whereClause(filter) +
            ") SELECT CASE WHEN s IS NULL THEN -9223372036854775808 "
            "ELSE s - ((s % ?) + ?) % ? END AS bucket, count(*) FROM slice GROUP BY bucket");
    const int next = bindFilter(select, filter);
    select.bind(next, widthMs).bind(next + 1, widthMs).bind(next + 2, widthMs);
    std::map<std::int64_t, std::int64_t> counts;
    while (select.step())
        counts[select.int64(0)] = select.int64(1);
    return counts;
}

std::optional<std::pair<std::int64_t, std::int64_t>> InteractionStore::startTimeRange()
{
    // Two statements: SQLite answers a lone min() or max() from the index, both together by a scan.
    sql::Statement earliest(m_database.connection(), "SELECT min(start_ms) FROM interactions");
    sql::Statement latest(m_database.connection(), "SELECT max(start_ms) FROM interactions");
    if (!earliest.step() || earliest.isNull(0) || !latest.step())
        return std::nullopt;
    return std::pair(earliest.int64(0), latest.int64(0));
}

std::optional<std::int64_t> InteractionStore::idOfKey(const std::string& key)
{
    sql::Statement select(m_database.connection(), "SELECT id FROM interactions WHERE key = ?1");
    select.bind(1, std::string_view(key));
    if (select.step())
        return select.int64(0);
    return std::nullopt;
}

bool InteractionStore::isEmpty()
{
    return m_database.connection().queryInt("SELECT NOT EXISTS(SELECT 1 FROM interactions)") != 0;
}

std::int64_t InteractionStore::countWithoutStart()
{
    return m_database.connection().queryInt("SELECT count(*) FROM interactions WHERE start_ms IS NULL");
}

std::vector<std::string> InteractionStore::recentMetadataKeys(int sample)
{
    sql::Statement select(
        m_database.connection(),
        "SELECT DISTINCT j.key FROM (SELECT json FROM (SELECT json FROM interaction_metadata "
        "ORDER BY interaction_id DESC LIMIT ?) WHERE json_valid(json) AND "
        "json_type(json) = 'object') m, json_each(m.json) j ORDER BY j.key");
    select.bind(1, sample);
    std::vector<std::string> keys;
    while (select.step())
        keys.push_back(select.text(0));
    return keys;
}

std::vector<std::int64_t> InteractionStore::idsOf(const MetricsFilter& filter, std::int64_t afterId,
                                                  std::int64_t limit)
{
    sql::Statement select(m_database.connection(), "SELECT i.id FROM interactions i" + whereClause(filter) +
                                                       " AND i.id > ? ORDER BY i.id LIMIT ?");
    const int next = bindFilter(select, filter);
    select.bind(next, afterId).bind(next + 1, limit);
    std::vector<std::int64_t> ids;
    while (select.step())
        ids.push_back(select.int64(0));
    return ids;
}

std::vector<std::int64_t> InteractionStore::idsOfSource(std::int64_t sourceId, std::int64_t afterId,
                                                        std::int64_t limit)
{
    sql::Statement select(
        m_database.connection(),
        "SELECT id FROM interactions WHERE source_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");
    select.bind(1, sourceId).bind(2, afterId).bind(3, limit);
    std::vector<std::int64_t> ids;
    while (select.step())
        ids.push_back(select.int64(0));
    return ids;
}

std::vector<std::int64_t> InteractionStore::idsStartedBefore(std::int64_t beforeMs, std::int64_t limit)
{
    // start_ms > INT64_MIN: interactions without a start time are never too old.
    sql::Statement select(m_database.connection(), "SELECT id FROM interactions WHERE start_ms < ?1 "
                                                   "AND start_ms IS NOT NULL ORDER BY start_ms LIMIT ?2");
    select.bind(1, beforeMs).bind(2, limit);
    std::vector<std::int64_t> ids;
    while (select.step())
        ids.push_back(select.int64(0));
    return ids;
}

// --- Writing -------------------------------------------------------------------------------------

struct InteractionWriter::Statements
{
    explicit Statements(sql::Connection& db)
        : insertInteraction(db, R"sql(
INSERT INTO interactions(key, source_id, start_ms, end_ms, latency_ms, session, user, agent, agent_version,
    model, channel, intent, input_tokens, output_tokens, cost_usd, outcome, thumb, rating, feedback_comment,
    first_message_id, message_count, first_tool_call_id, tool_call_count, signal_mask, id, cost_estimated,
    rule_hits)
VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,
    ?25, ?26, ?27)
ON CONFLICT(key) DO NOTHING)sql"),
          scores(db, "INSERT OR REPLACE INTO scores(interaction_id, name, value)", 3),
          spans(
              db,
              "INSERT INTO spans(interaction_id, seq, span_id, parent_span_id, name, kind, start_ns, end_ns, "
              "status_code, status_message, role, model, tool_name, input_tokens, output_tokens)",
              15),
          metadata(db, "INSERT INTO interaction_metadata(interaction_id, json)", 2),
          messages(
              db,
              "INSERT INTO messages(id, interaction_id, seq, role, content, name, tool_call_id, parts_json, "
              "text_id)",
              9),
          toolCalls(
              db,
              "INSERT INTO tool_calls(id, interaction_id, call_id, name, arguments, result, status, error, "
              "latency_ms, message_seq, result_message_seq)",
              11),
          signals(db, "INSERT OR IGNORE INTO signals(interaction_id, kind, message_seq, confidence, reason)",
                  5),
          ruleHits(db,
                   "INSERT INTO rule_hits(interaction_id, seq, rule_id, version, message_seq, tool_call_seq, "
                   "start_char, end_char, excerpt)",
                   9),
          nextIds(db,
                  "SELECT (SELECT coalesce(max(id), 0) FROM messages), (SELECT value FROM store_state WHERE "
                  "key = 'message_id_floor'), (SELECT coalesce(max(id), 0) FROM tool_calls), (SELECT value "
                  "FROM store_state WHERE key = 'tool_call_id_floor'), (SELECT coalesce(max(id), 0) FROM "
                  "interactions), (SELECT value FROM store_state WHERE key = 'interaction_id_floor')"),
          ranges(db, "SELECT first_message_id, message_count, first_tool_call_id, tool_call_count FROM "
                     "interactions WHERE id = ?1"),
          tombstones(
              db,
              "INSERT INTO search_deletions(message_id, content) SELECT id, content FROM message_texts "
              "WHERE id >= ?1 AND id < ?2 AND role != 'system' AND content IS NOT NULL AND content != ''"),
          deleteMessages(db, "DELETE FROM messages WHERE id >= ?1 AND id < ?2"),
          deleteToolCalls(db, "DELETE FROM tool_calls WHERE id >= ?1 AND id < ?2"),
          deleteSignals(db, "DELETE FROM signals WHERE interaction_id = ?1"),
          deleteRuleHits(db, "DELETE FROM rule_hits WHERE interaction_id = ?1"),
          deleteScores(db, "DELETE FROM scores WHERE interaction_id = ?1"),
          deleteSpans(db, "DELETE FROM spans WHERE interaction_id = ?1"),
          deleteMetadata(db, "DELETE FROM interaction_metadata WHERE interaction_id = ?1"),
          deleteInteraction(db, "DELETE FROM interactions WHERE id = ?1"),
          raiseFloor(db, "UPDATE store_state SET value = max(value, ?2) WHERE key = ?1"),
          forgetDeletions(db, "DELETE FROM search_deletions WHERE seq <= ?1"), texts(db)
    {
    }
    sql::Statement insertInteraction;
    RowInserter scores;
    RowInserter spans;
    RowInserter metadata;
    RowInserter messages;
    RowInserter toolCalls;
    RowInserter signals; // a detector naming the same message twice keeps the first
    RowInserter ruleHits;
    sql::Statement nextIds, ranges, tombstones, deleteMessages, deleteToolCalls, deleteSignals,
        deleteRuleHits, deleteScores, deleteSpans, deleteMetadata, deleteInteraction, raiseFloor,
        forgetDeletions;
    TextStore texts;
};

InteractionWriter::InteractionWriter(Database& database, RollupWriter& rollups)
    : m_database(database), m_rollups(rollups),
      m_statements(std::make_unique<Statements>(database.connection()))
{
}

InteractionWriter::~InteractionWriter() = default;

InsertResult InteractionWriter::insert(const std::vector<Interaction>& interactions, std::int64_t sourceId,
                                       const RollupDelta* rollups)
{
    Statements& w = *m_statements;
    sql::Connection& db = m_database.connection();
    InsertResult result;
    // Messages and tool calls get their ids here, so that an interaction's rows form one range,
    // above every id used before (deleted ones too).
    w.texts.beginWrite();
    w.nextIds.step();
    std::int64_t nextMessageId = std::max(w.nextIds.int64(0), w.nextIds.int64(1)) + 1;
    std::int64_t nextToolCallId = std::max(w.nextIds.int64(2), w.nextIds.int64(3)) + 1;
    std::int64_t nextInteractionId = std::max(w.nextIds.int64(4), w.nextIds.int64(5)) + 1;
    w.nextIds.reset();
    // Rows of the interactions that were new, written after them in many-row statements.
    struct Child
    {
        std::int64_t id;
        std::int64_t interactionId;
        size_t index;
        const Interaction* parent;
        std::int64_t textId = 0; // a message's long text, stored once
    };
    std::vector<Child> scoreRows, metadataRows, messageRows, toolCallRows, signalRows, spanRows, ruleHitRows;
    if (rollups)
        m_rollups.merge(*rollups);
    for (const Interaction& in : interactions) {
        auto& s = w.insertInteraction;
        s.bind(1, in.key);
        if (sourceId)
            s.bind(2, sourceId);
        s.bind(3, in.startMs).bind(4, in.endMs).bind(5, in.latencyMs);
        s.bindTextOrNull(6, in.session).bindTextOrNull(7, in.user).bindTextOrNull(8, in.agent);
        s.bindTextOrNull(9, in.agentVersion).bindTextOrNull(10, in.model).bindTextOrNull(11, in.channel);
        s.bindTextOrNull(12, in.intent);
        s.bind(13, in.inputTokens).bind(14, in.outputTokens).bind(15, in.costUsd);
        s.bindTextOrNull(16, in.outcome).bind(17, in.thumb).bind(18, in.rating);
        s.bindTextOrNull(19, in.feedbackComment);
        if (!in.messages.empty())
            s.bind(20, nextMessageId);
        s.bind(21, static_cast<std::int64_t>(in.messages.size()));
        if (!in.toolCalls.empty())
            s.bind(22, nextToolCallId);
        s.bind(23, static_cast<std::int64_t>(in.toolCalls.size()));
        const std::int64_t mask = signalMask(in.signals);
        s.bind(24, mask).bind(25, nextInteractionId);
        if (in.costUsd && in.costEstimated)
            s.bind(26, 1);
        else
            s.bindNull(26);
        s.bind(27, static_cast<std::int64_t>(in.ruleHits.size()));
        s.run();
        RollupFacts facts = RollupFacts::of(in, mask);
        if (db.changes() == 0) {
            ++result.duplicates;
            if (rollups) // the caller's totals counted it: take it out again
                m_rollups.add(facts, -1);
            continue;
        }
        ++result.inserted;
        const std::int64_t id = nextInteractionId++;
        facts.interactionId = id;
        if (!rollups)
            m_rollups.add(facts, 1);
        m_rollups.insertLatency(facts);
        if (!in.metadataJson.empty())
            metadataRows.push_back({0, id, 0, &in});
        // The store keeps the last score of a name (as RollupFacts::of counts it).
        for (size_t i = 0; i < in.scores.size(); ++i)
            scoreRows.push_back({0, id, i, &in});
        for (size_t i = 0; i < in.messages.size(); ++i)
            messageRows.push_back({nextMessageId++, id, i, &in});
        for (size_t i = 0; i < in.toolCalls.size(); ++i)
            toolCallRows.push_back({nextToolCallId++, id, i, &in});
        for (size_t i = 0; i < in.signals.size(); ++i)
            signalRows.push_back({0, id, i, &in});
        for (size_t i = 0; i < in.ruleHits.size(); ++i)
            ruleHitRows.push_back({0, id, i, &in});
        for (size_t i = 0; i < in.spans.size(); ++i)
            spanRows.push_back({0, id, i, &in});
    }
    w.spans.insert(spanRows, [](sql::Statement& st, int p, const Child& row) {
        const SpanRecord& s = row.parent->spans[row.index];
        st.bind(p, row.interactionId).bind(p + 1, static_cast<std::int64_t>(row.index));
        st.bindTextOrNull(p + 2, s.spanId)
            .bindTextOrNull(p + 3, s.parentSpanId)
            .bindTextOrNull(p + 4, s.name);
        st.bind(p + 5, s.kind).bind(p + 6, s.startNs).bind(p + 7, s.endNs).bind(p + 8, s.statusCode);
        st.bindTextOrNull(p + 9, s.statusMessage)
            .bindTextOrNull(p + 10, s.role)
            .bindTextOrNull(p + 11, s.model);
        st.bindTextOrNull(p + 12, s.toolName).bind(p + 13, s.inputTokens).bind(p + 14, s.outputTokens);
    });
    // Scores one at a time per interaction: INSERT OR REPLACE within one many-row statement keeps
    // the last of a repeated name, as the one-row statement did.
    w.scores.insert(scoreRows, [](sql::Statement& st, int p, const Child& row) {
        const Score& score = row.parent->scores[row.index];
        st.bind(p, row.interactionId).bind(p + 1, score.name).bind(p + 2, score.value);
    });
    w.metadata.insert(metadataRows, [](sql::Statement& st, int p, const Child& row) {
        st.bind(p, row.interactionId).bind(p + 1, row.parent->metadataJson);
    });
    // Long texts once each: the message points at its text.
    for (Child& row : messageRows) {
        const Message& m = row.parent->messages[row.index];
        row.textId =
            !m.contentIsNull && m.content.size() >= TextStore::sharedFromBytes ? w.texts.idOf(m.content) : 0;
    }
    w.messages.insert(messageRows, [](sql::Statement& st, int p, const Child& row) {
        const Message& m = row.parent->messages[row.index];
        st.bind(p, row.id).bind(p + 1, row.interactionId).bind(p + 2, static_cast<std::int64_t>(row.index));
        st.bind(p + 3, m.role);
        if (row.textId)
            st.bind(p + 8, row.textId);
        else if (!m.contentIsNull)
            st.bind(p + 4, m.content);
        st.bindTextOrNull(p + 5, m.name)
            .bindTextOrNull(p + 6, m.toolCallId)
            .bindTextOrNull(p + 7, m.partsJson);
    });
    w.toolCalls.insert(toolCallRows, [](sql::Statement& st, int p, const Child& row) {
        const ToolCall& call = row.parent->toolCalls[row.index];
        st.bind(p, row.id).bind(p + 1, row.interactionId).bindTextOrNull(p + 2, call.callId);
        st.bindTextOrNull(p + 3, call.name)
            .bindTextOrNull(p + 4, call.arguments)
            .bindTextOrNull(p + 5, call.result);
        st.bindTextOrNull(p + 6, call.status).bindTextOrNull(p + 7, call.error).bind(p + 8, call.latencyMs);
        if (call.messageIndex >= 0)
            st.bind(p + 9, call.messageIndex);
        if (call.resultMessageIndex >= 0)
            st.bind(p + 10, call.resultMessageIndex);
    });
    w.signals.insert(signalRows, [](sql::Statement& st, int p, const Child& row) {
        const Signal& signal = row.parent->signals[row.index];
        st.bind(p, row.interactionId).bind(p + 1, std::string_view(signalKindName(signal.kind)));
        st.bind(p + 2, signal.messageIndex).bind(p + 3, signal.confidence).bind(p + 4, signal.reason);
    });
    w.ruleHits.insert(ruleHitRows, [](sql::Statement& st, int p, const Child& row) {
        const RuleHit& hit = row.parent->ruleHits[row.index];
        st.bind(p, row.interactionId).bind(p + 1, static_cast<std::int64_t>(row.index));
        st.bind(p + 2, hit.ruleId).bind(p + 3, hit.version);
        if (hit.messageIndex >= 0)
            st.bind(p + 4, hit.messageIndex);
        if (hit.toolCallIndex >= 0)
            st.bind(p + 5, hit.toolCallIndex);
        st.bind(p + 6, hit.start).bind(p + 7, hit.end).bind(p + 8, hit.excerpt);
    });
    return result;
}

void InteractionWriter::moveHumanWork(std::int64_t from, std::int64_t to)
{
    sql::Connection& db = m_database.connection();
    for (const char* move : {"UPDATE labels SET interaction_id = ?2 WHERE interaction_id = ?1",
                             "UPDATE review_queue_items SET interaction_id = ?2 WHERE interaction_id = ?1",
                             "UPDATE OR IGNORE export_items SET interaction_id = ?2 WHERE interaction_id = ?1",
                             "UPDATE OR IGNORE trigger_evidence SET interaction_id = ?2 WHERE interaction_id = ?1"}) {
        sql::Statement statement(db, move);
        statement.bind(1, from).bind(2, to).run();
    }
}

std::int64_t InteractionWriter::remove(const std::vector<std::int64_t>& ids)
{
    Statements& w = *m_statements;
    sql::Connection& db = m_database.connection();
    std::int64_t removed = 0;
    std::int64_t highestInteraction = 0, highestMessage = 0, highestToolCall = 0;
    for (std::int64_t id : ids) {
        const std::optional<RollupFacts> facts = readStoredFacts(db, id);
        if (!facts)
            continue;
        w.ranges.bind(1, id);
        if (!w.ranges.step()) {
            w.ranges.reset();
            continue;
        }
        const std::optional<std::int64_t> firstMessage = w.ranges.optionalInt64(0);
        const std::int64_t messageCount = w.ranges.int64(1);
        const std::optional<std::int64_t> firstToolCall = w.ranges.optionalInt64(2);
        const std::int64_t toolCallCount = w.ranges.int64(3);
        w.ranges.reset();
        if (firstMessage && messageCount > 0) {
            // The search index forgets a message only given its text: leave the text for it.
            w.tombstones.bind(1, *firstMessage).bind(2, *firstMessage + messageCount).run();
            w.deleteMessages.bind(1, *firstMessage).bind(2, *firstMessage + messageCount).run();
            highestMessage = std::max(highestMessage, *firstMessage + messageCount - 1);
        }
        if (firstToolCall && toolCallCount > 0) {
            w.deleteToolCalls.bind(1, *firstToolCall).bind(2, *firstToolCall + toolCallCount).run();
            highestToolCall = std::max(highestToolCall, *firstToolCall + toolCallCount - 1);
        }
        w.deleteSignals.bind(1, id).run();
        w.deleteRuleHits.bind(1, id).run();
        w.deleteScores.bind(1, id).run();
        w.deleteSpans.bind(1, id).run();
        w.deleteMetadata.bind(1, id).run();
        w.deleteInteraction.bind(1, id).run();
        m_rollups.add(*facts, -1);
        m_rollups.deleteLatency(*facts);
        highestInteraction = std::max(highestInteraction, id);
        ++removed;
    }
    if (highestInteraction)
        w.raiseFloor.bind(1, std::string_view("interaction_id_floor")).bind(2, highestInteraction).run();
    if (highestMessage)
        w.raiseFloor.bind(1, std::string_view("message_id_floor")).bind(2, highestMessage).run();
    if (highestToolCall)
        w.raiseFloor.bind(1, std::string_view("tool_call_id_floor")).bind(2, highestToolCall).run();
    // Deletions the search index has applied are done with. (Without an index all of them are:
    // were one built this very moment, from a snapshot before this commit, it would keep a row
    // for a deleted message, which no search returns, since results are joined to messages.)
    if (removed) {
        if (const auto applied = SearchIndex::appliedDeletions(m_database.path(), m_database.storeId()))
            w.forgetDeletions.bind(1, *applied).run();
    }
    return removed;
}

} // namespace winnow
