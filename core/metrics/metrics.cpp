#include "core/metrics/metrics.h"

#include "core/store/rollups.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace winnow {

RateEstimate wilsonRate(std::int64_t hits, std::int64_t n)
{
    RateEstimate rate;
    rate.hits = hits;
    rate.n = n;
    if (n == 0)
        return rate;
    constexpr double z = 1.959963984540054; // two-sided 95%
    const double nn = static_cast<double>(n);
    const double p = static_cast<double>(hits) / nn;
    const double denominator = 1 + z * z / nn;
    const double centre = (p + z * z / (2 * nn)) / denominator;
    const double margin = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denominator;
    rate.value = p;
    rate.low = std::max(0.0, centre - margin);
    rate.high = std::min(1.0, centre + margin);
    return rate;
}

double nearestRankPercentile(const std::vector<double>& sorted, double p)
{
    if (sorted.empty())
        return 0;
    const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

namespace {
// Everything but percentiles and scores.
MetricsSummary summaryFromCounts(const RollupCounts& c)
{
    MetricsSummary summary;
    summary.interactions = c.interactions;
    summary.rates["success"] = wilsonRate(c.success, c.interactions);
    summary.rates["thumbs_down"] = wilsonRate(c.thumbsDown, c.interactions);
    for (SignalKind kind : {SignalKind::Escalation, SignalKind::Correction, SignalKind::Repeat,
                            SignalKind::Partial, SignalKind::ToolError})
        summary.rates[signalKindName(kind)] = wilsonRate(c.signals[static_cast<int>(kind)], c.interactions);
    summary.inputTokens = c.inputTokens;
    summary.outputTokens = c.outputTokens;
    summary.costUsd = c.costUsd;
    return summary;
}
} // namespace

MetricsSummary summariseRows(const std::vector<const MetricRow*>& rows,
                             std::optional<double> successThreshold)
{
    std::int64_t scored = 0, scoredSuccess = 0;
    RollupCounts counts;
    counts.interactions = static_cast<std::int64_t>(rows.size());
    std::vector<double> latencies;
    latencies.reserve(rows.size());
    for (const MetricRow* row : rows) {
        counts.success += row->success;
        if (successThreshold && row->score) {
            ++scored;
            scoredSuccess += *row->score >= *successThreshold;
        }
        counts.thumbsDown += row->thumb < 0;
        for (int k = 0; k < signalKindCount; ++k)
            counts.signals[k] += (row->signalMask >> k) & 1;
        if (row->latencyMs)
            latencies.push_back(*row->latencyMs);
        counts.inputTokens += row->inputTokens;
        counts.outputTokens += row->outputTokens;
        counts.costUsd += row->costUsd;
    }
    MetricsSummary summary = summaryFromCounts(counts);
    if (successThreshold)
        summary.rates["success"] = wilsonRate(scoredSuccess, scored);
    std::sort(latencies.begin(), latencies.end());
    if (!latencies.empty()) {
        summary.latencyP50 = nearestRankPercentile(latencies, 50);
        summary.latencyP90 = nearestRankPercentile(latencies, 90);
        summary.latencyP99 = nearestRankPercentile(latencies, 99);
    }
    return summary;
}

namespace {
std::vector<const MetricRow*> pointersTo(const std::vector<MetricRow>& rows)
{
    std::vector<const MetricRow*> pointers;
    pointers.reserve(rows.size());
    for (const MetricRow& row : rows)
        pointers.push_back(&row);
    return pointers;
}

constexpr std::int64_t dayMs = 86'400'000;
} // namespace

std::int64_t bucketStart(std::int64_t ms, Bucket bucket)
{
    auto floorDiv = [](std::int64_t a, std::int64_t b) { return a / b - ((a % b) < 0); };
    switch (bucket) {
    case Bucket::Hour:
        return floorDiv(ms, 3'600'000) * 3'600'000;
    case Bucket::Day:
        return floorDiv(ms, dayMs) * dayMs;
    case Bucket::Week: // weeks start on Monday; 1970-01-01 was a Thursday
        return (floorDiv(floorDiv(ms, dayMs) + 3, 7) * 7 - 3) * dayMs;
    }
    return ms;
}

bool parseBucket(const std::string& name, Bucket& bucket)
{
    if (name == "hour")
        bucket = Bucket::Hour;
    else if (name == "day")
        bucket = Bucket::Day;
    else if (name == "week")
        bucket = Bucket::Week;
    else
        return false;
    return true;
}

RateComparison compareRates(const RateEstimate& current, const RateEstimate& other)
{
    RateComparison c;
    c.difference = current.value - other.value;
    const double n1 = static_cast<double>(current.n), n2 = static_cast<double>(other.n);
    if (n1 == 0 || n2 == 0)
        return c;
    const double pooled = static_cast<double>(current.hits + other.hits) / (n1 + n2);
    const double se = std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
    if (se == 0)
        return c;
    c.z = c.difference / se;
    c.pValue = std::erfc(std::fabs(c.z) / std::sqrt(2.0));
    c.significant = c.pValue < 0.01;
    return c;
}

namespace {
// A breakdown row with its impact (the hits of the impact rate: rate × volume).
BreakdownRow breakdownRow(const std::string& value, MetricsSummary summary, const std::string& impactRate)
{
    BreakdownRow row{value, std::move(summary), 0};
    const auto rate = row.summary.rates.find(impactRate);
    row.impact = rate == row.summary.rates.end() ? 0 : rate->second.hits;
    return row;
}

void sortByImpact(std::vector<BreakdownRow>& rows)
{
    std::stable_sort(rows.begin(), rows.end(),
                     [](const BreakdownRow& a, const BreakdownRow& b) { return a.impact > b.impact; });
}

MetricsFilter comparisonFilter(const MetricsQuery& query)
{
    MetricsFilter other = query.filter;
    other.fromMs = query.compareFromMs;
    other.toMs = query.compareToMs;
    return other;
}

// The other period's figures beside this one's, with a test per rate.
void addComparison(MetricsReport& report, MetricsSummary previous)
{
    previous.scores.clear(); // scores are reported for the slice asked for only
    for (const auto& [name, rate] : report.summary.rates)
        report.comparison[name] = compareRates(rate, previous.rates[name]);
    report.previous = std::move(previous);
}
} // namespace

MetricsReport computeMetricsByScanning(Store& store, const MetricsQuery& query)
{
    MetricsReport report;
    sql::Transaction snapshot(store.connection(), sql::Transaction::Kind::Read);
    const std::optional<double> threshold =
        query.successScore.empty() ? std::nullopt : std::optional<double>(query.successThreshold);
    const std::vector<MetricRow> rows = store.metricRows(query.filter, query.breakdown, query.successScore);
    report.summary = summariseRows(pointersTo(rows), threshold);
    for (const auto& [name, total] : store.scoreTotals(query.filter))
        report.summary.scores[name] = {total.second ? total.first / static_cast<double>(total.second) : 0.0,
                                       total.second};
    if (query.bucket) {
        std::map<std::int64_t, std::vector<const MetricRow*>> buckets;
        for (const MetricRow& row : rows)
            if (row.startMs)
                buckets[bucketStart(*row.startMs, *query.bucket)].push_back(&row);
        for (const auto& [start, members] : buckets)
            report.series.emplace_back(start, summariseRows(members, threshold));
    }
    if (!query.breakdown.empty()) {
        std::map<std::string, std::vector<const MetricRow*>> groups;
        for (const MetricRow& row : rows)
            groups[row.dimension].push_back(&row);
        for (const auto& [value, members] : groups)
            report.breakdown.push_back(
                breakdownRow(value, summariseRows(members, threshold), query.impactRate));
        sortByImpact(report.breakdown);
    }
    if (query.compareFromMs && query.compareToMs) {
        const std::vector<MetricRow> otherRows =
            store.metricRows(comparisonFilter(query), {}, query.successScore);
        addComparison(report, summariseRows(pointersTo(otherRows), threshold));
    }
    snapshot.commit();
    return report;
}

namespace {

constexpr std::int64_t hourMs = 3'600'000;

std::int64_t floorTo(std::int64_t t, std::int64_t width)
{
    return t / width * width - (t % width < 0 ? width : 0);
}

// A time range [from, to) split into parts the rollups hold whole (hours, days) and raw edges.
struct Segment
{
    enum class Kind { Raw, Hours, Days } kind;
    std::int64_t from, to;
};

// `unbounded` ends (noStartBucket, noStartBucket + 1 and INT64_MAX) count as aligned.
std::vector<Segment> segmentsOf(std::int64_t from, std::int64_t to, bool days)
{
    auto up = [](std::int64_t t, std::int64_t width) {
        if (t <= noStartBucket + 1)
            return t;
        const std::int64_t f = floorTo(t, width);
        return f == t ? t : f + width;
    };
    auto down = [](std::int64_t t, std::int64_t width) { return t == INT64_MAX ? t : floorTo(t, width); };
    std::vector<Segment> segments;
    const std::int64_t h1 = up(from, hourMs), h2 = down(to, hourMs);
    if (h1 >= h2) {
        if (from < to)
            segments.push_back({Segment::Kind::Raw, from, to});
        return segments;
    }
    if (from < h1)
        segments.push_back({Segment::Kind::Raw, from, h1});
    if (h2 < to)
        segments.push_back({Segment::Kind::Raw, h2, to});
    if (days) {
        const std::int64_t d1 = up(h1, dayMs), d2 = down(h2, dayMs);
        if (d1 < d2) {
            if (h1 < d1)
                segments.push_back({Segment::Kind::Hours, h1, d1});
            segments.push_back({Segment::Kind::Days, d1, d2});
            if (d2 < h2)
                segments.push_back({Segment::Kind::Hours, d2, h2});
            return segments;
        }
    }
    segments.push_back({Segment::Kind::Hours, h1, h2});
    return segments;
}

// Whether a combination of rollup dimensions is in the filter's slice ("" stands for a field the
// interactions do not have, on both sides, as the store's IS conditions do).
bool filterKeeps(const MetricsFilter& filter, const RollupDimensions& d)
{
    return std::all_of(filter.where.begin(), filter.where.end(), [&](const auto& condition) {
        const std::string* actual = d.field(condition.first);
        return actual && *actual == condition.second;
    });
}

// One set of figures being gathered from rollup rows and raw edges: the summary, a series bucket
// or a breakdown row.
struct Target
{
    std::int64_t from = 0, to = 0; // its time range
    const std::string* breakdownValue = nullptr;
    RollupCounts counts;
    DenseHistogram histogram = DenseHistogram(latencyBinCount);
    std::map<std::string, std::pair<double, std::int64_t>> scores;
    std::optional<double> percentiles[3];
};

constexpr double percentileRanks[3] = {50, 90, 99};

class RollupQuery
{
public:
    RollupQuery(sql::Connection& db, const std::unordered_map<std::int64_t, RollupDimensions>& dimensions,
                const MetricsFilter& filter, std::optional<Bucket> bucket, const std::string& breakdown)
        : m_db(db), m_dimensions(dimensions), m_filter(filter), m_bucket(bucket), m_breakdown(breakdown)
    {
        const bool bounded = filter.fromMs || filter.toMs;
        m_summary.from = filter.fromMs.value_or(bounded ? noStartBucket + 1 : noStartBucket);
        m_summary.to = filter.toMs.value_or(INT64_MAX);
    }

    void run()
    {
        std::vector<std::pair<int, std::int64_t>> bins;
        for (const Segment& segment : segmentsOf(m_summary.from, m_summary.to, m_bucket != Bucket::Hour)) {
            if (segment.kind == Segment::Kind::Raw) {
                readInteractionFacts(m_db, std::pair(segment.from, segment.to),
                                     [&](const RollupFacts& facts, const std::vector<Score>& scores) {
                                         addRaw(facts, scores);
                                     });
                continue;
            }
            const auto granularity =
                segment.kind == Segment::Kind::Hours ? RollupGranularity::Hour : RollupGranularity::Day;
            readRollups(m_db, granularity, segment.from, segment.to, [&](const RollupRow& row) {
                const RollupDimensions* d = matching(row.dimensionsId);
                if (!d || row.counts.interactions == 0)
                    return;
                bins.clear();
                decodeInto(row.histogram, bins);
                forTargets(row.bucketMs, *d, [&](Target& target) {
                    target.counts.add(row.counts);
                    for (const auto& [bin, count] : bins)
                        target.histogram[static_cast<size_t>(bin)] += count;
                });
            });
            readRollupScores(m_db, granularity, segment.from, segment.to,
                             [&](std::int64_t, std::int64_t dimensionsId, std::string_view name, double total,
                                 std::int64_t n) {
                                 if (!matching(dimensionsId))
                                     return;
                                 auto& score = m_summary.scores[std::string(name)];
                                 score.first += total;
                                 score.second += n;
                             });
        }
        selectPercentiles();
    }

    MetricsSummary summary() const { return summaryOf(m_summary); }
    const std::map<std::int64_t, Target>& series() const { return m_series; }
    const std::map<std::string, Target>& groups() const { return m_groups; }

    static MetricsSummary summaryOf(const Target& target)
    {
        MetricsSummary summary = summaryFromCounts(target.counts);
        summary.latencyP50 = target.percentiles[0];
        summary.latencyP90 = target.percentiles[1];
        summary.latencyP99 = target.percentiles[2];
        for (const auto& [name, total] : target.scores)
            summary.scores[name] = {total.second ? total.first / static_cast<double>(total.second) : 0.0,
                                    total.second};
        return summary;
    }

private:
    static void decodeInto(std::string_view bytes, std::vector<std::pair<int, std::int64_t>>& bins)
    {
        if (!decodeHistogram(bytes, bins))
            throw sql::Error(
                "a rollup's latency histogram is damaged; run `winnow metrics --rebuild-rollups`", 0);
    }

    bool matches(const RollupDimensions& d) const { return filterKeeps(m_filter, d); }

    // The dimensions of a combination the filter keeps, nullptr otherwise. Asked once per
    // latency value read, so answered from a table by id (ids are small and dense).
    const RollupDimensions* matching(std::int64_t dimensionsId)
    {
        if (dimensionsId >= 0 && dimensionsId < static_cast<std::int64_t>(m_kept.size()) &&
            m_keptKnown[static_cast<size_t>(dimensionsId)])
            return m_kept[static_cast<size_t>(dimensionsId)];
        const auto found = m_dimensions.find(dimensionsId);
        const RollupDimensions* kept =
            found != m_dimensions.end() && matches(found->second) ? &found->second : nullptr;
        if (dimensionsId >= 0 && dimensionsId < 1'000'000) {
            if (dimensionsId >= static_cast<std::int64_t>(m_kept.size())) {
                m_kept.resize(static_cast<size_t>(dimensionsId) + 1);
                m_keptKnown.resize(static_cast<size_t>(dimensionsId) + 1);
            }
            m_kept[static_cast<size_t>(dimensionsId)] = kept;
            m_keptKnown[static_cast<size_t>(dimensionsId)] = true;
        }
        return kept;
    }

    template <typename Visit> void forTargets(std::int64_t time, const RollupDimensions& d, Visit visit)
    {
        visit(m_summary);
        if (m_bucket && time != noStartBucket) {
            const std::int64_t start = bucketStart(time, *m_bucket);
            auto [it, inserted] = m_series.try_emplace(start);
            if (inserted) {
                it->second.from = std::max(m_summary.from, start);
                it->second.to = std::min(m_summary.to, start + bucketWidthMs(*m_bucket));
            }
            visit(it->second);
        }
        if (!m_breakdown.empty()) {
            auto [it, inserted] = m_groups.try_emplace(*d.field(m_breakdown));
            if (inserted) {
                it->second.from = m_summary.from;
                it->second.to = m_summary.to;
                it->second.breakdownValue = &it->first;
            }
            visit(it->second);
        }
    }

    void addRaw(const RollupFacts& facts, const std::vector<Score>& scores)
    {
        if (!matches(facts.dimensions))
            return;
        RollupCounts c;
        c.interactions = 1;
        c.success = facts.success;
        c.thumbsDown = facts.thumbsDown;
        for (int k = 0; k < signalKindCount; ++k)
            c.signals[k] = (facts.signalMask >> k) & 1;
        c.latencyCount = facts.latencyMs ? 1 : 0;
        c.inputTokens = facts.inputTokens;
        c.outputTokens = facts.outputTokens;
        c.costUsd = facts.costUsd;
        forTargets(facts.startMs.value_or(noStartBucket), facts.dimensions, [&](Target& target) {
            target.counts.add(c);
            if (facts.latencyMs)
                ++target.histogram[static_cast<size_t>(latencyBin(*facts.latencyMs))];
        });
        // The store keeps the last score of a name.
        std::map<std::string, double> last;
        for (const Score& score : scores)
            last[score.name] = score.value;
        for (const auto& [name, value] : last) {
            auto& total = m_summary.scores[name];
            total.first += value;
            ++total.second;
        }
    }

    // Each wanted rank's bin comes from the histograms; the values of that bin come from the
    // latencies table, one read per (bin, time range) shared by every target that needs it.
    void selectPercentiles()
    {
        struct Request
        {
            Target* target;
            int which;
            std::int64_t rankInBin;
            std::vector<double> values;
        };
        std::vector<Target*> targets = {&m_summary};
        for (auto& [start, target] : m_series)
            targets.push_back(&target);
        for (auto& [value, target] : m_groups)
            targets.push_back(&target);
        // One read per bin over the union of the ranges that need it: the series' days mostly
        // need the bins the whole range needs, and read them once.
        std::map<int, std::vector<Request>> reads;
        for (Target* target : targets) {
            const std::int64_t n = target->counts.latencyCount;
            if (n == 0)
                continue;
            for (int which = 0; which < 3; ++which) {
                const auto rank =
                    std::clamp<std::int64_t>(static_cast<std::int64_t>(std::ceil(
                                                 percentileRanks[which] / 100.0 * static_cast<double>(n))),
                                             1, n);
                std::int64_t below = 0;
                int bin = 0;
                while (bin < latencyBinCount && below + target->histogram[static_cast<size_t>(bin)] < rank)
                    below += target->histogram[static_cast<size_t>(bin++)];
                if (bin == latencyBinCount)
                    throw sql::Error("rollups count more latencies than their histograms hold; run "
                                     "`winnow metrics --rebuild-rollups`",
                                     0);
                reads[bin].push_back({target, which, rank - below, {}});
            }
        }
        for (auto& [bin, requests] : reads) {
            std::int64_t from = INT64_MAX, to = INT64_MIN;
            for (const Request& request : requests) {
                from = std::min(from, request.target->from);
                to = std::max(to, request.target->to);
            }
            readLatencyBin(
                m_db, bin, from, to, [&](std::int64_t dimensionsId, std::int64_t start, double latency) {
                    if (!matching(dimensionsId))
                        return;
                    const std::string* group = m_breakdown.empty() ? nullptr : groupOf(dimensionsId);
                    for (Request& request : requests) {
                        const Target& target = *request.target;
                        if (start >= target.from && start < target.to &&
                            (!target.breakdownValue || target.breakdownValue == group))
                            request.values.push_back(latency);
                    }
                });
            for (Request& request : requests) {
                if (static_cast<std::int64_t>(request.values.size()) < request.rankInBin)
                    throw sql::Error(
                        "rollups and stored latencies disagree; run `winnow metrics --rebuild-rollups`", 0);
                const auto nth = request.values.begin() + (request.rankInBin - 1);
                std::nth_element(request.values.begin(), nth, request.values.end());
                request.target->percentiles[request.which] = *nth;
            }
        }
    }

    // The key of the breakdown group a kept combination falls in (the same pointer for the same
    // group, so rows compare by pointer).
    const std::string* groupOf(std::int64_t dimensionsId)
    {
        const auto cached = m_groupOf.find(dimensionsId);
        if (cached != m_groupOf.end())
            return cached->second;
        const RollupDimensions* d = matching(dimensionsId);
        const auto group = d ? m_groups.find(*d->field(m_breakdown)) : m_groups.end();
        const std::string* key = group == m_groups.end() ? nullptr : &group->first;
        m_groupOf.emplace(dimensionsId, key);
        return key;
    }

    sql::Connection& m_db;
    const std::unordered_map<std::int64_t, RollupDimensions>& m_dimensions;
    const MetricsFilter m_filter; // copies: callers pass temporaries
    std::optional<Bucket> m_bucket;
    const std::string m_breakdown;
    std::vector<const RollupDimensions*> m_kept;
    std::vector<bool> m_keptKnown;
    std::unordered_map<std::int64_t, const std::string*> m_groupOf;
    Target m_summary;
    std::map<std::int64_t, Target> m_series;
    std::map<std::string, Target> m_groups;
};

} // namespace

bool rollupsCanAnswer(Store& store, const MetricsQuery& query)
{
    if (!query.successScore.empty() || !hasRollups(store.connection()))
        return false;
    if (!query.breakdown.empty() && !RollupDimensions::isDimension(query.breakdown))
        return false;
    return std::all_of(query.filter.where.begin(), query.filter.where.end(),
                       [](const auto& condition) { return RollupDimensions::isDimension(condition.first); });
}

MetricsReport computeMetrics(Store& store, const MetricsQuery& query)
{
    if (!rollupsCanAnswer(store, query))
        return computeMetricsByScanning(store, query);
    sql::Connection& db = store.connection();
    sql::Transaction snapshot(db, sql::Transaction::Kind::Read);
    const auto dimensions = readRollupDimensions(db);
    MetricsReport report;
    report.fromRollups = true;
    RollupQuery current(db, dimensions, query.filter, query.bucket, query.breakdown);
    current.run();
    report.summary = current.summary();
    for (const auto& [start, target] : current.series()) {
        MetricsSummary summary = RollupQuery::summaryOf(target);
        summary.scores.clear(); // scores are reported for the whole slice only
        report.series.emplace_back(start, std::move(summary));
    }
    for (const auto& [value, target] : current.groups()) {
        MetricsSummary summary = RollupQuery::summaryOf(target);
        summary.scores.clear(); // scores are reported for the whole slice only
        report.breakdown.push_back(breakdownRow(value, std::move(summary), query.impactRate));
    }
    sortByImpact(report.breakdown);
    if (query.compareFromMs && query.compareToMs) {
        const MetricsFilter other = comparisonFilter(query);
        RollupQuery previousQuery(db, dimensions, other, std::nullopt, {});
        previousQuery.run();
        addComparison(report, previousQuery.summary());
    }
    snapshot.commit();
    return report;
}

namespace {
// Counts of the slice per bucket start, and per value of `dimension` when one is given, from the
// rollups: whole hours and days from them, ragged edges from the interactions.
void countFromRollups(Store& store, const MetricsFilter& filter, Bucket bucket, const std::string& dimension,
                      const std::function<void(const std::string&, std::int64_t, std::int64_t)>& add)
{
    sql::Connection& db = store.connection();
    sql::Transaction snapshot(db, sql::Transaction::Kind::Read);
    const auto dimensions = readRollupDimensions(db);
    const std::string none;
    auto valueOf = [&](const RollupDimensions& d) -> const std::string& {
        return dimension.empty() ? none : *d.field(dimension);
    };
    const bool bounded = filter.fromMs || filter.toMs;
    const std::int64_t from = filter.fromMs.value_or(bounded ? noStartBucket + 1 : noStartBucket);
    const std::int64_t to = filter.toMs.value_or(INT64_MAX);
    for (const Segment& segment : segmentsOf(from, to, bucket != Bucket::Hour)) {
        if (segment.kind == Segment::Kind::Raw) {
            readInteractionFacts(db, std::pair(segment.from, segment.to),
                                 [&](const RollupFacts& facts, const std::vector<Score>&) {
                                     if (filterKeeps(filter, facts.dimensions))
                                         add(valueOf(facts.dimensions), bucketStart(*facts.startMs, bucket),
                                             1);
                                 });
            continue;
        }
        readRollups(
            db, segment.kind == Segment::Kind::Hours ? RollupGranularity::Hour : RollupGranularity::Day,
            segment.from, segment.to, [&](const RollupRow& row) {
                const auto d = dimensions.find(row.dimensionsId);
                if (d != dimensions.end() && filterKeeps(filter, d->second) && row.counts.interactions > 0)
                    add(valueOf(d->second),
                        row.bucketMs == noStartBucket ? noStartBucket : bucketStart(row.bucketMs, bucket),
                        row.counts.interactions);
            });
    }
    snapshot.commit();
}
} // namespace

std::int64_t bucketWidthMs(Bucket bucket)
{
    return bucket == Bucket::Hour ? hourMs : bucket == Bucket::Day ? dayMs : 7 * dayMs;
}

std::map<std::int64_t, std::int64_t> interactionCounts(Store& store, const MetricsFilter& filter,
                                                       Bucket bucket)
{
    MetricsQuery query;
    query.filter = filter;
    if (!rollupsCanAnswer(store, query))
        return store.countsByTime(filter, bucketWidthMs(bucket));
    std::map<std::int64_t, std::int64_t> counts;
    countFromRollups(store, filter, bucket, {},
                     [&](const std::string&, std::int64_t start, std::int64_t n) { counts[start] += n; });
    return counts;
}

std::map<std::string, std::map<std::int64_t, std::int64_t>>
interactionCountsBy(Store& store, const MetricsFilter& filter, Bucket bucket, const std::string& dimension)
{
    std::map<std::string, std::map<std::int64_t, std::int64_t>> counts;
    MetricsQuery query;
    query.filter = filter;
    if (RollupDimensions::isDimension(dimension) && rollupsCanAnswer(store, query)) {
        countFromRollups(
            store, filter, bucket, dimension,
            [&](const std::string& value, std::int64_t start, std::int64_t n) { counts[value][start] += n; });
        return counts;
    }
    for (const std::string& value : dimensionValues(store)[dimension]) {
        MetricsFilter one = filter;
        one.where.emplace_back(dimension, value);
        if (auto perBucket = interactionCounts(store, one, bucket); !perBucket.empty())
            counts[value] = std::move(perBucket);
    }
    return counts;
}

std::map<std::string, std::vector<std::string>> dimensionValues(Store& store)
{
    std::map<std::string, std::set<std::string>> values;
    if (hasRollups(store.connection()))
        for (const auto& [id, d] : readRollupDimensions(store.connection()))
            for (const char* field : {"agent", "agent_version", "model", "intent", "channel"})
                if (!d.field(field)->empty())
                    values[field].insert(*d.field(field));
    std::map<std::string, std::vector<std::string>> result;
    for (const char* field : {"agent", "agent_version", "model", "intent", "channel"})
        result[field] = {values[field].begin(), values[field].end()};
    return result;
}

MetricsSummary computeMetrics(Store& store, const MetricsFilter& filter)
{
    MetricsQuery query;
    query.filter = filter;
    return computeMetrics(store, query).summary;
}

} // namespace winnow
