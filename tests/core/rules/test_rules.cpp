#include "../test_helpers.h"
#include "core/demo/generator.h"
#include "core/metrics/drill_down.h"
#include "core/metrics/metrics.h"
#include "core/rules/backtest.h"
#include "core/rules/rules.h"
#include "core/rules/suggest.h"
#include "core/store/review_store.h"
#include "core/store/settings_store.h"

#include <gtest/gtest.h>

using namespace winnow;

namespace {

std::int64_t guardrailRollup(test::TestStore& store)
{
    return store.queryInt("SELECT coalesce(sum(value), 0) FROM rollups r JOIN rollup_metrics m ON m.id = "
                          "r.metric_id WHERE m.name = 'guardrail' AND r.granularity = 1 AND r.level = 0");
}

std::string demoFile(const test::TempDir& dir, int interactions)
{
    DemoOptions demo;
    demo.interactions = interactions;
    demo.seed = 3;
    const std::string path = dir.path("demo.jsonl");
    EXPECT_EQ(writeDemo(demo, DemoFormat::Jsonl, path), "");
    return path;
}

} // namespace

// A new store starts with version 1 published and applied; an ingest writes each interaction's
// hits with it and counts them in the rollups; a delete takes them away.
TEST(Rules, IngestWritesTheAppliedVersionsHitsWithTheirInteractions)
{
    test::TestStore store;
    RuleStore rules(store.reader());
    const auto applied = rules.applied();
    ASSERT_TRUE(applied);
    EXPECT_EQ(applied->number, 1);
    EXPECT_EQ(applied->author, "winnow");
    EXPECT_EQ(rules.scannedVersion(), 1) << "an empty store is all scanned";
    const auto summary = store.ingest({demoFile(store.dir(), 400)});
    EXPECT_EQ(summary.ingested, 400);
    EXPECT_EQ(summary.rulesError, "");
    const std::int64_t withHits = store.queryInt("SELECT count(*) FROM interactions WHERE rule_hits > 0");
    EXPECT_GT(withHits, 10) << "the demo's personal data";
    EXPECT_EQ(store.queryInt("SELECT count(DISTINCT interaction_id) FROM rule_hits"), withHits);
    EXPECT_EQ(store.queryInt("SELECT sum(rule_hits) FROM interactions"),
              store.queryInt("SELECT count(*) FROM rule_hits"));
    EXPECT_EQ(guardrailRollup(store), withHits);
    EXPECT_GT(store.queryInt("SELECT count(*) FROM rule_hits WHERE rule_id = 'pii.phone'"), 0);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM rule_hits WHERE version != 1"), 0);

    // Read back with the interaction.
    const std::int64_t id = store.queryInt("SELECT min(interaction_id) FROM rule_hits");
    const auto detail = InteractionStore(store.reader()).detail(id);
    ASSERT_TRUE(detail);
    ASSERT_FALSE(detail->interaction.ruleHits.empty());
    const RuleHit& hit = detail->interaction.ruleHits.front();
    EXPECT_FALSE(hit.excerpt.empty());
    EXPECT_GT(hit.end, hit.start);

    ASSERT_TRUE(store.writer->write(WritePriority::Interactive,
                                    [id](WriteTransaction& tx) { tx.interactions().remove({id}); }));
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM rule_hits WHERE interaction_id = " + std::to_string(id)),
              0);
    EXPECT_EQ(guardrailRollup(store), withHits - 1);
}

// A store from before rules gets version 1 without hits on what it holds, and says so until a run
// over every interaction; the run's totals equal an ingest's.
TEST(Rules, AnUpgradedStoreIsScannedByARun)
{
    test::TempDir dir;
    const std::string file = demoFile(dir, 300);
    std::int64_t hitsAtIngest = 0, guardrailAtIngest = 0;
    {
        test::TestStore fresh(dir.path("fresh.db"));
        fresh.ingest({file});
        hitsAtIngest = fresh.queryInt("SELECT count(*) FROM rule_hits");
        guardrailAtIngest = guardrailRollup(fresh);
    }
    const std::string old = dir.path("old.db");
    {
        test::TestStore store(old);
        store.ingest({file});
    }
    test::downgradeToSchema(old, 7);
    test::TestStore store(old); // the writer upgrades it
    RuleStore rules(store.reader());
    ASSERT_TRUE(rules.applied());
    EXPECT_FALSE(rules.scannedVersion()) << "its interactions were not scanned";
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM rule_hits"), 0);
    std::vector<std::int64_t> told;
    auto run = runRules(store.reader(), *store.writer, std::nullopt,
                        [&](std::int64_t done, std::int64_t) { told.push_back(done); });
    ASSERT_TRUE(run) << run.error().message;
    EXPECT_EQ(run->interactions, 300);
    EXPECT_FALSE(told.empty());
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM rule_hits"), hitsAtIngest);
    EXPECT_EQ(guardrailRollup(store), guardrailAtIngest);
    EXPECT_EQ(RuleStore(store.reader()).scannedVersion(), 1);
    // Again: the same hits, not twice as many.
    ASSERT_TRUE(runRules(store.reader(), *store.writer));
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM rule_hits"), hitsAtIngest);
    EXPECT_EQ(guardrailRollup(store), guardrailAtIngest);
}

// Versions are immutable and numbered; with the store's policy a version waits for an approver
// other than its author; a rejection keeps its reason; rolling back publishes the old rules again.
TEST(Rules, PublishingApprovalRejectionAndRollBack)
{
    test::TestStore store;
    RulePack pack = defaultRulePack();
    pack.rules[0].status = RuleStatus::Enforce;
    auto published = publishPack(store.reader(), *store.writer, pack, "ana", "enforce email");
    ASSERT_TRUE(published) << published.error().message;
    EXPECT_EQ(published->version, 2);
    EXPECT_EQ(published->state, RuleVersionState::Published);
    EXPECT_EQ(RuleStore(store.reader()).applied()->number, 2);

    ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
        SettingsStore(tx.database()).set(storeSettings::rulesNeedApproval, 1);
    }));
    pack.rules[1].status = RuleStatus::Disabled;
    auto pending = publishPack(store.reader(), *store.writer, pack, "ana", "disable phone");
    ASSERT_TRUE(pending);
    EXPECT_EQ(pending->state, RuleVersionState::Pending);
    EXPECT_EQ(RuleStore(store.reader()).applied()->number, 2) << "not applied before approval";
    const Status self = approveVersion(store.reader(), *store.writer, pending->version, "ana");
    ASSERT_FALSE(self);
    EXPECT_NE(self.error().message.find("someone else approves it"), std::string::npos);
    ASSERT_TRUE(approveVersion(store.reader(), *store.writer, pending->version, "ben"));
    EXPECT_EQ(RuleStore(store.reader()).applied()->number, 3);

    auto another = publishPack(store.reader(), *store.writer, defaultRulePack(), "ana", "back to defaults");
    ASSERT_TRUE(another);
    EXPECT_FALSE(rejectVersion(store.reader(), *store.writer, another->version, "ben", "")) << "says why";
    ASSERT_TRUE(
        rejectVersion(store.reader(), *store.writer, another->version, "ben", "email must stay enforced"));
    EXPECT_EQ(RuleStore(store.reader()).version(another->version)->state, RuleVersionState::Rejected);
    EXPECT_FALSE(approveVersion(store.reader(), *store.writer, another->version, "cy"))
        << "rejected is final";

    const auto events = RuleStore(store.reader()).events(another->version);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].action, "submitted");
    EXPECT_EQ(events[1].action, "rejected");
    EXPECT_EQ(events[1].actor, "ben");
    EXPECT_EQ(events[1].reason, "email must stay enforced");

    ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
        SettingsStore(tx.database()).set(storeSettings::rulesNeedApproval, 0);
    }));
    auto rolledBack = rollBackTo(store.reader(), *store.writer, 1, "ana");
    ASSERT_TRUE(rolledBack);
    EXPECT_EQ(rolledBack->version, 5);
    const auto v1 = versionPack(store.reader(), 1);
    const auto v5 = versionPack(store.reader(), 5);
    ASSERT_TRUE(v1 && v5);
    EXPECT_TRUE(diffPacks(*v1, *v5).empty()) << "the same rules";
    EXPECT_EQ(RuleStore(store.reader()).version(5)->comment, "Roll back to version 1");

    // A pack whose rule fails its own example is not stored.
    RulePack broken = defaultRulePack();
    broken.rules[0].mustMatch = {"no address here"};
    auto refused = publishPack(store.reader(), *store.writer, broken, "ana", "broken");
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("pii.email.examples: does not match 'no address here'"),
              std::string::npos)
        << refused.error().message;
    EXPECT_EQ(RuleStore(store.reader()).versions().size(), 5u);
}

TEST(Rules, ADiffNamesWhatChangedRuleByRule)
{
    RulePack before = defaultRulePack();
    RulePack after = before;
    after.rules[0].status = RuleStatus::Enforce;
    after.rules[1].detector.entity = PiiEntity::Email;
    after.rules.erase(after.rules.begin() + 2);
    Rule added;
    added.id = "new.rule";
    added.title = "New";
    added.detector.pattern = "x";
    after.rules.push_back(added);
    const auto changes = diffPacks(before, after);
    ASSERT_EQ(changes.size(), 4u);
    auto find = [&](const std::string& id) {
        return *std::find_if(changes.begin(), changes.end(),
                             [&](const RuleChange& c) { return c.ruleId == id; });
    };
    EXPECT_EQ(find("pii.email").kind, RuleChange::Kind::Changed);
    EXPECT_EQ(find("pii.email").fields, std::vector<std::string>{"status"});
    EXPECT_EQ(find("pii.phone").fields, std::vector<std::string>{"detector"});
    EXPECT_EQ(find(before.rules[2].id).kind, RuleChange::Kind::Removed);
    EXPECT_EQ(find("new.rule").kind, RuleChange::Kind::Added);
}

// A rule's hits are a slice (rule=ID, rule=* for any), and the guardrail hit rate a rate like the
// others: from the rollups and from a scan alike.
TEST(Rules, HitsAreASliceAndARate)
{
    test::TestStore store;
    store.ingest({demoFile(store.dir(), 500)});
    const std::int64_t any = store.queryInt("SELECT count(*) FROM interactions WHERE rule_hits > 0");
    const std::int64_t phones =
        store.queryInt("SELECT count(DISTINCT interaction_id) FROM rule_hits WHERE rule_id = 'pii.phone'");
    ASSERT_GT(phones, 0);
    MetricsFilter byRule;
    byRule.with(FilterField::Rule, "pii.phone");
    EXPECT_EQ(std::int64_t(InteractionStore(store.reader()).idsOf(byRule, 0, 100000).size()), phones);
    MetricsFilter anyRuleFilter;
    anyRuleFilter.with(FilterField::Rule, anyRule);
    EXPECT_EQ(computeMetrics(store.reader(), anyRuleFilter).interactions, any);
    auto parsed = parseCondition("rule=pii.phone");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->field, FilterField::Rule);
    EXPECT_FALSE(checkCondition(Condition{FilterField::Rule, ""}));

    MetricsQuery all;
    const MetricsReport fromRollups = computeMetrics(store.reader(), all);
    const MetricsReport scanned = computeMetricsByScanning(store.reader(), all);
    EXPECT_EQ(fromRollups.summary.rate(Rate::Guardrail).hits, any);
    EXPECT_EQ(scanned.summary.rate(Rate::Guardrail).hits, any);
    EXPECT_EQ(fromRollups.summary.rate(Rate::Guardrail).n, 500);
    MetricsQuery agent;
    agent.filter.with(FilterField::Tool, "update_address"); // a slice the rollups cannot answer
    const std::int64_t inSlice = computeMetrics(store.reader(), agent).summary.rate(Rate::Guardrail).hits;
    EXPECT_GT(inSlice, 0) << "addresses are personal data";
    EXPECT_EQ(inSlice, computeMetricsByScanning(store.reader(), agent).summary.rate(Rate::Guardrail).hits);
    EXPECT_EQ(conditionForRate(Rate::Guardrail)->value, "*");

    // A breakdown by rule: an interaction in the group of each rule that hit it, the whole counted once.
    MetricsQuery perRule;
    perRule.breakdown = Grouping{FilterField::Rule, {}};
    const MetricsReport broken = computeMetrics(store.reader(), perRule);
    EXPECT_EQ(broken.summary.interactions, 500);
    const auto phoneRow = std::find_if(broken.breakdown.begin(), broken.breakdown.end(),
                                       [](const BreakdownRow& r) { return r.value == "pii.phone"; });
    ASSERT_NE(phoneRow, broken.breakdown.end());
    EXPECT_EQ(phoneRow->summary.interactions, phones);
    EXPECT_TRUE(parseGrouping("rule"));
}

// A backtest counts hits, compares them with the stored version's, and measures agreement with
// reviewers' final labels: recall on the failures of the rule's category, precision on its
// reviewed hits.
TEST(Rules, ABacktestAgreesWithReviewersOrNot)
{
    test::TestStore store;
    std::vector<Interaction> all;
    const char* texts[] = {"mail me at a@example.com", "mine is b@example.com", "no address", "nothing"};
    for (int i = 0; i < 4; ++i) {
        Interaction in;
        in.key = "k" + std::to_string(i);
        in.startMs = 1'700'000'000'000 + i * 86'400'000LL;
        in.messages = {{"user", texts[i]}, {"assistant", "ok"}};
        all.push_back(in);
    }
    store.write(all);
    const std::int64_t unsafe =
        store.queryInt("SELECT id FROM review_categories WHERE name = 'unsafe or non-compliant content'");
    ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [unsafe](WriteTransaction& tx) {
        ReviewStore review(tx.database());
        auto label = [&](std::int64_t id, Verdict verdict) {
            Label l;
            l.interactionId = id;
            l.reviewer = l.author = "ana";
            l.verdict = verdict;
            if (verdict == Verdict::Fail)
                l.categories = {unsafe};
            l.status = LabelStatus::Submitted;
            review.saveLabel(l);
        };
        label(1, Verdict::Fail); // hit, failed: caught
        label(2, Verdict::Pass); // hit, passed
        label(3, Verdict::Fail); // missed
    }));
    Rule email = defaultRulePack().rules[0];
    ASSERT_EQ(email.id, "pii.email");
    auto report = backtest(store.reader(), {email}, MetricsFilter{});
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->scanned, 4);
    ASSERT_EQ(report->rules.size(), 1u);
    const RuleBacktest& b = report->rules[0];
    EXPECT_EQ(b.hits, 2);
    EXPECT_EQ(b.recall.hits, 1);
    EXPECT_EQ(b.recall.n, 2);
    EXPECT_EQ(b.precision.hits, 1);
    EXPECT_EQ(b.precision.n, 2);
    EXPECT_LT(b.recall.low, 0.5);
    EXPECT_GT(b.recall.high, 0.5);
    EXPECT_EQ(b.hitsPerDay.size(), 2u);
    EXPECT_EQ(report->comparedWith, 1) << "an empty store starts scanned by version 1";
    EXPECT_EQ(b.newHits, 2) << "written without the rules: nothing stored";
    EXPECT_EQ(b.examples, (std::vector<std::int64_t>{1, 2}));

    // A slice: one day, or one condition.
    MetricsFilter day;
    day.fromMs = 1'700'000'000'000;
    day.toMs = 1'700'000'000'000 + 86'400'000LL;
    auto first = backtest(store.reader(), {email}, day);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->scanned, 1);
    EXPECT_EQ(first->rules[0].hits, 1);
    MetricsFilter passed;
    passed.with(FilterField::Verdict, "pass");
    auto reviewedPass = backtest(store.reader(), {email}, passed);
    ASSERT_TRUE(reviewedPass);
    EXPECT_EQ(reviewedPass->scanned, 1);
    EXPECT_NE(backtestJson(*report).find("\"recall\""), std::string::npos);
}

// Rules suggested from labelled failures: the phrase, the tool and the figure that come with them,
// each with its evidence and backtest; a phrase new in the recent failures is a new error type.
TEST(Rules, SuggestionsComeFromLabelledFailures)
{
    test::TestStore store;
    std::vector<Interaction> all;
    const std::int64_t day = 86'400'000LL, start = 1'700'000'000'000;
    for (int i = 0; i < 80; ++i) {
        Interaction in;
        in.key = "k" + std::to_string(i);
        in.startMs = start + i * day / 4; // 20 days
        const bool fails = i % 8 == 0;
        const bool recentNew = fails && i >= 56;
        in.messages = {
            {"user", fails ? "my refund was denied again, why" : "where is my parcel today"},
            {"assistant", recentNew ? "sorry I cannot find order records now" : "let me check that"}};
        in.costUsd = fails ? 0.9 : 0.01;
        if (fails) {
            ToolCall call;
            call.name = "issue_refund";
            call.arguments = "{}";
            in.toolCalls.push_back(call);
        }
        all.push_back(in);
    }
    store.write(all);
    const std::int64_t category =
        store.queryInt("SELECT id FROM review_categories WHERE name = 'incomplete task'");
    ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [category](WriteTransaction& tx) {
        ReviewStore review(tx.database());
        for (std::int64_t id = 1; id <= 80; ++id) {
            Label l;
            l.interactionId = id;
            l.reviewer = l.author = "ana";
            l.status = LabelStatus::Submitted;
            l.verdict = (id - 1) % 8 == 0 ? Verdict::Fail : Verdict::Pass;
            if (l.verdict == Verdict::Fail)
                l.categories = {category};
            review.saveLabel(l);
        }
    }));
    auto suggestions = suggestRules(store.reader(), "Incomplete Task", MetricsFilter{});
    ASSERT_TRUE(suggestions) << suggestions.error().message;
    EXPECT_EQ(suggestions->failures, 10);
    EXPECT_EQ(suggestions->others, 70);
    auto find = [&](DetectorKind kind) {
        return std::find_if(suggestions->rules.begin(), suggestions->rules.end(),
                            [&](const RuleSuggestion& s) { return s.rule.detector.kind == kind; });
    };
    const auto phrase = find(DetectorKind::Keywords);
    ASSERT_NE(phrase, suggestions->rules.end());
    EXPECT_NE(phrase->rule.detector.terms.front().find("refund"), std::string::npos) << phrase->why;
    EXPECT_EQ(phrase->failuresHit, 10);
    EXPECT_EQ(phrase->othersHit, 0);
    ASSERT_TRUE(phrase->backtest);
    EXPECT_EQ(phrase->backtest->recall.hits, 10) << "it catches every labelled failure";
    EXPECT_EQ(phrase->backtest->precision.n, 10);
    EXPECT_TRUE(ruleProblems(phrase->rule).empty()) << "a draft rule that can be saved";
    const auto tool = find(DetectorKind::ToolPolicy);
    ASSERT_NE(tool, suggestions->rules.end());
    EXPECT_EQ(tool->rule.detector.deniedTools, std::vector<std::string>{"issue_refund"});
    const auto cost = find(DetectorKind::Threshold);
    ASSERT_NE(cost, suggestions->rules.end());
    EXPECT_EQ(cost->rule.detector.metric, ThresholdMetric::CostUsd);
    ASSERT_FALSE(suggestions->newErrorTypes.empty());
    EXPECT_NE(suggestions->newErrorTypes.front().phrase.find("find order"), std::string::npos)
        << suggestions->newErrorTypes.front().phrase;
    EXPECT_EQ(suggestions->newErrorTypes.front().before, 0);

    EXPECT_FALSE(suggestRules(store.reader(), "no such category", MetricsFilter{}));
    EXPECT_FALSE(suggestRules(store.reader(), "tone", MetricsFilter{})) << "no failure labelled tone";
}
