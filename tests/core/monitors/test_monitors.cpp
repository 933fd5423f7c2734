#include "../test_helpers.h"
#include "core/demo/generator.h"
#include "core/export/export.h"
#include "core/monitors/monitors.h"
#include "core/review/review.h"
#include "core/store/monitor_store.h"
#include "core/store/review_store.h"
#include "core/store/schema.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <gtest/gtest.h>

using namespace winnow;

namespace {

// A demo store: three agents whose releases midway regress an intent each; with `fixAt`, a later
// support-bot release (3.3.0) fixes its regression.
void ingestDemo(test::TestStore& store, std::int64_t interactions, std::optional<double> fixAt = std::nullopt)
{
    DemoOptions options;
    options.interactions = interactions;
    options.seed = 11;
    options.fixAt = fixAt;
    const std::string path = store.dir().path("demo.jsonl");
    ASSERT_EQ(writeDemo(options, DemoFormat::Jsonl, path), "");
    const IngestSummary summary = store.ingest({path});
    ASSERT_EQ(summary.ingested, interactions);
}

QJsonObject object(const std::string& json)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(json)).object();
}

std::optional<StoredTrigger> triggerOf(Database& reader, const std::string& monitor, const std::string& group)
{
    for (const StoredTrigger& trigger : MonitorStore(reader).triggers())
        if (trigger.monitorName == monitor && trigger.group == group)
            return trigger;
    return std::nullopt;
}

} // namespace

TEST(Monitors, ANewStoreWatchesTheCoreRatesPerAgent)
{
    test::TestStore store;
    const std::vector<Monitor> monitors = loadMonitors(store.reader());
    ASSERT_EQ(monitors.size(), 4u);
    EXPECT_EQ(monitors[1].stored.name, "escalation per agent");
    EXPECT_EQ(monitors[1].definition.per, Dimension::Agent);
    EXPECT_EQ(monitors[1].definition.condition, MonitorCondition::ChangeFromPrevious);
    EXPECT_EQ(monitors[1].definition.windowDays, 7);
    EXPECT_EQ(conditionText(monitors[0].definition), "down on the previous 7 days (p < 0.001)");
    EXPECT_EQ(conditionText(monitors[1].definition), "up on the previous 7 days (p < 0.001)");
    // An empty store: nothing to evaluate, nothing raised.
    const MonitorCheck check = checkMonitors(store.reader(), *store.writer, "tester").take();
    EXPECT_EQ(check.windows, 0);
    EXPECT_TRUE(check.raised.empty());
}

TEST(Monitors, DefinitionsAreCheckedAndRoundTrip)
{
    MonitorDefinition d;
    d.figure = MonitorFigure::CategoryFailureRate;
    d.category = "tone";
    d.where = {Condition{FilterField::Intent, "refund"}};
    d.per = Dimension::AgentVersion;
    d.windowDays = 14;
    d.condition = MonitorCondition::ChangeFromBaseline;
    d.baselineFromMs = 1'790'000'000'000;
    d.baselineToMs = 1'790'600'000'000;
    d.minSample = 50;
    EXPECT_EQ(parseMonitorDefinition(monitorDefinitionJson(d)).take(), d);

    MonitorDefinition latency;
    latency.figure = MonitorFigure::LatencyP90;
    EXPECT_FALSE(checkMonitorDefinition(latency)); // a change on latency has no test here
    latency.condition = MonitorCondition::Above;
    latency.threshold = 8000;
    EXPECT_TRUE(checkMonitorDefinition(latency));
    MonitorDefinition score;
    score.figure = MonitorFigure::ScoreMean;
    score.condition = MonitorCondition::Below;
    EXPECT_FALSE(checkMonitorDefinition(score)); // which score?
    MonitorDefinition baseline;
    baseline.condition = MonitorCondition::ChangeFromBaseline;
    EXPECT_FALSE(checkMonitorDefinition(baseline)); // which period?
    MonitorDefinition window;
    window.windowDays = 0;
    EXPECT_FALSE(checkMonitorDefinition(window));
    EXPECT_FALSE(parseMonitorDefinition(R"({"figure":"rate","rate":"grumpiness","condition":"change"})"));
    // A trigger is a number, and one that fits.
    EXPECT_TRUE(parseCondition("trigger=12"));
    EXPECT_FALSE(parseCondition("trigger=twelve"));
    EXPECT_FALSE(parseCondition("trigger=99999999999999999999"));
    EXPECT_FALSE(parseCondition("trigger="));
}

TEST(Monitors, TheDemosRegressedReleaseFiresWithItsEvidenceAndFewInteractionsNeverDo)
{
    test::TestStore store;
    ingestDemo(store, 20'000);
    const MonitorCheck check = checkMonitors(store.reader(), *store.writer, "tester").take();
    ASSERT_FALSE(check.raised.empty());
    const auto trigger = triggerOf(store.reader(), "escalation per agent", "support-bot");
    ASSERT_TRUE(trigger);
    EXPECT_EQ(trigger->state, TriggerState::Open);
    EXPECT_EQ(trigger->owner, "winnow");
    // A window holding support-bot's release (day 15 of 30, 2026-11-05) is worse than the one before.
    const std::int64_t release = 1'793'836'800'000;
    EXPECT_GT(trigger->windowToMs, release);
    EXPECT_LT(trigger->windowFromMs, release + 7 * 86'400'000);
    const QJsonObject figures = object(trigger->figuresJson);
    const double current = figures[QStringLiteral("current")][QStringLiteral("value")].toDouble();
    const double before = figures[QStringLiteral("baseline")][QStringLiteral("value")].toDouble();
    EXPECT_GT(current, before);
    EXPECT_LT(figures[QStringLiteral("test")][QStringLiteral("p")].toDouble(), 0.001);
    EXPECT_GE(figures[QStringLiteral("current")][QStringLiteral("n")].toInt(), 200);
    EXPECT_LE(figures[QStringLiteral("current")][QStringLiteral("low")].toDouble(), current);
    // The evidence: the new release's escalated and corrected conversations of the window, which
    // also holds the version before.
    const QJsonObject evidence = object(trigger->evidenceJson);
    EXPECT_EQ(evidence[QStringLiteral("version")].toString(), QStringLiteral("3.2.0"));
    EXPECT_TRUE(evidence[QStringLiteral("release")].toBool());
    EXPECT_GT(evidence[QStringLiteral("versions")][QStringLiteral("3.2.0")].toInt(), 30);
    EXPECT_GT(evidence[QStringLiteral("signals")][QStringLiteral("escalation")].toInt(), 0);
    EXPECT_GT(evidence[QStringLiteral("signals")][QStringLiteral("correction")].toInt(), 0);
    const std::vector<std::int64_t> ids = MonitorStore(store.reader()).evidence(trigger->id);
    ASSERT_EQ(std::int64_t(ids.size()), trigger->evidenceCount);
    MetricsFilter evidenceSlice;
    evidenceSlice.with(FilterField::Trigger, std::to_string(trigger->id));
    const std::vector<std::int64_t> sliced = InteractionStore(store.reader()).idsOf(evidenceSlice, 0, 100'000);
    EXPECT_EQ(sliced, ids);
    for (const StoredInteraction& in : InteractionStore(store.reader()).whole(ids)) {
        EXPECT_EQ(in.interaction.agent, "support-bot");
        EXPECT_EQ(in.interaction.agentVersion, "3.2.0");
        EXPECT_GE(*in.interaction.startMs, trigger->windowFromMs);
        EXPECT_LT(*in.interaction.startMs, trigger->windowToMs);
        const std::int64_t mask = signalMask(in.interaction.signals);
        EXPECT_TRUE(mask & ((1 << int(SignalKind::Escalation)) | (1 << int(SignalKind::Correction))));
    }

    // Checking again evaluates nothing new and raises nothing twice.
    const MonitorCheck again = checkMonitors(store.reader(), *store.writer, "tester").take();
    EXPECT_EQ(again.windows, 0);
    EXPECT_TRUE(again.raised.empty());

    // Ten interactions never trigger.
    test::TestStore small;
    ingestDemo(small, 300);
    EXPECT_TRUE(checkMonitors(small.reader(), *small.writer, "tester").take().raised.empty());
}

TEST(Monitors, ATriggerWalksTheLoopToValidatedWhenTheNextReleaseFixesTheRegression)
{
    test::TestStore store;
    ingestDemo(store, 30'000, 0.75);
    checkMonitors(store.reader(), *store.writer, "tester").take();
    auto trigger = triggerOf(store.reader(), "escalation per agent", "support-bot");
    ASSERT_TRUE(trigger);
    const std::int64_t id = trigger->id;
    // Not exported yet: nothing to validate.
    std::string why;
    EXPECT_FALSE(validateTrigger(store.reader(), *store.writer, id, "owner", &why).take());
    EXPECT_NE(why.find("only an exported trigger"), std::string::npos);

    // In review: a queue of its evidence.
    const ReviewQueue queue = reviewTrigger(store.reader(), *store.writer, id, "lead").take();
    EXPECT_EQ(queue.items, trigger->evidenceCount);
    EXPECT_NE(queue.name.find("trigger " + std::to_string(id)), std::string::npos);
    trigger = MonitorStore(store.reader()).trigger(id);
    EXPECT_EQ(trigger->state, TriggerState::InReview);
    EXPECT_EQ(trigger->queueId, queue.id);
    EXPECT_FALSE(reviewTrigger(store.reader(), *store.writer, id, "lead")); // once

    // Reviewers correct some of it; the corrections are exported.
    const std::int64_t category = ReviewStore(store.reader()).categories().front().id;
    std::vector<Label> labels;
    for (const std::int64_t item : ReviewStore(store.reader()).queueItems(queue.id)) {
        if (labels.size() == 40)
            break;
        Label label;
        label.interactionId = item;
        label.reviewer = label.author = "ana";
        label.status = LabelStatus::Submitted;
        label.verdict = Verdict::Fail;
        label.categories = {category};
        label.corrected = "Let me transfer you to a colleague who can refund it right away.";
        labels.push_back(label);
    }
    ASSERT_TRUE(importLabels(*store.writer, labels));
    ExportDefinition batch;
    batch.format = ExportFormat::OpenAiChat;
    batch.slice.with(FilterField::Trigger, std::to_string(id));
    const ExportResult exported =
        runExport(store.reader(), *store.writer, batch, store.dir().path("batch"), "trainer").take();
    EXPECT_EQ(exported.records, 40);
    EXPECT_EQ(object(exported.manifestJson)[QStringLiteral("triggers")][0].toInt(), id);
    trigger = MonitorStore(store.reader()).trigger(id);
    EXPECT_EQ(trigger->state, TriggerState::Exported);
    EXPECT_EQ(trigger->batchId, exported.batchId);

    // Version 3.3.0 has enough traffic: the check validates it against the regressed window.
    const MonitorCheck check = checkMonitors(store.reader(), *store.writer, "tester").take();
    EXPECT_NE(std::find(check.validated.begin(), check.validated.end(), id), check.validated.end());
    trigger = MonitorStore(store.reader()).trigger(id);
    EXPECT_EQ(trigger->state, TriggerState::Validated);
    const QJsonObject validation = object(trigger->validationJson);
    EXPECT_EQ(validation[QStringLiteral("version")].toString(), QStringLiteral("3.3.0"));
    EXPECT_TRUE(validation[QStringLiteral("recovered")].toBool());
    EXPECT_LT(validation[QStringLiteral("figure")][QStringLiteral("value")].toDouble(),
              validation[QStringLiteral("regressed")][QStringLiteral("value")].toDouble());
    std::vector<std::string> states;
    for (const TriggerEvent& event : MonitorStore(store.reader()).events(id))
        states.push_back(event.state);
    EXPECT_EQ(states, (std::vector<std::string>{"open", "in_review", "exported", "validated"}));
}

TEST(Monitors, WithoutAFixTheTriggerIsNotRecoveredAndADismissalKeepsItsReason)
{
    test::TestStore store;
    // No fixing release: the owner validates on the traffic after a date instead.
    ingestDemo(store, 20'000);
    checkMonitors(store.reader(), *store.writer, "tester").take();
    const auto trigger = triggerOf(store.reader(), "escalation per agent", "support-bot");
    ASSERT_TRUE(trigger);
    ExportDefinition batch;
    batch.format = ExportFormat::Jsonl;
    batch.slice.with(FilterField::Trigger, std::to_string(trigger->id));
    ASSERT_TRUE(runExport(store.reader(), *store.writer, batch, store.dir().path("batch"), "trainer"));
    ASSERT_TRUE(setValidationDate(store.reader(), *store.writer, trigger->id, trigger->windowToMs));
    EXPECT_TRUE(validateTrigger(store.reader(), *store.writer, trigger->id, "owner").take());
    EXPECT_EQ(MonitorStore(store.reader()).trigger(trigger->id)->state, TriggerState::NotRecovered);
    EXPECT_FALSE(object(MonitorStore(store.reader()).trigger(trigger->id)->validationJson)[QStringLiteral("recovered")]
                     .toBool());

    const auto other = triggerOf(store.reader(), "success per agent", "support-bot");
    ASSERT_TRUE(other);
    EXPECT_FALSE(dismissTrigger(store.reader(), *store.writer, other->id, "owner", "")); // say why
    ASSERT_TRUE(dismissTrigger(store.reader(), *store.writer, other->id, "owner", "the same regression as trigger " +
                                                                                    std::to_string(trigger->id)));
    const auto dismissed = MonitorStore(store.reader()).trigger(other->id);
    EXPECT_EQ(dismissed->state, TriggerState::Dismissed);
    EXPECT_NE(dismissed->reason.find("the same regression"), std::string::npos);
    EXPECT_FALSE(dismissTrigger(store.reader(), *store.writer, other->id, "owner", "again"));
}

TEST(Monitors, AThresholdMonitorOnAScoreAndAStoreOfTheVersionBefore)
{
    test::TestStore store;
    ingestDemo(store, 6'000);
    MonitorDefinition low;
    low.figure = MonitorFigure::ScoreMean;
    low.score = "reward";
    low.condition = MonitorCondition::Below;
    low.threshold = 0.99; // the demo's rewards average well below
    low.minSample = 100;
    ASSERT_TRUE(addMonitor(*store.writer, "reward below 0.99", "ana", low));
    EXPECT_FALSE(addMonitor(*store.writer, "reward below 0.99", "ana", low)); // names are unique
    EXPECT_FALSE(addMonitor(*store.writer, "nobody's", "", low));
    const MonitorCheck check = checkMonitors(store.reader(), *store.writer, "tester").take();
    const auto trigger = triggerOf(store.reader(), "reward below 0.99", "");
    ASSERT_TRUE(trigger);
    EXPECT_EQ(trigger->owner, "ana");
    EXPECT_LT(object(trigger->figuresJson)[QStringLiteral("current")][QStringLiteral("value")].toDouble(), 0.99);
    EXPECT_EQ(object(trigger->figuresJson)[QStringLiteral("threshold")].toDouble(), 0.99);
    // One trigger for the monitor while it walks the loop, however many windows are below.
    std::int64_t ofMonitor = 0;
    for (const StoredTrigger& t : MonitorStore(store.reader()).triggers())
        ofMonitor += t.monitorName == "reward below 0.99";
    EXPECT_EQ(ofMonitor, 1);

    test::TempDir dir;
    const std::string path = dir.path("old.db");
    {
        test::TestStore old(path);
    }
    test::downgradeToSchema(path, 9);
    test::TestStore upgraded(path);
    EXPECT_EQ(loadMonitors(upgraded.reader()).size(), 4u);
    EXPECT_EQ(upgraded.queryInt("PRAGMA user_version"), latestSchemaVersion());
}
