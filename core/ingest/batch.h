#pragma once
// A batch of parsed input on its way to the store: interactions with their signals and rollup
// totals (both made off the writer's thread), the records quarantined meanwhile, and where the
// source stands once it is committed. One batch is one write operation, so a crash at any moment
// loses nothing committed and a re-run resumes exactly where the last commit ended.

#include "core/store/otlp_source_store.h"
#include "core/store/records.h"
#include "core/store/rollups.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace winnow {

class WriteTransaction;

struct Batch
{
    std::vector<Interaction> interactions;
    std::vector<QuarantinedRecord> quarantined;
    SourcePosition position;
    std::int64_t bytes = 0;  // input bytes this batch covers
    RollupDelta rollups;     // the interactions' totals, added as they are accepted
    bool hasRollups = false; // false: the writer makes them
    // OTLP: the interactions the batch's merged traces and joined runs replace (removed first), the
    // sources of the traces it commits, the spans and log records stored as they arrive
    // (receiver: waiting until their trace is taken), the traces it commits whose sources are all
    // stored (receiver), and the runs of model calls it joins.
    std::vector<std::string> replacedKeys;
    std::unordered_map<std::string, std::vector<std::string>> otlpCommitted;
    std::vector<OtlpSource> otlpWaiting;
    std::vector<std::string> otlpStoredCommitted;
    std::vector<OtlpRunRecord> otlpRuns;
};

struct BatchResult
{
    std::int64_t inserted = 0; // new interactions
    std::int64_t updated = 0;  // stored interactions written again (OTLP late arrivals, joined runs)
    std::int64_t duplicates = 0;
    std::int64_t quarantined = 0;
};

// Adds an interaction (its signals already found) to the batch, with its rollup totals.
void addToBatch(Batch& batch, Interaction interaction);

// Writes the batch inside a write operation: its interactions (after removing those it replaces),
// its OTLP sources, its quarantined records and the source's new position (when it has a source).
BatchResult writeBatch(WriteTransaction& tx, const Batch& batch);

} // namespace winnow
