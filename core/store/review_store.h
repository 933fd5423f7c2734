#pragma once
// Review data in the store: the failure taxonomy (every edit kept), labels as append-only versions
// (a change is a new row replacing the one before: the chain is the audit trail, nothing is
// overwritten), and review queues with their items.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winnow {

class Database;
struct MetricsFilter;

enum class Verdict { Pass, Fail, Unsure };
const char* verdictName(Verdict verdict);
std::optional<Verdict> parseVerdict(std::string_view text); // case-insensitive

enum class LabelStatus { Draft, Submitted, Final };
const char* labelStatusName(LabelStatus status);

struct ReviewCategory
{
    std::int64_t id = 0;
    std::string name;
    std::string description;
    int position = 0;
    bool retired = false;
};

// One reviewer's judgement of one interaction (or of one assistant turn or tool call in it).
struct Label
{
    std::int64_t id = 0; // of this version
    std::int64_t interactionId = 0;
    std::string reviewer; // empty for an item's final (adjudicated) label
    std::optional<std::int64_t> queueId;
    std::optional<int> turn;     // the judged message (its index in the conversation)
    std::optional<int> toolCall; // or the judged tool call (its index)
    std::optional<Verdict> verdict;
    std::vector<std::int64_t> categories; // the first is the primary one
    std::optional<int> severity;          // 1-4
    std::string note;
    std::optional<std::string> corrected; // what the agent should have said at that turn
    LabelStatus status = LabelStatus::Draft;
    std::string author; // who made this version
    std::int64_t atMs = 0;
    std::optional<std::int64_t> replaces; // the version before it
};

enum class QueueOrder { Priority, Sample, Given };
const char* queueOrderName(QueueOrder order);

struct ReviewQueue
{
    std::int64_t id = 0;
    std::string name;
    std::string owner;
    std::int64_t createdMs = 0;
    std::optional<std::int64_t> fromMs, toMs;
    std::string conditions; // as conditionListText writes them
    QueueOrder order = QueueOrder::Priority;
    std::optional<std::int64_t> sampleSize;
    std::optional<std::uint64_t> seed;
    std::int64_t sliceSize = 0; // interactions in the slice when the queue was made
    int overlap = 1;            // reviewers per item
    bool blind = true;
    std::string guidelines; // Markdown
    std::int64_t items = 0;
};

struct ReviewerProgress
{
    std::string reviewer;
    std::int64_t submitted = 0;
    std::int64_t drafts = 0;
};

// An item of a queue as a reviewer's list shows it.
struct QueueRow
{
    std::int64_t position = 0;
    std::int64_t interactionId = 0;
    std::string key;
    std::int64_t signalMask = 0;
    std::optional<LabelStatus> mine; // the reviewer's own label, if any
    std::int64_t submitted = 0;      // by anyone
};

// A category by its name (any case) or its id.
const ReviewCategory* findCategory(const std::vector<ReviewCategory>& taxonomy, std::string_view nameOrId);

class ReviewStore
{
public:
    explicit ReviewStore(Database& database);

    // Taxonomy, in its order; retired categories too (they keep their labels).
    std::vector<ReviewCategory> categories();
    std::int64_t addCategory(const std::string& name, const std::string& description,
                             const std::string& author);
    void renameCategory(std::int64_t id, const std::string& name, const std::string& author);
    void describeCategory(std::int64_t id, const std::string& description, const std::string& author);
    void retireCategory(std::int64_t id, bool retired, const std::string& author);
    void moveCategory(std::int64_t id, int position, const std::string& author);
    // The edits of a category, oldest first: (when, who, action, before, after).
    struct CategoryEvent
    {
        std::int64_t atMs;
        std::string author, action, before, after;
    };
    std::vector<CategoryEvent> categoryHistory(std::int64_t id);

    // Appends a version of the reviewer's label for the interaction (replacing their current one,
    // if any); returns its id.
    std::int64_t saveLabel(Label label);
    std::optional<Label> currentLabel(std::int64_t interactionId, const std::string& reviewer);
    std::vector<Label> currentLabels(std::int64_t interactionId);
    // Every current submitted or final label of the items of a queue (of all items: no queue).
    std::vector<Label> submittedLabels(std::optional<std::int64_t> queueId);
    // Every current submitted or final label of the interactions of a slice.
    std::vector<Label> submittedLabelsOf(const MetricsFilter& filter);
    // A label's versions, oldest first.
    std::vector<Label> history(std::int64_t labelId);

    // What a queue is chosen from: each interaction of a slice with its signals, thumb and start.
    struct Candidate
    {
        std::int64_t id = 0;
        std::int64_t signalMask = 0;
        std::optional<int> thumb;
        std::optional<std::int64_t> startMs;
    };
    std::vector<Candidate> candidates(const MetricsFilter& filter);

    std::int64_t createQueue(const ReviewQueue& queue, const std::vector<std::int64_t>& interactionIds);
    // Replaces a queue's guidelines; false when there is no such queue.
    bool setGuidelines(std::int64_t queueId, const std::string& markdown);
    std::vector<ReviewQueue> queues();
    std::optional<ReviewQueue> queue(const std::string& name);
    std::vector<std::int64_t> queueItems(std::int64_t queueId);
    std::vector<ReviewerProgress> progress(std::int64_t queueId);
    // A queue's items in order, with the reviewer's label status and how many have submitted one.
    std::vector<QueueRow> queueRows(std::int64_t queueId, const std::string& reviewer);

private:
    void categoryEvent(std::int64_t id, const std::string& author, const char* action,
                       const std::string& before, const std::string& after);
    Label readLabel(std::int64_t id);
    Database& m_database;
};

} // namespace winnow
