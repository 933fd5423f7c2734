#pragma once
// Export batches: a slice of the store and a format, curated (personal data redacted with the
// guardrail detectors, near-duplicates removed, categories balanced, a train/validation split
// stratified by category and grouped by session) and written to a folder with a manifest. Every
// written line is checked against its format before the batch is recorded, with the lineage of
// every interaction it holds. The same store and definition give byte-identical files. The app
// (a job) and `winnow export` call these same functions.

#include "core/export/formats.h"
#include "core/store/export_store.h"
#include "core/store/filter.h"
#include "core/util/result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;
class StoreWriter;

struct ExportDefinition
{
    ExportFormat format = ExportFormat::OpenAiChat;
    MetricsFilter slice;
    bool includeUnreviewed = false; // training formats: interactions without a label, as passes
    bool adjudicatedOnly = false;
    bool redact = false;
    std::optional<double> dedupeThreshold;      // remove texts at least this similar (0-1]
    std::optional<double> trainFraction;        // split: this share trains, the rest validates
    std::optional<std::int64_t> maxPerCategory; // balance: at most this many records per stratum
    std::uint64_t seed = 1;                     // the sampling of balance and split
    std::optional<ArgumentsStyle> arguments;    // the format's own when not set
    bool weights = false;                       // openai-chat
    bool operator==(const ExportDefinition&) const = default;
};
Status checkExportDefinition(const ExportDefinition& definition);
// The definition as the batch history keeps it (compact JSON, keys sorted).
std::string exportDefinitionJson(const ExportDefinition& definition);
Result<ExportDefinition> parseExportDefinition(std::string_view json);

// What a definition would take, from the labels alone (no conversation is read): the live count.
struct ExportCount
{
    std::int64_t slice = 0;   // interactions in the slice
    std::int64_t fitting = 0; // interactions whose label fits the format
    std::int64_t records = 0; // records they would give before curation
    std::map<std::string, std::int64_t> leftOut; // by reason (leftOutName)
};
Result<ExportCount> countExport(Database& reader, const ExportDefinition& definition,
                                const std::atomic<bool>* cancel = nullptr);
// The first records exactly as they would be written (redacted when asked; before curation).
Result<std::vector<std::string>> previewExport(Database& reader, const ExportDefinition& definition,
                                               int records, const std::atomic<bool>* cancel = nullptr);

struct ExportResult
{
    std::int64_t batchId = 0;
    std::string outDir;
    std::int64_t records = 0;
    std::int64_t interactions = 0;
    std::string manifestJson;
};
using ExportProgress = std::function<void(std::int64_t done, std::int64_t total)>;
// Writes the batch into `outDir` (which must not exist, or be empty) and records it. Nothing is
// left behind and nothing recorded when it fails or is cancelled (the error says which).
Result<ExportResult> runExport(Database& reader, StoreWriter& writer, const ExportDefinition& definition,
                               const std::string& outDir, const std::string& author,
                               const ExportProgress& progress = {}, const std::atomic<bool>* cancel = nullptr);

} // namespace winnow
