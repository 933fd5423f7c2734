#include "../widget_test_helpers.h"
#include "core/metrics/drill_down.h"
#include "core/review/review.h"
#include "core/store/database.h"
#include "core/store/review_store.h"
#include "ui/dashboard/dashboard_page.h"
#include "ui/interactions/interactions_page.h"
#include "ui/main_window.h"
#include "ui/pages.h"
#include "ui/review/guidelines_dialog.h"
#include "ui/review/review_page.h"
#include "ui/settings.h"

#include <QAbstractBarSeries>
#include <QAbstractItemModelTester>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QInputDialog>
#include <QListWidget>
#include <QMenu>
#include <QPointer>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTextBrowser>
#include <QUndoStack>

using namespace winnow;

namespace {

struct ReviewFixture
{
    test::DemoStore store{300};
    std::shared_ptr<StoreWriter> writer = StoreWriter::open(store.path).take();
    std::int64_t queueId = 0;
    ReviewFixture()
    {
        auto reader = Database::openForReading(store.path).take();
        QueueRequest request;
        request.name = "escalations";
        request.filter.with(FilterField::Signal, "escalation");
        auto queue = createQueue(*reader, *writer, request);
        EXPECT_TRUE(queue) << queue.error().text();
        queueId = queue ? queue->id : 0;
    }
    // Shows the page on this store as `reviewer` (the first item arrives on a worker).
    void open(ReviewPage& page, const QString& reviewer)
    {
        page.resize(1400, 900);
        page.show();
        page.setReviewer(reviewer);
        page.setStore({store.path, writer, {}});
    }
    std::vector<Label> labelsOf(const std::string& reviewer)
    {
        auto reader = Database::openForReading(store.path).take();
        std::vector<Label> mine;
        for (Label& label : ReviewStore(*reader).submittedLabels(queueId))
            if (label.reviewer == reviewer)
                mine.push_back(std::move(label));
        return mine;
    }
};

void press(QWidget* page, Qt::Key key, Qt::KeyboardModifiers modifiers = Qt::NoModifier)
{
    QTest::keyClick(page, key, modifiers);
    QTest::qWait(10);
}

} // namespace

// A reviewer labels five items with the keyboard alone; the store holds exactly what was typed,
// and Ctrl+Z takes the last one back.
TEST(ReviewPage, FiveItemsLabelledByKeyboardAlone)
{
    ReviewFixture fixture;
    ReviewPage page;
    QAbstractItemModelTester tester(page.model(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    fixture.open(page, QStringLiteral("ana"));
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction().has_value(); }));
    const int items = page.model()->rowCount();
    ASSERT_GE(items, 6);
    EXPECT_NE(page.conversationText().indexOf(QStringLiteral("the judged turn")), -1);
    page.activateWindow();
    page.setFocus();

    std::vector<std::int64_t> judged;
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction().has_value(); }));
        judged.push_back(*page.shownInteraction());
        press(&page, i % 2 ? Qt::Key_P : Qt::Key_F);
        press(&page, Qt::Key_1);
        if (i == 0)
            press(&page, Qt::Key_3); // two categories on the first
        press(&page, Qt::Key_2, Qt::ShiftModifier);
        press(&page, Qt::Key_Return, Qt::ControlModifier);
        ASSERT_TRUE(test::waitUntil([&] {
            return page.shownInteraction() && *page.shownInteraction() != judged.back();
        })) << "item "
            << i << " did not move on";
    }
    ASSERT_TRUE(test::waitUntil([&] { return fixture.labelsOf("ana").size() == 5; }));
    const std::vector<Label> labels = fixture.labelsOf("ana");
    std::vector<std::int64_t> stored;
    for (const Label& label : labels) {
        stored.push_back(label.interactionId);
        const size_t index =
            size_t(std::find(judged.begin(), judged.end(), label.interactionId) - judged.begin());
        ASSERT_LT(index, judged.size());
        EXPECT_EQ(label.verdict, index % 2 ? Verdict::Pass : Verdict::Fail);
        EXPECT_EQ(label.severity, 2);
        EXPECT_EQ(label.categories.size(), index == 0 ? 2u : 1u);
        EXPECT_EQ(label.categories.front(), 1);
        EXPECT_EQ(label.queueId, fixture.queueId);
        EXPECT_TRUE(label.turn.has_value());
    }
    std::sort(stored.begin(), stored.end());
    std::sort(judged.begin(), judged.end());
    EXPECT_EQ(stored, judged);
    EXPECT_TRUE(test::waitUntil([&] {
        return page.progressText().indexOf(QStringLiteral("5 done by you")) >= 0;
    })) << page.progressText().toStdString();

    // Undo: the last submit is taken back (a new version, not a deletion).
    EXPECT_EQ(page.undoStack()->count(), 5);
    press(&page, Qt::Key_Z, Qt::ControlModifier);
    ASSERT_TRUE(test::waitUntil([&] { return fixture.labelsOf("ana").size() == 4; }));
    // The page hears of the write after it committed.
    EXPECT_TRUE(test::waitUntil([&] {
        return page.progressText().indexOf(QStringLiteral("4 done by you")) >= 0;
    })) << page.progressText().toStdString();
}

// Typing in the corrected answer types: single-key shortcuts do not fire there.
TEST(ReviewPage, TheCorrectedAnswerIsTypedNotTakenForShortcuts)
{
    ReviewFixture fixture;
    ReviewPage page;
    fixture.open(page, QStringLiteral("ben"));
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction().has_value(); }));
    page.activateWindow();
    page.setFocus();
    press(&page, Qt::Key_E); // opens the corrected answer, prefilled with the judged turn
    QTest::keyClicks(QApplication::focusWidget(), QStringLiteral(" pfu 123 jks"));
    EXPECT_FALSE(page.verdict());
    EXPECT_TRUE(page.checkedCategories().empty());
    const auto shownBefore = page.shownInteraction();
    EXPECT_EQ(page.shownInteraction(), shownBefore);
    press(QApplication::focusWidget(), Qt::Key_Escape);
    press(&page, Qt::Key_F);
    EXPECT_EQ(page.verdict(), Verdict::Fail);
    press(&page, Qt::Key_Return, Qt::ControlModifier);
    ASSERT_TRUE(test::waitUntil([&] { return fixture.labelsOf("ben").size() == 1; }));
    const Label label = fixture.labelsOf("ben").front();
    ASSERT_TRUE(label.corrected);
    EXPECT_NE(label.corrected->find(" pfu 123 jks"), std::string::npos);
}

// "Review these…" on selected rows of Interactions makes a queue of exactly those interactions
// and opens it in the Review screen.
TEST(ReviewPage, ReviewTheseMakesAQueueOfTheSelectedRows)
{
    test::DemoStore demo(300);
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy loaded(window.interactions(), &Page::loaded);
    window.show();
    window.showScreen(QStringLiteral("interactions"));
    ASSERT_TRUE(loaded.wait(15000));
    InteractionListModel* model = window.interactions()->model();
    ASSERT_TRUE(test::waitUntil(
        [&] { return !model->data(model->index(3, 0), InteractionListModel::LoadingRole).toBool(); }));
    std::vector<std::int64_t> picked;
    QItemSelection selection;
    for (int row : {0, 2, 3}) {
        picked.push_back(model->data(model->index(row, 0), InteractionListModel::IdRole).toLongLong());
        selection.select(model->index(row, 0), model->index(row, InteractionListModel::ColumnCount - 1));
    }
    window.interactions()->table()->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    window.interactions()->reviewButton()->click();
    QInputDialog* dialog = nullptr;
    ASSERT_TRUE(test::waitUntil([&] {
        dialog = window.interactions()->findChild<QInputDialog*>();
        return dialog != nullptr;
    }));
    dialog->setTextValue(QStringLiteral("three picked"));
    dialog->accept();
    ASSERT_TRUE(test::waitUntil([&] { return window.review()->model()->rowCount() == 3; }))
        << window.interactions()->countText().toStdString();
    EXPECT_EQ(window.currentScreen(), pageNames().indexOf(QStringLiteral("review")));
    auto reader = Database::openForReading(demo.path).take();
    const auto queue = ReviewStore(*reader).queue("three picked");
    ASSERT_TRUE(queue);
    EXPECT_EQ(ReviewStore(*reader).queueItems(queue->id), picked);
}

// Blind review: another reviewer's label stays hidden until this reviewer has submitted theirs; a
// form left unsubmitted is kept as a draft and comes back.
TEST(ReviewPage, OthersLabelsStayHiddenUntilSubmitAndDraftsAreKept)
{
    ReviewFixture fixture;
    auto reader = Database::openForReading(fixture.store.path).take();
    const std::int64_t first = ReviewStore(*reader).queueItems(fixture.queueId).front();
    fixture.writer
        ->write<std::int64_t>(WritePriority::Interactive,
                              [first](WriteTransaction& tx) {
                                  Label other;
                                  other.interactionId = first;
                                  other.reviewer = "ben";
                                  other.author = "ben";
                                  other.verdict = Verdict::Fail;
                                  other.note = "ben thinks it missed the handoff";
                                  other.status = LabelStatus::Submitted;
                                  return ReviewStore(tx.database()).saveLabel(other);
                              })
        .take();
    ReviewPage page;
    fixture.open(page, QStringLiteral("ana"));
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction() == first; }));
    EXPECT_EQ(page.conversationText().indexOf(QStringLiteral("ben thinks")), -1);
    EXPECT_NE(page.conversationText().indexOf(QStringLiteral("shown once you have submitted yours")), -1);
    page.activateWindow();
    page.setFocus();

    // F, then away without submitting: a draft.
    press(&page, Qt::Key_U);
    press(&page, Qt::Key_J);
    ASSERT_TRUE(
        test::waitUntil([&] { return page.shownInteraction() && *page.shownInteraction() != first; }));
    ASSERT_TRUE(test::waitUntil([&] {
        auto r = Database::openForReading(fixture.store.path).take();
        const auto label = ReviewStore(*r).currentLabel(first, "ana");
        return label && label->status == LabelStatus::Draft && label->verdict == Verdict::Unsure;
    }));
    press(&page, Qt::Key_K);
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction() == first; }));
    EXPECT_EQ(page.verdict(), Verdict::Unsure);                                   // the draft came back
    EXPECT_EQ(page.conversationText().indexOf(QStringLiteral("ben thinks")), -1); // a draft is not a submit

    press(&page, Qt::Key_F);
    press(&page, Qt::Key_Return, Qt::ControlModifier);
    ASSERT_TRUE(test::waitUntil([&] { return fixture.labelsOf("ana").size() == 1; }));
    ASSERT_TRUE(
        test::waitUntil([&] { return page.shownInteraction() && *page.shownInteraction() != first; }));
    press(&page, Qt::Key_K);
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction() == first; }));
    ASSERT_TRUE(test::waitUntil([&] {
        return page.conversationText().indexOf(QStringLiteral("ben thinks")) >= 0;
    })) << page.conversationText().toStdString();
}

// The queue owner's view: agreement between the reviewers, what waits for adjudication, and a
// link that takes one reviewer's label as the final one.
TEST(ReviewPage, TheOverviewShowsAgreementAndAdjudicates)
{
    ReviewFixture fixture;
    auto reader = Database::openForReading(fixture.store.path).take();
    const std::vector<std::int64_t> items = ReviewStore(*reader).queueItems(fixture.queueId);
    ASSERT_GE(items.size(), 4u);
    fixture.writer
        ->write<int>(WritePriority::Interactive,
                     [&items](WriteTransaction& tx) {
                         ReviewStore review(tx.database());
                         for (size_t i = 0; i < 4; ++i)
                             for (const char* who : {"ana", "ben"}) {
                                 Label label;
                                 label.interactionId = items[i];
                                 label.reviewer = who;
                                 label.author = who;
                                 // They disagree on the first item only.
                                 label.verdict =
                                     i == 0 && std::string(who) == "ben" ? Verdict::Pass : Verdict::Fail;
                                 label.categories = {1};
                                 label.status = LabelStatus::Submitted;
                                 review.saveLabel(label);
                             }
                         return 0;
                     })
        .take();
    ReviewPage page;
    fixture.open(page, QStringLiteral("lead"));
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction().has_value(); }));
    QSignalSpy overview(&page, &ReviewPage::overviewLoaded);
    page.showOverview(true);
    ASSERT_TRUE(overview.wait(15000));
    const QString text = page.overviewText();
    EXPECT_NE(text.indexOf(QStringLiteral("Agreement")), -1);
    EXPECT_NE(text.indexOf(QStringLiteral("75.0%")), -1) << text.toStdString(); // verdicts agree on 3 of 4
    EXPECT_NE(text.indexOf(QStringLiteral("Waiting for adjudication (1)")), -1) << text.toStdString();
    // A blind queue: "lead" neither owns it nor labelled the item, so its labels stay hidden.
    EXPECT_NE(text.indexOf(QStringLiteral("whose labels you see once you have submitted")), -1)
        << text.toStdString();
    EXPECT_EQ(text.indexOf(QStringLiteral("take this one")), -1);
    overview.clear();
    page.adjudicateWith(items[0], QStringLiteral("ben"));
    ASSERT_TRUE(overview.wait(15000));
    EXPECT_NE(page.overviewText().indexOf(QStringLiteral("Waiting for adjudication (0)")), -1);
    auto after = Database::openForReading(fixture.store.path).take();
    const auto final = ReviewStore(*after).currentLabel(items[0], "");
    ASSERT_TRUE(final);
    EXPECT_EQ(final->status, LabelStatus::Final);
    EXPECT_EQ(final->verdict, Verdict::Pass);
    EXPECT_EQ(final->author, "lead");
}

// From what the Dashboard shows to what is reviewed: a breakdown bar opens its interactions in
// Interactions, and "Review these…" there (nothing selected) makes a queue of exactly them.
TEST(ReviewPage, ADashboardBarsInteractionsBecomeAQueue)
{
    test::DemoStore demo(300);
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy ready(&window, &MainWindow::storeReady);
    QSignalSpy dashboardLoaded(window.dashboard(), &Page::loaded);
    window.show();
    ASSERT_TRUE(ready.count() > 0 || ready.wait(15000));
    ASSERT_TRUE(dashboardLoaded.count() > 0 || dashboardLoaded.wait(15000)); // the bar is on screen
    QSignalSpy loaded(window.interactions(), &Page::loaded);
    const MetricsFilter bar =
        drillIntoBreakdown(MetricsFilter{}, Grouping{FilterField::Agent}, "support-bot");
    Q_EMIT window.dashboard()->showInteractions(bar); // what a click on the bar does
    ASSERT_TRUE(loaded.wait(15000));
    ASSERT_TRUE(window.interactions()->model()->filter() == bar);
    EXPECT_EQ(window.currentScreen(), pageNames().indexOf(QStringLiteral("interactions")));
    window.interactions()->table()->clearSelection();
    window.interactions()->reviewButton()->click();
    QInputDialog* dialog = nullptr;
    ASSERT_TRUE(test::waitUntil([&] {
        dialog = window.interactions()->findChild<QInputDialog*>();
        return dialog != nullptr;
    }));
    dialog->setTextValue(QStringLiteral("support-bot bar"));
    dialog->accept();
    auto reader = Database::openForReading(demo.path).take();
    std::optional<ReviewQueue> queue;
    ASSERT_TRUE(test::waitUntil([&] {
        queue = ReviewStore(*reader).queue("support-bot bar");
        return queue.has_value();
    }));
    std::vector<std::int64_t> items = ReviewStore(*reader).queueItems(queue->id);
    std::sort(items.begin(), items.end());
    EXPECT_EQ(items, InteractionStore(*reader).idsOf(bar, 0, 1'000'000));
    EXPECT_FALSE(items.empty());
}

// The Dashboard itself offers "Review these…": a right click on the breakdown's top bar makes a
// queue of exactly the interactions a left click on it shows, and the Review page opens it.
TEST(ReviewPage, ARightClickOnADashboardBarMakesAQueueOfExactlyItsInteractions)
{
    test::DemoStore demo(300);
    MainWindow window(QString::fromStdString(demo.path));
    QSignalSpy ready(&window, &MainWindow::storeReady);
    QSignalSpy dashboardLoaded(window.dashboard(), &Page::loaded);
    window.resize(1400, 1000);
    window.show();
    ASSERT_TRUE(ready.count() > 0 || ready.wait(15000));
    ASSERT_TRUE(dashboardLoaded.count() > 0 || dashboardLoaded.wait(15000));
    const DashboardData* data = window.dashboard()->data();
    ASSERT_TRUE(data && !data->report.breakdown.empty());
    QChartView* view = nullptr;
    QAbstractBarSeries* series = nullptr;
    QBarSet* bars = nullptr;
    for (QChartView* chart : window.dashboard()->findChildren<QChartView*>())
        for (QAbstractSeries* each : chart->chart()->series())
            if (auto* barSeries = qobject_cast<QAbstractBarSeries*>(each))
                for (QBarSet* set : barSeries->barSets())
                    if (set->label() == DashboardPage::tr("Escalation rate")) {
                        view = chart;
                        series = barSeries;
                        bars = set;
                    }
    ASSERT_TRUE(bars);
    // The breakdown scrolls into view; the top bar (drawn last) is clicked a quarter along.
    auto* scroll = window.dashboard()->findChild<QScrollArea*>();
    ASSERT_TRUE(scroll);
    scroll->ensureWidgetVisible(view);
    view->grab(); // lays the chart out: bars have their places once drawn
    QTest::qWait(100);
    const int top = int(bars->count()) - 1;
    const QPointF inChart = view->chart()->mapToPosition(QPointF(bars->at(top) / 4, top), series);
    const QPoint onScreen = view->mapFromScene(view->chart()->mapToScene(inChart));
    const BreakdownRow& row = data->report.breakdown.front();
    const MetricsFilter slice =
        drillIntoBreakdown(data->filter, data->options.breakdown, row.value, Rate::Escalation);

    QTest::mouseClick(view->viewport(), Qt::RightButton, {}, onScreen);
    QMenu* menu = nullptr;
    ASSERT_TRUE(test::waitUntil([&] {
        menu = window.dashboard()->findChild<QMenu*>();
        return menu != nullptr && menu->isVisible();
    })) << "a right click on a bar offers a menu";
    EXPECT_EQ(window.currentScreen(), pageNames().indexOf(QStringLiteral("dashboard")))
        << "a right click does not open the interactions";
    QAction* review = nullptr;
    for (QAction* action : menu->actions())
        if (action->text().startsWith(DashboardPage::tr("Review These")))
            review = action;
    ASSERT_TRUE(review && review->isEnabled());
    menu->close();
    review->trigger();
    QInputDialog* dialog = nullptr;
    ASSERT_TRUE(test::waitUntil([&] {
        dialog = window.dashboard()->findChild<QInputDialog*>();
        return dialog != nullptr;
    }));
    EXPECT_NE(dialog->labelText().indexOf(QString::fromStdString(row.value)), -1)
        << "the dialog names the slice: " << dialog->labelText().toStdString();
    dialog->setTextValue(QStringLiteral("top bar"));
    dialog->accept();
    auto reader = Database::openForReading(demo.path).take();
    std::optional<ReviewQueue> queue;
    ASSERT_TRUE(test::waitUntil([&] {
        queue = ReviewStore(*reader).queue("top bar");
        return queue.has_value() && window.currentScreen() == pageNames().indexOf(QStringLiteral("review"));
    }));
    std::vector<std::int64_t> items = ReviewStore(*reader).queueItems(queue->id);
    std::sort(items.begin(), items.end());
    EXPECT_EQ(items, InteractionStore(*reader).idsOf(slice, 0, 1'000'000));
    EXPECT_EQ(std::int64_t(items.size()), row.summary.rate(Rate::Escalation).hits);

    // A left click on the same bar opens exactly those interactions.
    window.showScreen(QStringLiteral("dashboard"));
    QSignalSpy interactionsLoaded(window.interactions(), &Page::loaded);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, onScreen);
    ASSERT_TRUE(interactionsLoaded.wait(15000));
    EXPECT_EQ(window.currentScreen(), pageNames().indexOf(QStringLiteral("interactions")));
    EXPECT_TRUE(window.interactions()->model()->filter() == slice);
}

// A queue's guidelines are shown above the conversation, folded with G (remembered), and written
// in the app: the dialog previews the Markdown and Save stores it.
TEST(ReviewPage, GuidelinesAreShownFoldedAndWrittenInTheApp)
{
    ReviewFixture fixture;
    settings::guidelinesFolded.set(false);
    ReviewPage page;
    QSignalSpy loaded(&page, &Page::loaded);
    fixture.open(page, QStringLiteral("cy"));
    ASSERT_TRUE(loaded.wait(15000));
    EXPECT_FALSE(page.guidelinesShown()) << "the fixture's queue has none";

    page.editGuidelines();
    auto* dialog = page.findChild<GuidelinesDialog*>();
    ASSERT_TRUE(dialog);
    dialog->setMarkdown(QStringLiteral("# Escalations\n\nFail when the bot **could** have answered.\n"));
    auto* preview = dialog->findChild<QTextBrowser*>();
    ASSERT_TRUE(preview);
    EXPECT_EQ(preview->toPlainText().indexOf(QStringLiteral("#")), -1) << "rendered, not the source";
    EXPECT_NE(preview->toPlainText().indexOf(QStringLiteral("could have answered")), -1);
    const QPointer<GuidelinesDialog> open = dialog;
    dialog->save();
    ASSERT_TRUE(test::waitUntil([&] { return page.guidelinesShown() && !open; })) << "saved, then closed";
    EXPECT_NE(page.guidelinesText().indexOf(QStringLiteral("Fail when the bot could have answered.")), -1);
    auto reader = Database::openForReading(fixture.store.path).take();
    EXPECT_EQ(ReviewStore(*reader).queue("escalations")->guidelines,
              "# Escalations\n\nFail when the bot **could** have answered.\n");

    page.activateWindow();
    ASSERT_TRUE(QTest::qWaitForWindowActive(&page));
    page.setFocus();
    press(&page, Qt::Key_G);
    EXPECT_FALSE(page.guidelinesShown());
    EXPECT_TRUE(settings::guidelinesFolded.value()) << "folded stays folded at the next launch";
    press(&page, Qt::Key_G);
    EXPECT_TRUE(page.guidelinesShown());
    EXPECT_FALSE(settings::guidelinesFolded.value());
}

// The window refreshes the page after every commit elsewhere (each second while an ingest runs):
// the item on screen and the form as the reviewer has it stay, nothing is saved behind their back,
// and a taxonomy edited meanwhile keeps their checked categories.
TEST(ReviewPage, ARefreshLeavesTheFormAsTheReviewerHasIt)
{
    ReviewFixture fixture;
    ReviewPage page;
    QSignalSpy loaded(&page, &Page::loaded);
    fixture.open(page, QStringLiteral("dee"));
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction().has_value(); }));
    const std::int64_t shown = *page.shownInteraction();
    page.activateWindow();
    ASSERT_TRUE(QTest::qWaitForWindowActive(&page));
    page.setFocus();
    press(&page, Qt::Key_F);
    press(&page, Qt::Key_2);
    press(&page, Qt::Key_3, Qt::ShiftModifier);
    const std::vector<std::int64_t> checked = page.checkedCategories();
    ASSERT_EQ(checked.size(), 1u);

    for (int round = 0; round < 2; ++round) {
        if (round == 1) { // a category added elsewhere meanwhile
            ASSERT_TRUE(fixture.writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
                ReviewStore(tx.database()).addCategory("leaked secret", "", "lead");
            }));
        }
        loaded.clear();
        page.refresh();
        ASSERT_TRUE(loaded.wait(15000));
        QTest::qWait(50); // anything the refresh set off
        EXPECT_EQ(page.shownInteraction(), shown);
        EXPECT_EQ(page.verdict(), Verdict::Fail);
        EXPECT_EQ(page.checkedCategories(), checked);
        EXPECT_EQ(page.severity(), 3);
    }
    auto reader = Database::openForReading(fixture.store.path).take();
    EXPECT_FALSE(ReviewStore(*reader).currentLabel(shown, "dee")) << "no draft written by a refresh";
    EXPECT_EQ(page.findChild<QListWidget*>()->count(), 11) << "the new category is offered";
}

// The first time the Review screen shows without a reviewer it asks for one, offering the login
// name; the answer is remembered. A name given right away (--reviewer) is not asked again.
TEST(ReviewPage, AsksForTheReviewersNameTheFirstTime)
{
    ReviewFixture fixture;
    qputenv("USER", "zed");
    settings::reviewer.set(QString());
    {
        ReviewPage given;
        given.show();
        given.setReviewer(QStringLiteral("yan"), false);
        QTest::qWait(50);
        EXPECT_FALSE(given.findChild<QInputDialog*>()) << "a name was given";
    }
    ReviewPage page;
    page.setStore({fixture.store.path, fixture.writer, {}});
    page.show();
    QInputDialog* dialog = nullptr;
    ASSERT_TRUE(test::waitUntil([&] {
        dialog = page.findChild<QInputDialog*>();
        return dialog != nullptr && dialog->isVisible();
    }));
    EXPECT_EQ(dialog->textValue(), QStringLiteral("zed"));
    dialog->setTextValue(QStringLiteral("  Zed Q "));
    dialog->accept();
    EXPECT_EQ(settings::reviewer.value(), QStringLiteral("Zed Q"));
    page.hide();
    page.show();
    QTest::qWait(50);
    EXPECT_FALSE(page.findChild<QInputDialog*>()) << "asked once";
    settings::reviewer.set(QStringLiteral("tester"));
}

// The list shows all items, those to do, drafts or done; the item on screen stays when it is
// among them, else the first open one shown opens.
TEST(ReviewPage, TheListShowsToDoOrDone)
{
    ReviewFixture fixture;
    ReviewPage page;
    fixture.open(page, QStringLiteral("eve"));
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction().has_value(); }));
    const int total = page.model()->rowCount();
    page.activateWindow();
    ASSERT_TRUE(QTest::qWaitForWindowActive(&page));
    page.setFocus();
    std::vector<std::int64_t> done;
    for (int i = 0; i < 2; ++i) {
        done.push_back(*page.shownInteraction());
        press(&page, Qt::Key_P);
        press(&page, Qt::Key_Return, Qt::ControlModifier);
        ASSERT_TRUE(test::waitUntil([&] { return *page.shownInteraction() != done.back(); }));
    }
    const std::int64_t onScreen = *page.shownInteraction();
    page.showItems(ReviewQueueModel::Show::ToDo);
    EXPECT_EQ(page.model()->rowCount(), total - 2);
    EXPECT_EQ(page.shownInteraction(), onScreen) << "still to do: it stays";
    EXPECT_NE(page.progressText().indexOf(QStringLiteral("shown (%1 in the queue)").arg(total)), -1)
        << page.progressText().toStdString();
    page.showItems(ReviewQueueModel::Show::Done);
    ASSERT_EQ(page.model()->rowCount(), 2);
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction() != onScreen; }));
    EXPECT_NE(std::find(done.begin(), done.end(), *page.shownInteraction()), done.end());
    page.showItems(ReviewQueueModel::Show::All);
    EXPECT_EQ(page.model()->rowCount(), total);
}

// A label may judge another turn, or a tool call, chosen from the conversation's links.
TEST(ReviewPage, ALabelCanJudgeAToolCall)
{
    ReviewFixture fixture;
    ReviewPage page;
    fixture.open(page, QStringLiteral("cy"));
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction().has_value(); }));
    EXPECT_NE(page.conversationText().indexOf(QStringLiteral("judge this call")), -1)
        << "the escalations queue's first item calls a tool";
    const int lastAnswer = page.judgedTurn();
    page.judgeToolCall(0);
    EXPECT_NE(page.conversationText().indexOf(QStringLiteral("the judged tool call")), -1);
    EXPECT_NE(page.judgedTurn(), lastAnswer); // the turn that made the call
    page.activateWindow();
    page.setFocus();
    const std::int64_t judged = *page.shownInteraction();
    press(&page, Qt::Key_F);
    press(&page, Qt::Key_3);
    press(&page, Qt::Key_Return, Qt::ControlModifier);
    ASSERT_TRUE(test::waitUntil([&] { return fixture.labelsOf("cy").size() == 1; }));
    const Label label = fixture.labelsOf("cy").front();
    EXPECT_EQ(label.interactionId, judged);
    EXPECT_EQ(label.toolCall, 0);
    ASSERT_TRUE(label.turn);
    EXPECT_NE(*label.turn, lastAnswer);
}

// An adjudicator can write the final label themselves, in the same form.
TEST(ReviewPage, AnAdjudicatorWritesTheFinalLabel)
{
    ReviewFixture fixture;
    auto reader = Database::openForReading(fixture.store.path).take();
    const std::int64_t item = ReviewStore(*reader).queueItems(fixture.queueId).at(1);
    fixture.writer
        ->write<int>(WritePriority::Interactive,
                     [item](WriteTransaction& tx) {
                         for (const char* who : {"ana", "ben"}) {
                             Label label;
                             label.interactionId = item;
                             label.reviewer = who;
                             label.author = who;
                             label.verdict = std::string(who) == "ana" ? Verdict::Pass : Verdict::Fail;
                             label.status = LabelStatus::Submitted;
                             ReviewStore(tx.database()).saveLabel(label);
                         }
                         return 0;
                     })
        .take();
    ReviewPage page;
    fixture.open(page, QStringLiteral("lead"));
    ASSERT_TRUE(test::waitUntil([&] { return page.shownInteraction().has_value(); }));
    page.writeFinalLabel(item);
    ASSERT_TRUE(test::waitUntil([&] { return page.adjudicating(); }));
    EXPECT_NE(page.progressText().indexOf(QStringLiteral("adjudication")), -1);
    EXPECT_NE(page.conversationText().indexOf(QStringLiteral("ben")), -1); // an adjudicator sees the labels
    page.activateWindow();
    page.setFocus();
    QSignalSpy overview(&page, &ReviewPage::overviewLoaded);
    press(&page, Qt::Key_U);
    press(&page, Qt::Key_Return, Qt::ControlModifier);
    ASSERT_TRUE(test::waitUntil([&] {
        auto r = Database::openForReading(fixture.store.path).take();
        const auto final = ReviewStore(*r).currentLabel(item, "");
        return final && final->status == LabelStatus::Final;
    }));
    auto after = Database::openForReading(fixture.store.path).take();
    const auto final = ReviewStore(*after).currentLabel(item, "");
    EXPECT_EQ(final->verdict, Verdict::Unsure);
    EXPECT_EQ(final->author, "lead");
    EXPECT_FALSE(ReviewStore(*after).currentLabel(item, "lead")); // not a label of the adjudicator's own
    ASSERT_TRUE(test::waitUntil([&] {
        return page.overviewText().indexOf(QStringLiteral("Waiting for adjudication (0)")) >= 0;
    })) << page.overviewText().toStdString();
}
