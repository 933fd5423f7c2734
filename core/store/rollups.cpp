#include "core/store/rollups.h"

#include "core/store/database.h"
#include "core/store/row_inserter.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace winnow {

namespace {

constexpr std::array<std::string_view, 4> successOutcomes = {"resolved", "success", "succeeded", "completed"};

// The counts a cell keeps as whole numbers, by index (RollupCatalog::Metric::index).
enum CountField {
    CountInteractions,
    CountSuccess,
    CountThumbsDown,
    CountInputTokens,
    CountOutputTokens,
    CountPriced,
    CountCostEstimated,
    CountGuardrail
};
constexpr std::array<const char*, 8> countNames = {"interactions",   "success",       "thumbs_down",
                                                   "input_tokens",   "output_tokens", "priced",
                                                   "cost_estimated", "guardrail"};
constexpr const char* costName = "cost_usd";
constexpr const char* histogramName = "latency_histogram";
constexpr const char* signalPrefix = "signal.";
constexpr const char* scoreSumPrefix = "score.sum:";
constexpr const char* scoreCountPrefix = "score.count:";

std::int64_t countOf(const RollupCounts& c, int field)
{
    switch (field) {
    case CountInteractions:
        return c.interactions;
    case CountSuccess:
        return c.success;
    case CountThumbsDown:
        return c.thumbsDown;
    case CountInputTokens:
        return c.inputTokens;
    case CountPriced:
        return c.priced;
    case CountCostEstimated:
        return c.costEstimated;
    case CountOutputTokens:
        return c.outputTokens;
    case CountGuardrail:
        return c.guardrail;
    }
    return 0;
}

std::int64_t& countRef(RollupCounts& c, int field)
{
    switch (field) {
    case CountSuccess:
        return c.success;
    case CountThumbsDown:
        return c.thumbsDown;
    case CountInputTokens:
        return c.inputTokens;
    case CountOutputTokens:
        return c.outputTokens;
    case CountPriced:
        return c.priced;
    case CountCostEstimated:
        return c.costEstimated;
    case CountGuardrail:
        return c.guardrail;
    default:
        return c.interactions;
    }
}

void appendVarint(std::string& out, std::uint64_t value)
{
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

bool readVarint(std::string_view bytes, size_t& at, std::uint64_t& value)
{
    value = 0;
    for (int shift = 0; shift < 64 && at < bytes.size(); shift += 7) {
        const auto byte = static_cast<unsigned char>(bytes[at++]);
        value |= std::uint64_t(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

std::uint64_t zigzag(std::int64_t n)
{
    return (static_cast<std::uint64_t>(n) << 1) ^ static_cast<std::uint64_t>(n >> 63);
}

std::int64_t unzigzag(std::uint64_t n)
{
    return static_cast<std::int64_t>(n >> 1) ^ -static_cast<std::int64_t>(n & 1);
}

// A histogram is encoded as (bin - previous bin, zigzag count) varint pairs in ascending bin order;
// entries with a zero count are left out.
void encodeHistogram(const HistogramEntries& entries, std::string& bytes)
{
    bytes.clear();
    int previous = 0;
    for (const auto& [bin, count] : entries) {
        if (count == 0)
            continue;
        appendVarint(bytes, static_cast<std::uint64_t>(bin - previous));
        appendVarint(bytes, zigzag(count));
        previous = bin;
    }
}

// Adds up the entries of each bin and orders them by bin, in one pass over a dense tally (the
// entries of a busy cell number in the thousands: sorting them was a third of the writer's time).
void combine(HistogramEntries& entries)
{
    thread_local std::vector<std::int64_t> tally(latencyBinCount, 0);
    thread_local std::vector<int> touched;
    touched.clear();
    // A bin that goes back to zero and up again is listed twice: the sort below makes it once.
    for (const auto& [bin, count] : entries) {
        if (tally[static_cast<size_t>(bin)] == 0)
            touched.push_back(bin);
        tally[static_cast<size_t>(bin)] += count;
    }
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    entries.clear();
    for (int bin : touched) {
        std::int64_t& count = tally[static_cast<size_t>(bin)];
        if (count != 0)
            entries.emplace_back(bin, count);
        count = 0;
    }
}

// SQL: winnow_add_histograms(a, b), the histogram of both; the writer's upserts call it for every
// histogram row a commit touches, so it merges in place without allocating.
void addHistogramsFunction(sqlite3_context* context, int, sqlite3_value** values)
{
    thread_local HistogramEntries a, b, sum;
    thread_local std::string bytes;
    a.clear();
    b.clear();
    HistogramEntries* inputs[2] = {&a, &b};
    for (int i = 0; i < 2; ++i) {
        const auto* data = static_cast<const char*>(sqlite3_value_blob(values[i]));
        const std::string_view blob(data ? data : "", static_cast<size_t>(sqlite3_value_bytes(values[i])));
        if (!decodeHistogram(blob, *inputs[i])) {
            sqlite3_result_error(context, "malformed latency histogram", -1);
            return;
        }
    }
    sum.clear();
    size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        if (j == b.size() || (i < a.size() && a[i].first < b[j].first))
            sum.push_back(a[i++]);
        else if (i == a.size() || b[j].first < a[i].first)
            sum.push_back(b[j++]);
        else {
            sum.emplace_back(a[i].first, a[i].second + b[j].second);
            ++i;
            ++j;
        }
    }
    encodeHistogram(sum, bytes);
    sqlite3_result_blob(context, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
}

void registerFunctions(sql::Connection& db)
{
    const int rc = sqlite3_create_function_v2(db.handle(), "winnow_add_histograms", 2,
                                              SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                              addHistogramsFunction, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
        throw sql::Error("cannot register winnow_add_histograms", rc);
}

// Length-prefixed values: equal for equal combinations, different otherwise.
void appendKey(std::string& key, std::string_view value)
{
    key += std::to_string(value.size());
    key += ':';
    key += value;
}

std::string combinationKey(RollupLevel level, const RollupDimensions& values)
{
    std::string key = std::to_string(level.code());
    key += '|';
    for (int d = 0; d < dimensionCount; ++d)
        if (level.fixes(static_cast<Dimension>(d)))
            appendKey(key, values.values[static_cast<size_t>(d)]);
    return key;
}

struct TransparentHash
{
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
};

} // namespace

bool decodeHistogram(std::string_view bytes, HistogramEntries& entries)
{
    size_t at = 0;
    std::uint64_t bin = 0;
    while (at < bytes.size()) {
        std::uint64_t delta = 0, count = 0;
        if (!readVarint(bytes, at, delta) || !readVarint(bytes, at, count))
            return false;
        bin += delta;
        if (bin >= static_cast<std::uint64_t>(latencyBinCount))
            return false;
        entries.emplace_back(static_cast<int>(bin), unzigzag(count));
    }
    return true;
}

int latencyBin(double ms)
{
    if (!(ms >= 1)) // also NaN
        return 0;
    const double bin = 1 + std::floor(64 * std::log2(ms));
    return bin >= latencyBinCount - 1 ? latencyBinCount - 1 : static_cast<int>(bin);
}

bool isSuccessOutcome(std::string_view outcome)
{
    return std::find(successOutcomes.begin(), successOutcomes.end(), outcome) != successOutcomes.end();
}

std::string successOutcomeSql(const std::string& column)
{
    std::string sql = column + " IN (";
    for (size_t i = 0; i < successOutcomes.size(); ++i)
        sql += (i ? ", '" : "'") + std::string(successOutcomes[i]) + "'"; // sql-constant: compiled-in outcomes
    return sql + ")";
}

std::int64_t rollupBucket(std::int64_t ms, RollupGranularity granularity)
{
    return floorToMultiple(ms, granularity == RollupGranularity::Hour ? 3'600'000 : 86'400'000);
}

RollupLevel RollupLevel::fromCode(int code)
{
    return {static_cast<std::uint8_t>(code & allDimensions), (code >> dimensionCount) - 1};
}

const std::vector<RollupLevel>& rollupLevels()
{
    static const std::vector<RollupLevel> levels = [] {
        const std::uint8_t agent = dimensionBit(Dimension::Agent);
        const std::uint8_t agentVersion = agent | dimensionBit(Dimension::AgentVersion);
        // No level of the agent alone: an agent runs one or two versions at a time, so its
        // totals are (nearly) those of agent and version, which answer for it.
        std::vector<RollupLevel> result = {
            {allDimensions, -1},
            {0, -1},
            {agentVersion, -1},
            {dimensionBit(Dimension::Model), -1},
            {dimensionBit(Dimension::Intent), -1},
            {dimensionBit(Dimension::Channel), -1},
        };
        for (int kind = 0; kind < signalKindCount; ++kind)
            for (std::uint8_t fixed : {std::uint8_t(0), agentVersion})
                result.push_back({fixed, kind});
        return result;
    }();
    return levels;
}

std::optional<RollupLevel> levelFor(std::uint8_t needed, int facet)
{
    // Cheapest first: fewer fixed dimensions, then dimensions with fewer values.
    static const std::uint8_t preference[] = {
        0,
        dimensionBit(Dimension::Agent) | dimensionBit(Dimension::AgentVersion),
        dimensionBit(Dimension::Channel),
        dimensionBit(Dimension::Model),
        dimensionBit(Dimension::Intent),
        allDimensions,
    };
    for (std::uint8_t fixed : preference) {
        if ((fixed & needed) != needed)
            continue;
        for (const RollupLevel& level : rollupLevels())
            if (level.fixed == fixed && level.facet == facet)
                return level;
    }
    return std::nullopt;
}

void RollupCounts::add(const RollupCounts& o)
{
    interactions += o.interactions;
    success += o.success;
    thumbsDown += o.thumbsDown;
    for (int k = 0; k < signalKindCount; ++k)
        signals[k] += o.signals[k];
    latencyCount += o.latencyCount;
    inputTokens += o.inputTokens;
    outputTokens += o.outputTokens;
    costUsd += o.costUsd;
    priced += o.priced;
    costEstimated += o.costEstimated;
    guardrail += o.guardrail;
}

RollupFacts RollupFacts::of(const Interaction& in, std::int64_t signalMask)
{
    RollupFacts facts;
    facts.startMs = in.startMs;
    facts.dimensions[Dimension::Agent] = in.agent;
    facts.dimensions[Dimension::AgentVersion] = in.agentVersion;
    facts.dimensions[Dimension::Model] = in.model;
    facts.dimensions[Dimension::Intent] = in.intent;
    facts.dimensions[Dimension::Channel] = in.channel;
    facts.success = isSuccessOutcome(in.outcome);
    facts.thumbsDown = in.thumb && *in.thumb < 0;
    facts.signalMask = signalMask;
    facts.latencyMs = in.latencyMs;
    facts.inputTokens = in.inputTokens.value_or(0);
    facts.outputTokens = in.outputTokens.value_or(0);
    facts.costUsd = in.costUsd.value_or(0);
    facts.priced = in.costUsd.has_value();
    facts.costEstimated = in.costUsd && in.costEstimated;
    facts.guardrail = !in.ruleHits.empty();
    // The store keeps the last score of a name; so do the rollups.
    for (size_t i = 0; i < in.scores.size(); ++i) {
        const bool replacedLater =
            std::any_of(in.scores.begin() + static_cast<std::ptrdiff_t>(i) + 1, in.scores.end(),
                        [&](const Score& s) { return s.name == in.scores[i].name; });
        if (!replacedLater)
            facts.scores.push_back(in.scores[i]);
    }
    return facts;
}

// --- RollupDelta ---------------------------------------------------------------------------------

struct RollupDelta::State
{
    struct CellKey
    {
        int granularity;
        int combination;
        std::int64_t bucket;
        bool operator==(const CellKey&) const = default;
    };
    struct CellKeyHash
    {
        size_t operator()(const CellKey& k) const
        {
            return std::hash<std::int64_t>()(k.bucket) * 31 + static_cast<size_t>(k.combination) * 2 +
                   static_cast<size_t>(k.granularity);
        }
    };
    // An interaction's full combination, with the combination it falls in at each level and the
    // cell it last went to there (interactions arrive in time order: mostly the same cell).
    struct Full
    {
        std::vector<int> combinationAt;                                    // per level, -1 until needed
        std::vector<std::array<std::pair<std::int64_t, int>, 2>> lastCell; // per level and granularity
    };

    std::vector<Combination> combinations;
    std::unordered_map<std::string, int, TransparentHash, std::equal_to<>> combinationIndex;
    std::unordered_map<std::string, int, TransparentHash, std::equal_to<>> fullIndex;
    std::vector<Full> full;
    std::vector<Cell> cells;
    std::unordered_map<CellKey, int, CellKeyHash> cellIndex;
    std::string keyBuffer;

    int internCombination(RollupLevel level, const RollupDimensions& values)
    {
        std::string key = combinationKey(level, values);
        const auto found = combinationIndex.find(key);
        if (found != combinationIndex.end())
            return found->second;
        Combination combination{level, {}};
        for (int d = 0; d < dimensionCount; ++d)
            if (level.fixes(static_cast<Dimension>(d)))
                combination.values.values[static_cast<size_t>(d)] = values.values[static_cast<size_t>(d)];
        combinations.push_back(std::move(combination));
        const int index = static_cast<int>(combinations.size()) - 1;
        combinationIndex.emplace(std::move(key), index);
        return index;
    }

    int cellFor(RollupGranularity granularity, int combination, std::int64_t bucket)
    {
        const CellKey key{static_cast<int>(granularity), combination, bucket};
        const auto found = cellIndex.find(key);
        if (found != cellIndex.end())
            return found->second;
        cells.push_back(Cell{granularity, bucket, combination, {}, {}, {}, false});
        const int index = static_cast<int>(cells.size()) - 1;
        cellIndex.emplace(key, index);
        return index;
    }
};

RollupDelta::RollupDelta() : m_state(std::make_unique<State>()) {}
RollupDelta::~RollupDelta() = default;
RollupDelta::RollupDelta(RollupDelta&&) noexcept = default;
RollupDelta& RollupDelta::operator=(RollupDelta&&) noexcept = default;

namespace {
void addToCell(RollupDelta::Cell& cell, const RollupFacts& facts, int sign)
{
    RollupCounts& c = cell.counts;
    c.interactions += sign;
    c.success += facts.success ? sign : 0;
    c.thumbsDown += facts.thumbsDown ? sign : 0;
    for (int k = 0; k < signalKindCount; ++k)
        if ((facts.signalMask >> k) & 1)
            c.signals[k] += sign;
    c.inputTokens += sign * facts.inputTokens;
    c.outputTokens += sign * facts.outputTokens;
    c.costUsd += sign * facts.costUsd;
    c.priced += facts.priced ? sign : 0;
    c.costEstimated += facts.costEstimated ? sign : 0;
    c.guardrail += facts.guardrail ? sign : 0;
    if (facts.latencyMs) {
        c.latencyCount += sign;
        cell.histogram.emplace_back(latencyBin(*facts.latencyMs), sign);
    }
    for (const Score& score : facts.scores) {
        auto it = std::find_if(cell.scores.begin(), cell.scores.end(),
                               [&](const auto& entry) { return entry.first == score.name; });
        if (it == cell.scores.end()) {
            cell.scores.push_back({score.name, {0.0, 0}});
            it = cell.scores.end() - 1;
        }
        it->second.first += sign * score.value;
        it->second.second += sign;
    }
    if (sign < 0)
        cell.subtracts = true;
}
} // namespace

void RollupDelta::add(const RollupFacts& facts, int sign)
{
    State& s = *m_state;
    std::string& key = s.keyBuffer;
    key.clear();
    for (const std::string& value : facts.dimensions.values)
        appendKey(key, value);
    auto found = s.fullIndex.find(std::string_view(key));
    if (found == s.fullIndex.end()) {
        const size_t levels = rollupLevels().size();
        State::Full entry;
        entry.combinationAt.assign(levels, -1);
        entry.lastCell.assign(levels,
                              {std::pair<std::int64_t, int>{0, -1}, std::pair<std::int64_t, int>{0, -1}});
        s.full.push_back(std::move(entry));
        found = s.fullIndex.emplace(key, static_cast<int>(s.full.size()) - 1).first;
    }
    const int fullIndex = found->second;
    const std::int64_t buckets[2] = {
        facts.startMs ? rollupBucket(*facts.startMs, RollupGranularity::Hour) : noStartBucket,
        facts.startMs ? rollupBucket(*facts.startMs, RollupGranularity::Day) : noStartBucket};
    const std::vector<RollupLevel>& levels = rollupLevels();
    for (size_t li = 0; li < levels.size(); ++li) {
        const RollupLevel& level = levels[li];
        if (level.facet >= 0 && !((facts.signalMask >> level.facet) & 1))
            continue;
        int combination = s.full[static_cast<size_t>(fullIndex)].combinationAt[li];
        if (combination < 0) {
            combination = s.internCombination(level, facts.dimensions);
            s.full[static_cast<size_t>(fullIndex)].combinationAt[li] = combination;
        }
        for (int g = 0; g < 2; ++g) {
            auto& last = s.full[static_cast<size_t>(fullIndex)].lastCell[li][static_cast<size_t>(g)];
            if (last.second < 0 || last.first != buckets[g]) {
                last = {buckets[g], s.cellFor(static_cast<RollupGranularity>(g), combination, buckets[g])};
            }
            addToCell(s.cells[static_cast<size_t>(last.second)], facts, sign);
        }
    }
}

void RollupDelta::merge(const RollupDelta& other)
{
    State& s = *m_state;
    const State& o = *other.m_state;
    std::vector<int> mapped(o.combinations.size(), -1);
    for (const Cell& cell : o.cells) {
        int& combination = mapped[static_cast<size_t>(cell.combination)];
        if (combination < 0) {
            const Combination& c = o.combinations[static_cast<size_t>(cell.combination)];
            combination = s.internCombination(c.level, c.values);
        }
        Cell& into = s.cells[static_cast<size_t>(s.cellFor(cell.granularity, combination, cell.bucketMs))];
        into.counts.add(cell.counts);
        into.histogram.insert(into.histogram.end(), cell.histogram.begin(), cell.histogram.end());
        if (into.histogram.size() > 4 * 1024)
            combine(into.histogram); // bounded, however many batches a cell gathers
        for (const auto& [scoreName, total] : cell.scores) {
            const std::string& name = scoreName; // a variable, so that the lambda can capture it
            auto it = std::find_if(into.scores.begin(), into.scores.end(),
                                   [&](const auto& entry) { return entry.first == name; });
            if (it == into.scores.end())
                into.scores.push_back({name, total});
            else {
                it->second.first += total.first;
                it->second.second += total.second;
            }
        }
        into.subtracts = into.subtracts || cell.subtracts;
    }
}

bool RollupDelta::empty() const
{
    return m_state->cells.empty();
}

void RollupDelta::compact()
{
    for (Cell& cell : m_state->cells)
        combine(cell.histogram);
}

void RollupDelta::clear()
{
    m_state = std::make_unique<State>();
}

const std::vector<RollupDelta::Cell>& RollupDelta::cells() const
{
    return m_state->cells;
}

const std::vector<RollupDelta::Combination>& RollupDelta::combinations() const
{
    return m_state->combinations;
}

// --- Reading -------------------------------------------------------------------------------------

RollupCatalog RollupCatalog::read(Database& database)
{
    sql::Connection& db = database.connection();
    RollupCatalog catalog;
    sql::Statement combinations(
        db, "SELECT id, level, agent, agent_version, model, intent, channel FROM rollup_dimensions");
    while (combinations.step()) {
        Combination combination;
        combination.level = RollupLevel::fromCode(static_cast<int>(combinations.int64(1)));
        for (int d = 0; d < dimensionCount; ++d)
            combination.values.values[static_cast<size_t>(d)] = combinations.text(2 + d);
        catalog.combinations.emplace(combinations.int64(0), std::move(combination));
    }
    sql::Statement metrics(db, "SELECT id, name FROM rollup_metrics");
    while (metrics.step()) {
        const std::string_view name = metrics.textView(1);
        Metric metric;
        if (name == costName) {
            metric.kind = MetricKind::Cost;
        } else if (name == histogramName) {
            metric.kind = MetricKind::Histogram;
        } else if (name.rfind(signalPrefix, 0) == 0) {
            SignalKind kind;
            if (parseSignalKind(name.substr(std::string_view(signalPrefix).size()), kind)) {
                metric.kind = MetricKind::Signal;
                metric.index = static_cast<int>(kind);
            }
        } else if (name.rfind(scoreSumPrefix, 0) == 0 || name.rfind(scoreCountPrefix, 0) == 0) {
            const bool sum = name.rfind(scoreSumPrefix, 0) == 0;
            const std::string scoreName(
                name.substr(std::string_view(sum ? scoreSumPrefix : scoreCountPrefix).size()));
            auto it = std::find(catalog.scoreNames.begin(), catalog.scoreNames.end(), scoreName);
            if (it == catalog.scoreNames.end()) {
                catalog.scoreNames.push_back(scoreName);
                it = catalog.scoreNames.end() - 1;
            }
            metric.kind = sum ? MetricKind::ScoreSum : MetricKind::ScoreCount;
            metric.index = static_cast<int>(it - catalog.scoreNames.begin());
        } else {
            for (size_t i = 0; i < countNames.size(); ++i)
                if (name == countNames[i]) {
                    metric.kind = MetricKind::Count;
                    metric.index = static_cast<int>(i);
                }
        }
        catalog.metrics.emplace(metrics.int64(0), metric);
    }
    return catalog;
}

void readRollupCells(Database& database, const RollupCatalog& catalog, RollupGranularity granularity,
                     RollupLevel level, std::int64_t fromBucket, std::int64_t toBucket,
                     const std::function<void(const RollupCell&)>& visit)
{
    sql::Statement select(
        database.connection(),
        "SELECT bucket_ms, dimensions_id, metric_id, value FROM rollups WHERE granularity = ?1 "
        "AND level = ?2 AND bucket_ms >= ?3 AND bucket_ms < ?4");
    select.bind(1, static_cast<int>(granularity)).bind(2, level.code()).bind(3, fromBucket).bind(4, toBucket);
    RollupCell cell;
    bool open = false;
    auto finish = [&] {
        if (open && cell.counts.interactions != 0)
            visit(cell);
        cell = RollupCell();
        open = false;
    };
    while (select.step()) {
        const std::int64_t bucket = select.int64(0), dimensions = select.int64(1);
        if (open && (bucket != cell.bucketMs || dimensions != cell.dimensionsId))
            finish();
        if (!open) {
            cell.bucketMs = bucket;
            cell.dimensionsId = dimensions;
            open = true;
        }
        const auto metric = catalog.metrics.find(select.int64(2));
        if (metric == catalog.metrics.end())
            continue;
        switch (metric->second.kind) {
        case RollupCatalog::MetricKind::Count:
            countRef(cell.counts, metric->second.index) += select.int64(3);
            break;
        case RollupCatalog::MetricKind::Signal:
            cell.counts.signals[metric->second.index] += select.int64(3);
            break;
        case RollupCatalog::MetricKind::Cost:
            cell.counts.costUsd += select.real(3);
            break;
        case RollupCatalog::MetricKind::Histogram: {
            const size_t first = cell.histogram.size();
            const auto* blob = static_cast<const char*>(sqlite3_column_blob(select.handle(), 3));
            const std::string_view bytes(blob ? blob : "",
                                         static_cast<size_t>(sqlite3_column_bytes(select.handle(), 3)));
            if (!decodeHistogram(bytes, cell.histogram))
                throw Failure(
                    "a rollup's latency histogram is damaged; run `winnow metrics --rebuild-rollups`");
            for (size_t i = first; i < cell.histogram.size(); ++i)
                cell.counts.latencyCount += cell.histogram[i].second;
            break;
        }
        case RollupCatalog::MetricKind::ScoreSum:
        case RollupCatalog::MetricKind::ScoreCount: {
            auto it = std::find_if(cell.scores.begin(), cell.scores.end(),
                                   [&](const auto& entry) { return entry.first == metric->second.index; });
            if (it == cell.scores.end()) {
                cell.scores.push_back({metric->second.index, {0.0, 0}});
                it = cell.scores.end() - 1;
            }
            if (metric->second.kind == RollupCatalog::MetricKind::ScoreSum)
                it->second.first += select.real(3);
            else
                it->second.second += select.int64(3);
            break;
        }
        case RollupCatalog::MetricKind::Other:
            break;
        }
    }
    finish();
}

namespace {
std::vector<std::int64_t> latencyDays(sql::Connection& db, std::int64_t fromMs, std::int64_t toMs)
{
    // One seek per day that holds latencies: bounded by the data, whatever the range says.
    std::vector<std::int64_t> days;
    sql::Statement next(db, "SELECT day_ms FROM latencies WHERE day_ms >= ?1 ORDER BY day_ms LIMIT 1");
    std::int64_t from =
        fromMs == noStartBucket ? noStartBucket : rollupBucket(fromMs, RollupGranularity::Day);
    while (true) {
        next.bind(1, from);
        if (!next.step()) {
            next.reset();
            break;
        }
        const std::int64_t day = next.int64(0);
        next.reset();
        if (day >= toMs)
            break;
        days.push_back(day);
        if (day == INT64_MAX)
            break;
        from = day + 1;
    }
    return days;
}
} // namespace

void readLatencyBin(Database& database, int bin, std::int64_t fromMs, std::int64_t toMs,
                    WithSignalMask withMask,
                    const std::function<void(std::int64_t, std::int64_t, std::int64_t, double)>& value)
{
    sql::Connection& db = database.connection();
    sql::Statement select(db, withMask == WithSignalMask::Yes
                                  ? "SELECT dimensions_id, start_ms, signal_mask, latency_ms FROM latencies "
                                    "WHERE day_ms = ?1 AND bin = ?2 AND start_ms >= ?3 AND start_ms < ?4"
                                  : "SELECT dimensions_id, start_ms, 0, latency_ms FROM latencies "
                                    "WHERE day_ms = ?1 AND bin = ?2 AND start_ms >= ?3 AND start_ms < ?4");
    for (std::int64_t day : latencyDays(db, fromMs, toMs)) {
        select.bind(1, day).bind(2, bin).bind(3, fromMs).bind(4, toMs);
        while (select.step())
            value(select.int64(0), select.int64(1), select.int64(2), select.real(3));
        select.reset();
    }
}

namespace {
constexpr const char* factColumns = "SELECT id, start_ms, agent, agent_version, model, intent, channel, ";

std::string factsSql(const char* rest)
{
    return std::string(factColumns) + successOutcomeSql("outcome") +
           ", coalesce(thumb, 0) < 0, signal_mask, latency_ms, coalesce(input_tokens, 0), "
           "coalesce(output_tokens, 0), coalesce(cost_usd, 0), cost_usd IS NOT NULL, "
           "coalesce(cost_estimated, 0), rule_hits > 0 "
           "FROM interactions " +
           rest;
}

void readFactsRow(const sql::Statement& s, RollupFacts& facts)
{
    facts.interactionId = s.int64(0);
    facts.startMs = s.optionalInt64(1);
    for (int d = 0; d < dimensionCount; ++d)
        facts.dimensions.values[static_cast<size_t>(d)] = s.text(2 + d);
    facts.success = s.int64(7) != 0;
    facts.thumbsDown = s.int64(8) != 0;
    facts.signalMask = s.int64(9);
    facts.latencyMs = s.optionalReal(10);
    facts.inputTokens = s.int64(11);
    facts.outputTokens = s.int64(12);
    facts.costUsd = s.real(13);
    facts.priced = s.int64(14) != 0;
    facts.costEstimated = s.int64(15) != 0;
    facts.guardrail = s.int64(16) != 0;
    facts.scores.clear();
}

// Every interaction in id order, with its scores merged in from one ordered pass over `scores`.
void readAllFacts(sql::Connection& db, const std::function<void(const RollupFacts&)>& visit)
{
    sql::Statement interactions(db, factsSql("ORDER BY id"));
    sql::Statement scores(db, "SELECT interaction_id, name, value FROM scores ORDER BY interaction_id");
    bool scoresLeft = scores.step();
    RollupFacts facts;
    while (interactions.step()) {
        readFactsRow(interactions, facts);
        while (scoresLeft && scores.int64(0) < facts.interactionId)
            scoresLeft = scores.step();
        while (scoresLeft && scores.int64(0) == facts.interactionId) {
            facts.scores.push_back({scores.text(1), scores.real(2)});
            scoresLeft = scores.step();
        }
        visit(facts);
    }
}
} // namespace

void readInteractionFacts(Database& database, std::optional<std::pair<std::int64_t, std::int64_t>> range,
                          const std::function<void(const RollupFacts&)>& visit)
{
    sql::Connection& db = database.connection();
    if (!range) {
        readAllFacts(db, visit);
        return;
    }
    sql::Statement interactions(db, factsSql("WHERE start_ms >= ?1 AND start_ms < ?2"));
    interactions.bind(1, range->first).bind(2, range->second);
    sql::Statement scores(db, "SELECT name, value FROM scores WHERE interaction_id = ?1");
    RollupFacts facts;
    while (interactions.step()) {
        readFactsRow(interactions, facts);
        scores.bind(1, facts.interactionId);
        while (scores.step())
            facts.scores.push_back({scores.text(0), scores.real(1)});
        scores.reset();
        visit(facts);
    }
}

std::optional<RollupFacts> readStoredFacts(sql::Connection& db, std::int64_t interactionId)
{
    sql::Statement select(db, factsSql("WHERE id = ?1"));
    select.bind(1, interactionId);
    if (!select.step())
        return std::nullopt;
    RollupFacts facts;
    readFactsRow(select, facts);
    sql::Statement scores(db, "SELECT name, value FROM scores WHERE interaction_id = ?1");
    scores.bind(1, interactionId);
    while (scores.step())
        facts.scores.push_back({scores.text(0), scores.real(1)});
    return facts;
}

// --- Writing -------------------------------------------------------------------------------------

struct RollupWriter::Pending
{
    explicit Pending(sql::Connection& db)
        : upsert(
              db, "INSERT INTO rollups(granularity, level, bucket_ms, dimensions_id, metric_id, value)", 6,
              " ON CONFLICT(granularity, level, bucket_ms, dimensions_id, metric_id) DO UPDATE SET value = "
              "CASE WHEN typeof(excluded.value) = 'blob' THEN winnow_add_histograms(value, excluded.value) "
              "ELSE value + excluded.value END"),
          insertLatencies(
              db,
              "INSERT OR REPLACE INTO latencies(day_ms, bin, start_ms, interaction_id, dimensions_id, "
              "signal_mask, latency_ms)",
              7),
          deleteLatencyRow(db, "DELETE FROM latencies WHERE day_ms = ?1 AND bin = ?2 AND start_ms = ?3 "
                               "AND interaction_id = ?4"),
          updateLatencyMask(db, "UPDATE latencies SET signal_mask = ?5 WHERE day_ms = ?1 AND bin = ?2 "
                                "AND start_ms = ?3 AND interaction_id = ?4"),
          insertCombination(db, "INSERT INTO rollup_dimensions(level, agent, agent_version, model, intent, "
                                "channel) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"),
          insertMetric(db, "INSERT INTO rollup_metrics(name) VALUES(?1)"),
          pruneZeros(db, "DELETE FROM rollups WHERE granularity = ?1 AND level = ?2 AND bucket_ms = ?3 AND "
                         "dimensions_id = ?4 AND (value = 0 OR value = x'')")
    {
        sql::Statement combinations(
            db, "SELECT id, level, agent, agent_version, model, intent, channel FROM rollup_dimensions");
        while (combinations.step()) {
            RollupDimensions values;
            for (int d = 0; d < dimensionCount; ++d)
                values.values[static_cast<size_t>(d)] = combinations.text(2 + d);
            combinationIds[combinationKey(RollupLevel::fromCode(static_cast<int>(combinations.int64(1))),
                                          values)] = combinations.int64(0);
        }
        sql::Statement metrics(db, "SELECT id, name FROM rollup_metrics");
        while (metrics.step())
            metricIds[metrics.text(1)] = metrics.int64(0);
    }
    struct LatencyRow
    {
        std::int64_t dayMs;
        int bin;
        std::int64_t startMs;
        std::int64_t interactionId;
        std::int64_t dimensionsId;
        std::int64_t signalMask;
        double latencyMs;
    };
    struct Row
    {
        int granularity;
        int level;
        std::int64_t bucketMs;
        std::int64_t dimensionsId;
        std::int64_t metricId;
        enum class Type { Integer, Real, Blob } type;
        std::int64_t integer = 0;
        double real = 0;
        std::string blob;
        auto key() const { return std::tie(granularity, level, bucketMs, dimensionsId, metricId); }
    };
    RollupDelta delta;
    std::vector<LatencyRow> latencies;
    std::unordered_map<std::string, std::int64_t, TransparentHash, std::equal_to<>> combinationIds;
    std::unordered_map<std::string, std::int64_t, TransparentHash, std::equal_to<>> metricIds;
    RowInserter upsert;
    RowInserter insertLatencies;
    sql::Statement deleteLatencyRow, updateLatencyMask, insertCombination, insertMetric, pruneZeros;
    std::vector<Row> rows;
    std::string keyBuffer;
};

RollupWriter::RollupWriter(sql::Connection& db) : m_db(db)
{
    registerFunctions(db);
    m_pending = std::make_unique<Pending>(db);
}

RollupWriter::~RollupWriter() = default;

std::int64_t RollupWriter::dimensionsId(const RollupDelta::Combination& combination)
{
    const std::string key = combinationKey(combination.level, combination.values);
    const auto found = m_pending->combinationIds.find(key);
    if (found != m_pending->combinationIds.end())
        return found->second;
    auto& insert = m_pending->insertCombination;
    insert.bind(1, combination.level.code());
    for (int d = 0; d < dimensionCount; ++d)
        if (combination.level.fixes(static_cast<Dimension>(d)))
            insert.bindTextOrNull(2 + d, std::string_view(combination.values.values[static_cast<size_t>(d)]));
    insert.run();
    const std::int64_t id = m_db.lastInsertRowId();
    m_pending->combinationIds.emplace(key, id);
    return id;
}

std::int64_t RollupWriter::metricId(const std::string& name)
{
    const auto found = m_pending->metricIds.find(name);
    if (found != m_pending->metricIds.end())
        return found->second;
    m_pending->insertMetric.bind(1, name).run();
    const std::int64_t id = m_db.lastInsertRowId();
    m_pending->metricIds.emplace(name, id);
    return id;
}

void RollupWriter::merge(const RollupDelta& delta)
{
    m_pending->delta.merge(delta);
}

void RollupWriter::add(const RollupFacts& facts, int sign)
{
    m_pending->delta.add(facts, sign);
}

void RollupWriter::insertLatency(const RollupFacts& facts)
{
    if (!facts.latencyMs)
        return;
    const std::int64_t start = facts.startMs.value_or(noStartBucket);
    const std::int64_t day =
        facts.startMs ? rollupBucket(*facts.startMs, RollupGranularity::Day) : noStartBucket;
    const std::int64_t dimensions = dimensionsId({RollupLevel{}, facts.dimensions}); // the full combination
    m_pending->latencies.push_back({day, latencyBin(*facts.latencyMs), start, facts.interactionId, dimensions,
                                    facts.signalMask, *facts.latencyMs});
}

void RollupWriter::deleteLatency(const RollupFacts& facts)
{
    if (!facts.latencyMs)
        return;
    const std::int64_t day =
        facts.startMs ? rollupBucket(*facts.startMs, RollupGranularity::Day) : noStartBucket;
    m_pending->deleteLatencyRow.bind(1, day)
        .bind(2, latencyBin(*facts.latencyMs))
        .bind(3, facts.startMs.value_or(noStartBucket))
        .bind(4, facts.interactionId)
        .run();
}

void RollupWriter::updateLatencyMask(const RollupFacts& facts, std::int64_t newMask)
{
    if (!facts.latencyMs)
        return;
    const std::int64_t day =
        facts.startMs ? rollupBucket(*facts.startMs, RollupGranularity::Day) : noStartBucket;
    m_pending->updateLatencyMask.bind(1, day)
        .bind(2, latencyBin(*facts.latencyMs))
        .bind(3, facts.startMs.value_or(noStartBucket))
        .bind(4, facts.interactionId)
        .bind(5, newMask)
        .run();
}

void RollupWriter::flush()
{
    Pending& p = *m_pending;
    using Row = Pending::Row;
    p.rows.clear();
    std::vector<std::tuple<int, int, std::int64_t, std::int64_t>> prune;
    std::array<std::int64_t, countNames.size()> countIds{};
    for (size_t i = 0; i < countNames.size(); ++i)
        countIds[i] = metricId(countNames[i]);
    std::array<std::int64_t, signalKindCount> signalIds{};
    for (int k = 0; k < signalKindCount; ++k)
        signalIds[static_cast<size_t>(k)] =
            metricId(std::string(signalPrefix) + signalKindName(static_cast<SignalKind>(k)));
    const std::int64_t costId = metricId(costName);
    const std::int64_t histogramId = metricId(histogramName);
    const auto& combinations = p.delta.combinations();
    const auto& cells = p.delta.cells();
    std::vector<std::int64_t> combinationIds(combinations.size(), -1);
    // Cells in key order, so that the B-tree is walked once from left to right.
    struct Key
    {
        int granularity, level;
        std::int64_t bucket, dimensions;
        size_t cell;
        auto tie() const { return std::tie(granularity, level, bucket, dimensions); }
    };
    std::vector<Key> order;
    order.reserve(cells.size());
    for (size_t i = 0; i < cells.size(); ++i) {
        const RollupDelta::Cell& cell = cells[i];
        std::int64_t& dimensions = combinationIds[static_cast<size_t>(cell.combination)];
        if (dimensions < 0)
            dimensions = dimensionsId(combinations[static_cast<size_t>(cell.combination)]);
        order.push_back({static_cast<int>(cell.granularity),
                         combinations[static_cast<size_t>(cell.combination)].level.code(), cell.bucketMs,
                         dimensions, i});
    }
    std::sort(order.begin(), order.end(), [](const Key& a, const Key& b) { return a.tie() < b.tie(); });
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> scoreIds; // name → (sum id, count id)
    HistogramEntries entries;
    for (const Key& key : order) {
        const RollupDelta::Cell& cell = cells[key.cell];
        auto integer = [&](std::int64_t metric, std::int64_t value) {
            if (value != 0)
                p.rows.push_back({key.granularity, key.level, key.bucket, key.dimensions, metric,
                                  Row::Type::Integer, value});
        };
        for (size_t i = 0; i < countNames.size(); ++i)
            integer(countIds[i], countOf(cell.counts, static_cast<int>(i)));
        for (int k = 0; k < signalKindCount; ++k)
            integer(signalIds[static_cast<size_t>(k)], cell.counts.signals[k]);
        if (cell.counts.costUsd != 0)
            p.rows.push_back({key.granularity, key.level, key.bucket, key.dimensions, costId, Row::Type::Real,
                              0, cell.counts.costUsd});
        if (!cell.histogram.empty()) {
            entries = cell.histogram;
            combine(entries);
            Row row{key.granularity, key.level, key.bucket, key.dimensions, histogramId, Row::Type::Blob};
            encodeHistogram(entries, row.blob);
            if (!row.blob.empty())
                p.rows.push_back(std::move(row));
        }
        for (const auto& [name, total] : cell.scores) {
            auto ids = scoreIds.find(name);
            if (ids == scoreIds.end())
                ids = scoreIds
                          .emplace(name, std::pair(metricId(std::string(scoreSumPrefix) + name),
                                                   metricId(std::string(scoreCountPrefix) + name)))
                          .first;
            if (total.first != 0)
                p.rows.push_back({key.granularity, key.level, key.bucket, key.dimensions, ids->second.first,
                                  Row::Type::Real, 0, total.first});
            integer(ids->second.second, total.second);
        }
        if (cell.subtracts)
            prune.emplace_back(key.granularity, key.level, key.bucket, key.dimensions);
    }
    p.upsert.insert(p.rows, [](sql::Statement& st, int at, const Row& row) {
        st.bind(at, row.granularity).bind(at + 1, row.level).bind(at + 2, row.bucketMs);
        st.bind(at + 3, row.dimensionsId).bind(at + 4, row.metricId);
        switch (row.type) {
        case Row::Type::Integer:
            st.bind(at + 5, row.integer);
            break;
        case Row::Type::Real:
            st.bind(at + 5, row.real);
            break;
        case Row::Type::Blob:
            st.bindBlob(at + 5, row.blob);
            break;
        }
    });
    for (const auto& [granularity, level, bucket, dimensions] : prune)
        p.pruneZeros.bind(1, granularity).bind(2, level).bind(3, bucket).bind(4, dimensions).run();
    p.insertLatencies.insert(p.latencies, [](sql::Statement& st, int at, const Pending::LatencyRow& row) {
        st.bind(at, row.dayMs)
            .bind(at + 1, row.bin)
            .bind(at + 2, row.startMs)
            .bind(at + 3, row.interactionId);
        st.bind(at + 4, row.dimensionsId).bind(at + 5, row.signalMask).bind(at + 6, row.latencyMs);
    });
    p.latencies.clear();
    p.delta.clear();
    p.rows.clear();
}

size_t RollupWriter::pendingCells() const
{
    return m_pending->delta.cells().size();
}

void RollupWriter::discard()
{
    m_pending->delta.clear();
    m_pending->latencies.clear();
    // Ids handed out in the rolled-back transaction are gone from the tables: forget them.
    m_pending = std::make_unique<Pending>(m_db);
}

void RollupWriter::rebuild()
{
    for (const char* table : {"rollups", "rollup_dimensions", "rollup_metrics", "latencies"})
        m_db.exec(std::string("DELETE FROM ") + table);
    m_pending = std::make_unique<Pending>(m_db);
    std::int64_t sinceFlush = 0;
    readAllFacts(m_db, [&](const RollupFacts& facts) {
        add(facts, 1);
        insertLatency(facts);
        if (++sinceFlush == 50'000) {
            flush();
            sinceFlush = 0;
        }
    });
    flush();
}

void rebuildRollups(sql::Connection& db)
{
    RollupWriter(db).rebuild();
}

} // namespace winnow
