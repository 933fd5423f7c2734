#include "core/metrics/metrics.h"

#include "core/store/database.h"
#include "core/store/rollups.h"
#include "core/store/store_writer.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace winnow {

namespace {
constexpr std::array<const char*, rateCount> rateNames = {"success",     "escalation",      "correction",
                                                          "repeat",      "partial",         "tool_error",
                                                          "thumbs_down", "handoff_offered", "guardrail"};
constexpr std::int64_t hourMs = 3'600'000;
constexpr std::int64_t dayMs = 86'400'000;
} // namespace

const char* rateName(Rate rate)
{
    return rateNames[static_cast<size_t>(rate)];
}

std::optional<Rate> parseRate(std::string_view name)
{
    for (Rate rate : allRates)
        if (name == rateName(rate))
            return rate;
    return std::nullopt;
}

std::string rateList()
{
    std::string list;
    for (Rate rate : allRates)
        list += (list.empty() ? "" : ", ") + std::string(rateName(rate));
    return list;
}

std::optional<SignalKind> signalOfRate(Rate rate)
{
    switch (rate) {
    case Rate::Escalation:
        return SignalKind::Escalation;
    case Rate::Correction:
        return SignalKind::Correction;
    case Rate::Repeat:
        return SignalKind::Repeat;
    case Rate::Partial:
        return SignalKind::Partial;
    case Rate::ToolError:
        return SignalKind::ToolError;
    case Rate::HandoffOffered:
        return SignalKind::HandoffOffered;
    case Rate::Success:
    case Rate::ThumbsDown:
    case Rate::Guardrail:
        break;
    }
    return std::nullopt;
}

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

std::int64_t bucketStart(std::int64_t ms, Bucket bucket)
{
    switch (bucket) {
    case Bucket::Hour:
        return floorToMultiple(ms, hourMs);
    case Bucket::Day:
        return floorToMultiple(ms, dayMs);
    case Bucket::Week: // weeks start on Monday; 1970-01-01 was a Thursday (4 days after a Monday)
        return saturatingAdd(floorToMultiple(saturatingAdd(ms, 3 * dayMs), 7 * dayMs), -3 * dayMs);
    }
    return ms;
}

std::optional<Bucket> parseBucket(std::string_view name)
{
    if (name == "hour")
        return Bucket::Hour;
    if (name == "day")
        return Bucket::Day;
    if (name == "week")
        return Bucket::Week;
    return std::nullopt;
}

const char* bucketName(Bucket bucket)
{
    return bucket == Bucket::Hour ? "hour" : bucket == Bucket::Day ? "day" : "week";
}

std::int64_t bucketWidthMs(Bucket bucket)
{
    return bucket == Bucket::Hour ? hourMs : bucket == Bucket::Day ? dayMs : 7 * dayMs;
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

Status checkQuery(const MetricsQuery& query)
{
    if (Status filter = checkFilter(query.filter); !filter)
        return filter;
    if (query.breakdown)
        if (Status grouping = checkGrouping(*query.breakdown); !grouping)
            return grouping;
    if (query.compareFromMs.has_value() != query.compareToMs.has_value())
        return Error{"a comparison period needs both its start and its end", {}};
    if (Status range = checkTimeRange(query.compareFromMs, query.compareToMs); !range)
        return Error{"the comparison period: " + range.error().message, {}};
    return {};
}

namespace {

// Everything but percentiles and scores.
MetricsSummary summaryFromCounts(const RollupCounts& c)
{
    MetricsSummary summary;
    summary.interactions = c.interactions;
    summary.rate(Rate::Success) = wilsonRate(c.success, c.interactions);
    summary.rate(Rate::ThumbsDown) = wilsonRate(c.thumbsDown, c.interactions);
    summary.rate(Rate::Guardrail) = wilsonRate(c.guardrail, c.interactions);
    for (Rate rate : allRates)
        if (const auto kind = signalOfRate(rate))
            summary.rate(rate) = wilsonRate(c.signals[static_cast<int>(*kind)], c.interactions);
    summary.inputTokens = c.inputTokens;
    summary.outputTokens = c.outputTokens;
    summary.costUsd = c.costUsd;
    summary.priced = c.priced;
    summary.costEstimated = c.costEstimated;
    return summary;
}

// A breakdown row with its impact (the hits of the impact rate: rate × volume).
BreakdownRow breakdownRow(const std::string& value, MetricsSummary summary, Rate impactRate)
{
    BreakdownRow row{value, std::move(summary), 0};
    row.impact = row.summary.rate(impactRate).hits;
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

} // namespace

void addComparison(MetricsReport& report, MetricsSummary previous)
{
    previous.scores.clear(); // scores are reported for the slice asked for only
    for (Rate rate : allRates)
        report.comparison[static_cast<size_t>(rate)] =
            compareRates(report.summary.rate(rate), previous.rate(rate));
    report.previous = std::move(previous);
}

void RowSummary::add(const MetricRow& row)
{
    ++m_counts.interactions;
    m_counts.success += row.success;
    if (m_threshold && row.score) {
        ++m_scored;
        m_scoredSuccess += *row.score >= *m_threshold;
    }
    m_counts.thumbsDown += row.thumb < 0;
    for (int k = 0; k < signalKindCount; ++k)
        m_counts.signals[k] += (row.signalMask >> k) & 1;
    if (row.latencyMs)
        m_latencies.push_back(*row.latencyMs);
    m_counts.inputTokens += row.inputTokens;
    m_counts.outputTokens += row.outputTokens;
    m_counts.costUsd += row.costUsd;
    m_counts.priced += row.priced;
    m_counts.costEstimated += row.costEstimated;
    m_counts.guardrail += row.guardrail;
}

MetricsSummary RowSummary::summary()
{
    MetricsSummary summary = summaryFromCounts(m_counts);
    if (m_threshold)
        summary.rate(Rate::Success) = wilsonRate(m_scoredSuccess, m_scored);
    std::vector<double>& latencies = m_latencies;
    if (!latencies.empty()) {
        // The three ranks by selection, highest first, each within the part left of the last:
        // the same values as sorting, in linear time.
        const auto rankOf = [&](double p) {
            const auto rank =
                static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(latencies.size())));
            return std::clamp<size_t>(rank, 1, latencies.size()) - 1;
        };
        auto end = latencies.end();
        for (auto [p, into] : {std::pair{99.0, &summary.latencyP99}, std::pair{90.0, &summary.latencyP90},
                               std::pair{50.0, &summary.latencyP50}}) {
            const auto at = latencies.begin() + static_cast<std::ptrdiff_t>(rankOf(p));
            std::nth_element(latencies.begin(), at, end);
            *into = *at;
            end = at + 1;
        }
    }
    return summary;
}

MetricsReport computeMetricsByScanning(Database& database, const MetricsQuery& query)
{
    checkQuery(query).check();
    MetricsReport report;
    ReadSnapshot snapshot(database);
    InteractionStore interactions(database);
    const std::optional<double> threshold =
        query.successScore.empty() ? std::nullopt : std::optional<double>(query.successThreshold);
    // One pass: each row goes to the whole, its bucket and its group; only ids are kept (for
    // the scores).
    RowSummary whole(threshold);
    std::map<std::int64_t, RowSummary> buckets;
    std::map<std::string, RowSummary, std::less<>> groups;
    std::vector<std::int64_t> ids;
    auto addToGroup = [&](const MetricRow& row) {
        auto group = groups.find(row.group);
        if (group == groups.end())
            group = groups.emplace(row.group, RowSummary(threshold)).first;
        group->second.add(row);
    };
    // A rule breakdown puts an interaction in the group of each rule that hit it: the whole and the
    // buckets are counted on a pass of their own.
    const bool multiValued = query.breakdown && query.breakdown->field == FilterField::Rule;
    interactions.forEachMetricRow(
        query.filter, multiValued ? std::nullopt : query.breakdown, query.successScore,
        [&](const MetricRow& row) {
            whole.add(row);
            ids.push_back(row.id);
            if (query.bucket && row.startMs)
                buckets.try_emplace(bucketStart(*row.startMs, *query.bucket), threshold)
                    .first->second.add(row);
            if (query.breakdown && !multiValued)
                addToGroup(row);
        });
    if (multiValued)
        interactions.forEachMetricRow(query.filter, query.breakdown, query.successScore, addToGroup);
    report.summary = whole.summary();
    std::sort(ids.begin(), ids.end());
    for (const auto& [name, total] : interactions.scoreTotals(ids))
        report.summary.scores[name] = {total.second ? total.first / static_cast<double>(total.second) : 0.0,
                                       total.second};
    for (auto& [start, summary] : buckets)
        report.series.emplace_back(start, summary.summary());
    if (query.breakdown) {
        for (auto& [value, summary] : groups)
            report.breakdown.push_back(breakdownRow(value, summary.summary(), query.impactRate));
        sortByImpact(report.breakdown);
    }
    if (query.compareFromMs && query.compareToMs) {
        RowSummary other(threshold);
        interactions.forEachMetricRow(comparisonFilter(query), std::nullopt, query.successScore,
                                      [&](const MetricRow& row) { other.add(row); });
        addComparison(report, other.summary());
    }
    return report;
}

namespace {

std::int64_t floorTo(std::int64_t t, std::int64_t width)
{
    return floorToMultiple(t, width);
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
        return f == t || f > INT64_MAX - width ? t : f + width;
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

// How a filter is answered from the rollups: the level to read, the dimension conditions each
// combination must meet, and the signal facet (-1 for none).
struct RollupPlan
{
    RollupLevel level;
    std::vector<std::pair<Dimension, std::string>> conditions;
    int facet = -1;
};

std::optional<RollupPlan> planFor(const MetricsFilter& filter, std::optional<Dimension> groupBy)
{
    RollupPlan plan;
    std::uint8_t needed = 0;
    for (const Condition& condition : filter.where) {
        if (const auto dimension = dimensionOf(condition.field)) {
            needed |= dimensionBit(*dimension);
            plan.conditions.emplace_back(*dimension, condition.value);
        } else if (const auto kind = signalOf(condition);
                   kind && (plan.facet < 0 || plan.facet == int(*kind))) {
            plan.facet = static_cast<int>(*kind);
        } else {
            return std::nullopt; // outcome, user, session, tool, thumb, or a second signal kind
        }
    }
    if (groupBy)
        needed |= dimensionBit(*groupBy);
    const auto level = levelFor(needed, plan.facet);
    if (!level)
        return std::nullopt;
    plan.level = *level;
    return plan;
}

bool keeps(const RollupPlan& plan, const RollupDimensions& values)
{
    return std::all_of(plan.conditions.begin(), plan.conditions.end(),
                       [&](const auto& condition) { return values[condition.first] == condition.second; });
}

bool keepsFacts(const RollupPlan& plan, const RollupFacts& facts)
{
    return keeps(plan, facts.dimensions) && (plan.facet < 0 || ((facts.signalMask >> plan.facet) & 1));
}

// One set of figures being gathered from rollup rows and raw edges: the summary, a series bucket
// or a breakdown row.
struct Target
{
    std::int64_t from = 0, to = 0; // its time range
    const std::string* breakdownValue = nullptr;
    RollupCounts counts;
    std::vector<std::int64_t> histogram = std::vector<std::int64_t>(latencyBinCount);
    std::map<std::string, std::pair<double, std::int64_t>> scores;
    std::optional<double> percentiles[3];
};

constexpr double percentileRanks[3] = {50, 90, 99};

class RollupQuery
{
public:
    RollupQuery(Database& database, const RollupCatalog& catalog, const RollupPlan& plan,
                const MetricsFilter& filter, std::optional<Bucket> bucket, std::optional<Dimension> breakdown)
        : m_database(database), m_catalog(catalog), m_plan(plan), m_bucket(bucket), m_breakdown(breakdown)
    {
        // A range (even one from the smallest time) leaves out the interactions without a time.
        const bool bounded = filter.fromMs || filter.toMs;
        m_summary.from =
            bounded ? std::max(filter.fromMs.value_or(INT64_MIN), noStartBucket + 1) : noStartBucket;
        m_summary.to = filter.toMs.value_or(INT64_MAX);
    }

    void run()
    {
        for (const Segment& segment : segmentsOf(m_summary.from, m_summary.to, m_bucket != Bucket::Hour)) {
            if (segment.kind == Segment::Kind::Raw) {
                readInteractionFacts(m_database, std::pair(segment.from, segment.to),
                                     [&](const RollupFacts& facts) { addRaw(facts); });
                continue;
            }
            const auto granularity =
                segment.kind == Segment::Kind::Hours ? RollupGranularity::Hour : RollupGranularity::Day;
            readRollupCells(m_database, m_catalog, granularity, m_plan.level, segment.from, segment.to,
                            [&](const RollupCell& cell) {
                                const RollupDimensions* values = matching(cell.dimensionsId);
                                if (!values)
                                    return;
                                forTargets(cell.bucketMs, *values, [&](Target& target) {
                                    target.counts.add(cell.counts);
                                    for (const auto& [bin, count] : cell.histogram)
                                        target.histogram[static_cast<size_t>(bin)] += count;
                                });
                                for (const auto& [index, total] : cell.scores) {
                                    auto& score =
                                        m_summary.scores[m_catalog.scoreNames[static_cast<size_t>(index)]];
                                    score.first += total.first;
                                    score.second += total.second;
                                }
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
            if (total.second != 0)
                summary.scores[name] = {total.first / static_cast<double>(total.second), total.second};
        return summary;
    }

private:
    // The values of a combination (of the plan's level, or a full one) the plan keeps, nullptr
    // otherwise. Asked once per latency value read, so answered from a table by id.
    const RollupDimensions* matching(std::int64_t dimensionsId)
    {
        if (dimensionsId >= 0 && dimensionsId < static_cast<std::int64_t>(m_kept.size()) &&
            m_keptKnown[static_cast<size_t>(dimensionsId)])
            return m_kept[static_cast<size_t>(dimensionsId)];
        const auto found = m_catalog.combinations.find(dimensionsId);
        const RollupDimensions* kept =
            found != m_catalog.combinations.end() && keeps(m_plan, found->second.values)
                ? &found->second.values
                : nullptr;
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

    template <typename Visit> void forTargets(std::int64_t time, const RollupDimensions& values, Visit visit)
    {
        visit(m_summary);
        if (m_bucket && time != noStartBucket) {
            const std::int64_t start = bucketStart(time, *m_bucket);
            auto [it, inserted] = m_series.try_emplace(start);
            if (inserted) {
                it->second.from = std::max(m_summary.from, start);
                it->second.to = std::min(m_summary.to, saturatingAdd(start, bucketWidthMs(*m_bucket)));
            }
            visit(it->second);
        }
        if (m_breakdown) {
            auto [it, inserted] = m_groups.try_emplace(values[*m_breakdown]);
            if (inserted) {
                it->second.from = m_summary.from;
                it->second.to = m_summary.to;
                it->second.breakdownValue = &it->first;
            }
            visit(it->second);
        }
    }

    void addRaw(const RollupFacts& facts)
    {
        if (!keepsFacts(m_plan, facts))
            return;
        RollupCounts c;
        c.interactions = 1;
        c.success = facts.success;
        c.thumbsDown = facts.thumbsDown;
        c.guardrail = facts.guardrail;
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
        for (const Score& score : facts.scores) {
            auto& total = m_summary.scores[score.name];
            total.first += score.value;
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
            if (n <= 0)
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
                    throw Failure("rollups count more latencies than their histograms hold; run "
                                  "`winnow metrics --rebuild-rollups`");
                reads[bin].push_back({target, which, rank - below, {}});
            }
        }
        const std::int64_t facetBit = m_plan.facet < 0 ? 0 : std::int64_t(1) << m_plan.facet;
        for (auto& [bin, binRequests] : reads) {
            auto& requests = binRequests; // a variable, so that the lambda below can capture it
            std::int64_t from = INT64_MAX, to = INT64_MIN;
            for (const Request& request : requests) {
                from = std::min(from, request.target->from);
                to = std::max(to, request.target->to);
            }
            readLatencyBin(
                m_database, bin, from, to, facetBit ? WithSignalMask::Yes : WithSignalMask::No,
                [&](std::int64_t dimensionsId, std::int64_t start, std::int64_t mask, double latency) {
                    if (facetBit && !(mask & facetBit))
                        return;
                    const RollupDimensions* values = matching(dimensionsId);
                    if (!values)
                        return;
                    const std::string* group = m_breakdown ? groupOf(dimensionsId, *values) : nullptr;
                    for (Request& request : requests) {
                        const Target& target = *request.target;
                        if (start >= target.from && start < target.to &&
                            (!target.breakdownValue || target.breakdownValue == group))
                            request.values.push_back(latency);
                    }
                });
            for (Request& request : requests) {
                if (static_cast<std::int64_t>(request.values.size()) < request.rankInBin)
                    throw Failure(
                        "rollups and stored latencies disagree; run `winnow metrics --rebuild-rollups`");
                const auto nth = request.values.begin() + (request.rankInBin - 1);
                std::nth_element(request.values.begin(), nth, request.values.end());
                request.target->percentiles[request.which] = *nth;
            }
        }
    }

    // The key of the breakdown group a kept combination falls in (the same pointer for the same
    // group, so rows compare by pointer). Asked once per latency value read, after every group is
    // known, so remembered by combination id.
    const std::string* groupOf(std::int64_t dimensionsId, const RollupDimensions& values)
    {
        auto find = [&]() -> const std::string* {
            const auto group = m_groups.find(values[*m_breakdown]);
            return group == m_groups.end() ? nullptr : &group->first;
        };
        if (dimensionsId < 0 || dimensionsId >= 1'000'000)
            return find();
        const auto at = static_cast<size_t>(dimensionsId);
        if (at >= m_groupById.size())
            m_groupById.resize(at + 1);
        if (!m_groupById[at])
            m_groupById[at] = find();
        return *m_groupById[at];
    }

    Database& m_database;
    const RollupCatalog& m_catalog;
    const RollupPlan m_plan;
    std::optional<Bucket> m_bucket;
    std::optional<Dimension> m_breakdown;
    std::vector<const RollupDimensions*> m_kept;
    std::vector<bool> m_keptKnown;
    std::vector<std::optional<const std::string*>> m_groupById;
    Target m_summary;
    std::map<std::int64_t, Target> m_series;
    std::map<std::string, Target> m_groups;
};

std::optional<Dimension> breakdownDimension(const MetricsQuery& query)
{
    return query.breakdown ? dimensionOf(query.breakdown->field) : std::nullopt;
}

} // namespace

bool rollupsCanAnswer(const MetricsQuery& query)
{
    if (!query.successScore.empty())
        return false;
    if (query.breakdown && !dimensionOf(query.breakdown->field))
        return false;
    return planFor(query.filter, breakdownDimension(query)).has_value();
}

MetricsReport computeMetrics(Database& database, const MetricsQuery& query)
{
    checkQuery(query).check();
    if (!rollupsCanAnswer(query))
        return computeMetricsByScanning(database, query);
    ReadSnapshot snapshot(database);
    const RollupCatalog catalog = RollupCatalog::read(database);
    const std::optional<Dimension> breakdown = breakdownDimension(query);
    MetricsReport report;
    report.fromRollups = true;
    RollupQuery current(database, catalog, *planFor(query.filter, breakdown), query.filter, query.bucket,
                        breakdown);
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
        RollupQuery previous(database, catalog, *planFor(other, std::nullopt), other, std::nullopt,
                             std::nullopt);
        previous.run();
        addComparison(report, previous.summary());
    }
    return report;
}

MetricsSummary computeMetrics(Database& database, const MetricsFilter& filter)
{
    MetricsQuery query;
    query.filter = filter;
    return computeMetrics(database, query).summary;
}

namespace {
// Counts of the slice per bucket start, and per value of `dimension` when one is given, from the
// rollups: whole hours and days from them, ragged edges from the interactions.
void countFromRollups(Database& database, const RollupPlan& plan, const MetricsFilter& filter, Bucket bucket,
                      std::optional<Dimension> dimension,
                      const std::function<void(const std::string&, std::int64_t, std::int64_t)>& add)
{
    ReadSnapshot snapshot(database);
    const RollupCatalog catalog = RollupCatalog::read(database);
    const std::string none;
    auto valueOf = [&](const RollupDimensions& values) -> const std::string& {
        return dimension ? values[*dimension] : none;
    };
    const bool bounded = filter.fromMs || filter.toMs;
    const std::int64_t from =
        bounded ? std::max(filter.fromMs.value_or(INT64_MIN), noStartBucket + 1) : noStartBucket;
    const std::int64_t to = filter.toMs.value_or(INT64_MAX);
    for (const Segment& segment : segmentsOf(from, to, bucket != Bucket::Hour)) {
        if (segment.kind == Segment::Kind::Raw) {
            readInteractionFacts(
                database, std::pair(segment.from, segment.to), [&](const RollupFacts& facts) {
                    if (keepsFacts(plan, facts))
                        add(valueOf(facts.dimensions), bucketStart(*facts.startMs, bucket), 1);
                });
            continue;
        }
        readRollupCells(
            database, catalog,
            segment.kind == Segment::Kind::Hours ? RollupGranularity::Hour : RollupGranularity::Day,
            plan.level, segment.from, segment.to, [&](const RollupCell& cell) {
                const auto combination = catalog.combinations.find(cell.dimensionsId);
                if (combination != catalog.combinations.end() && keeps(plan, combination->second.values))
                    add(valueOf(combination->second.values),
                        cell.bucketMs == noStartBucket ? noStartBucket : bucketStart(cell.bucketMs, bucket),
                        cell.counts.interactions);
            });
    }
}
} // namespace

std::map<std::int64_t, std::int64_t> interactionCounts(Database& database, const MetricsFilter& filter,
                                                       Bucket bucket)
{
    const auto plan = planFor(filter, std::nullopt);
    if (!plan)
        return InteractionStore(database).countsByTime(filter, bucketWidthMs(bucket));
    std::map<std::int64_t, std::int64_t> counts;
    countFromRollups(database, *plan, filter, bucket, std::nullopt,
                     [&](const std::string&, std::int64_t start, std::int64_t n) { counts[start] += n; });
    return counts;
}

std::map<std::string, std::map<std::int64_t, std::int64_t>>
interactionCountsBy(Database& database, const MetricsFilter& filter, Bucket bucket, Dimension dimension)
{
    std::map<std::string, std::map<std::int64_t, std::int64_t>> counts;
    if (const auto plan = planFor(filter, dimension)) {
        countFromRollups(
            database, *plan, filter, bucket, dimension,
            [&](const std::string& value, std::int64_t start, std::int64_t n) { counts[value][start] += n; });
        std::erase_if(counts, [](const auto& entry) {
            return std::all_of(entry.second.begin(), entry.second.end(),
                               [](const auto& c) { return c.second == 0; });
        });
        return counts;
    }
    // Held here: a range over a member of a temporary map would read freed memory.
    const auto values = dimensionValues(database);
    const auto of = values.find(dimension);
    for (const std::string& value : of == values.end() ? std::vector<std::string>{} : of->second) {
        MetricsFilter one = filter;
        one.with(fieldOf(dimension), value);
        if (auto perBucket = interactionCounts(database, one, bucket); !perBucket.empty())
            counts[value] = std::move(perBucket);
    }
    return counts;
}

namespace {
std::map<Dimension, std::vector<std::string>> dimensionValuesOf(const RollupCatalog& catalog)
{
    std::map<Dimension, std::set<std::string>> values;
    for (const auto& [id, combination] : catalog.combinations) {
        if (combination.level.fixed != allDimensions || combination.level.facet >= 0)
            continue;
        for (int d = 0; d < dimensionCount; ++d)
            if (!combination.values.values[static_cast<size_t>(d)].empty())
                values[static_cast<Dimension>(d)].insert(combination.values.values[static_cast<size_t>(d)]);
    }
    std::map<Dimension, std::vector<std::string>> result;
    for (int d = 0; d < dimensionCount; ++d) {
        const auto& set = values[static_cast<Dimension>(d)];
        result[static_cast<Dimension>(d)] = {set.begin(), set.end()};
    }
    return result;
}
} // namespace

std::map<Dimension, std::vector<std::string>> dimensionValues(Database& database)
{
    return dimensionValuesOf(RollupCatalog::read(database));
}

StoreOutline readStoreOutline(Database& database)
{
    ReadSnapshot snapshot(database);
    InteractionStore interactions(database);
    StoreOutline outline;
    outline.empty = interactions.isEmpty();
    if (outline.empty)
        return outline;
    const RollupCatalog catalog = RollupCatalog::read(database);
    outline.values = dimensionValuesOf(catalog);
    if (const auto range = interactions.startTimeRange()) {
        outline.oldestMs = range->first;
        outline.newestMs = range->second;
    }
    outline.untimed = interactions.countWithoutStart();
    outline.scoreNames = catalog.scoreNames;
    std::sort(outline.scoreNames.begin(), outline.scoreNames.end());
    outline.metadataKeys = interactions.recentMetadataKeys(2000);
    return outline;
}

Status rebuildRollups(StoreWriter& writer)
{
    return writer.write(WritePriority::Bulk, [](WriteTransaction& tx) {
        tx.rollups().rebuild();
        tx.changed(StoreChange::Interactions);
    });
}

} // namespace winnow
