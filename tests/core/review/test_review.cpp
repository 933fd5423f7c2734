#include "../test_helpers.h"
#include "core/review/review.h"
#include "core/store/review_store.h"

#include <gtest/gtest.h>

#include <fstream>

using namespace winnow;

namespace {

Interaction interaction(const std::string& key, std::int64_t startMs, std::vector<SignalKind> signals = {})
{
    Interaction in;
    in.key = key;
    in.agent = "support-bot";
    in.startMs = startMs;
    Message user;
    user.role = "user";
    user.content = "where is my parcel " + key;
    Message reply;
    reply.role = "assistant";
    reply.content = "It left yesterday.";
    in.messages = {user, reply};
    for (SignalKind kind : signals)
        in.signals.push_back({kind, 1, 1.0, "test"});
    return in;
}

template <typename F> auto inWrite(test::TestStore& store, F f)
{
    using R = decltype(f(std::declval<ReviewStore&>()));
    return store.writer
        ->write<R>(WritePriority::Interactive,
                   [f](WriteTransaction& tx) {
                       ReviewStore review(tx.database());
                       return f(review);
                   })
        .take();
}

Label label(std::int64_t interactionId, const std::string& reviewer, Verdict verdict,
            std::vector<std::int64_t> categories = {}, std::optional<int> severity = std::nullopt)
{
    Label l;
    l.interactionId = interactionId;
    l.reviewer = reviewer;
    l.author = reviewer;
    l.verdict = verdict;
    l.categories = std::move(categories);
    l.severity = severity;
    l.status = LabelStatus::Submitted;
    return l;
}

} // namespace

TEST(Review, TheTaxonomyStartsWithTheDefaultsAndKeepsEveryEdit)
{
    test::TestStore store;
    const auto categories = ReviewStore(store.reader()).categories();
    ASSERT_EQ(categories.size(), 10u);
    EXPECT_EQ(categories.front().name, "incorrect or hallucinated information");
    EXPECT_EQ(categories.back().name, "other");
    const std::int64_t tone = categories[8].id;
    store.write({interaction("a", 1000)});
    inWrite(store,
            [tone](ReviewStore& review) { return review.saveLabel(label(1, "ana", Verdict::Fail, {tone})); });
    inWrite(store, [tone](ReviewStore& review) {
        review.renameCategory(tone, "tone or manner", "owner");
        review.retireCategory(tone, true, "owner");
        review.moveCategory(tone, 1, "owner");
        return review.addCategory("leaked secret", "A credential in the output.", "owner");
    });
    ReviewStore review(store.reader());
    const auto after = review.categories();
    ASSERT_EQ(after.size(), 11u);
    EXPECT_EQ(after.front().id, tone); // moved first
    EXPECT_EQ(after.front().name, "tone or manner");
    EXPECT_TRUE(after.front().retired);
    EXPECT_EQ(after.back().name, "leaked secret");
    const auto history = review.categoryHistory(tone);
    ASSERT_EQ(history.size(), 3u);
    EXPECT_EQ(history[0].action, "rename");
    EXPECT_NE(history[0].before.find("\"tone\""), std::string::npos);
    EXPECT_NE(history[0].after.find("\"tone or manner\""), std::string::npos);
    EXPECT_EQ(history[1].action, "retire");
    EXPECT_EQ(history[2].action, "move");
    EXPECT_EQ(history[2].author, "owner");
    // The retired category keeps its label.
    const auto kept = review.currentLabel(1, "ana");
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->categories, std::vector<std::int64_t>{tone});
}

TEST(Review, ALabelChangesByNewVersionsAndItsHistoryIsComplete)
{
    test::TestStore store;
    store.write({interaction("a", 1000)});
    const std::int64_t first = inWrite(store, [](ReviewStore& review) {
        Label draft = label(1, "ana", Verdict::Unsure);
        draft.status = LabelStatus::Draft;
        return review.saveLabel(draft);
    });
    const std::int64_t second = inWrite(store, [](ReviewStore& review) {
        Label submitted = label(1, "ana", Verdict::Fail, {1, 3}, 3);
        submitted.corrected = "Your parcel arrives on Thursday.";
        submitted.turn = 1;
        return review.saveLabel(submitted);
    });
    inWrite(store, [](ReviewStore& review) { return review.saveLabel(label(1, "ben", Verdict::Pass)); });
    ReviewStore review(store.reader());
    const auto current = review.currentLabel(1, "ana");
    ASSERT_TRUE(current);
    EXPECT_EQ(current->id, second);
    EXPECT_EQ(current->verdict, Verdict::Fail);
    EXPECT_EQ(current->categories, (std::vector<std::int64_t>{1, 3}));
    EXPECT_EQ(current->corrected, "Your parcel arrives on Thursday.");
    const auto history = review.history(second);
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[0].id, first);
    EXPECT_EQ(history[0].status, LabelStatus::Draft);
    EXPECT_EQ(history[1].replaces, first);
    EXPECT_EQ(review.currentLabels(1).size(), 2u); // ana's and ben's
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM labels"), 3);
}

TEST(Review, QueuesInPriorityOrderOrAsASeededSample)
{
    test::TestStore store;
    std::vector<Interaction> all;
    for (int i = 0; i < 40; ++i)
        all.push_back(interaction("i" + std::to_string(i), 1000 + i));
    all[5].signals.push_back({SignalKind::Escalation, 1, 1.0, "x"});
    all[7].signals.push_back({SignalKind::Correction, 1, 1.0, "x"});
    all[9].signals.push_back({SignalKind::Escalation, 1, 1.0, "x"});
    all[9].signals.push_back({SignalKind::ToolError, 1, 1.0, "x"});
    all[30].thumb = -1;
    store.write(all);
    QueueRequest priority;
    priority.name = "worst first";
    auto queue = createQueue(store.reader(), *store.writer, priority);
    ASSERT_TRUE(queue) << queue.error().text();
    EXPECT_EQ(queue->items, 40);
    const auto items = ReviewStore(store.reader()).queueItems(queue->id);
    ASSERT_EQ(items.size(), 40u);
    EXPECT_EQ(items[0], 10); // escalation and a tool error
    EXPECT_EQ(items[1], 31); // a thumb down, newer than the lone escalation
    EXPECT_EQ(items[2], 6);  // escalation
    EXPECT_EQ(items[3], 8);  // correction
    EXPECT_EQ(items[4], 40); // then the most recent
    EXPECT_FALSE(createQueue(store.reader(), *store.writer, priority)); // the name is taken

    QueueRequest sample;
    sample.name = "sample";
    sample.order = QueueOrder::Sample;
    sample.sampleSize = 10;
    sample.seed = 42;
    sample.filter.fromMs = 1010;
    auto drawn = createQueue(store.reader(), *store.writer, sample);
    ASSERT_TRUE(drawn);
    EXPECT_EQ(drawn->items, 10);
    EXPECT_EQ(drawn->sliceSize, 30);
    sample.name = "same seed";
    auto again = createQueue(store.reader(), *store.writer, sample);
    ASSERT_TRUE(again);
    ReviewStore review(store.reader());
    const auto first = review.queueItems(drawn->id);
    EXPECT_EQ(review.queueItems(again->id), first);
    for (std::int64_t id : first)
        EXPECT_GE(id, 11); // inside the slice
    sample.name = "other seed";
    sample.seed = 43;
    auto other = createQueue(store.reader(), *store.writer, sample);
    EXPECT_NE(review.queueItems(other->id), first);

    QueueRequest empty;
    empty.name = "nothing";
    empty.filter.with(FilterField::Agent, "nobody");
    auto none = createQueue(store.reader(), *store.writer, empty);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("no interaction"), std::string::npos);
}

TEST(Review, LabelFilesAreCheckedWholeAndImportedOnce)
{
    test::TestStore store;
    store.write({interaction("a", 1000), interaction("b", 2000)});
    const std::string good = store.dir().write(
        "labels.jsonl",
        R"({"interaction_id":"a","reviewer":"ana","verdict":"fail","categories":["Tone","missed escalation"],"severity":2,"corrected":"Let me get a colleague.","turn":1})"
        "\n"
        R"({"interaction_id":"b","reviewer":"ana","verdict":"PASS"})"
        "\n");
    LabelImport read = readLabelFile(store.reader(), good);
    ASSERT_TRUE(read.problems.empty()) << read.problems.front().message;
    ASSERT_EQ(read.labels.size(), 2u);
    auto imported = importLabels(*store.writer, read.labels);
    ASSERT_TRUE(imported);
    EXPECT_EQ(imported->added, 2);
    // The same file again adds nothing.
    imported = importLabels(*store.writer, readLabelFile(store.reader(), good).labels);
    EXPECT_EQ(imported->added, 0);
    EXPECT_EQ(imported->unchanged, 2);
    const auto label = ReviewStore(store.reader()).currentLabel(1, "ana");
    ASSERT_TRUE(label);
    EXPECT_EQ(label->categories.size(), 2u);
    EXPECT_EQ(label->corrected, "Let me get a colleague.");

    // Every row is checked first; one bad row and nothing of the file is imported.
    const std::string bad =
        store.dir().write("bad.csv", "interaction_id,reviewer,verdict,categories,severity\n"
                                     "b,ben,fail,tone,2\n"
                                     "zzz,ben,fail,,\n"
                                     "a,ben,maybe,,\n"
                                     "a,ben,fail,no such thing,\n"
                                     "a,ben,fail,tone,7\n");
    read = readLabelFile(store.reader(), bad);
    ASSERT_EQ(read.problems.size(), 4u);
    EXPECT_EQ(read.problems[0].line, 3);
    EXPECT_NE(read.problems[0].message.find("no interaction 'zzz'"), std::string::npos);
    EXPECT_EQ(read.problems[1].line, 4);
    EXPECT_NE(read.problems[1].message.find("verdict 'maybe'"), std::string::npos);
    EXPECT_EQ(read.problems[2].line, 5);
    EXPECT_NE(read.problems[2].message.find("no category 'no such thing'"), std::string::npos);
    EXPECT_EQ(read.problems[3].line, 6);
    EXPECT_TRUE(read.labels.empty());

    // A newer label from the same reviewer supersedes theirs; the older stays in its history.
    const std::string newer = store.dir().write(
        "newer.jsonl", R"({"interaction_id":"b","reviewer":"ana","verdict":"fail","categories":["other"]})"
                       "\n");
    imported = importLabels(*store.writer, readLabelFile(store.reader(), newer).labels);
    EXPECT_EQ(imported->added, 1);
    const auto current = ReviewStore(store.reader()).currentLabel(2, "ana");
    ASSERT_TRUE(current);
    EXPECT_EQ(current->verdict, Verdict::Fail);
    EXPECT_EQ(ReviewStore(store.reader()).history(current->id).size(), 2u);

    // Exported labels read back as the same labels.
    const std::string exported = store.dir().path("out.jsonl");
    auto written = exportLabels(store.reader(), std::nullopt, exported);
    ASSERT_TRUE(written);
    EXPECT_EQ(*written, 2);
    read = readLabelFile(store.reader(), exported);
    ASSERT_TRUE(read.problems.empty());
    EXPECT_EQ(importLabels(*store.writer, read.labels)->unchanged, 2);
}

TEST(Review, AgreementOnAQueueIsMeasuredOnSubmittedLabels)
{
    test::TestStore store;
    std::vector<Interaction> all;
    for (int i = 0; i < 10; ++i)
        all.push_back(interaction("i" + std::to_string(i), 1000 + i));
    store.write(all);
    QueueRequest request;
    request.name = "double";
    request.overlap = 2;
    auto queue = createQueue(store.reader(), *store.writer, request);
    ASSERT_TRUE(queue);
    // Nothing pairable yet: said, not NaN.
    QueueAgreement before = measureQueueAgreement(store.reader(), queue->id);
    EXPECT_FALSE(before.verdict);
    EXPECT_NE(before.verdictError.find("two or more reviewers"), std::string::npos);
    inWrite(store, [](ReviewStore& review) {
        for (std::int64_t id = 1; id <= 10; ++id) {
            review.saveLabel(label(id, "ana", id <= 5 ? Verdict::Fail : Verdict::Pass, {id <= 5 ? 1 : 2}, 2));
            review.saveLabel(label(id, "ben", id <= 4 ? Verdict::Fail : Verdict::Pass, {1}, id <= 5 ? 2 : 3));
        }
        Label draft = label(1, "cy", Verdict::Pass);
        draft.status = LabelStatus::Draft; // drafts do not count
        return review.saveLabel(draft);
    });
    QueueAgreement measured = measureQueueAgreement(store.reader(), queue->id);
    ASSERT_TRUE(measured.verdict);
    EXPECT_EQ(measured.verdict->items, 10);
    EXPECT_NEAR(measured.verdict->percent, 0.9, 1e-9);
    ASSERT_TRUE(measured.verdict->cohenKappa);
    EXPECT_NEAR(*measured.verdict->cohenKappa, 0.8, 1e-9); // po 0.9, pe 0.5
    ASSERT_TRUE(measured.severity);
    ASSERT_TRUE(measured.primaryCategory);
    EXPECT_FALSE(measured.categories.empty());
    const auto progress = ReviewStore(store.reader()).progress(queue->id);
    ASSERT_EQ(progress.size(), 3u);
    EXPECT_EQ(progress[0].reviewer, "ana");
    EXPECT_EQ(progress[0].submitted, 10);
    EXPECT_EQ(progress[2].drafts, 1);
}

TEST(Review, AStoreOfTheVersionBeforeGetsTheReviewTables)
{
    test::TempDir dir;
    const std::string path = dir.path("old.db");
    {
        test::TestStore store(path);
        store.write({interaction("a", 1000)});
    }
    test::downgradeToSchema(path, 6);
    test::TestStore upgraded(path);
    EXPECT_EQ(ReviewStore(upgraded.reader()).categories().size(), 10u);
    EXPECT_EQ(upgraded.stats().interactions, 1);
    inWrite(upgraded, [](ReviewStore& review) { return review.saveLabel(label(1, "ana", Verdict::Pass)); });
    EXPECT_TRUE(ReviewStore(upgraded.reader()).currentLabel(1, "ana"));
}

// Slices by review state, for queues and metrics: label, verdict, category, reviewed.
TEST(Review, SlicesByReviewState)
{
    test::TestStore store;
    std::vector<Interaction> all;
    for (int i = 1; i <= 6; ++i)
        all.push_back(interaction("i" + std::to_string(i), 1000 + i));
    store.write(all);
    const std::int64_t tone = ReviewStore(store.reader()).categories()[8].id;
    inWrite(store, [tone](ReviewStore& review) {
        review.saveLabel(label(1, "ana", Verdict::Fail, {tone}));
        review.saveLabel(label(2, "ana", Verdict::Pass));
        review.saveLabel(label(3, "ana", Verdict::Fail));
        review.saveLabel(label(3, "ben", Verdict::Pass)); // they disagree on 3
        review.saveLabel(label(4, "ana", Verdict::Fail));
        Label final = label(4, "", Verdict::Pass); // adjudicated: pass
        final.status = LabelStatus::Final;
        review.saveLabel(final);
        Label draft = label(5, "ana", Verdict::Fail);
        draft.status = LabelStatus::Draft; // a draft is not a review
        return review.saveLabel(draft);
    });
    auto ids = [&](const std::string& condition) {
        MetricsFilter filter;
        filter.with(parseCondition(condition).take());
        return InteractionStore(store.reader()).idsOf(filter, 0, 100);
    };
    using Ids = std::vector<std::int64_t>;
    EXPECT_EQ(ids("reviewed=yes"), (Ids{1, 2, 3, 4}));
    EXPECT_EQ(ids("reviewed=no"), (Ids{5, 6}));
    EXPECT_EQ(ids("label=ben"), (Ids{3}));
    EXPECT_EQ(ids("verdict=fail"), (Ids{1, 3})); // 4's adjudicated label says pass
    EXPECT_EQ(ids("verdict=pass"), (Ids{2, 3, 4}));
    EXPECT_EQ(ids("category=TONE"), (Ids{1}));
    EXPECT_FALSE(parseCondition("verdict=maybe"));
    EXPECT_FALSE(parseCondition("reviewed=perhaps"));
    EXPECT_FALSE(parseCondition("category="));

    // A queue of what nobody has reviewed yet.
    QueueRequest request;
    request.name = "unreviewed";
    request.filter.with(parseCondition("reviewed=no").take());
    auto queue = createQueue(store.reader(), *store.writer, request);
    ASSERT_TRUE(queue);
    EXPECT_EQ(queue->items, 2);
    EXPECT_EQ(queue->conditions, "reviewed=no");
    // And metrics over it.
    MetricsQuery query;
    query.filter.with(parseCondition("verdict=fail").take());
    EXPECT_EQ(computeMetrics(store.reader(), query).summary.interactions, 2);
}
