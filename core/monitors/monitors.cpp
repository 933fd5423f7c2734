#include "core/monitors/monitors.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/review_store.h"
#include "core/store/rule_store.h"
#include "core/store/store_writer.h"
#include "core/util/json.h"
#include "core/util/text.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

namespace winnow {

namespace {

constexpr std::int64_t dayMs = 86'400'000;
constexpr size_t maxEvidence = 20'000;
constexpr std::array<const char*, 6> figureNames = {"rate",       "latency_p50", "latency_p90",
                                                    "latency_p99", "score_mean", "category_failure_rate"};
constexpr std::array<const char*, 4> conditionNames = {"above", "below", "change", "change_from_baseline"};

std::int64_t floorDay(std::int64_t ms)
{
    return ms - (((ms % dayMs) + dayMs) % dayMs);
}

MetricsFilter sliceOf(const MonitorDefinition& definition, const std::string& group)
{
    MetricsFilter slice;
    slice.where = definition.where;
    if (definition.per)
        slice.with(fieldOf(*definition.per), group);
    return slice;
}

MetricsFilter within(MetricsFilter slice, std::int64_t fromMs, std::int64_t toMs)
{
    slice.fromMs = fromMs;
    slice.toMs = toMs;
    return slice;
}

bool isChange(MonitorCondition condition)
{
    return condition == MonitorCondition::ChangeFromPrevious || condition == MonitorCondition::ChangeFromBaseline;
}

QJsonObject figureJson(const FigureValue& figure, std::optional<std::int64_t> fromMs, std::optional<std::int64_t> toMs)
{
    QJsonObject o;
    o.insert(QStringLiteral("value"), figure.value);
    if (figure.low)
        o.insert(QStringLiteral("low"), *figure.low);
    if (figure.high)
        o.insert(QStringLiteral("high"), *figure.high);
    o.insert(QStringLiteral("hits"), double(figure.hits));
    o.insert(QStringLiteral("n"), double(figure.n));
    if (fromMs)
        o.insert(QStringLiteral("from"), toQString(formatIsoTimestamp(*fromMs)));
    if (toMs)
        o.insert(QStringLiteral("to"), toQString(formatIsoTimestamp(*toMs)));
    return o;
}

RateEstimate estimateOf(const FigureValue& figure)
{
    RateEstimate estimate;
    estimate.hits = figure.hits;
    estimate.n = figure.n;
    estimate.value = figure.value;
    return estimate;
}

std::string compact(const QJsonObject& object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact).toStdString();
}

// Whether the figure went the wrong way, by the test that fits it: a rate by the two-proportion
// test (p < 0.01), a threshold by the value.
struct Verdict2
{
    bool fires = false;
    std::optional<RateComparison> test;
};
Verdict2 judge(const MonitorDefinition& d, const FigureValue& current, const std::optional<FigureValue>& baseline)
{
    Verdict2 v;
    if (d.condition == MonitorCondition::Above)
        v.fires = current.value > d.threshold;
    else if (d.condition == MonitorCondition::Below)
        v.fires = current.value < d.threshold;
    else if (baseline) {
        v.test = compareRates(estimateOf(current), estimateOf(*baseline));
        v.fires = v.test->pValue < d.alpha && (higherIsWorse(d) ? v.test->difference > 0 : v.test->difference < 0);
    }
    return v;
}

// The interactions behind a figure in a slice: for a rate, those it counts against the agent (an
// escalation monitor's escalated and corrected conversations, a success monitor's failures); for
// a category, its labelled failures; for latency, those at or above the window's percentile; for
// a score, those below its mean.
std::vector<std::int64_t> evidenceOf(Database& reader, const MonitorDefinition& d, const MetricsFilter& window,
                                     const FigureValue& current, std::map<std::string, std::int64_t>& signals)
{
    std::vector<std::int64_t> ids;
    if (d.figure == MonitorFigure::CategoryFailureRate) {
        const ReviewCategory* category = nullptr;
        const std::vector<ReviewCategory> taxonomy = ReviewStore(reader).categories();
        category = findCategory(taxonomy, d.category);
        for (const auto& [id, verdict] : finalVerdicts(reader, window))
            if (verdict.verdict == Verdict::Fail && category &&
                std::find(verdict.categories.begin(), verdict.categories.end(), category->id) !=
                    verdict.categories.end())
                ids.push_back(id);
    }
    const auto signalBit = [](SignalKind kind) { return std::int64_t(1) << static_cast<int>(kind); };
    std::vector<std::int64_t> labelled;
    labelled.swap(ids); // a category's failures, found above: kept when the window has them
    std::sort(labelled.begin(), labelled.end());
    InteractionStore(reader).forEachMetricRow(
        window, std::nullopt, d.figure == MonitorFigure::ScoreMean ? d.score : std::string(),
        [&](const MetricRow& row) {
            bool bad = false;
            switch (d.figure) {
            case MonitorFigure::Rate:
                switch (d.rate) {
                case Rate::Success:
                    bad = !row.success;
                    break;
                case Rate::Guardrail:
                    bad = row.guardrail;
                    break;
                case Rate::ThumbsDown:
                    bad = row.thumb < 0;
                    break;
                case Rate::Escalation:
                    bad = row.signalMask & (signalBit(SignalKind::Escalation) | signalBit(SignalKind::Correction));
                    break;
                default:
                    if (const auto kind = signalOfRate(d.rate))
                        bad = row.signalMask & signalBit(*kind);
                }
                break;
            case MonitorFigure::LatencyP50:
            case MonitorFigure::LatencyP90:
            case MonitorFigure::LatencyP99:
                bad = row.latencyMs && *row.latencyMs >= current.value;
                break;
            case MonitorFigure::ScoreMean:
                bad = row.score && *row.score < current.value;
                break;
            case MonitorFigure::CategoryFailureRate:
                bad = std::binary_search(labelled.begin(), labelled.end(), row.id);
                break;
            }
            if (!bad || ids.size() >= maxEvidence)
                return;
            ids.push_back(row.id);
            for (int k = 0; k < signalKindCount; ++k)
                if (row.signalMask & (std::int64_t(1) << k))
                    ++signals[signalKindName(static_cast<SignalKind>(k))];
        });
    std::sort(ids.begin(), ids.end());
    return ids;
}

// A monitor whose slice is one version already has no release to single out.
bool filtersVersion(const MonitorDefinition& d)
{
    if (d.per == Dimension::AgentVersion)
        return true;
    for (const Condition& condition : d.where)
        if (condition.field == FilterField::AgentVersion)
            return true;
    return false;
}

// The version that arrived between two windows: the one that grew most, when it had under 5% of
// the window before and at least 30 interactions now.
std::optional<std::string> arrivedVersion(const std::map<std::string, std::int64_t>& now,
                                          const std::map<std::string, std::int64_t>& before)
{
    std::int64_t totalBefore = 0;
    for (const auto& [version, n] : before)
        totalBefore += n;
    std::optional<std::string> arrived;
    std::int64_t most = 29;
    for (const auto& [version, n] : now) {
        const auto previous = before.find(version);
        const std::int64_t had = previous == before.end() ? 0 : previous->second;
        if (version.empty() || double(had) >= 0.05 * double(totalBefore) || n <= most)
            continue;
        arrived = version;
        most = n;
    }
    return arrived;
}

// Interactions per agent version in a slice, from the rollups where they can answer.
std::map<std::string, std::int64_t> versionCounts(Database& reader, const MetricsFilter& slice)
{
    std::map<std::string, std::int64_t> counts;
    for (const auto& [version, buckets] : interactionCountsBy(reader, slice, Bucket::Day, Dimension::AgentVersion))
        for (const auto& [start, n] : buckets)
            counts[version] += n;
    return counts;
}

// The most common value of a count map ("" for none).
std::string mostCommon(const std::map<std::string, std::int64_t>& counts)
{
    std::string best;
    std::int64_t most = -1;
    for (const auto& [value, n] : counts)
        if (n > most) {
            best = value;
            most = n;
        }
    return best;
}

Result<std::pair<StoredTrigger, Monitor>> triggerWithMonitor(Database& reader, std::int64_t triggerId)
{
    MonitorStore store(reader);
    const std::optional<StoredTrigger> trigger = store.trigger(triggerId);
    if (!trigger)
        return Error{"no trigger " + std::to_string(triggerId), {}};
    for (Monitor& monitor : loadMonitors(reader))
        if (monitor.stored.id == trigger->monitorId)
            return std::pair{*trigger, monitor};
    return Error{"trigger " + std::to_string(triggerId) + " has no monitor", {}};
}

Status setTriggerState(StoreWriter& writer, std::int64_t id, TriggerState state, const std::string& actor,
                       const std::string& note, const std::function<void(MonitorStore&)>& also = {})
{
    return writer.write(WritePriority::Interactive, [&](WriteTransaction& tx) {
        MonitorStore store(tx.database());
        if (also)
            also(store);
        store.setState(id, state, actor, note);
        tx.changed(StoreChange::Monitors);
    });
}

} // namespace

const char* monitorFigureName(MonitorFigure figure)
{
    return figureNames[static_cast<size_t>(figure)];
}

const char* monitorConditionName(MonitorCondition c)
{
    return conditionNames[static_cast<size_t>(c)];
}

std::optional<MonitorFigure> parseMonitorFigure(std::string_view name)
{
    for (size_t f = 0; f < figureNames.size(); ++f)
        if (name == figureNames[f])
            return static_cast<MonitorFigure>(f);
    return std::nullopt;
}

std::optional<MonitorCondition> parseMonitorCondition(std::string_view name)
{
    for (size_t c = 0; c < conditionNames.size(); ++c)
        if (name == conditionNames[c])
            return static_cast<MonitorCondition>(c);
    return std::nullopt;
}

Status checkMonitorDefinition(const MonitorDefinition& d)
{
    MetricsFilter slice;
    slice.where = d.where;
    if (Status ok = checkFilter(slice); !ok)
        return ok;
    for (const Condition& condition : d.where)
        if (condition.field == FilterField::Trigger || condition.field == FilterField::Exported)
            return Error{"a monitor's slice cannot depend on triggers or exports", {}};
    if (d.windowDays < 1 || d.windowDays > 365)
        return Error{"the window is 1 to 365 days", {}};
    if (d.minSample < 1)
        return Error{"the minimum sample is at least 1", {}};
    if (!(d.alpha > 0 && d.alpha < 0.5))
        return Error{"alpha (the p-value a change must be below) is above 0 and below 0.5", {}};
    if (d.figure == MonitorFigure::ScoreMean && d.score.empty())
        return Error{"a score monitor needs the score's name", {}};
    if (d.figure == MonitorFigure::CategoryFailureRate && d.category.empty())
        return Error{"a category monitor needs the category", {}};
    if (isChange(d.condition) && d.figure != MonitorFigure::Rate && d.figure != MonitorFigure::CategoryFailureRate)
        return Error{"a change is tested on rates (the two-proportion test); latency and scores take a threshold "
                     "(above, below)",
                     {}};
    if (d.condition == MonitorCondition::ChangeFromBaseline &&
        (!d.baselineFromMs || !d.baselineToMs || *d.baselineToMs <= *d.baselineFromMs))
        return Error{"a change from a baseline needs the baseline period (from before to)", {}};
    return {};
}

std::string monitorDefinitionJson(const MonitorDefinition& d)
{
    QJsonObject o;
    o.insert(QStringLiteral("figure"), QLatin1String(monitorFigureName(d.figure)));
    if (d.figure == MonitorFigure::Rate)
        o.insert(QStringLiteral("rate"), QLatin1String(rateName(d.rate)));
    if (!d.score.empty())
        o.insert(QStringLiteral("score"), toQString(d.score));
    if (!d.category.empty())
        o.insert(QStringLiteral("category"), toQString(d.category));
    QJsonArray where;
    for (const Condition& condition : d.where)
        where.append(toQString(winnow::conditionText(condition)));
    o.insert(QStringLiteral("where"), where);
    if (d.per)
        o.insert(QStringLiteral("per"), QLatin1String(dimensionName(*d.per)));
    o.insert(QStringLiteral("window_days"), d.windowDays);
    o.insert(QStringLiteral("condition"), QLatin1String(monitorConditionName(d.condition)));
    if (!isChange(d.condition))
        o.insert(QStringLiteral("threshold"), d.threshold);
    if (d.baselineFromMs)
        o.insert(QStringLiteral("baseline_from"), toQString(formatIsoTimestamp(*d.baselineFromMs)));
    if (d.baselineToMs)
        o.insert(QStringLiteral("baseline_to"), toQString(formatIsoTimestamp(*d.baselineToMs)));
    o.insert(QStringLiteral("min_sample"), double(d.minSample));
    o.insert(QStringLiteral("alpha"), d.alpha);
    return compact(o);
}

Result<MonitorDefinition> parseMonitorDefinition(std::string_view json)
{
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray(json.data(), qsizetype(json.size())));
    if (!document.isObject())
        return Error{"a monitor definition is a JSON object", {}};
    const QJsonObject o = document.object();
    MonitorDefinition d;
    const auto figure = parseMonitorFigure(o.value(QStringLiteral("figure")).toString().toStdString());
    if (!figure)
        return Error{"unknown figure", {}};
    d.figure = *figure;
    if (d.figure == MonitorFigure::Rate) {
        const auto rate = parseRate(o.value(QStringLiteral("rate")).toString().toStdString());
        if (!rate)
            return Error{"unknown rate (" + rateList() + ")", {}};
        d.rate = *rate;
    }
    d.score = o.value(QStringLiteral("score")).toString().toStdString();
    d.category = o.value(QStringLiteral("category")).toString().toStdString();
    for (const QJsonValue condition : o.value(QStringLiteral("where")).toArray()) {
        auto parsed = parseCondition(condition.toString().toStdString());
        if (!parsed)
            return parsed.error();
        d.where.push_back(*parsed);
    }
    if (o.contains(QStringLiteral("per"))) {
        d.per = parseDimension(o.value(QStringLiteral("per")).toString().toStdString());
        if (!d.per)
            return Error{"per is a dimension: agent, agent_version, model, intent or channel", {}};
    }
    d.windowDays = o.value(QStringLiteral("window_days")).toInt(7);
    const auto condition = parseMonitorCondition(o.value(QStringLiteral("condition")).toString().toStdString());
    if (!condition)
        return Error{"unknown condition (above, below, change, change_from_baseline)", {}};
    d.condition = *condition;
    d.threshold = o.value(QStringLiteral("threshold")).toDouble();
    std::int64_t ms = 0;
    if (parseIsoTimestamp(o.value(QStringLiteral("baseline_from")).toString().toStdString(), ms))
        d.baselineFromMs = ms;
    if (parseIsoTimestamp(o.value(QStringLiteral("baseline_to")).toString().toStdString(), ms))
        d.baselineToMs = ms;
    d.minSample = std::int64_t(o.value(QStringLiteral("min_sample")).toDouble(200));
    d.alpha = o.value(QStringLiteral("alpha")).toDouble(0.001);
    if (Status ok = checkMonitorDefinition(d); !ok)
        return ok.error();
    return d;
}

std::string figureText(const MonitorDefinition& d)
{
    switch (d.figure) {
    case MonitorFigure::Rate:
        return std::string(rateName(d.rate)) + " rate";
    case MonitorFigure::LatencyP50:
        return "latency p50";
    case MonitorFigure::LatencyP90:
        return "latency p90";
    case MonitorFigure::LatencyP99:
        return "latency p99";
    case MonitorFigure::ScoreMean:
        return "score " + d.score + " mean";
    case MonitorFigure::CategoryFailureRate:
        return "failure rate: " + d.category;
    }
    return {};
}

std::string conditionText(const MonitorDefinition& d)
{
    const std::string window = std::to_string(d.windowDays) + (d.windowDays == 1 ? " day" : " days");
    const std::string worse = higherIsWorse(d) ? "up" : "down";
    switch (d.condition) {
    case MonitorCondition::Above:
        return "above " + QString::number(d.threshold).toStdString() + " over " + window;
    case MonitorCondition::Below:
        return "below " + QString::number(d.threshold).toStdString() + " over " + window;
    case MonitorCondition::ChangeFromPrevious:
        return worse + " on the previous " + window + " (p < " + QString::number(d.alpha).toStdString() + ")";
    case MonitorCondition::ChangeFromBaseline:
        return worse + " on the baseline, " + window + " windows (p < " + QString::number(d.alpha).toStdString() +
               ")";
    }
    return {};
}

bool higherIsWorse(const MonitorDefinition& d)
{
    return !(d.figure == MonitorFigure::ScoreMean || (d.figure == MonitorFigure::Rate && d.rate == Rate::Success));
}

std::vector<std::pair<std::string, MonitorDefinition>> defaultMonitors()
{
    std::vector<std::pair<std::string, MonitorDefinition>> list;
    for (const Rate rate : {Rate::Success, Rate::Escalation, Rate::Correction, Rate::ToolError}) {
        MonitorDefinition d;
        d.rate = rate;
        d.per = Dimension::Agent;
        list.emplace_back(std::string(rateName(rate)) + " per agent", d);
    }
    return list;
}

std::vector<Monitor> loadMonitors(Database& reader)
{
    std::vector<Monitor> list;
    for (StoredMonitor& stored : MonitorStore(reader).monitors()) {
        auto definition = parseMonitorDefinition(stored.definitionJson);
        if (definition)
            list.push_back({std::move(stored), std::move(*definition)});
    }
    return list;
}

Result<std::int64_t> addMonitor(StoreWriter& writer, const std::string& name, const std::string& owner,
                                const MonitorDefinition& definition)
{
    if (name.empty())
        return Error{"a monitor needs a name", {}};
    if (owner.empty())
        return Error{"a monitor needs an owner", {}};
    if (Status ok = checkMonitorDefinition(definition); !ok)
        return ok.error();
    StoredMonitor monitor;
    monitor.name = name;
    monitor.owner = owner;
    monitor.definitionJson = monitorDefinitionJson(definition);
    auto added = writer.write<std::int64_t>(WritePriority::Interactive,
                                            std::function<std::int64_t(WriteTransaction&)>([&monitor](WriteTransaction& tx) {
                                                tx.changed(StoreChange::Monitors);
                                                return MonitorStore(tx.database()).addMonitor(monitor);
                                            }));
    if (!added && added.error().message.find("UNIQUE") != std::string::npos)
        return Error{"there is a monitor called " + name + " already", {}};
    return added;
}

namespace {
Status changeMonitor(Database& reader, StoreWriter& writer, const std::string& name,
                     const std::function<void(MonitorStore&, std::int64_t)>& change)
{
    const std::optional<StoredMonitor> monitor = MonitorStore(reader).monitor(name);
    if (!monitor)
        return Error{"no monitor called " + name + " (winnow monitors lists them)", {}};
    const std::int64_t id = monitor->id;
    return writer.write(WritePriority::Interactive, [&change, id](WriteTransaction& tx) {
        MonitorStore store(tx.database());
        change(store, id);
        tx.changed(StoreChange::Monitors);
    });
}
} // namespace

Status setMonitorEnabled(Database& reader, StoreWriter& writer, const std::string& name, bool enabled)
{
    return changeMonitor(reader, writer, name,
                         [enabled](MonitorStore& store, std::int64_t id) { store.setEnabled(id, enabled); });
}

Status setMonitorOwner(Database& reader, StoreWriter& writer, const std::string& name, const std::string& owner)
{
    if (owner.empty())
        return Error{"a monitor needs an owner", {}};
    return changeMonitor(reader, writer, name,
                         [&owner](MonitorStore& store, std::int64_t id) { store.setOwner(id, owner); });
}

std::optional<FigureValue> computeFigure(Database& reader, const MonitorDefinition& d, const MetricsFilter& slice)
{
    FigureValue figure;
    if (d.figure == MonitorFigure::CategoryFailureRate) {
        const LabelCounts counts = labelCounts(reader, slice);
        std::int64_t failed = 0;
        for (const auto& [name, n] : counts.categories)
            if (QString::fromStdString(name).compare(QString::fromStdString(d.category), Qt::CaseInsensitive) == 0)
                failed = n;
        const RateEstimate rate = wilsonRate(failed, counts.reviewed);
        return FigureValue{rate.value, rate.low, rate.high, rate.hits, rate.n};
    }
    const MetricsSummary summary = computeMetrics(reader, slice);
    switch (d.figure) {
    case MonitorFigure::Rate: {
        const RateEstimate& rate = summary.rate(d.rate);
        return FigureValue{rate.value, rate.low, rate.high, rate.hits, rate.n};
    }
    case MonitorFigure::LatencyP50:
    case MonitorFigure::LatencyP90:
    case MonitorFigure::LatencyP99: {
        const std::optional<double> value = d.figure == MonitorFigure::LatencyP50   ? summary.latencyP50
                                            : d.figure == MonitorFigure::LatencyP90 ? summary.latencyP90
                                                                                    : summary.latencyP99;
        if (!value)
            return std::nullopt;
        figure.value = *value;
        figure.n = summary.interactions;
        return figure;
    }
    case MonitorFigure::ScoreMean: {
        const auto score = summary.scores.find(d.score);
        if (score == summary.scores.end())
            return std::nullopt;
        figure.value = score->second.first;
        figure.n = score->second.second;
        return figure;
    }
    case MonitorFigure::CategoryFailureRate:
        break;
    }
    return std::nullopt;
}

Result<MonitorCheck> checkMonitors(Database& reader, StoreWriter& writer, const std::string& actor,
                                   const std::atomic<bool>* cancel)
{
    try {
        MonitorCheck check;
        const auto range = InteractionStore(reader).startTimeRange();
        if (range) {
            const std::map<Dimension, std::vector<std::string>> values = dimensionValues(reader);
            const std::vector<ReviewCategory> taxonomy = ReviewStore(reader).categories();
            // Per monitor, the groups with a trigger still walking the loop: they raise no other.
            std::map<std::int64_t, std::set<std::string>> activeGroups;
            for (const StoredTrigger& trigger : MonitorStore(reader).triggers())
                if (isActive(trigger.state))
                    activeGroups[trigger.monitorId].insert(trigger.group);
            for (const Monitor& monitor : loadMonitors(reader)) {
                if (!monitor.stored.enabled)
                    continue;
                const MonitorDefinition& d = monitor.definition;
                const std::int64_t window = std::int64_t(d.windowDays) * dayMs;
                const std::int64_t firstEnd =
                    floorDay(range->first) + (d.condition == MonitorCondition::ChangeFromPrevious ? 2 : 1) * window;
                std::int64_t end = monitor.stored.checkedThroughMs
                                       ? std::max(*monitor.stored.checkedThroughMs + dayMs, firstEnd)
                                       : firstEnd;
                const std::int64_t lastEnd = floorDay(range->second);
                std::vector<std::string> groups = {std::string()};
                if (d.per) {
                    const auto found = values.find(*d.per);
                    groups = found == values.end() ? std::vector<std::string>{} : found->second;
                }
                std::set<std::string>& active = activeGroups[monitor.stored.id];
                for (; end <= lastEnd; end += dayMs) {
                    if (cancel && cancel->load())
                        return Error{"the check was cancelled", {}};
                    for (const std::string& group : groups) {
                        if (active.count(group))
                            continue;
                        ++check.windows;
                        const MetricsFilter slice = sliceOf(d, group);
                        const MetricsFilter current = within(slice, end - window, end);
                        const std::optional<FigureValue> now = computeFigure(reader, d, current);
                        if (!now || now->n < d.minSample)
                            continue;
                        std::optional<FigureValue> before;
                        std::optional<std::int64_t> beforeFrom, beforeTo;
                        if (d.condition == MonitorCondition::ChangeFromPrevious) {
                            beforeFrom = end - 2 * window;
                            beforeTo = end - window;
                        } else if (d.condition == MonitorCondition::ChangeFromBaseline) {
                            beforeFrom = d.baselineFromMs;
                            beforeTo = d.baselineToMs;
                        }
                        if (beforeFrom) {
                            before = computeFigure(reader, d, within(slice, *beforeFrom, *beforeTo));
                            if (!before || before->n < d.minSample)
                                continue;
                        }
                        const Verdict2 verdict = judge(d, *now, before);
                        if (!verdict.fires)
                            continue;

                        // When a release arrived in the window (a version that had no real share of the
                        // window before), the regressed slice is that version's traffic.
                        const std::map<std::string, std::int64_t> versions = versionCounts(reader, current);
                        std::string version = mostCommon(versions);
                        bool release = false;
                        if (beforeFrom && !filtersVersion(d))
                            if (const auto arrived =
                                    arrivedVersion(versions, versionCounts(reader, within(slice, *beforeFrom, *beforeTo)))) {
                                version = *arrived;
                                release = true;
                            }
                        MetricsFilter regressedSlice = current;
                        if (release)
                            regressedSlice.with(FilterField::AgentVersion, version);
                        std::map<std::string, std::int64_t> signals;
                        const std::vector<std::int64_t> evidence = evidenceOf(reader, d, regressedSlice, *now, signals);
                        QJsonObject figures;
                        figures.insert(QStringLiteral("figure"), toQString(figureText(d)));
                        figures.insert(QStringLiteral("condition"), toQString(conditionText(d)));
                        QJsonArray sliceText;
                        for (const Condition& condition : slice.where)
                            sliceText.append(toQString(winnow::conditionText(condition)));
                        figures.insert(QStringLiteral("slice"), sliceText);
                        figures.insert(QStringLiteral("current"), figureJson(*now, end - window, end));
                        if (before)
                            figures.insert(QStringLiteral("baseline"), figureJson(*before, beforeFrom, beforeTo));
                        if (verdict.test)
                            figures.insert(QStringLiteral("test"),
                                           QJsonObject{{QStringLiteral("difference"), verdict.test->difference},
                                                       {QStringLiteral("z"), verdict.test->z},
                                                       {QStringLiteral("p"), verdict.test->pValue}});
                        else
                            figures.insert(QStringLiteral("threshold"), d.threshold);

                        // What the evidence holds: versions, signals, reviewed failure categories, rule hits.
                        QJsonObject evidenceSummary;
                        evidenceSummary.insert(QStringLiteral("interactions"), double(evidence.size()));
                        evidenceSummary.insert(QStringLiteral("versions"), countsJson(versions));
                        evidenceSummary.insert(QStringLiteral("version"), toQString(version));
                        evidenceSummary.insert(QStringLiteral("release"), release);
                        QJsonArray regressedText;
                        for (const Condition& condition : regressedSlice.where)
                            regressedText.append(toQString(winnow::conditionText(condition)));
                        evidenceSummary.insert(QStringLiteral("slice"), regressedText);
                        std::map<std::string, std::int64_t> categories, rules;
                        std::set<std::int64_t> evidenceSet(evidence.begin(), evidence.end());
                        for (const auto& [id, verdict2] : finalVerdicts(reader, regressedSlice))
                            if (verdict2.verdict == Verdict::Fail && evidenceSet.count(id))
                                for (const std::int64_t category : verdict2.categories)
                                    for (const ReviewCategory& c : taxonomy)
                                        if (c.id == category)
                                            ++categories[c.name];
                        for (const auto& [rule, n] : RuleStore(reader).hitCountsAmong(evidence))
                            rules[rule] = n;
                        evidenceSummary.insert(QStringLiteral("signals"), countsJson(signals));
                        evidenceSummary.insert(QStringLiteral("categories"), countsJson(categories));
                        evidenceSummary.insert(QStringLiteral("rule_hits"), countsJson(rules));

                        StoredTrigger trigger;
                        trigger.monitorId = monitor.stored.id;
                        trigger.group = group;
                        trigger.windowFromMs = end - window;
                        trigger.windowToMs = end;
                        trigger.figuresJson = compact(figures);
                        trigger.evidenceJson = compact(evidenceSummary);
                        auto raised = writer.write<std::int64_t>(
                            WritePriority::Interactive,
                            std::function<std::int64_t(WriteTransaction&)>([&](WriteTransaction& tx) {
                                tx.changed(StoreChange::Monitors);
                                return MonitorStore(tx.database()).addTrigger(trigger, evidence, actor);
                            }));
                        if (!raised)
                            return raised.error();
                        check.raised.push_back(*raised);
                        active.insert(group);
                    }
                }
                if (lastEnd >= firstEnd) {
                    const std::int64_t through = lastEnd;
                    const std::int64_t id = monitor.stored.id;
                    if (Status saved = writer.write(WritePriority::Bulk,
                                                    [id, through](WriteTransaction& tx) {
                                                        MonitorStore(tx.database()).setCheckedThrough(id, through);
                                                    });
                        !saved)
                        return saved.error();
                }
            }
        }
        for (const StoredTrigger& trigger : MonitorStore(reader).triggers()) {
            if (trigger.state != TriggerState::Exported)
                continue;
            auto validated = validateTrigger(reader, writer, trigger.id, actor);
            if (!validated)
                return validated.error();
            if (*validated) {
                const auto now = MonitorStore(reader).trigger(trigger.id);
                (now && now->state == TriggerState::Validated ? check.validated : check.notRecovered)
                    .push_back(trigger.id);
            }
        }
        return check;
    } catch (...) {
        return currentError(reader.path());
    }
}

Result<ReviewQueue> reviewTrigger(Database& reader, StoreWriter& writer, std::int64_t triggerId,
                                  const std::string& actor)
{
    auto found = triggerWithMonitor(reader, triggerId);
    if (!found)
        return found.error();
    const StoredTrigger& trigger = found->first;
    if (trigger.state != TriggerState::Open)
        return Error{"trigger " + std::to_string(triggerId) + " is " + triggerStateName(trigger.state) +
                         ", not open: its evidence has a queue already or it is closed",
                     {}};
    QueueRequest request;
    request.name = "trigger " + std::to_string(triggerId) + ": " + trigger.monitorName +
                   (trigger.group.empty() ? std::string() : " (" + trigger.group + ")");
    request.owner = actor;
    request.filter.with(FilterField::Trigger, std::to_string(triggerId));
    request.guidelines = "Interactions behind trigger " + std::to_string(triggerId) + " (" +
                         figureText(found->second.definition) + ", " + conditionText(found->second.definition) +
                         "). Label each failure with its category and, where you can, the answer the agent "
                         "should have given: corrected answers become the training batch.";
    auto queue = createQueue(reader, writer, request);
    if (!queue)
        return queue.error();
    const std::int64_t queueId = queue->id;
    if (Status moved = setTriggerState(writer, triggerId, TriggerState::InReview, actor, "queue " + request.name,
                                       [triggerId, queueId](MonitorStore& store) { store.setQueue(triggerId, queueId); });
        !moved)
        return moved.error();
    return queue;
}

Status dismissTrigger(Database& reader, StoreWriter& writer, std::int64_t triggerId, const std::string& actor,
                      const std::string& reason)
{
    auto found = triggerWithMonitor(reader, triggerId);
    if (!found)
        return found.error();
    if (reason.empty())
        return Error{"say why the trigger is dismissed", {}};
    if (!isActive(found->first.state))
        return Error{"trigger " + std::to_string(triggerId) + " is closed already (" +
                         triggerStateName(found->first.state) + ")",
                     {}};
    return setTriggerState(writer, triggerId, TriggerState::Dismissed, actor, reason,
                           [triggerId, reason](MonitorStore& store) { store.setReason(triggerId, reason); });
}

Status setValidationDate(Database& reader, StoreWriter& writer, std::int64_t triggerId, std::int64_t fromMs)
{
    auto found = triggerWithMonitor(reader, triggerId);
    if (!found)
        return found.error();
    return writer.write(WritePriority::Interactive, [triggerId, fromMs](WriteTransaction& tx) {
        MonitorStore(tx.database()).setValidateAfter(triggerId, fromMs);
        tx.changed(StoreChange::Monitors);
    });
}

Result<bool> validateTrigger(Database& reader, StoreWriter& writer, std::int64_t triggerId, const std::string& actor,
                             std::string* why)
{
    auto found = triggerWithMonitor(reader, triggerId);
    if (!found)
        return found.error();
    const StoredTrigger& trigger = found->first;
    const MonitorDefinition& d = found->second.definition;
    auto say = [why](const std::string& text) {
        if (why)
            *why = text;
        return false;
    };
    if (trigger.state != TriggerState::Exported)
        return say("only an exported trigger is validated (this one is " +
                   std::string(triggerStateName(trigger.state)) + ")");
    const MetricsFilter slice = sliceOf(d, trigger.group);
    // The regressed figure: the window's, of the release that took it over when one did.
    const QJsonObject evidence = jsonObject(trigger.evidenceJson);
    const std::string regressedVersion = evidence.value(QStringLiteral("version")).toString().toStdString();
    MetricsFilter regressedSlice = within(slice, trigger.windowFromMs, trigger.windowToMs);
    if (evidence.value(QStringLiteral("release")).toBool())
        regressedSlice.with(FilterField::AgentVersion, regressedVersion);
    const std::optional<FigureValue> regressed = computeFigure(reader, d, regressedSlice);
    if (!regressed)
        return say("the regressed window has no figure any more");

    // What to validate on: the owner's date, else the newest version first seen after the window
    // began with enough traffic.
    MetricsFilter candidate = slice;
    QJsonObject on;
    if (trigger.validateAfterMs) {
        candidate.fromMs = trigger.validateAfterMs;
        on.insert(QStringLiteral("since"), toQString(formatIsoTimestamp(*trigger.validateAfterMs)));
    } else {
        std::string best;
        std::int64_t bestCount = 0;
        const std::map<Dimension, std::vector<std::string>> values = dimensionValues(reader);
        const auto versions = values.find(Dimension::AgentVersion);
        for (const std::string& version : versions == values.end() ? std::vector<std::string>{} : versions->second) {
            if (version == regressedVersion || version.empty())
                continue;
            MetricsFilter older = slice;
            older.with(FilterField::AgentVersion, version);
            older.toMs = trigger.windowFromMs;
            if (computeMetrics(reader, older).interactions > 0)
                continue; // it ran before the regression: not newer
            MetricsFilter newer = slice;
            newer.with(FilterField::AgentVersion, version);
            const std::int64_t count = computeMetrics(reader, newer).interactions;
            if (count > bestCount) {
                best = version;
                bestCount = count;
            }
        }
        if (best.empty())
            return say("no version newer than " + regressedVersion + " has traffic yet");
        candidate.with(FilterField::AgentVersion, best);
        on.insert(QStringLiteral("version"), toQString(best));
    }
    const std::optional<FigureValue> after = computeFigure(reader, d, candidate);
    if (!after || after->n < d.minSample)
        return say("not enough traffic yet (" + std::to_string(after ? after->n : 0) + " of " +
                   std::to_string(d.minSample) + ")");
    bool recovered = false;
    QJsonObject validation = on;
    validation.insert(QStringLiteral("figure"), figureJson(*after, candidate.fromMs, std::nullopt));
    validation.insert(QStringLiteral("regressed"), figureJson(*regressed, trigger.windowFromMs, trigger.windowToMs));
    if (isChange(d.condition)) {
        const RateComparison test = compareRates(estimateOf(*after), estimateOf(*regressed));
        recovered = test.pValue < d.alpha && (higherIsWorse(d) ? test.difference < 0 : test.difference > 0);
        validation.insert(QStringLiteral("test"), QJsonObject{{QStringLiteral("difference"), test.difference},
                                                              {QStringLiteral("z"), test.z},
                                                              {QStringLiteral("p"), test.pValue}});
    } else {
        recovered = d.condition == MonitorCondition::Above ? after->value <= d.threshold : after->value >= d.threshold;
    }
    validation.insert(QStringLiteral("recovered"), recovered);
    validation.insert(QStringLiteral("checked"), toQString(formatIsoTimestamp(nowMs())));
    const std::string json = compact(validation);
    const TriggerState state = recovered ? TriggerState::Validated : TriggerState::NotRecovered;
    const std::string note = (recovered ? "recovered on " : "not recovered on ") +
                             (on.contains(QStringLiteral("version"))
                                  ? "version " + on.value(QStringLiteral("version")).toString().toStdString()
                                  : "traffic since " + on.value(QStringLiteral("since")).toString().toStdString());
    if (Status saved = setTriggerState(writer, triggerId, state, actor, note,
                                       [triggerId, json](MonitorStore& store) { store.setValidation(triggerId, json); });
        !saved)
        return saved.error();
    if (why)
        *why = note;
    return true;
}

} // namespace winnow
