#pragma once
// Reads log files, folders and streams into the store. For each input a parser thread reads and
// parses while the calling thread (the store's one writer) commits batches; each batch carries the
// source's new offset in the same transaction, so a crash at any moment loses nothing committed and
// a re-run resumes where the last commit ended. The Ingestor runs on the thread that owns the Store.

#include "core/ingest/field_mapping.h"
#include "core/store/store.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace winnow {

class BackgroundIndexer;
class SignalDetector;

enum class InputFormat { Auto, Jsonl, Json, Otlp };
std::string formatName(InputFormat format);
// "jsonl" (alias "winnow"), "json", "otlp" or "auto"; false for anything else.
bool parseFormatName(const std::string& name, InputFormat& format);

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
    const std::atomic<bool>* cancel = nullptr;
};

struct IngestProgress
{
    std::string path;
    std::int64_t bytesDone = 0;  // of the current input
    std::int64_t bytesTotal = 0; // of the current input, 0 when unknown (a stream)
    std::int64_t ingested = 0;   // in this run, all inputs so far
    std::int64_t duplicates = 0;
    std::int64_t quarantined = 0;
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
    bool restarted = false;        // rotated or truncated since the last run: read from the start
    std::string error;             // why it could not be read at all
};

struct IngestSummary
{
    std::int64_t ingested = 0;
    std::int64_t duplicates = 0;
    std::int64_t quarantined = 0;
    std::int64_t bytes = 0;
    double seconds = 0;
    bool cancelled = false;
    std::string indexError;   // the search index could not be brought up to date
    std::string signalsError; // the store's detector settings are broken: no signals were found
    std::vector<FileReport> files;
    int unreadable() const;
};

class Ingestor
{
public:
    Ingestor(Store& store, IngestOptions options);
    ~Ingestor();

    // Called on this thread after every commit.
    std::function<void(const IngestProgress&)> onProgress;

    // Files, folders (recursively, hidden entries skipped) and "-" for standard input.
    IngestSummary ingest(const std::vector<std::string>& paths);
    FileReport ingestFile(const std::string& path);
    // Reads a stream that cannot be resumed (standard input); `name` labels its source.
    FileReport ingestStream(int fd, const std::string& name);

private:
    FileReport run(int fd, const std::string& path, bool seekable);
    Store& m_store;
    IngestOptions m_options;
    BackgroundIndexer* m_indexer = nullptr;
    // Shared by the files of one ingest() so repeats are found across them; used by one parser
    // thread at a time.
    std::unique_ptr<SignalDetector> m_detector;
    IngestProgress m_progress;
};

} // namespace winnow
