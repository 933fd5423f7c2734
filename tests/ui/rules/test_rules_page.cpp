#include "../widget_test_helpers.h"
#include "core/rules/rules.h"
#include "core/store/database.h"
#include "core/store/review_store.h"
#include "core/store/sqlite.h"
#include "ui/rules/rules_page.h"

#include <QInputDialog>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QUndoStack>

using namespace winnow;

namespace {
struct RulesFixture
{
    test::DemoStore store{300};
    std::shared_ptr<StoreWriter> writer = StoreWriter::open(store.path).take();
    RulesPage page;
    RulesFixture()
    {
        QSignalSpy loaded(&page, &Page::loaded);
        page.resize(1400, 900);
        page.show();
        page.setStore({store.path, writer, {}});
        EXPECT_TRUE(loaded.wait(15000));
    }
    std::optional<RulePack> storedDraft()
    {
        auto reader = Database::openForReading(store.path).take();
        if (!RuleStore(*reader).draft())
            return std::nullopt;
        return draftPack(*reader).take();
    }
};
} // namespace

// The draft's rules with their hits; an edit is an undoable command, saved once the draft can be.
TEST(RulesPage, EditsAreUndoableAndSaveTheDraft)
{
    RulesFixture f;
    QAbstractItemModelTester tester(f.page.model(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    ASSERT_EQ(f.page.draftRules().size(), defaultRulePack().rules.size());
    EXPECT_GT(f.page.model()->data(f.page.model()->index(0, RuleListModel::Hits)).toLongLong(), 0)
        << "the demo's email addresses, in the period";
    f.page.selectRule(QStringLiteral("pii.email"));
    QSignalSpy saved(&f.page, &RulesPage::draftSaved);
    f.page.editSelected([](Rule& r) { r.status = RuleStatus::Enforce; }, QStringLiteral("enforce"));
    EXPECT_EQ(f.page.undoStack()->count(), 1);
    EXPECT_EQ(f.page.model()->data(f.page.model()->index(0, RuleListModel::Status)).toString(),
              QStringLiteral("enforce"));
    ASSERT_TRUE(saved.wait(15000));
    ASSERT_TRUE(f.storedDraft());
    EXPECT_EQ(f.storedDraft()->rules[0].status, RuleStatus::Enforce);
    f.page.undoStack()->undo();
    EXPECT_EQ(f.page.model()->data(f.page.model()->index(0, RuleListModel::Status)).toString(),
              QStringLiteral("monitor"));
    ASSERT_TRUE(saved.wait(15000));
    EXPECT_EQ(f.storedDraft()->rules[0].status, RuleStatus::Monitor);

    // A new rule with a broken pattern: named with its position, and the draft is not saved.
    f.page.addRule();
    EXPECT_EQ(f.page.draftRules().size(), defaultRulePack().rules.size() + 1);
    f.page.editSelected([](Rule& r) { r.detector.pattern = "ab(c"; }, QStringLiteral("pattern"));
    EXPECT_NE(f.page.statusText().indexOf(QStringLiteral("not saved")), -1)
        << f.page.statusText().toStdString();
    EXPECT_NE(f.page.problemsText().indexOf(QStringLiteral("at character 3")), -1)
        << f.page.problemsText().toStdString();
    f.page.undoStack()->undo();
    f.page.undoStack()->undo();
    EXPECT_EQ(f.page.draftRules().size(), defaultRulePack().rules.size());
}

// The test box highlights what each rule finds and what a validator turned down; the backtest runs
// the draft over the store; publishing makes it a version.
TEST(RulesPage, TestBacktestAndPublish)
{
    RulesFixture f;
    f.page.setTestText(QStringLiteral("card 4111 1111 1111 1111, not 4111 1111 1111 1112"));
    EXPECT_NE(f.page.testResult().indexOf(QStringLiteral("pii.card — characters 5–24")), -1)
        << f.page.testResult().toStdString();
    EXPECT_NE(f.page.testResult().indexOf(QStringLiteral("Turned down by a validator")), -1);

    QSignalSpy finished(&f.page, &RulesPage::backtestFinished);
    f.page.runBacktest();
    ASSERT_TRUE(finished.wait(30000));
    ASSERT_TRUE(f.page.backtestReport());
    EXPECT_GT(f.page.backtestReport()->scanned, 0);
    EXPECT_GT(f.page.backtestReport()->rules.at(0).hits, 0);

    QSignalSpy published(&f.page, &RulesPage::published);
    f.page.selectRule(QStringLiteral("pii.phone"));
    f.page.editSelected([](Rule& r) { r.status = RuleStatus::Disabled; }, QStringLiteral("disable"));
    f.page.publishDraft(QStringLiteral("phones are fine here"));
    ASSERT_TRUE(published.wait(15000));
    EXPECT_EQ(published.at(0).at(0).toLongLong(), 2);
    auto reader = Database::openForReading(f.store.path).take();
    const auto version = RuleStore(*reader).version(2);
    ASSERT_TRUE(version);
    EXPECT_EQ(version->comment, "phones are fine here");
    EXPECT_NE(version->backtestJson.find("\"recall\""), std::string::npos) << "the figures at publish time";
    EXPECT_FALSE(RuleStore(*reader).draft()) << "published: the draft is the applied version again";
    ASSERT_TRUE(test::waitUntil([&] { return f.page.versions().size() == 2; }));
    // The stored interactions get version 2's hits by a run over the store, as a job.
    QSignalSpy ran(&f.page, &RulesPage::ranOverStore);
    f.page.runOverStore();
    ASSERT_TRUE(ran.wait(30000));
    {
        auto after = Database::openForReading(f.store.path).take();
        EXPECT_EQ(RuleStore(*after).scannedVersion(), 2);
        EXPECT_EQ(sql::Connection(f.store.path, sql::Connection::Mode::ReadOnly)
                      .queryInt("SELECT count(*) FROM rule_hits WHERE rule_id = 'pii.phone'"),
                  0)
            << "disabled in version 2";
    }
    f.page.showVersion(2);
    ASSERT_TRUE(test::waitUntil([&] { return f.page.versionText().contains(QStringLiteral("pii.phone")); }));
    EXPECT_NE(f.page.versionText().indexOf(QStringLiteral("changed pii.phone (status)")), -1)
        << f.page.versionText().toStdString();
}

// A rule's hits are a slice: shown in Interactions, or made a review queue of exactly them.
TEST(RulesPage, ARulesHitsBecomeAReviewQueue)
{
    RulesFixture f;
    f.page.selectRule(QStringLiteral("pii.phone"));
    const auto slice = f.page.hitsOfSelected();
    ASSERT_TRUE(slice);
    QSignalSpy shown(&f.page, &Page::showInteractions);
    QSignalSpy queued(&f.page, &Page::reviewQueue);
    f.page.reviewHitsOfSelected();
    QInputDialog* dialog = nullptr;
    ASSERT_TRUE(test::waitUntil([&] {
        dialog = f.page.findChild<QInputDialog*>();
        return dialog != nullptr;
    }));
    dialog->setTextValue(QStringLiteral("phones"));
    dialog->accept();
    ASSERT_TRUE(queued.count() > 0 || queued.wait(15000));
    auto reader = Database::openForReading(f.store.path).take();
    const auto queue = ReviewStore(*reader).queue("phones");
    ASSERT_TRUE(queue);
    std::vector<std::int64_t> items = ReviewStore(*reader).queueItems(queue->id);
    std::sort(items.begin(), items.end());
    EXPECT_EQ(items, InteractionStore(*reader).idsOf(*slice, 0, 1'000'000));
    EXPECT_EQ(
        std::int64_t(items.size()),
        sql::Connection(f.store.path, sql::Connection::Mode::ReadOnly)
            .queryInt("SELECT count(DISTINCT interaction_id) FROM rule_hits WHERE rule_id = 'pii.phone'"));
    EXPECT_FALSE(items.empty());
}

// Suggestions from labelled failures in the screen; one added to the draft is an undoable edit.
TEST(RulesPage, SuggestionsAreAddedToTheDraft)
{
    RulesFixture f;
    const std::int64_t category =
        sql::Connection(f.store.path, sql::Connection::Mode::ReadOnly)
            .queryInt("SELECT id FROM review_categories WHERE name = 'missed escalation'");
    std::vector<std::int64_t> escalated;
    {
        sql::Connection reader(f.store.path, sql::Connection::Mode::ReadOnly);
        sql::Statement select(reader,
                              "SELECT id FROM interactions WHERE signal_mask & 1 ORDER BY id LIMIT 12");
        while (select.step())
            escalated.push_back(select.int64(0));
    }
    ASSERT_TRUE(f.writer->write(WritePriority::Interactive, [&](WriteTransaction& tx) {
        ReviewStore review(tx.database());
        for (const std::int64_t id : escalated) {
            Label l;
            l.interactionId = id;
            l.reviewer = l.author = "ana";
            l.status = LabelStatus::Submitted;
            l.verdict = Verdict::Fail;
            l.categories = {category};
            review.saveLabel(l);
        }
    }));
    f.page.setFilter(MetricsFilter{}); // all time: the labels' interactions
    QSignalSpy suggested(&f.page, &RulesPage::suggested);
    f.page.suggestFor(QStringLiteral("missed escalation"));
    ASSERT_TRUE(suggested.wait(30000));
    ASSERT_TRUE(f.page.suggestions());
    EXPECT_EQ(f.page.suggestions()->failures, 12);
    ASSERT_FALSE(f.page.suggestions()->rules.empty());
    const size_t before = f.page.draftRules().size();
    f.page.addSuggestion(0);
    EXPECT_EQ(f.page.draftRules().size(), before + 1);
    EXPECT_EQ(f.page.draftRules().back().id, f.page.suggestions()->rules[0].rule.id);
    f.page.undoStack()->undo();
    EXPECT_EQ(f.page.draftRules().size(), before);
}
