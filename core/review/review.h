#pragma once
// Review work over the store: queues made from a slice (in priority order or as a seeded random
// sample), labels exchanged as JSONL or CSV, and the agreement between reviewers on a queue.
// The app and the command line call these same functions.

#include "core/ingest/field_records.h"
#include "core/metrics/metrics.h"
#include "core/review/agreement.h"
#include "core/store/filter.h"
#include "core/store/review_store.h"
#include "core/util/result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;
class StoreWriter;

struct QueueRequest
{
    std::string name;
    std::string owner;
    MetricsFilter filter;
    QueueOrder order = QueueOrder::Priority;
    std::int64_t sampleSize = 0; // Sample: how many
    std::uint64_t seed = 1;      // Sample: the same seed draws the same items
    int overlap = 1;
    bool blind = true;
    std::string guidelines;
    std::vector<std::int64_t> interactionIds; // Given: exactly these, in this order
};

// How much a signal weighs in the priority order (then the most recent first).
int priorityWeight(SignalKind kind);

// The queue's items: the slice in priority order, a sample of it, or the given interactions.
[[nodiscard]] Result<std::vector<std::int64_t>>
chooseQueueItems(Database& reader, const QueueRequest& request, std::int64_t* sliceSize = nullptr);
// Chooses the items on `reader` and stores the queue through the writer; returns the queue.
[[nodiscard]] Result<ReviewQueue> createQueue(Database& reader, StoreWriter& writer,
                                              const QueueRequest& request);

// A queue's guidelines (Markdown) replaced, ahead of bulk writes.
[[nodiscard]] Status setQueueGuidelines(StoreWriter& writer, std::int64_t queueId, std::string markdown);

// One line of a label file (JSONL) or row (CSV), read and checked against the store.
struct LabelFileProblem
{
    std::int64_t line = 0;
    std::string message;
};
struct LabelImport
{
    std::vector<Label> labels;              // when problems is empty
    std::vector<LabelFileProblem> problems; // when not, nothing is imported
};
// Reads every row first: an unknown interaction, an unknown category, a bad verdict or severity is
// a problem naming its line.
// Label fields are read from columns or keys of other names with a mapping (--map
// interaction_id=conversation, addLabelMapping).
LabelImport readLabelFile(Database& reader, const std::string& path, const ColumnMapping& mapping = {});
// "TARGET=SOURCE" with a label field as the target; an Error names them.
Status addLabelMapping(ColumnMapping& mapping, const std::string& text);
struct LabelImportSummary
{
    std::int64_t added = 0;
    std::int64_t unchanged = 0; // the same label was there already
};
// Writes the labels of a checked file in one operation; a label equal to the reviewer's current
// one adds nothing, a different one supersedes it (which stays in its history).
[[nodiscard]] Result<LabelImportSummary> importLabels(StoreWriter& writer, const std::vector<Label>& labels);
// A label as one JSON object: the interaction by its key, categories by name.
std::string labelJson(const Label& label, const std::string& interactionKey,
                      const std::vector<ReviewCategory>& taxonomy);
// Every current submitted label (of a queue's items), one JSON object a line.
[[nodiscard]] Result<std::int64_t> exportLabels(Database& reader, std::optional<std::int64_t> queueId,
                                                const std::string& path);

// Where a queue stands: its items labelled (by at least one reviewer), what each reviewer who
// works on it has pending (items without their label that still need a reviewer), and for a
// sample, the failure rate of the reviewed items with its Wilson 95% interval, per category too.
struct QueueStatus
{
    ReviewQueue queue;
    std::int64_t labeled = 0;
    std::int64_t reviewed = 0; // items with a final verdict (adjudicated, or agreed)
    std::int64_t awaitingAdjudication = 0;
    std::vector<std::pair<std::string, std::int64_t>> pending; // by reviewer
    std::optional<RateEstimate> failureRate;                   // samples only
    std::vector<std::pair<std::string, RateEstimate>> categoryRates;
};
std::vector<QueueStatus> queueStatuses(Database& reader, const std::string& reviewer = {});

// An item's labels disagree when their verdicts or primary categories differ.
bool labelsDisagree(const std::vector<const Label*>& labels);
// An item's final label among its submitted ones: the adjudicated one, else the reviewers' when
// at least `overlap` of them agree; none while they disagree or too few have judged it.
const Label* finalLabel(const std::vector<const Label*>& labels, int overlap = 1);

// Items whose reviewers disagree and that no one has adjudicated yet, with their labels.
struct ItemToAdjudicate
{
    std::int64_t interactionId = 0;
    std::string key;
    std::vector<Label> labels;
};
std::vector<ItemToAdjudicate> adjudicationList(Database& reader, std::optional<std::int64_t> queueId);
// Writes an item's final label (the adjudication): one reviewer's label taken as it is
// (`pickReviewer`), or `final` as written. Kept in the label's history like any label.
[[nodiscard]] Result<std::int64_t> adjudicate(Database& reader, StoreWriter& writer,
                                              std::int64_t interactionId, const std::string& adjudicator,
                                              const std::string& pickReviewer,
                                              std::optional<Label> final = std::nullopt);

// The assistant turn a label judges when it does not say: the last assistant message with text (else
// the last message; -1 for none).
int defaultJudgedTurn(const Interaction& interaction);

// The final label of each reviewed interaction of a slice (those with one). When agreeing reviewers
// wrote it, the corrected answer is the first of theirs that has one.
std::map<std::int64_t, Label> finalLabels(Database& reader, const MetricsFilter& filter);

// The final label of each reviewed interaction of a slice (those with one): its verdict and its
// categories by id, primary first.
struct FinalVerdict
{
    Verdict verdict = Verdict::Unsure;
    std::vector<std::int64_t> categories;
};
std::map<std::int64_t, FinalVerdict> finalVerdicts(Database& reader, const MetricsFilter& filter);

// The final labels of a slice, counted: what `winnow metrics --json` reports as `labels`.
struct LabelCounts
{
    std::int64_t reviewed = 0, pass = 0, fail = 0, unsure = 0;
    std::vector<std::pair<std::string, std::int64_t>> categories; // among failures, by taxonomy order
};
LabelCounts labelCounts(Database& reader, const MetricsFilter& filter);

// Agreement on a queue's (or every) submitted labels, per variable and per category.
struct QueueAgreement
{
    std::optional<Agreement> verdict, primaryCategory, severity;
    std::string verdictError, primaryCategoryError, severityError; // why one could not be measured
    struct PerCategory
    {
        std::string name;
        std::optional<Agreement> agreement;
        std::string error;
    };
    std::vector<PerCategory> categories;
};
QueueAgreement measureQueueAgreement(Database& reader, std::optional<std::int64_t> queueId,
                                     std::uint64_t seed = 1);

} // namespace winnow
