#pragma once
// Interactions with their messages, tool calls, scores and metadata: reading them back (the
// browser's rows, a whole conversation, the narrow rows metrics scan) and, on the writer's
// database inside a write operation, inserting and deleting them with everything derived from
// them (signals, rollups, latencies, the search index's rows).

#include "core/store/export_store.h"
#include "core/store/filter.h"
#include "core/store/records.h"

#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;
class RollupDelta;
class RollupWriter;

struct StoreStats
{
    std::int64_t interactions = 0;
    std::int64_t messages = 0;
    std::int64_t toolCalls = 0;
    std::int64_t sources = 0;
    std::int64_t quarantined = 0;
};

struct StoredInteraction
{
    std::int64_t id = 0;
    Interaction interaction; // with messages, tool calls, scores, metadata and signals
};

// A keyset position in (start time, id) order; interactions without a start time come first.
struct InteractionCursor
{
    std::int64_t startMs = INT64_MIN;
    std::int64_t id = 0;
};

// What the metrics scan needs of one interaction.
struct MetricRow
{
    std::int64_t id = 0;
    std::optional<std::int64_t> startMs;
    bool success = false;
    int thumb = 0;
    std::int64_t signalMask = 0;
    std::optional<double> latencyMs;
    std::int64_t inputTokens = 0;
    std::int64_t outputTokens = 0;
    double costUsd = 0;
    bool priced = false, costEstimated = false;
    bool guardrail = false;      // a guardrail rule hit it
    std::string group;           // the grouping field's value, when one was asked for
    std::optional<double> score; // the named score, when one was asked for
};

// One row of the interactions browser.
struct InteractionListRow
{
    std::int64_t id = 0;
    std::optional<std::int64_t> startMs;
    std::string agent, agentVersion, model, intent, channel, outcome;
    std::int64_t signalMask = 0;
    std::optional<double> latencyMs;
    std::optional<double> costUsd;
    bool costEstimated = false;
    std::string firstUserMessage; // at most 300 characters
    std::vector<Score> scores;    // filled by InteractionStore::attachScores
};

enum class TimeOrder { NewestFirst, OldestFirst };

// Everything stored about one interaction, for the detail pane and "copy as JSON".
struct InteractionDetail
{
    std::int64_t id = 0;
    std::string sourcePath;
    Interaction interaction;
    std::vector<ItemBatch> batches; // the export batches it went into (lineage)
};

class InteractionStore
{
public:
    explicit InteractionStore(Database& database);

    StoreStats stats();
    std::optional<InteractionDetail> detail(std::int64_t id);
    // Whole interactions of these ids, in the order given (ids not stored are passed over).
    std::vector<StoredInteraction> whole(const std::vector<std::int64_t>& ids);
    // Whole interactions in (start time, id) order after `cursor`, which is moved to the last one.
    std::vector<StoredInteraction> after(InteractionCursor& cursor, std::int64_t limit);

    // The narrow rows of a slice; `groupBy` fills MetricRow::group, `scoreName` MetricRow::score.
    void forEachMetricRow(const MetricsFilter& filter, const std::optional<Grouping>& groupBy,
                          const std::string& scoreName, const std::function<void(const MetricRow&)>& visit);
    // Per score name: (sum, count) over the slice.
    // Per score name (sum, count) over these interactions, `ids` sorted: one pass over the scores
    // of the ids' range, so the slice's conditions are not evaluated a second time.
    std::map<std::string, std::pair<double, std::int64_t>>
    scoreTotals(const std::vector<std::int64_t>& sortedIds);
    // Every score of the slice: its name, value and, with a grouping, the interaction's value of it.
    void forEachScore(
        const MetricsFilter& filter, const std::optional<Grouping>& groupBy,
        const std::function<void(std::string_view name, double value, std::string_view group)>& visit);

    // The browser's rows. Interactions of the slice in time order (id breaks ties), beginning at a
    // time boundary: NewestFirst starts below `boundaryMs`, OldestFirst at it; the first `skip`
    // rows from there are passed over (callers seek to a minute, so skip stays small).
    std::vector<InteractionListRow> rowsInTimeOrder(const MetricsFilter& filter, TimeOrder order,
                                                    std::int64_t boundaryMs, std::int64_t skip,
                                                    std::int64_t limit);
    // Interactions of the slice without a start time (only when the slice has no time range), by id.
    std::vector<InteractionListRow> rowsWithoutStart(const MetricsFilter& filter, std::int64_t skip,
                                                     std::int64_t limit);
    std::vector<InteractionListRow> rowsByIds(const std::vector<std::int64_t>& ids);
    // Each row's scores, in one statement for the rows.
    void attachScores(std::vector<InteractionListRow>& rows);
    // The slice's ids ordered by a score (interactions without it last, then newest first), at
    // most `limit`.
    std::vector<std::int64_t> idsByScore(const MetricsFilter& filter, const std::string& name,
                                         bool descending, std::int64_t limit);
    // These ids ordered the same way.
    std::vector<std::int64_t> orderByScore(const std::vector<std::int64_t>& ids, const std::string& name,
                                           bool descending);
    // The ids that are in the slice, in the given time order (without a start time last).
    std::vector<std::int64_t> idsInSlice(const std::vector<std::int64_t>& ids, const MetricsFilter& filter,
                                         TimeOrder order);
    // How many interactions of the slice start in each UTC bucket of widthMs (an hour divides
    // it), by bucket start; interactions without a start time under noStartBucket (rollups.h).
    std::map<std::int64_t, std::int64_t> countsByTime(const MetricsFilter& filter, std::int64_t widthMs);
    // The earliest and latest start times stored (nothing when no interaction has one).
    std::optional<std::pair<std::int64_t, std::int64_t>> startTimeRange();
    bool isEmpty();
    std::optional<std::int64_t> idOfKey(const std::string& key);
    std::int64_t countWithoutStart();
    // The top-level metadata keys of the newest `sample` interactions that have metadata, sorted:
    // what a breakdown offers without reading every row.
    std::vector<std::string> recentMetadataKeys(int sample);

    // Ids of the slice (or of one source's interactions) above `afterId`, in id order: what a
    // delete takes, a chunk at a time.
    std::vector<std::int64_t> idsOf(const MetricsFilter& filter, std::int64_t afterId, std::int64_t limit);
    std::vector<std::int64_t> idsOfSource(std::int64_t sourceId, std::int64_t afterId, std::int64_t limit);
    // Interactions that started before `beforeMs` (retention), oldest first.
    std::vector<std::int64_t> idsStartedBefore(std::int64_t beforeMs, std::int64_t limit);

private:
    Database& m_database;
};

struct InsertResult
{
    std::int64_t inserted = 0;
    std::int64_t duplicates = 0;
};

// Writes interactions on the writer's connection, inside its transaction. Lives as long as the
// writer (its statements are prepared once).
class InteractionWriter
{
public:
    InteractionWriter(Database& database, RollupWriter& rollups);
    ~InteractionWriter();

    // Inserts the interactions whose key is not stored yet, with their messages, tool calls,
    // scores, metadata, signals, rollups and latencies; the others are counted as duplicates and
    // left as they are. `rollups` holds their totals when the caller made them (off the writer's
    // thread); else they are made here.
    InsertResult insert(const std::vector<Interaction>& interactions, std::int64_t sourceId,
                        const RollupDelta* rollups = nullptr);
    // Takes interactions out with everything derived from them; returns how many there were.
    // People's work on them (labels, review queue items, export lineage, trigger evidence) stays,
    // for deletion to handle or for moveHumanWork to hand on.
    std::int64_t remove(const std::vector<std::int64_t>& ids);
    // An interaction written again under a new id (late spans, a joined run) keeps what people did
    // with the one it replaces: its labels, queue items, export lineage and trigger evidence.
    void moveHumanWork(std::int64_t from, std::int64_t to);

private:
    struct Statements;
    Database& m_database;
    RollupWriter& m_rollups;
    std::unique_ptr<Statements> m_statements;
};

std::int64_t signalMask(const std::vector<Signal>& signals);

} // namespace winnow
