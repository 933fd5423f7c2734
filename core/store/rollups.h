#pragma once
// Rollups: running totals per hour and per day, written by the writer in the same transaction as
// the interactions they count, so that a dashboard reads a few hundred small rows instead of every
// interaction.
//
// Long format: one row per (granularity, level, bucket, dimension combination, metric) holding
// one value. A metric is a name in rollup_metrics ("interactions", "success", "signal.escalation",
// "cost_usd", "score.sum:reward", "latency_histogram", ...): a new countable is a new name, not a
// new column.
//
// Levels: totals are kept for every combination of all five dimensions (agent, agent version,
// model, intent, channel), and also per agent and version, per model, intent and channel, and for
// the whole store, so that the common questions (everything; one agent; by version) read a handful
// of dense rows rather than every sparse combination. Facet levels hold the same totals over only
// the interactions with one signal kind (for the whole store, per agent and version): a signal
// filter is answered from them too. A query reads the cheapest level that fixes every
// dimension it filters or groups by (levelFor).
//
// Latency percentiles stay exact: each cell carries a histogram of its latencies in narrow
// logarithmic bins, which says which bin holds the wanted rank; the `latencies` table, ordered by
// (day, bin, start time), then gives the values of that one bin in the time range.

#include "core/store/filter.h"
#include "core/store/records.h"
#include "core/store/sqlite.h"

#include <array>
#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace winnow {

class Database;

// 64 bins per doubling (about 1.1% wide) from 1 ms; bin 0 holds everything under 1 ms, the last
// bin everything from about 4.3 billion ms up.
constexpr int latencyBinCount = 2050;
int latencyBin(double ms);

// Interactions without a start time are counted under this bucket, which no time range contains.
constexpr std::int64_t noStartBucket = INT64_MIN;

// The outcomes that count as success, the one list of them.
bool isSuccessOutcome(std::string_view outcome);
// The same list as an SQL expression over the column `column`.
std::string successOutcomeSql(const std::string& column);

// `ms` rounded down to a multiple of `width`; a time too close to the smallest integer for that
// (no real log has one) saturates at noStartBucket instead of overflowing.
inline std::int64_t floorToMultiple(std::int64_t ms, std::int64_t width)
{
    __int128 quotient = ms / width;
    if (ms % width < 0)
        --quotient;
    const __int128 floored = quotient * width;
    return floored < INT64_MIN ? INT64_MIN : static_cast<std::int64_t>(floored);
}
// a + b, held at the ends of the integer range.
inline std::int64_t saturatingAdd(std::int64_t a, std::int64_t b)
{
    const __int128 sum = static_cast<__int128>(a) + b;
    return sum > INT64_MAX ? INT64_MAX : sum < INT64_MIN ? INT64_MIN : static_cast<std::int64_t>(sum);
}

enum class RollupGranularity { Hour = 0, Day = 1 };
std::int64_t rollupBucket(std::int64_t ms, RollupGranularity granularity);

// An interaction's value of each dimension, "" when it has none.
struct RollupDimensions
{
    std::array<std::string, dimensionCount> values;
    const std::string& operator[](Dimension d) const { return values[static_cast<size_t>(d)]; }
    std::string& operator[](Dimension d) { return values[static_cast<size_t>(d)]; }
};

constexpr std::uint8_t dimensionBit(Dimension d)
{
    return static_cast<std::uint8_t>(1u << static_cast<int>(d));
}
constexpr std::uint8_t allDimensions = (1u << dimensionCount) - 1;

// Which dimensions a level's combinations fix, and the signal kind all its interactions have
// (-1: every interaction).
struct RollupLevel
{
    std::uint8_t fixed = allDimensions;
    int facet = -1;
    // As stored in rollups.level and rollup_dimensions.level.
    int code() const { return fixed | ((facet + 1) << dimensionCount); }
    bool fixes(Dimension d) const { return (fixed & dimensionBit(d)) != 0; }
    static RollupLevel fromCode(int code);
};

// Every level the writer keeps, the full combinations first.
const std::vector<RollupLevel>& rollupLevels();
// The cheapest level that fixes every dimension in `needed` and has the facet (-1 for none); none
// when no level does (the query then reads the interactions).
std::optional<RollupLevel> levelFor(std::uint8_t needed, int facet);

// Counts and sums of a set of interactions.
struct RollupCounts
{
    std::int64_t interactions = 0;
    std::int64_t success = 0;
    std::int64_t thumbsDown = 0;
    std::int64_t signals[signalKindCount] = {};
    std::int64_t latencyCount = 0;
    std::int64_t inputTokens = 0;
    std::int64_t outputTokens = 0;
    double costUsd = 0;
    std::int64_t priced = 0;        // interactions with a cost, logged or estimated
    std::int64_t costEstimated = 0; // of those, estimated from the price table
    std::int64_t guardrail = 0;     // interactions a guardrail rule hit
    void add(const RollupCounts& other);
};

// What the rollups need of one interaction.
struct RollupFacts
{
    std::int64_t interactionId = 0;
    std::optional<std::int64_t> startMs;
    RollupDimensions dimensions;
    bool success = false;
    bool thumbsDown = false;
    std::int64_t signalMask = 0;
    std::optional<double> latencyMs;
    std::int64_t inputTokens = 0;
    std::int64_t outputTokens = 0;
    double costUsd = 0;
    bool priced = false;
    bool costEstimated = false;
    bool guardrail = false;    // a rule of the applied version hit it
    std::vector<Score> scores; // the last of each name, as the store keeps them

    static RollupFacts of(const Interaction& interaction, std::int64_t signalMask);
};

// A histogram as (bin, count) entries in bin order; counts may be negative in a delta.
using HistogramEntries = std::vector<std::pair<int, std::int64_t>>;
// Appends the entries of an encoded histogram; false when the bytes are malformed.
bool decodeHistogram(std::string_view bytes, HistogramEntries& entries);

// Totals to add to (or, with sign -1, take from) the rollups: built from interactions on any
// thread (the ingest parser builds one per batch, off the writer's thread), then merged into the
// writer's pending totals.
class RollupDelta
{
public:
    RollupDelta();
    ~RollupDelta();
    RollupDelta(RollupDelta&&) noexcept;
    RollupDelta& operator=(RollupDelta&&) noexcept;

    void add(const RollupFacts& facts, int sign = 1);
    void merge(const RollupDelta& other);
    // Adds up each cell's histogram entries (on the thread that built the delta, so the writer
    // merges short lists).
    void compact();
    bool empty() const;
    void clear();

    // One cell: the totals of a level's combination in one bucket.
    struct Cell
    {
        RollupGranularity granularity;
        std::int64_t bucketMs;
        int combination; // index into combinations()
        RollupCounts counts;
        HistogramEntries histogram; // unsorted, one entry per latency added
        std::vector<std::pair<std::string, std::pair<double, std::int64_t>>> scores; // name → (sum, n)
        bool subtracts = false; // something was taken away: rows may have fallen to zero
    };
    struct Combination
    {
        RollupLevel level;
        RollupDimensions values; // "" for the dimensions the level does not fix
    };
    const std::vector<Cell>& cells() const;
    const std::vector<Combination>& combinations() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// What rollup_dimensions and rollup_metrics hold, read once per query.
struct RollupCatalog
{
    struct Combination
    {
        RollupLevel level;
        RollupDimensions values;
    };
    std::unordered_map<std::int64_t, Combination> combinations;
    // What each metric id is.
    enum class MetricKind { Count, Signal, Cost, Histogram, ScoreSum, ScoreCount, Other };
    struct Metric
    {
        MetricKind kind = MetricKind::Other;
        int index = 0; // the count (RollupCountField), the signal kind, or the score name's index
    };
    std::unordered_map<std::int64_t, Metric> metrics;
    std::vector<std::string> scoreNames;

    static RollupCatalog read(Database& database);
};

// One cell as read back.
struct RollupCell
{
    std::int64_t bucketMs = 0;
    std::int64_t dimensionsId = 0;
    RollupCounts counts; // latencyCount from the histogram
    HistogramEntries histogram;
    std::vector<std::pair<int, std::pair<double, std::int64_t>>> scores; // score name index → (sum, n)
};

// The cells of one level with fromBucket <= bucket < toBucket, in bucket order.
void readRollupCells(Database& database, const RollupCatalog& catalog, RollupGranularity granularity,
                     RollupLevel level, std::int64_t fromBucket, std::int64_t toBucket,
                     const std::function<void(const RollupCell&)>& cell);
// The latencies in one bin of interactions with fromMs <= start < toMs (interactions without a
// start time have start noStartBucket), with their full combination and, when asked for, their
// signal mask (0 otherwise: not reading it is measurably cheaper at 10M). The days looked in are
// those that hold latencies, found by seeking, so a time range of any width costs what its data
// costs.
enum class WithSignalMask : bool { No, Yes };
void readLatencyBin(Database& database, int bin, std::int64_t fromMs, std::int64_t toMs,
                    WithSignalMask withMask,
                    const std::function<void(std::int64_t dimensionsId, std::int64_t startMs,
                                             std::int64_t signalMask, double latencyMs)>& value);
// The facts of stored interactions with fromMs <= start < toMs, or of all of them in id order.
void readInteractionFacts(Database& database, std::optional<std::pair<std::int64_t, std::int64_t>> range,
                          const std::function<void(const RollupFacts&)>& interaction);

// The facts of one stored interaction (core/store: deletes and signal changes take them away).
std::optional<RollupFacts> readStoredFacts(sql::Connection& db, std::int64_t interactionId);

// Writing, on the writer's connection inside its transaction: merge()/add() what a transaction
// brings, flush() before the commit, discard() after a rollback.
class RollupWriter
{
public:
    explicit RollupWriter(sql::Connection& db);
    ~RollupWriter();
    RollupWriter(const RollupWriter&) = delete;
    RollupWriter& operator=(const RollupWriter&) = delete;

    void merge(const RollupDelta& delta);
    void add(const RollupFacts& facts, int sign);
    // The latency row of a stored interaction (written, taken away, or its signals changed).
    void insertLatency(const RollupFacts& facts);
    void deleteLatency(const RollupFacts& facts);
    void updateLatencyMask(const RollupFacts& facts, std::int64_t newMask);
    void flush();
    // Cells merged since the last flush: what a flush would write, about ten rows each.
    size_t pendingCells() const;
    void discard();
    // Recomputes every rollup and the latencies table from the interactions (repair).
    void rebuild();

private:
    struct Pending;
    std::int64_t dimensionsId(const RollupDelta::Combination& combination);
    std::int64_t metricId(const std::string& name);
    sql::Connection& m_db;
    std::unique_ptr<Pending> m_pending;
};

// Recomputes every rollup and the latencies table from the interactions, inside the caller's
// transaction (schema migration, repair).
void rebuildRollups(sql::Connection& db);

} // namespace winnow
