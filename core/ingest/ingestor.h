#pragma once
// Reads log files, folders and streams into the store. The calling thread reads and parses (and
// finds signals and rollup totals); each batch is a bulk write operation on the store's writer,
// committed together with the source's new offset, so a crash at any moment loses nothing
// committed and a re-run resumes where the last commit ended. At most a few batches wait for the
// writer at a time: memory stays flat whatever the input's size.

#include "core/ingest/field_mapping.h"
#include "core/ingest/pricing.h"
#include "core/util/result.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class RuleEngine;

class BackgroundIndexer;
class Database;
class SignalDetector;
class StoreWriter;

enum class InputFormat { Auto, Jsonl, Json, Otlp };
std::string formatName(InputFormat format);
// "jsonl" (alias "winnow"), "json", "otlp" or "auto".
std::optional<InputFormat> parseFormatName(std::string_view name);

struct IngestOptions
{
    InputFormat format = InputFormat::Auto;
    FieldMapping mapping;
    size_t maxRecordBytes = 16u << 20;
    size_t batchInteractions = 2000;
    // Tailing: an unterminated last line always waits for its newline, and OTLP traces whose root
    // span has not arrived stay pending. Without it, a last line that is complete JSON is taken.
    bool follow = false;
    // Keep the search index up to date on another thread while ingesting (else later: SearchIndex).
    bool indexText = true;
    // Take back what was read from each source before and read it again (with these options).
    bool replace = false;
    const std::atomic<bool>* cancel = nullptr;
};

// The options a source was read with, as the store keeps them ({"format": ..., "map": {...}}), so
// that it can be read again the same way; and back.
std::string ingestOptionsJson(const IngestOptions& options, const std::string& format);
Result<IngestOptions> ingestOptionsFromJson(const std::string& json);

struct IngestProgress
{
    std::string path;
    std::int64_t bytesDone = 0;  // of the current input, committed
    std::int64_t bytesTotal = 0; // of the current input, 0 when unknown (a stream)
    std::int64_t ingested = 0;   // in this run, all inputs so far
    std::int64_t duplicates = 0;
    std::int64_t quarantined = 0;
};

// Records that gave interactions without messages but hold role/content objects under another
// key: the --map that would read them.
struct MappingHint
{
    std::string sourcePath; // where in the record ("conversation", "data.turns")
    std::int64_t records = 0;
    std::string map() const { return "messages=" + sourcePath; }
};

struct FileReport
{
    std::string path;
    std::string format;
    std::int64_t ingested = 0;
    std::int64_t duplicates = 0;
    std::int64_t quarantined = 0;
    std::int64_t bytes = 0;        // read in this run
    std::int64_t pendingBytes = 0; // an unterminated last line left for the next run
    std::int64_t replaced = 0;     // interactions of an earlier read taken back (--replace)
    std::int64_t updated = 0;      // stored interactions this input completed (late OTLP spans and
                                   // log records, runs of model calls joined)
    bool restarted = false;        // rotated or truncated since the last run: read from the start
    std::optional<Error> error;    // why it could not be read at all
    std::vector<MappingHint> hints;
};

struct IngestSummary
{
    std::int64_t ingested = 0;
    std::int64_t duplicates = 0;
    std::int64_t quarantined = 0;
    std::int64_t bytes = 0;
    double seconds = 0;
    bool cancelled = false;
    std::string indexError;          // the search index could not be brought up to date
    std::string signalsError;        // the store's detector settings are broken: no signals were found
    std::string rulesError;          // the applied rules version cannot be read: no rule ran
    std::optional<Error> storeError; // the store refused a write: the run stopped there
    std::vector<FileReport> files;
    int unreadable() const;
    // Adds a later round (of following) to these totals; files are matched by path.
    void add(const IngestSummary& round);
};

class Ingestor
{
public:
    Ingestor(StoreWriter& writer, IngestOptions options);
    ~Ingestor();

    // Called on this thread as batches commit.
    std::function<void(const IngestProgress&)> onProgress;

    // Files, folders (recursively, hidden entries skipped) and "-" for standard input.
    IngestSummary ingest(const std::vector<std::string>& paths);
    // Ingests the paths, then reads what is appended to them every `interval` until `stop` is set:
    // the one tail-following loop (winnow ingest --follow, serve --watch, the app's watched
    // sources). `round` is told after each round that read something.
    IngestSummary follow(const std::vector<std::string>& paths, std::chrono::milliseconds interval,
                         const std::atomic<bool>& stop,
                         const std::function<void(const IngestSummary& round)>& round = {});

    // Reads a stream that cannot be resumed (standard input); `name` labels its source.
    FileReport ingestStream(int fd, const std::string& name);

private:
    struct Pipeline;
    FileReport ingestFile(const std::string& path);
    FileReport run(int fd, const std::string& path, bool seekable);
    bool cancelled() const;
    StoreWriter& m_writer;
    IngestOptions m_options;
    BackgroundIndexer* m_indexer = nullptr;
    // Shared by the files of one ingest() so repeats are found across them.
    std::unique_ptr<SignalDetector> m_detector;
    PriceTable m_prices;
    std::shared_ptr<const RuleEngine> m_rules; // the applied version; null without one
    std::unique_ptr<Database> m_reader;        // opened when --replace needs it
    IngestProgress m_progress;
    std::optional<Error> m_storeError;
};

} // namespace winnow
