#include "core/store/rollups.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <tuple>

namespace winnow {

namespace {

constexpr std::array<std::string_view, 4> successOutcomes = {"resolved", "success", "succeeded", "completed"};

constexpr const char* signalColumns =
    "escalation, correction, repeat, partial, negative_feedback, tool_error";
static_assert(signalKindCount == 6, "signalColumns lists one column per signal kind, in kind order");

const char* rollupTable(RollupGranularity granularity)
{
    return granularity == RollupGranularity::Hour ? "rollups_hourly" : "rollups_daily";
}

const char* scoreTable(RollupGranularity granularity)
{
    return granularity == RollupGranularity::Hour ? "rollup_scores_hourly" : "rollup_scores_daily";
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

// A histogram is encoded as (bin - previous bin, count) varint pairs in ascending bin order.
using HistogramEntries = std::vector<std::pair<int, std::int64_t>>;

void encodeHistogram(const HistogramEntries& entries, std::string& bytes)
{
    bytes.clear();
    int previous = 0;
    for (const auto& [bin, count] : entries) {
        if (count == 0)
            continue;
        appendVarint(bytes, static_cast<std::uint64_t>(bin - previous));
        appendVarint(bytes, static_cast<std::uint64_t>(count));
        previous = bin;
    }
}

} // namespace

bool decodeHistogram(std::string_view bytes, std::vector<std::pair<int, std::int64_t>>& entries)
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
        entries.emplace_back(static_cast<int>(bin), static_cast<std::int64_t>(count));
    }
    return true;
}

namespace {

// SQL: winnow_add_histograms(a, b), the histogram of both; used by the writer's upserts (about a
// thousand per commit, so it merges in place without allocating).
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

struct BucketKey
{
    std::int64_t bucketMs;
    std::int64_t dimensionsId;
    bool operator==(const BucketKey&) const = default;
};
struct BucketKeyHash
{
    size_t operator()(const BucketKey& k) const
    {
        return std::hash<std::int64_t>()(k.bucketMs) * 31 + std::hash<std::int64_t>()(k.dimensionsId);
    }
};

struct PendingBucket
{
    RollupCounts counts;
    std::vector<int> bins; // one per latency, in arrival order
};

std::string encodeBins(std::vector<int>& bins)
{
    std::sort(bins.begin(), bins.end());
    HistogramEntries entries;
    for (int bin : bins) {
        if (entries.empty() || entries.back().first != bin)
            entries.emplace_back(bin, 0);
        ++entries.back().second;
    }
    std::string bytes;
    encodeHistogram(entries, bytes);
    return bytes;
}

struct ScoreKey
{
    std::int64_t bucketMs;
    std::int64_t dimensionsId;
    std::string name;
    auto operator<=>(const ScoreKey&) const = default;
};

std::string upsertRollupSql(RollupGranularity granularity)
{
    std::string sql = std::string("INSERT INTO ") + rollupTable(granularity) +
                      "(bucket_ms, dimensions_id, interactions, success, thumbs_down, " + signalColumns +
                      ", latency_count, input_tokens, output_tokens, cost_usd, latency_histogram) "
                      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
                      "ON CONFLICT(bucket_ms, dimensions_id) DO UPDATE SET ";
    const char* summed[] = {"interactions", "success",       "thumbs_down",  "escalation",
                            "correction",   "repeat",        "partial",      "negative_feedback",
                            "tool_error",   "latency_count", "input_tokens", "output_tokens",
                            "cost_usd"};
    for (const char* column : summed)
        sql += std::string(column) + " = " + column + " + excluded." + column + ", ";
    sql += "latency_histogram = CASE WHEN length(excluded.latency_histogram) = 0 THEN latency_histogram "
           "ELSE winnow_add_histograms(latency_histogram, excluded.latency_histogram) END";
    return sql;
}

std::string upsertScoreSql(RollupGranularity granularity)
{
    return std::string("INSERT INTO ") + scoreTable(granularity) +
           "(bucket_ms, dimensions_id, name, total, n) VALUES(?1, ?2, ?3, ?4, ?5) "
           "ON CONFLICT(bucket_ms, dimensions_id, name) DO UPDATE SET total = total + excluded.total, "
           "n = n + excluded.n";
}

} // namespace

namespace {
void appendDimensionsKey(std::string& key, std::initializer_list<std::string_view> fields)
{
    for (std::string_view field : fields) {
        key += std::to_string(field.size());
        key += ':';
        key += field;
    }
}
} // namespace

std::string dimensionsKey(const RollupDimensions& d)
{
    std::string key;
    appendDimensionsKey(key, {d.agent, d.agentVersion, d.model, d.intent, d.channel});
    return key;
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
        sql += (i ? ", '" : "'") + std::string(successOutcomes[i]) + "'";
    return sql + ")";
}

const std::string* RollupDimensions::field(const std::string& name) const
{
    if (name == "agent")
        return &agent;
    if (name == "agent_version")
        return &agentVersion;
    if (name == "model")
        return &model;
    if (name == "intent")
        return &intent;
    if (name == "channel")
        return &channel;
    return nullptr;
}

bool RollupDimensions::isDimension(const std::string& name)
{
    return RollupDimensions().field(name) != nullptr;
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
}

std::int64_t rollupBucket(std::int64_t ms, RollupGranularity granularity)
{
    const std::int64_t width = granularity == RollupGranularity::Hour ? 3'600'000 : 86'400'000;
    return ms / width * width - (ms % width < 0 ? width : 0);
}

bool hasRollups(sql::Connection& db)
{
    return db.queryInt("PRAGMA user_version") >= 3;
}

std::unordered_map<std::int64_t, RollupDimensions> readRollupDimensions(sql::Connection& db)
{
    std::unordered_map<std::int64_t, RollupDimensions> result;
    sql::Statement select(db,
                          "SELECT id, agent, agent_version, model, intent, channel FROM rollup_dimensions");
    while (select.step())
        result[select.int64(0)] = {select.text(1), select.text(2), select.text(3), select.text(4),
                                   select.text(5)};
    return result;
}

void readRollups(sql::Connection& db, RollupGranularity granularity, std::int64_t fromBucket,
                 std::int64_t toBucket, const std::function<void(const RollupRow&)>& row)
{
    sql::Statement select(
        db, std::string("SELECT bucket_ms, dimensions_id, interactions, success, thumbs_down, ") +
                signalColumns +
                ", latency_count, input_tokens, output_tokens, cost_usd, latency_histogram "
                "FROM " +
                rollupTable(granularity) + " WHERE bucket_ms >= ?1 AND bucket_ms < ?2");
    select.bind(1, fromBucket).bind(2, toBucket);
    RollupRow r;
    while (select.step()) {
        r.bucketMs = select.int64(0);
        r.dimensionsId = select.int64(1);
        r.counts.interactions = select.int64(2);
        r.counts.success = select.int64(3);
        r.counts.thumbsDown = select.int64(4);
        for (int k = 0; k < signalKindCount; ++k)
            r.counts.signals[k] = select.int64(5 + k);
        r.counts.latencyCount = select.int64(11);
        r.counts.inputTokens = select.int64(12);
        r.counts.outputTokens = select.int64(13);
        r.counts.costUsd = select.real(14);
        r.histogram = select.textView(15);
        row(r);
    }
}

void readRollupScores(
    sql::Connection& db, RollupGranularity granularity, std::int64_t fromBucket, std::int64_t toBucket,
    const std::function<void(std::int64_t, std::int64_t, std::string_view, double, std::int64_t)>& row)
{
    sql::Statement select(db, std::string("SELECT bucket_ms, dimensions_id, name, total, n FROM ") +
                                  scoreTable(granularity) + " WHERE bucket_ms >= ?1 AND bucket_ms < ?2");
    select.bind(1, fromBucket).bind(2, toBucket);
    while (select.step())
        row(select.int64(0), select.int64(1), select.textView(2), select.real(3), select.int64(4));
}

void readLatencyBin(sql::Connection& db, int bin, std::int64_t fromMs, std::int64_t toMs,
                    const std::function<void(std::int64_t, std::int64_t, double)>& value)
{
    constexpr std::int64_t dayMs = 86'400'000;
    // The days to look in: those of the range that hold latencies at all, as one IN list, so that
    // SQLite seeks (day, bin) once per day.
    // Two statements: SQLite answers a lone min() or max() from the index, both together by a scan.
    sql::Statement lowest(db, "SELECT min(day_ms) FROM latencies WHERE day_ms > ?1");
    lowest.bind(1, noStartBucket);
    sql::Statement highest(db, "SELECT max(day_ms) FROM latencies");
    std::string days = "[";
    if (lowest.step() && !lowest.isNull(0) && highest.step()) {
        std::int64_t first = lowest.int64(0);
        if (fromMs > noStartBucket + 1)
            first = std::max(first, rollupBucket(fromMs, RollupGranularity::Day));
        const std::int64_t last = toMs == INT64_MAX ? highest.int64(0) : std::min(highest.int64(0), toMs);
        for (std::int64_t day = first; day <= last; day += dayMs) {
            if (days.size() > 1)
                days += ',';
            days += std::to_string(day);
        }
    }
    days += "]";
    sql::Statement select(db, "SELECT dimensions_id, start_ms, latency_ms FROM latencies "
                              "WHERE day_ms IN (SELECT value FROM json_each(?1)) AND bin = ?2 "
                              "AND start_ms >= ?3 AND start_ms < ?4");
    select.bind(1, days).bind(2, bin).bind(3, fromMs).bind(4, toMs);
    while (select.step())
        value(select.int64(0), select.int64(1), select.real(2));
    if (fromMs == noStartBucket) { // interactions without a start time
        sql::Statement undated(
            db, "SELECT dimensions_id, latency_ms FROM latencies WHERE day_ms = ?1 AND bin = ?2");
        undated.bind(1, noStartBucket).bind(2, bin);
        while (undated.step())
            value(undated.int64(0), noStartBucket, undated.real(1));
    }
}

struct RollupWriter::Pending
{
    explicit Pending(sql::Connection& db)
        : upsertHourly(db, upsertRollupSql(RollupGranularity::Hour)),
          upsertDaily(db, upsertRollupSql(RollupGranularity::Day)),
          upsertScoresHourly(db, upsertScoreSql(RollupGranularity::Hour)),
          upsertScoresDaily(db, upsertScoreSql(RollupGranularity::Day)),
          insertDimensions(db, "INSERT INTO rollup_dimensions(agent, agent_version, model, intent, channel) "
                               "VALUES(?1, ?2, ?3, ?4, ?5)"),
          insertLatencies(db,
                          "INSERT INTO latencies(day_ms, bin, start_ms, interaction_id, dimensions_id, "
                          "latency_ms)",
                          6),
          selectForSignalChange(db,
                                "SELECT start_ms, signal_mask, agent, agent_version, model, intent, channel "
                                "FROM interactions WHERE id = ?1")
    {
        sql::Statement select(
            db, "SELECT id, agent, agent_version, model, intent, channel FROM rollup_dimensions");
        while (select.step())
            dimensionIds[dimensionsKey({select.text(1), select.text(2), select.text(3), select.text(4),
                                        select.text(5)})] = select.int64(0);
    }
    struct LatencyRow
    {
        std::int64_t dayMs;
        int bin;
        std::int64_t startMs;
        std::int64_t interactionId;
        std::int64_t dimensionsId;
        double latencyMs;
    };
    std::unordered_map<BucketKey, PendingBucket, BucketKeyHash> hourly, daily;
    std::map<ScoreKey, std::pair<double, std::int64_t>> scoresHourly, scoresDaily;
    std::vector<LatencyRow> latencies;
    std::unordered_map<std::string, std::int64_t> dimensionIds;
    std::string keyBuffer;
    sql::Statement upsertHourly, upsertDaily, upsertScoresHourly, upsertScoresDaily, insertDimensions;
    RowInserter insertLatencies;
    sql::Statement selectForSignalChange;
};

RollupWriter::RollupWriter(sql::Connection& db) : m_db(db)
{
    const int rc = sqlite3_create_function_v2(db.handle(), "winnow_add_histograms", 2,
                                              SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                              addHistogramsFunction, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK)
        throw sql::Error("cannot register winnow_add_histograms", rc);
    m_pending = std::make_unique<Pending>(db);
}

RollupWriter::~RollupWriter() = default;

std::int64_t RollupWriter::dimensionsId(std::string_view agent, std::string_view agentVersion,
                                        std::string_view model, std::string_view intent,
                                        std::string_view channel)
{
    std::string& key = m_pending->keyBuffer;
    key.clear();
    appendDimensionsKey(key, {agent, agentVersion, model, intent, channel});
    const auto found = m_pending->dimensionIds.find(key);
    if (found != m_pending->dimensionIds.end())
        return found->second;
    auto& insert = m_pending->insertDimensions;
    insert.bindTextOrNull(1, agent).bindTextOrNull(2, agentVersion).bindTextOrNull(3, model);
    insert.bindTextOrNull(4, intent).bindTextOrNull(5, channel).run();
    const std::int64_t id = m_db.lastInsertRowId();
    m_pending->dimensionIds.emplace(key, id);
    return id;
}

void RollupWriter::add(std::int64_t interactionId, const Interaction& in, std::int64_t signalMask)
{
    RollupFacts facts; // the dimensions stay empty: they are given as an id
    facts.interactionId = interactionId;
    facts.startMs = in.startMs;
    facts.success = isSuccessOutcome(in.outcome);
    facts.thumbsDown = in.thumb && *in.thumb < 0;
    facts.signalMask = signalMask;
    facts.latencyMs = in.latencyMs;
    facts.inputTokens = in.inputTokens.value_or(0);
    facts.outputTokens = in.outputTokens.value_or(0);
    facts.costUsd = in.costUsd.value_or(0);
    addCounts(facts, dimensionsId(in.agent, in.agentVersion, in.model, in.intent, in.channel), in.scores);
}

void RollupWriter::add(const RollupFacts& facts, const std::vector<Score>& scores)
{
    const RollupDimensions& d = facts.dimensions;
    addCounts(facts, dimensionsId(d.agent, d.agentVersion, d.model, d.intent, d.channel), scores);
}

void RollupWriter::addCounts(const RollupFacts& facts, std::int64_t dimensions,
                             const std::vector<Score>& scores)
{
    Pending& p = *m_pending;
    const std::int64_t hour =
        facts.startMs ? rollupBucket(*facts.startMs, RollupGranularity::Hour) : noStartBucket;
    const std::int64_t day =
        facts.startMs ? rollupBucket(*facts.startMs, RollupGranularity::Day) : noStartBucket;
    const int bin = facts.latencyMs ? latencyBin(*facts.latencyMs) : -1;
    for (PendingBucket* bucket : {&p.hourly[{hour, dimensions}], &p.daily[{day, dimensions}]}) {
        RollupCounts& c = bucket->counts;
        ++c.interactions;
        c.success += facts.success;
        c.thumbsDown += facts.thumbsDown;
        for (int k = 0; k < signalKindCount; ++k)
            c.signals[k] += (facts.signalMask >> k) & 1;
        c.inputTokens += facts.inputTokens;
        c.outputTokens += facts.outputTokens;
        c.costUsd += facts.costUsd;
        if (bin >= 0) {
            ++c.latencyCount;
            bucket->bins.push_back(bin);
        }
    }
    if (bin >= 0)
        p.latencies.push_back({day, bin, facts.startMs.value_or(noStartBucket), facts.interactionId,
                               dimensions, *facts.latencyMs});
    // The store keeps the last of an interaction's scores of one name; so do the rollups.
    for (size_t i = 0; i < scores.size(); ++i) {
        const bool replacedLater =
            std::any_of(scores.begin() + static_cast<std::ptrdiff_t>(i) + 1, scores.end(),
                        [&](const Score& s) { return s.name == scores[i].name; });
        if (replacedLater)
            continue;
        for (auto* table : {&p.scoresHourly, &p.scoresDaily}) {
            auto& total = (*table)[{table == &p.scoresHourly ? hour : day, dimensions, scores[i].name}];
            total.first += scores[i].value;
            ++total.second;
        }
    }
}

void RollupWriter::changeSignalMask(std::int64_t interactionId, std::int64_t newMask)
{
    auto& select = m_pending->selectForSignalChange;
    select.bind(1, interactionId);
    if (!select.step()) {
        select.reset();
        return;
    }
    const std::optional<std::int64_t> start = select.optionalInt64(0);
    const std::int64_t oldMask = select.int64(1);
    const std::int64_t dimensions = dimensionsId(select.textView(2), select.textView(3), select.textView(4),
                                                 select.textView(5), select.textView(6));
    select.reset();
    if (oldMask == newMask)
        return;
    for (auto granularity : {RollupGranularity::Hour, RollupGranularity::Day}) {
        const std::int64_t bucket = start ? rollupBucket(*start, granularity) : noStartBucket;
        auto& table = granularity == RollupGranularity::Hour ? m_pending->hourly : m_pending->daily;
        RollupCounts& c = table[{bucket, dimensions}].counts;
        for (int k = 0; k < signalKindCount; ++k)
            c.signals[k] += ((newMask >> k) & 1) - ((oldMask >> k) & 1);
    }
}

void RollupWriter::flush()
{
    Pending& p = *m_pending;
    for (auto granularity : {RollupGranularity::Hour, RollupGranularity::Day}) {
        const bool hourly = granularity == RollupGranularity::Hour;
        auto& buckets = hourly ? p.hourly : p.daily;
        sql::Statement& upsert = hourly ? p.upsertHourly : p.upsertDaily;
        for (auto& [key, bucket] : buckets) {
            const RollupCounts& c = bucket.counts;
            upsert.bind(1, key.bucketMs).bind(2, key.dimensionsId).bind(3, c.interactions);
            upsert.bind(4, c.success).bind(5, c.thumbsDown);
            for (int k = 0; k < signalKindCount; ++k)
                upsert.bind(6 + k, c.signals[k]);
            upsert.bind(12, c.latencyCount).bind(13, c.inputTokens).bind(14, c.outputTokens);
            const std::string histogram = encodeBins(bucket.bins);
            upsert.bind(15, c.costUsd).bindBlob(16, histogram).run();
        }
        buckets.clear();
        auto& scores = hourly ? p.scoresHourly : p.scoresDaily;
        sql::Statement& upsertScores = hourly ? p.upsertScoresHourly : p.upsertScoresDaily;
        for (const auto& [key, total] : scores) {
            upsertScores.bind(1, key.bucketMs).bind(2, key.dimensionsId).bind(3, key.name);
            upsertScores.bind(4, total.first).bind(5, total.second).run();
        }
        scores.clear();
    }
    p.insertLatencies.insert(p.latencies, [](sql::Statement& st, int at, const Pending::LatencyRow& row) {
        st.bind(at, row.dayMs)
            .bind(at + 1, row.bin)
            .bind(at + 2, row.startMs)
            .bind(at + 3, row.interactionId);
        st.bind(at + 4, row.dimensionsId).bind(at + 5, row.latencyMs);
    });
    p.latencies.clear();
}

void RollupWriter::rebuild()
{
    flush();
    for (const char* table :
         {"rollups_hourly", "rollups_daily", "rollup_scores_hourly", "rollup_scores_daily", "latencies"})
        m_db.exec(std::string("DELETE FROM ") + table);
    std::int64_t sinceFlush = 0;
    readInteractionFacts(m_db, std::nullopt, [&](const RollupFacts& facts, const std::vector<Score>& scores) {
        add(facts, scores);
        if (++sinceFlush == 50'000) {
            flush();
            sinceFlush = 0;
        }
    });
    flush();
}

void readInteractionFacts(
    sql::Connection& db, std::optional<std::pair<std::int64_t, std::int64_t>> range,
    const std::function<void(const RollupFacts&, const std::vector<Score>&)>& interaction)
{
    sql::Statement interactions(
        db, "SELECT id, start_ms, agent, agent_version, model, intent, channel, " +
                successOutcomeSql("outcome") +
                ", coalesce(thumb, 0) < 0, signal_mask, latency_ms, coalesce(input_tokens, 0), "
                "coalesce(output_tokens, 0), coalesce(cost_usd, 0) FROM interactions " +
                (range ? "WHERE start_ms >= ?1 AND start_ms < ?2" : "ORDER BY id"));
    if (range)
        interactions.bind(1, range->first).bind(2, range->second);
    sql::Statement scores(db, "SELECT name, value FROM scores WHERE interaction_id = ?1");
    std::vector<Score> interactionScores;
    RollupFacts facts;
    while (interactions.step()) {
        facts.interactionId = interactions.int64(0);
        facts.startMs = interactions.optionalInt64(1);
        facts.dimensions = {interactions.text(2), interactions.text(3), interactions.text(4),
                            interactions.text(5), interactions.text(6)};
        facts.success = interactions.int64(7) != 0;
        facts.thumbsDown = interactions.int64(8) != 0;
        facts.signalMask = interactions.int64(9);
        facts.latencyMs = interactions.optionalReal(10);
        facts.inputTokens = interactions.int64(11);
        facts.outputTokens = interactions.int64(12);
        facts.costUsd = interactions.real(13);
        interactionScores.clear();
        scores.bind(1, facts.interactionId);
        while (scores.step())
            interactionScores.push_back({scores.text(0), scores.real(1)});
        scores.reset();
        interaction(facts, interactionScores);
    }
}

} // namespace winnow
