#include "core/rules/backtest.h"

#include "core/review/review.h"
#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/review_store.h"
#include "core/store/rollups.h"
#include "core/store/rule_store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <chrono>
#include <set>
#include <unordered_set>

namespace winnow {

namespace {

constexpr std::int64_t dayMs = 86'400'000;
constexpr size_t exampleCount = 1000; // enough to review, not the whole store

std::int64_t textBytes(const Interaction& in)
{
    std::int64_t bytes = 0;
    for (const Message& m : in.messages)
        if (m.role != "system")
            bytes += static_cast<std::int64_t>(m.content.size());
    for (const ToolCall& c : in.toolCalls)
        bytes +=
            static_cast<std::int64_t>(c.arguments.size() + (c.resultMessageIndex < 0 ? c.result.size() : 0));
    return bytes;
}

// What each rule's agreement with reviewers is counted from, kept while the scan runs.
struct Tally
{
    std::int64_t labelledFailures = 0, caught = 0; // recall
    std::int64_t reviewedHits = 0, failedHits = 0; // precision
};

} // namespace

Result<BacktestReport> backtest(Database& reader, const std::vector<Rule>& rules, const MetricsFilter& slice,
                                const std::function<void(const BacktestReport&)>& partial,
                                const std::atomic<bool>* cancel, std::int64_t partialEvery)
{
    if (Status checked = checkFilter(slice); !checked)
        return checked.error();
    const auto started = std::chrono::steady_clock::now();
    // A backtest asks what each rule would do: the disabled ones too.
    std::vector<Rule> trial = rules;
    for (Rule& rule : trial)
        if (rule.status == RuleStatus::Disabled)
            rule.status = RuleStatus::Monitor;
    auto engine = RuleEngine::compile(trial, 0);
    if (!engine)
        return engine.error();

    BacktestReport report;
    RuleStore stored(reader);
    if (const auto applied = stored.applied(); applied && stored.scannedVersion() == applied->number)
        report.comparedWith = applied->number;
    for (const Rule& rule : trial)
        report.rules.push_back({rule.id, rule.category});

    // Reviewers' final labels in the slice, and the categories each rule guards against.
    const std::map<std::int64_t, FinalVerdict> verdicts = finalVerdicts(reader, slice);
    const std::vector<ReviewCategory> taxonomy = ReviewStore(reader).categories();
    std::vector<std::optional<std::int64_t>> categoryOf(trial.size());
    for (size_t r = 0; r < trial.size(); ++r)
        if (!trial[r].category.empty())
            if (const ReviewCategory* c = findCategory(taxonomy, trial[r].category))
                categoryOf[r] = c->id;
    std::vector<Tally> tallies(trial.size());
    auto failsIn = [&](const FinalVerdict& v, size_t r) {
        if (v.verdict != Verdict::Fail)
            return false;
        if (trial[r].category.empty())
            return true; // a rule that names no category answers for every failure
        return categoryOf[r] && std::count(v.categories.begin(), v.categories.end(), *categoryOf[r]) > 0;
    };

    // Conditions beyond the time range: the slice's ids, read once.
    std::optional<std::unordered_set<std::int64_t>> inSlice;
    InteractionStore interactions(reader);
    if (!slice.where.empty()) {
        inSlice.emplace();
        std::int64_t after = 0;
        while (true) {
            const std::vector<std::int64_t> ids = interactions.idsOf(slice, after, 50'000);
            if (ids.empty())
                break;
            inSlice->insert(ids.begin(), ids.end());
            after = ids.back();
        }
    }
    std::map<std::string, size_t> indexOf;
    for (size_t r = 0; r < trial.size(); ++r)
        indexOf[trial[r].id] = r;
    auto finish = [&](BacktestReport& out) {
        for (size_t r = 0; r < out.rules.size(); ++r) {
            RuleBacktest& b = out.rules[r];
            b.hitRate = wilsonRate(b.hits, out.scanned);
            b.recall = wilsonRate(tallies[r].caught, tallies[r].labelledFailures);
            b.precision = wilsonRate(tallies[r].failedHits, tallies[r].reviewedHits);
        }
        out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };

    InteractionCursor cursor;
    if (slice.fromMs)
        cursor = {*slice.fromMs - 1, INT64_MAX};
    std::int64_t sinceTold = 0;
    bool done = false;
    while (!done) {
        if (cancel && cancel->load()) {
            report.cancelled = true;
            break;
        }
        std::vector<StoredInteraction> chunk = interactions.after(cursor, backtestChunk);
        if (chunk.empty())
            break;
        for (const StoredInteraction& s : chunk) {
            const Interaction& in = s.interaction;
            if (slice.fromMs && (!in.startMs || *in.startMs < *slice.fromMs))
                continue;
            if (slice.toMs && (!in.startMs || *in.startMs >= *slice.toMs)) {
                done = true;
                break;
            }
            if (inSlice && !inSlice->count(s.id))
                continue;
            ++report.scanned;
            report.bytes += textBytes(in);
            std::vector<bool> hitBy(trial.size(), false), storedBy(trial.size(), false);
            for (const RuleHit& hit : (*engine)->scan(in))
                if (const auto found = indexOf.find(hit.ruleId); found != indexOf.end())
                    hitBy[found->second] = true;
            for (const RuleHit& hit : in.ruleHits)
                if (const auto found = indexOf.find(hit.ruleId); found != indexOf.end())
                    storedBy[found->second] = true;
            const auto verdict = verdicts.find(s.id);
            for (size_t r = 0; r < trial.size(); ++r) {
                RuleBacktest& b = report.rules[r];
                if (hitBy[r]) {
                    ++b.hits;
                    b.hitsPerDay[in.startMs ? floorToMultiple(*in.startMs, dayMs) : noStartBucket] += 1;
                    if (b.examples.size() < exampleCount)
                        b.examples.push_back(s.id);
                }
                if (report.comparedWith) {
                    b.newHits += hitBy[r] && !storedBy[r];
                    b.lostHits += !hitBy[r] && storedBy[r];
                }
                if (verdict != verdicts.end()) {
                    if (failsIn(verdict->second, r)) {
                        ++tallies[r].labelledFailures;
                        tallies[r].caught += hitBy[r];
                    }
                    if (hitBy[r] && verdict->second.verdict != Verdict::Unsure) {
                        ++tallies[r].reviewedHits;
                        tallies[r].failedHits += verdict->second.verdict == Verdict::Fail;
                    }
                }
            }
            if (partial && ++sinceTold >= partialEvery) {
                sinceTold = 0;
                BacktestReport soFar = report;
                finish(soFar);
                partial(soFar);
            }
        }
    }
    finish(report);
    return report;
}

std::string backtestJson(const BacktestReport& report)
{
    auto rate = [](const RateEstimate& r) {
        return QJsonObject{{QStringLiteral("value"), r.value},
                           {QStringLiteral("low"), r.low},
                           {QStringLiteral("high"), r.high},
                           {QStringLiteral("hits"), static_cast<qint64>(r.hits)},
                           {QStringLiteral("n"), static_cast<qint64>(r.n)}};
    };
    QJsonArray rules;
    for (const RuleBacktest& b : report.rules) {
        QJsonObject rule{{QStringLiteral("rule"), QString::fromStdString(b.ruleId)},
                         {QStringLiteral("category"), QString::fromStdString(b.category)},
                         {QStringLiteral("hits"), static_cast<qint64>(b.hits)},
                         {QStringLiteral("hit_rate"), rate(b.hitRate)},
                         {QStringLiteral("recall"), rate(b.recall)},
                         {QStringLiteral("precision"), rate(b.precision)}};
        if (report.comparedWith) {
            rule.insert(QStringLiteral("new_hits"), static_cast<qint64>(b.newHits));
            rule.insert(QStringLiteral("lost_hits"), static_cast<qint64>(b.lostHits));
        }
        rules.append(rule);
    }
    QJsonObject json{{QStringLiteral("interactions"), static_cast<qint64>(report.scanned)},
                     {QStringLiteral("bytes"), static_cast<qint64>(report.bytes)},
                     {QStringLiteral("seconds"), report.seconds},
                     {QStringLiteral("cancelled"), report.cancelled},
                     {QStringLiteral("rules"), rules}};
    if (report.comparedWith)
        json.insert(QStringLiteral("compared_with_version"), static_cast<qint64>(*report.comparedWith));
    return QJsonDocument(json).toJson(QJsonDocument::Compact).toStdString();
}

} // namespace winnow
