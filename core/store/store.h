#pragma once
// The Winnow store: one SQLite file holding interactions, their messages and tool calls, the log
// sources they came from and what was quarantined. A Store object owns one connection and lives
// on the thread that made it. Exactly one ReadWrite Store (the writer) changes a file at a time;
// ReadOnly stores (dashboards, the CLI) read in WAL mode without waiting for it.

#include "core/store/records.h"
#include "core/store/sqlite.h"

#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

struct StoreStats
{
    std::int64_t interactions = 0;
    std::int64_t messages = 0;
    std::int64_t toolCalls = 0;
    std::int64_t sources = 0;
    std::int64_t quarantined = 0;
};

struct SourceState
{
    std::int64_t id = 0;
    std::string path;
    std::string format;
    std::int64_t offset = 0;
    std::int64_t line = 0;
    std::int64_t size = 0;
    std::int64_t inode = 0;
    std::string fingerprint;
    std::int64_t ingested = 0;
    std::int64_t duplicates = 0;
    std::int64_t quarantined = 0;
    std::int64_t lastActivityMs = 0;
};

struct QuarantineEntry
{
    std::int64_t id = 0;
    std::string sourcePath;
    QuarantinedRecord record;
};

struct SignalEntry
{
    std::string interactionKey;
    std::optional<std::int64_t> startMs;
    Signal signal;
};

struct StoredInteraction
{
    std::int64_t id = 0;
    Interaction interaction;
};

// A keyset position in (start time, id) order; interactions without a start time come first.
struct InteractionCursor
{
    std::int64_t startMs = INT64_MIN;
    std::int64_t id = 0;
};

// A slice of the store: a time range [fromMs, toMs) and FIELD=VALUE conditions, all of which hold.
// An empty VALUE asks for interactions that do not have the field.
// Fields: agent, agent_version, model, intent, channel, outcome, user, session, signal (a kind
// name), tool (a tool name called in the interaction), thumb (down, up or none).
struct MetricsFilter
{
    std::optional<std::int64_t> fromMs;
    std::optional<std::int64_t> toMs;
    std::vector<std::pair<std::string, std::string>> where;
    static bool isField(const std::string& field);
    // Fields a breakdown can group by (one value per interaction).
    static bool isDimension(const std::string& field);
};

// What the metrics need of one interaction.
struct MetricRow
{
    std::optional<std::int64_t> startMs;
    bool success = false;
    int thumb = 0;
    std::int64_t signalMask = 0;
    std::optional<double> latencyMs;
    std::int64_t inputTokens = 0;
    std::int64_t outputTokens = 0;
    double costUsd = 0;
    std::string dimension;       // the breakdown field's value, when one was asked for
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
    std::string firstUserMessage; // at most 300 characters
};

enum class TimeOrder { NewestFirst, OldestFirst };

// Everything stored about one interaction, for the detail pane and "copy as JSON".
struct InteractionDetail
{
    std::int64_t id = 0;
    std::string sourcePath;
    Interaction interaction; // with metadata, scores, messages, tool calls and signals
};

struct MappingProfile
{
    std::string name;
    std::string specJson; // {"TARGET":"SOURCE", ...}
};

class Store
{
public:
    enum class Mode { ReadWrite, ReadOnly };
    // Opens (and for ReadWrite creates and migrates) the store. Throws sql::Error on failure.
    explicit Store(const std::string& path, Mode mode = Mode::ReadWrite);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    static constexpr int schemaVersion = 3;
    // <AppDataLocation>/winnow.db; the folder is created when missing.
    static std::string defaultPath();

    const std::string& path() const { return m_path; }
    StoreStats stats();

    // Sources. sourceFor() registers the path on first use.
    SourceState sourceFor(const std::string& path, const std::string& format);
    std::vector<SourceState> sources();
    // Records what the source's file looks like now. With `restart` (first sight, rotation,
    // truncation) reading starts over from the beginning.
    void updateSourceIdentity(std::int64_t sourceId, std::int64_t size, std::int64_t inode,
                              const std::string& fingerprint, bool restart);
    void setSourceFormat(std::int64_t sourceId, const std::string& format);

    // Writes the batch, its quarantined records and the source's new position in one transaction.
    // Interactions whose key is already stored are counted as duplicates and left as they are.
    BatchResult writeBatch(const Batch& batch);
    // Several batches in one transaction (a writer that fell behind catches up in fewer commits:
    // each commit rewrites the rollup and latency pages the batches touched).
    std::vector<BatchResult> writeBatches(const std::vector<const Batch*>& batches);

    // A random number fixed when the store was created; its search index carries it too.
    std::int64_t storeId();

    std::vector<QuarantineEntry> quarantine(std::int64_t limit = 100);

    // Settings that change what the data means (detector phrases, ...), stored with the data.
    std::optional<std::string> setting(const std::string& key);
    void setSetting(const std::string& key, const std::string& value);

    // Interactions with at least one signal of each kind found, by kind name.
    std::vector<std::pair<std::string, std::int64_t>> signalCounts();
    std::vector<SignalEntry> signalsOfKind(SignalKind kind, std::int64_t limit);
    // Whole interactions (messages, tool calls) in (start time, id) order after the given one,
    // for recomputing derived data. `after` is updated to the last one read.
    std::vector<StoredInteraction> interactionsAfter(InteractionCursor& after, std::int64_t limit);
    // The narrow rows of the interactions in a slice (throws sql::Error on an unknown field).
    // `dimension` (a filter field other than signal and tool, or empty) fills MetricRow::dimension.
    // `scoreName` (or empty) fills MetricRow::score.
    std::vector<MetricRow> metricRows(const MetricsFilter& filter, const std::string& dimension = {},
                                      const std::string& scoreName = {});
    // Per score name: (sum, count) over the slice.
    std::map<std::string, std::pair<double, std::int64_t>> scoreTotals(const MetricsFilter& filter);

    // The browser's rows. Interactions of the slice in time order (id breaks ties), beginning at
    // a time boundary: NewestFirst starts below `boundaryMs`, OldestFirst at it; the first `skip`
    // rows from there are passed over (callers seek to a minute, so skip stays small).
    // Interactions without a start time are not in time order; see rowsWithoutStart().
    std::vector<InteractionListRow> rowsInTimeOrder(const MetricsFilter& filter, TimeOrder order,
                                                    std::int64_t boundaryMs, std::int64_t skip,
                                                    std::int64_t limit);
    // Interactions of the slice without a start time (only when the slice has no time range), by id.
    std::vector<InteractionListRow> rowsWithoutStart(const MetricsFilter& filter, std::int64_t skip,
                                                     std::int64_t limit);
    std::vector<InteractionListRow> rowsByIds(const std::vector<std::int64_t>& ids);
    // The ids that are in the slice, in the given time order (without a start time last).
    std::vector<std::int64_t> idsInSlice(const std::vector<std::int64_t>& ids, const MetricsFilter& filter,
                                         TimeOrder order);
    // How many interactions of the slice start in each UTC bucket of widthMs (an hour divides
    // it), by bucket start; interactions without a start time under noStartBucket (rollups.h).
    std::map<std::int64_t, std::int64_t> countsByTime(const MetricsFilter& filter, std::int64_t widthMs);
    std::optional<InteractionDetail> interactionDetail(std::int64_t id);
    // The earliest and latest start times stored (nothing when no interaction has one).
    std::optional<std::pair<std::int64_t, std::int64_t>> startTimeRange();

    // Recomputes the rollups (rollups.h) from the interactions, in one transaction.
    void rebuildRollups();

    // Replaces the signals of these interactions (rows and masks) in one transaction.
    void replaceSignals(const std::vector<StoredInteraction>& interactions);

    void saveProfile(const MappingProfile& profile);
    std::optional<MappingProfile> profile(const std::string& name);
    std::vector<MappingProfile> profiles();
    bool deleteProfile(const std::string& name);

    sql::Connection& connection() { return m_db; }

private:
    void configure(Mode mode);
    BatchResult writeRows(const Batch& batch); // inside the caller's transaction
    void migrate();
    struct Writer;
    std::string m_path;
    sql::Connection m_db;
    std::unique_ptr<Writer> m_writer; // prepared insert statements, made on first write
};

} // namespace winnow
