#pragma once
// Rollups: running totals per hour and per day for each combination of the dashboard dimensions
// (agent, agent version, model, intent, channel), written by the writer in the same transaction
// as the interactions they count, so a dashboard reads a few thousand small rows instead of every
// interaction.
//
// Latency percentiles stay exact: each rollup row carries a histogram of its latencies in narrow
// logarithmic bins, which says which bin holds the wanted rank; the `latencies` table, ordered by
// (day, bin, start time), then gives the values of that one bin in the time range, the smallest
// set of values that decides the percentile.

#include "core/store/records.h"
#include "core/store/row_inserter.h"
#include "core/store/sqlite.h"

#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace winnow {

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

struct RollupDimensions
{
    std::string agent, agentVersion, model, intent, channel; // "" when not present
    // The value of a filter field that is a rollup dimension, nullptr for other fields.
    const std::string* field(const std::string& name) const;
    static bool isDimension(const std::string& name);
};

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
    void add(const RollupCounts& other);
};

using DenseHistogram = std::vector<std::int64_t>; // latencyBinCount counts
// Appends an encoded histogram's (bin, count) entries, in bin order; false when the bytes are
// malformed.
bool decodeHistogram(std::string_view bytes, std::vector<std::pair<int, std::int64_t>>& bins);

enum class RollupGranularity { Hour, Day };
std::int64_t rollupBucket(std::int64_t ms, RollupGranularity granularity);

struct RollupRow
{
    std::int64_t bucketMs = 0;
    std::int64_t dimensionsId = 0;
    RollupCounts counts;
    std::string_view histogram; // valid during the callback only
};

// Reading, on any connection. hasRollups() is false for stores older than schema 3.
bool hasRollups(sql::Connection& db);
std::unordered_map<std::int64_t, RollupDimensions> readRollupDimensions(sql::Connection& db);
// Rows with fromBucket <= bucket < toBucket.
void readRollups(sql::Connection& db, RollupGranularity granularity, std::int64_t fromBucket,
                 std::int64_t toBucket, const std::function<void(const RollupRow&)>& row);
void readRollupScores(sql::Connection& db, RollupGranularity granularity, std::int64_t fromBucket,
                      std::int64_t toBucket,
                      const std::function<void(std::int64_t bucketMs, std::int64_t dimensionsId,
                                               std::string_view name, double total, std::int64_t n)>& row);
// The latencies in one bin of interactions with fromMs <= start < toMs (interactions without a start
// time have start noStartBucket).
void readLatencyBin(
    sql::Connection& db, int bin, std::int64_t fromMs, std::int64_t toMs,
    const std::function<void(std::int64_t dimensionsId, std::int64_t startMs, double latencyMs)>& value);

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
};

// The facts and scores of stored interactions: all of them in id order, or those with
// fromMs <= start < toMs.
void readInteractionFacts(
    sql::Connection& db, std::optional<std::pair<std::int64_t, std::int64_t>> range,
    const std::function<void(const RollupFacts&, const std::vector<Score>&)>& interaction);
// A key that tells dimension combinations apart, the same for equal combinations.
std::string dimensionsKey(const RollupDimensions& dimensions);

// Writing, on the writer's connection inside its transaction: add() what a batch brings, then
// flush() before the commit.
class RollupWriter
{
public:
    explicit RollupWriter(sql::Connection& db);
    ~RollupWriter();
    RollupWriter(const RollupWriter&) = delete;
    RollupWriter& operator=(const RollupWriter&) = delete;

    void add(std::int64_t interactionId, const Interaction& interaction, std::int64_t signalMask);
    void add(const RollupFacts& facts, const std::vector<Score>& scores);
    // An interaction's signals changed from its stored mask to newMask.
    void changeSignalMask(std::int64_t interactionId, std::int64_t newMask);
    void flush();
    // Recomputes every rollup from the interactions (schema migration, repair).
    void rebuild();

private:
    struct Pending;
    std::int64_t dimensionsId(std::string_view agent, std::string_view agentVersion, std::string_view model,
                              std::string_view intent, std::string_view channel);
    void addCounts(const RollupFacts& facts, std::int64_t dimensionsId, const std::vector<Score>& scores);
    sql::Connection& m_db;
    std::unique_ptr<Pending> m_pending;
};

} // namespace winnow
