#pragma once
// The Review screen: a reviewer works a queue, keyboard first. Left, the queue's items with where
// each stands; centre, the conversation (drawn as the Interactions detail pane draws it) with the
// judged turn marked; right, the label form. Items are read on workers and the next one is read
// ahead, so that submitting moves on without a wait; every submit is an undoable command.
//
// Keys: 1-9 toggle the first nine categories, P / F / U the verdict, Shift+1-4 the severity, E
// edits the corrected answer (prefilled with the judged turn), Ctrl+Enter submits and opens the
// next open item, J / K next / previous, S skips, Ctrl+Z undoes the last submit, ? shows them.

#include "core/models/review_queue_model.h"
#include "core/store/interaction_store.h"
#include "ui/page.h"

#include <map>
#include <optional>

class QButtonGroup;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QTableView;
class QTextBrowser;
class QToolButton;
class QUndoStack;

namespace winnow {

class JobTracker;

class ReviewPage : public Page
{
    Q_OBJECT
public:
    explicit ReviewPage(QWidget* parent = nullptr);
    void setStore(const StoreContext& store) override;
    unsigned readsChanges() const override { return StoreChange::Review | StoreChange::Interactions; }
    void refresh() override;
    void prepareScreenshot() override;
    bool setScreenshotView(const QString& view) override; // "overview"

    ReviewQueueModel* model() { return m_model; }
    QUndoStack* undoStack() { return m_undo; }
    QString progressText() const;
    // The queue owner's view: progress, a sample's failure rate, agreement, what waits for
    // adjudication (each with a link that takes one reviewer's label as the final one).
    void showOverview(bool shown);
    QString overviewText() const;
    // Takes a reviewer's label as the item's final one (what an overview link does).
    void adjudicateWith(std::int64_t interactionId, const QString& reviewer);
    // Opens the item in the form to write its final label (the next submit is the adjudication).
    void writeFinalLabel(std::int64_t interactionId);
    bool adjudicating() const;
    QString conversationText() const;
    std::optional<std::int64_t> shownInteraction() const;
    // Who reviews; remembered for the next launch unless `remember` is false (a screenshot's).
    void setReviewer(const QString& name, bool remember = true);
    // Opens the queue of this name (the first when empty).
    void openQueue(const QString& name);
    // Which items the list shows (what the Show box chooses).
    void showItems(ReviewQueueModel::Show show);
    // The queue's guidelines: shown unless folded (G), edited in a dialog (what Edit… opens).
    void editGuidelines();
    bool guidelinesShown() const;
    QString guidelinesText() const;

    // The form, as the reviewer has filled it.
    std::optional<Verdict> verdict() const;
    // Chooses what is judged (what the conversation's "judge this" links do).
    void judgeTurn(int message);
    void judgeToolCall(int call);
    int judgedTurn() const { return m_judgedTurn; }
    std::optional<int> judgedToolCall() const { return m_judgedCall; }
    std::vector<std::int64_t> checkedCategories() const;
    std::optional<int> severity() const;

    // A submit (or its undo) was written (or refused, with the error): the row's status follows.
    void labelWritten(std::int64_t interactionId, LabelStatus status, const QString& error);
    // Where the store's writer, on its thread, tells of a submit written (labelWritten).
    const Inbox& writerReplies() const { return m_writerReplies; }

Q_SIGNALS:
    void queuesLoaded();
    void overviewLoaded();
    void itemShown(); // an item's conversation is on screen, its form ready
    void submitted(); // a label was written

protected:
    // The first time the screen shows without a reviewer, it asks for one (remembered).
    void showEvent(QShowEvent* event) override;

private:
    void askReviewer();
    struct LoadedItem
    {
        InteractionDetail detail;
        std::optional<Label> mine; // the reviewer's current label
        std::vector<Label> others; // everyone else's submitted labels (shown per the queue's blindness)
    };
    static std::optional<LoadedItem> readItem(Database& database, std::int64_t id,
                                              const std::string& reviewer);
    void saveDraft();
    // keepShown: a refresh after commits elsewhere (an ingest, another reviewer) leaves the item on
    // screen and its form as the reviewer has it.
    void loadQueues(bool keepShown = false);
    void loadOverview();
    void loadRows(bool keepShown = false);
    void updateGuidelines();
    // The row the list marks as the one on screen, without showing it again.
    void markRow(int row, bool scroll);
    void showRow(int row);
    void prefetch(int row);
    void present(LoadedItem item);
    void setVerdict(Verdict verdict);
    void toggleCategory(int number);
    void setSeverity(int severity);
    void editCorrected();
    void submit();
    void move(int step);
    void updateProgress();
    void updateDiff();
    Label formLabel() const;

    StoreContext m_store;
    bool m_askedReviewer = false;
    QToolButton* m_guidelinesToggle = nullptr;
    QToolButton* m_editGuidelines = nullptr;
    std::string m_guidelinesText; // what m_guidelines renders
    JobTracker* m_queueJobs;
    JobTracker* m_itemJobs;
    JobTracker* m_prefetchJobs;
    ReviewQueueModel* m_model;
    QUndoStack* m_undo;
    Inbox m_writerReplies{this};
    QComboBox* m_queues = nullptr;
    QComboBox* m_show = nullptr;
    QLineEdit* m_reviewer = nullptr;
    QLabel* m_progress = nullptr;
    QTableView* m_items = nullptr;
    QTextBrowser* m_conversation = nullptr;
    QButtonGroup* m_verdicts = nullptr;
    QListWidget* m_categories = nullptr;
    QButtonGroup* m_severities = nullptr;
    QPlainTextEdit* m_note = nullptr;
    QPlainTextEdit* m_corrected = nullptr;
    QTextBrowser* m_diff = nullptr;
    QTextBrowser* m_guidelines = nullptr;
    QTextBrowser* m_overview = nullptr;
    QPushButton* m_overviewButton = nullptr;
    JobTracker* m_overviewJobs;
    QPushButton* m_submit = nullptr;
    QLabel* m_shortcuts = nullptr;
    std::vector<ReviewQueue> m_queueList;
    std::vector<ReviewCategory> m_taxonomy; // in use, in order
    std::optional<ReviewQueue> m_queue;
    int m_row = -1;
    std::optional<LoadedItem> m_item;
    bool m_dirty = false;
    // What is judged in the shown item: a turn (the last assistant answer unless chosen) or a tool call.
    int m_judgedTurn = -1;
    std::optional<int> m_judgedCall;
    void renderConversation();
    bool m_screenshotOverview = false;
    std::optional<std::int64_t> m_adjudicating; // the item whose final label the form writes          // the
                                                // form was changed since the item was shown
    std::map<std::int64_t, LoadedItem> m_ahead; // items read ahead, by interaction
    QString m_wantedQueue;
};

} // namespace winnow
