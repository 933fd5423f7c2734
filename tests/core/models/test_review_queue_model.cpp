#include "../test_helpers.h"
#include "core/models/review_queue_model.h"
#include "core/review/review.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>

#include <gtest/gtest.h>

using namespace winnow;

// A queue's rows as one reviewer sees them: their own status, how many others have submitted,
// the next item still open for them.
TEST(ReviewQueueModel, ShowsWhereEachItemStandsForTheReviewer)
{
    test::TestStore store;
    std::vector<Interaction> all;
    for (int i = 0; i < 4; ++i) {
        Interaction in;
        in.key = "k" + std::to_string(i);
        in.startMs = 1000 + i;
        if (i == 2)
            in.signals.push_back({SignalKind::Escalation, 0, 1.0, "x"});
        all.push_back(in);
    }
    store.write(all);
    QueueRequest request;
    request.name = "q";
    auto queue = createQueue(store.reader(), *store.writer, request);
    ASSERT_TRUE(queue);
    store.writer
        ->write<std::int64_t>(WritePriority::Interactive,
                              [](WriteTransaction& tx) {
                                  ReviewStore review(tx.database());
                                  Label other;
                                  other.interactionId = 3;
                                  other.reviewer = "ben";
                                  other.author = "ben";
                                  other.verdict = Verdict::Pass;
                                  other.status = LabelStatus::Submitted;
                                  review.saveLabel(other);
                                  other.reviewer = "ana";
                                  other.author = "ana";
                                  return review.saveLabel(other); // ana has done item 3
                              })
        .take();

    ReviewQueueModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setRows(ReviewStore(store.reader()).queueRows(queue->id, "ana"));
    ASSERT_EQ(model.rowCount(), 4);
    EXPECT_EQ(model.data(model.index(0, ReviewQueueModel::Interaction)).toString(), QStringLiteral("k2"));
    EXPECT_EQ(model.data(model.index(0, ReviewQueueModel::Signals)).toString(), QStringLiteral("escalation"));
    const int doneRow = model.rowOf(3);
    EXPECT_EQ(model.data(model.index(doneRow, ReviewQueueModel::Status)).toString(), QStringLiteral("done"));
    EXPECT_TRUE(model.data(model.index(doneRow, 0), ReviewQueueModel::DoneRole).toBool());
    EXPECT_EQ(model.doneCount(), 1);
    EXPECT_EQ(model.nextOpen(doneRow - 1), (doneRow + 1) % 4); // the done row is passed over

    // As ben sees it: his own done, ana's counted as another's.
    ReviewQueueModel bens;
    QAbstractItemModelTester benTester(&bens, QAbstractItemModelTester::FailureReportingMode::Fatal);
    bens.setRows(ReviewStore(store.reader()).queueRows(queue->id, "cy"));
    EXPECT_EQ(bens.data(bens.index(bens.rowOf(3), ReviewQueueModel::Status)).toString(),
              QStringLiteral("pending (2)"));
    EXPECT_EQ(bens.data(bens.index(bens.rowOf(3), ReviewQueueModel::Status), Qt::ToolTipRole).toString(),
              QStringLiteral("Pending for you; 2 other reviewer(s) submitted theirs"));

    // A submit updates its row at once.
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    const int open = model.nextOpen(-1);
    ASSERT_NE(open, doneRow);
    model.setMine(open, LabelStatus::Submitted);
    EXPECT_EQ(changed.count(), 1);
    EXPECT_EQ(model.doneCount(), 2);
    for (int row = 0; row < 4; ++row)
        model.setMine(row, LabelStatus::Submitted);
    EXPECT_EQ(model.nextOpen(0), -1);
    model.setMine(1, std::nullopt);
    EXPECT_EQ(model.nextOpen(3), 1);
}

// The list filtered by where the reviewer's label stands: row numbers, lookups and the next open
// item are the shown rows'; what was submitted while shown stays until the rows are set again.
TEST(ReviewQueueModel, ShowsToDoDraftsOrDone)
{
    std::vector<QueueRow> rows(6);
    for (size_t i = 0; i < rows.size(); ++i) {
        rows[i].position = std::int64_t(i);
        rows[i].interactionId = std::int64_t(10 + i);
        rows[i].key = "k" + std::to_string(i);
    }
    rows[1].mine = LabelStatus::Submitted;
    rows[2].mine = LabelStatus::Draft;
    rows[4].mine = LabelStatus::Submitted;
    ReviewQueueModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setRows(rows);
    EXPECT_EQ(model.rowCount(), 6);

    model.setShow(ReviewQueueModel::Show::ToDo);
    ASSERT_EQ(model.rowCount(), 4); // k0, k2 (a draft), k3, k5
    EXPECT_EQ(model.totalCount(), 6);
    EXPECT_EQ(model.data(model.index(1, ReviewQueueModel::Interaction)).toString(), QStringLiteral("k2"));
    EXPECT_EQ(model.data(model.index(1, ReviewQueueModel::Position)).toLongLong(), 3);
    EXPECT_EQ(model.rowOf(13), 2);
    EXPECT_EQ(model.rowOf(11), -1) << "done: not shown";
    EXPECT_EQ(model.doneCount(), 2) << "of the whole queue";
    model.setMine(2, LabelStatus::Submitted); // k3 submitted while shown
    EXPECT_EQ(model.rowCount(), 4);
    EXPECT_EQ(model.nextOpen(1), 3) << "k5, past the submitted k3";
    EXPECT_EQ(model.doneCount(), 3);

    model.setShow(ReviewQueueModel::Show::Drafts);
    ASSERT_EQ(model.rowCount(), 1);
    EXPECT_EQ(model.rowAt(0)->key, "k2");
    model.setShow(ReviewQueueModel::Show::Done);
    ASSERT_EQ(model.rowCount(), 3);
    EXPECT_EQ(model.rowAt(1)->key, "k3");
    EXPECT_EQ(model.nextOpen(-1), -1);
    model.setShow(ReviewQueueModel::Show::All);
    EXPECT_EQ(model.rowCount(), 6);
    EXPECT_EQ(model.rowAt(3)->mine, LabelStatus::Submitted);
}
