#pragma once
// Feedback from other systems joined to stored interactions: CSV or JSONL files (`winnow feedback
// import`) and JSON bodies (the receiver's POST /v1/feedback). A record names its interaction by
// `interaction_id` (the interaction's id in the logs), `trace_id` or `session` (the session's
// latest interaction), then any of `thumb` (up or down), `rating`, `comment`, `outcome` and
// `score.NAME`. Signals and rollups follow in the same transaction; records that match nothing
// or say nothing readable are reported with their line.

#include "core/ingest/field_records.h"
#include "core/signals/detectors.h"
#include "core/store/feedback_store.h"
#include "core/util/result.h"

#include <map>
#include <string>
#include <vector>

namespace winnow {

class StoreWriter;

struct FeedbackRecord
{
    std::int64_t line = 0; // in the file, or the record's place in a request body (from 1)
    std::string interactionId, traceId, session;
    FeedbackValues values;
};

struct FeedbackProblem
{
    std::int64_t line = 0;
    std::string reason;
};

// Target → the column or key it is read from, for files that name them otherwise
// (--map interaction_id=conversation_id --map score.csat=csat).
using FeedbackMapping = ColumnMapping;
// "TARGET=SOURCE" with a known target; an Error says which targets there are.
Status addFeedbackMapping(FeedbackMapping& mapping, const std::string& text);

// Records of a .csv file (a header row, RFC 4180 quoting) or of JSONL (anything else); lines that
// cannot be read go to `problems`. An Error when the file cannot be read at all.
Result<std::vector<FeedbackRecord>> readFeedbackFile(const std::string& path, const FeedbackMapping& mapping,
                                                     std::vector<FeedbackProblem>& problems);
// A JSON object, or an array of them.
std::vector<FeedbackRecord> parseFeedbackJson(std::string_view body, std::vector<FeedbackProblem>& problems);

struct FeedbackSummary
{
    std::int64_t records = 0;
    std::int64_t matched = 0;
    std::int64_t changed = 0; // matched and different from what was stored
    std::vector<FeedbackProblem> unmatched;
};

class WriteTransaction;
// Applies records inside a write operation: what the receiver does for one request.
FeedbackSummary applyFeedback(WriteTransaction& tx, const std::vector<FeedbackRecord>& records,
                              SignalDetector& detector);

// Applies the records, a transaction per thousand. The detectors find the interactions' signals
// again (repeats, which depend on other interactions, stay as stored).
Result<FeedbackSummary> importFeedback(StoreWriter& writer, const std::vector<FeedbackRecord>& records,
                                       const DetectorSettings& settings);

} // namespace winnow
