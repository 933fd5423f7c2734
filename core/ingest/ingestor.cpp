#include "core/ingest/ingestor.h"

#include "core/rules/rules.h"

#include "core/ingest/batch.h"
#include "core/ingest/otlp.h"
#include "core/ingest/otlp_runs.h"
#include "core/ingest/record_parser.h"
#include "core/ingest/validation.h"
#include "core/signals/rebuild.h"
#include "core/store/database.h"
#include "core/store/deletion.h"
#include "core/store/otlp_source_store.h"
#include "core/store/price_store.h"
#include "core/store/search_index.h"
#include "core/store/settings_store.h"
#include "core/store/source_store.h"
#include "core/store/store_writer.h"
#include "core/util/text.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace winnow {

std::string formatName(InputFormat format)
{
    switch (format) {
    case InputFormat::Jsonl:
        return "jsonl";
    case InputFormat::Json:
        return "json";
    case InputFormat::Otlp:
        return "otlp";
    case InputFormat::Auto:
        break;
    }
    return "auto";
}

std::optional<InputFormat> parseFormatName(std::string_view name)
{
    if (name == "jsonl" || name == "winnow" || name == "ndjson")
        return InputFormat::Jsonl;
    if (name == "json")
        return InputFormat::Json;
    if (name == "otlp" || name == "otlp-json")
        return InputFormat::Otlp;
    if (name == "auto")
        return InputFormat::Auto;
    return std::nullopt;
}

int IngestSummary::unreadable() const
{
    return static_cast<int>(
        std::count_if(files.begin(), files.end(), [](const FileReport& f) { return f.error.has_value(); }));
}

void IngestSummary::add(const IngestSummary& round)
{
    ingested += round.ingested;
    duplicates += round.duplicates;
    quarantined += round.quarantined;
    bytes += round.bytes;
    if (!round.indexError.empty())
        indexError = round.indexError;
    if (round.storeError)
        storeError = round.storeError;
    for (const FileReport& file : round.files) {
        auto it = std::find_if(files.begin(), files.end(),
                               [&file](const FileReport& f) { return f.path == file.path; });
        if (it == files.end()) {
            files.push_back(file);
            continue;
        }
        it->ingested += file.ingested;
        it->duplicates += file.duplicates;
        it->quarantined += file.quarantined;
        it->bytes += file.bytes;
        it->pendingBytes = file.pendingBytes;
        it->restarted = it->restarted || file.restarted;
        it->error = file.error;
        it->format = file.format;
        for (const MappingHint& hint : file.hints) {
            auto same = std::find_if(it->hints.begin(), it->hints.end(),
                                     [&](const MappingHint& h) { return h.sourcePath == hint.sourcePath; });
            if (same == it->hints.end())
                it->hints.push_back(hint);
            else
                same->records += hint.records;
        }
    }
}

namespace {

constexpr size_t chunkBytes = 4u << 20;
constexpr size_t fingerprintBytes = 1024;
constexpr size_t batchBytes = 16u << 20;

// How a file is laid out: records one per line, or JSON values that may span lines (a JSON array
// of records, or one pretty-printed OTLP request).
struct Layout
{
    InputFormat format = InputFormat::Jsonl;
    bool lines = true;
    bool binary = false;
};

bool readFully(int fd, char* into, size_t size, std::int64_t offset, size_t& got)
{
    got = 0;
    while (got < size) {
        const ssize_t n = pread(fd, into + got, size - got, static_cast<off_t>(offset + got));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (n == 0)
            break;
        got += static_cast<size_t>(n);
    }
    return true;
}

std::string fingerprintOf(std::string_view firstBytes)
{
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash64(firstBytes)));
    return std::to_string(firstBytes.size()) + ":" + hex;
}

// True when the file still starts with the bytes the stored fingerprint was taken of.
bool fingerprintStillMatches(int fd, const std::string& stored)
{
    const size_t colon = stored.find(':');
    if (colon == std::string::npos)
        return false;
    const size_t length = std::strtoull(stored.c_str(), nullptr, 10);
    std::string bytes(length, '\0');
    size_t got = 0;
    if (!readFully(fd, bytes.data(), length, 0, got) || got != length)
        return false;
    return fingerprintOf(bytes) == stored;
}

Layout detectLayout(std::string_view head, InputFormat forced)
{
    Layout layout;
    const size_t probe = std::min<size_t>(head.size(), 4096);
    if (std::memchr(head.data(), '\0', probe)) {
        layout.binary = true;
        return layout;
    }
    size_t pos = 0;
    if (head.substr(0, 3) == "\xEF\xBB\xBF")
        pos = 3;
    while (pos < head.size() && std::isspace(static_cast<unsigned char>(head[pos])))
        ++pos;
    const char first = pos < head.size() ? head[pos] : '{';
    const size_t newline = head.find('\n', pos);
    const std::string_view firstLine =
        head.substr(pos, newline == std::string_view::npos ? head.size() - pos : newline - pos);
    simdjson::dom::parser parser;
    simdjson::padded_string padded(firstLine);
    simdjson::dom::element element;
    const bool firstLineIsValue = !parser.parse(padded).get(element);

    // One document spread over lines: a top-level array, or an object whose first line is not a
    // whole value and whose next line is indented the way pretty-printers write. Anything else is
    // one record per line, so that a broken line costs that line only.
    const bool nextLineIndented = newline != std::string_view::npos && newline + 1 < head.size() &&
                                  (head[newline + 1] == ' ' || head[newline + 1] == '\t');
    layout.lines = first != '[' && (firstLineIsValue || !nextLineIndented);
    if (forced == InputFormat::Jsonl)
        layout.lines = true;
    if (forced != InputFormat::Auto) {
        layout.format = forced;
        return layout;
    }
    const bool looksLikeOtlp = firstLineIsValue
                                   ? element.at_key("resourceSpans").error() == simdjson::SUCCESS ||
                                         element.at_key("resourceLogs").error() == simdjson::SUCCESS
                                   : head.find("\"resourceSpans\"") != std::string_view::npos ||
                                         head.find("\"resourceLogs\"") != std::string_view::npos;
    layout.format =
        looksLikeOtlp ? InputFormat::Otlp : (layout.lines ? InputFormat::Jsonl : InputFormat::Json);
    return layout;
}

// The input bytes from file offset base() on, refilled a chunk at a time, with simdjson's padding
// readable past the end so records can be parsed where they lie. The reader drops what it has
// consumed from the front; at most one record longer than a chunk is ever held.
class InputWindow
{
public:
    InputWindow(int fd, std::int64_t base, size_t maxRecordBytes)
        : m_fd(fd), m_base(base),
          m_buffer(new char[maxRecordBytes + chunkBytes + simdjson::SIMDJSON_PADDING + 1])
    {
    }

    // Reads the next chunk; false at the end of the input.
    bool fill()
    {
        ssize_t n;
        do {
            n = ::read(m_fd, m_buffer.get() + m_length, chunkBytes);
        } while (n < 0 && errno == EINTR);
        if (n < 0)
            throw std::runtime_error(std::string("read failed: ") + std::strerror(errno));
        m_length += static_cast<size_t>(n);
        std::memset(m_buffer.get() + m_length, 0, simdjson::SIMDJSON_PADDING);
        return n > 0;
    }

    void dropFront(size_t count)
    {
        std::memmove(m_buffer.get(), m_buffer.get() + count, m_length - count);
        m_base += static_cast<std::int64_t>(count);
        m_length -= count;
    }

    const char* data() const { return m_buffer.get(); }
    size_t length() const { return m_length; }
    std::int64_t base() const { return m_base; }
    std::int64_t offsetOf(size_t position) const { return m_base + static_cast<std::int64_t>(position); }

private:
    int m_fd;
    std::int64_t m_base;
    std::unique_ptr<char[]> m_buffer;
    size_t m_length = 0;
};

// Runs on the calling thread: reads from the current position of `fd`, frames and parses
// records, finds signals and rollup totals, and hands batches to the sink (the writer). The sink
// answers false once the store refused a write: reading stops there.
class Producer
{
public:
    using Sink = std::function<bool(Batch&& batch)>;
    Producer(const IngestOptions& options, int fd, Layout layout, SourcePosition start, Sink sink,
             SignalDetector* detector, const PriceTable* prices, const RuleEngine* rules,
             const std::string& storePath)
        : m_options(options), m_fd(fd), m_layout(layout), m_sink(std::move(sink)), m_records(options.mapping),
          m_detector(detector), m_prices(prices), m_rules(rules), m_position(start)
    {
        m_batch.position = start;
        if (m_layout.format == InputFormat::Otlp) {
            // Each trace's sources are stored with it, so that spans and log records arriving later
            // (further on, in another file, in another run) merge into its interaction.
            m_otlp.keepSources(true);
            if (auto reader = Database::openForReading(storePath); reader)
                m_reader = std::move(reader).take();
            m_runs.emplace(committedSourcesInMemory, m_reader.get());
        }
    }

    void run()
    {
        try {
            if (m_layout.lines)
                readLines();
            else
                readValues();
        } catch (...) {
            m_error = std::current_exception();
        }
    }

    std::exception_ptr error() const { return m_error; }
    std::int64_t pendingBytes() const { return m_pendingBytes; }
    std::vector<MappingHint> hints() const
    {
        std::vector<MappingHint> result;
        for (const auto& [path, records] : m_hints)
            result.push_back({path, records});
        return result;
    }

private:
    // Cancelled by the caller, or the writer stopped taking batches.
    bool cancelled() const
    {
        return m_writerGone || (m_options.cancel && m_options.cancel->load(std::memory_order_relaxed));
    }

    std::string tooLongReason() const
    {
        return "record longer than " + std::to_string(m_options.maxRecordBytes >> 20) + " MiB";
    }

    void quarantine(std::int64_t line, std::int64_t offset, std::string reason, std::string_view raw)
    {
        m_batch.quarantined.push_back({line, offset, std::move(reason), excerptOf(raw)});
    }

    // One record: `raw` lies inside a buffer with simdjson's padding readable after it.
    void handleRecord(std::string_view raw, std::int64_t offset, std::int64_t line)
    {
        while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back())))
            raw.remove_suffix(1);
        size_t lead = 0;
        while (lead < raw.size() && std::isspace(static_cast<unsigned char>(raw[lead])))
            ++lead;
        if (raw.substr(lead, 3) == "\xEF\xBB\xBF")
            lead += 3;
        raw.remove_prefix(lead);
        offset += static_cast<std::int64_t>(lead);
        if (raw.empty())
            return;
        simdjson::dom::element document;
        const auto error = m_json.parse(raw.data(), raw.size(), false).get(document);
        if (error) {
            quarantine(line, offset,
                       error == simdjson::UTF8_ERROR
                           ? std::string("invalid UTF-8")
                           : std::string("invalid JSON: ") + simdjson::error_message(error),
                       raw);
            return;
        }
        if (m_layout.format == InputFormat::Otlp) {
            std::string reason = m_otlp.addRequest(document, offset, line);
            if (!reason.empty()) {
                quarantine(line, offset, std::move(reason), raw);
                return;
            }
            acceptSettled(m_runs->settle(m_otlp, OtlpRuns::Take::Completed, nowMs()), line, offset);
            return;
        }
        Interaction interaction;
        std::string reason = m_records.parse(document, raw, interaction);
        if (reason.empty())
            reason = implausibleValues(interaction);
        if (!reason.empty()) {
            quarantine(line, offset, std::move(reason), raw);
            return;
        }
        if (!m_records.messagesHint().empty())
            ++m_hints[m_records.messagesHint()];
        m_batchBytes += raw.size();
        accept(std::move(interaction));
    }

    void acceptSettled(OtlpSettled settled, std::int64_t line = 0, std::int64_t offset = 0)
    {
        if (!settled.replacedKeys.empty() && !m_batch.interactions.empty())
            flush(); // the interactions replaced may be in this batch: they commit first
        for (std::string& key : settled.replacedKeys)
            m_batch.replacedKeys.push_back(std::move(key));
        for (auto& [traceId, sources] : settled.sources)
            m_batch.otlpCommitted[traceId] = std::move(sources);
        for (OtlpRunRecord& run : settled.runs)
            m_batch.otlpRuns.push_back(std::move(run));
        for (Interaction& interaction : settled.interactions)
            accept(std::move(interaction), line, offset);
    }

    // Signals and rollup totals are made here, off the writer's thread, and travel to the writer
    // with their source.
    void accept(Interaction interaction, std::int64_t line = 0, std::int64_t offset = 0)
    {
        if (std::string reason = implausibleValues(interaction); !reason.empty()) {
            quarantine(line, offset, std::move(reason), interaction.key); // an OTLP trace: named by its key
            return;
        }
        // Derived data, made with its source: an estimated cost first (the rollups and the cost
        // rules read it), then the signals and the guardrail hits.
        if (m_prices)
            m_prices->estimate(interaction);
        if (m_detector)
            interaction.signals = m_detector->detect(interaction);
        if (m_rules)
            interaction.ruleHits = m_rules->scan(interaction);
        addToBatch(m_batch, std::move(interaction));
    }

    // Records everything up to (offset, line) as consumed; OTLP spans still waiting for their trace
    // hold the committed position back so that a restart re-reads them.
    void consumedTo(std::int64_t offset, std::int64_t line)
    {
        m_position.offset = offset;
        m_position.line = line;
        if (m_batch.interactions.size() >= m_options.batchInteractions || m_batchBytes >= batchBytes ||
            m_batch.quarantined.size() >= m_options.batchInteractions)
            flush();
    }

    void flush()
    {
        SourcePosition committed = m_position;
        if (m_layout.format == InputFormat::Otlp) {
            const auto pending = m_otlp.earliestPending();
            if (pending.offset >= 0 && pending.offset < committed.offset)
                committed = {m_position.sourceId, pending.offset,
                             std::max<std::int64_t>(pending.line - 1, 0)};
        }
        if (!m_layout.lines)
            committed = m_batch.position; // values are committed only once the whole input is read
        m_batch.bytes = committed.offset - m_lastCommitted;
        m_lastCommitted = std::max(m_lastCommitted, committed.offset);
        m_batch.position = committed;
        m_batch.rollups.compact(); // here, not on the writer's thread
        if (!m_sink(std::move(m_batch)))
            m_writerGone = true;
        m_batch = Batch{};
        m_batch.interactions.reserve(m_options.batchInteractions);
        m_batch.position = committed;
        m_batchBytes = 0;
    }

    void finish(std::int64_t endOffset, std::int64_t endLine)
    {
        if (m_layout.format == InputFormat::Otlp && !m_options.follow)
            acceptSettled(m_runs->settle(m_otlp, OtlpRuns::Take::All, nowMs()));
        m_position.offset = endOffset;
        m_position.line = endLine;
        if (!m_layout.lines)
            m_batch.position = m_position;
        flush();
    }

    void readLines()
    {
        InputWindow input(m_fd, m_position.offset, m_options.maxRecordBytes);
        std::int64_t line = m_position.line;
        bool skippingLongLine = false;
        bool atEnd = false;
        m_lastCommitted = input.base();
        while (!atEnd && !cancelled()) {
            atEnd = !input.fill();
            const char* data = input.data();
            const size_t length = input.length();
            size_t pos = 0;
            while (pos < length) {
                const char* newline = static_cast<const char*>(std::memchr(data + pos, '\n', length - pos));
                if (!newline)
                    break;
                const size_t end = static_cast<size_t>(newline - data);
                ++line;
                if (skippingLongLine)
                    skippingLongLine = false;
                else
                    handleRecord({data + pos, end - pos}, input.offsetOf(pos), line);
                pos = end + 1;
                consumedTo(input.offsetOf(pos), line);
            }
            const size_t rest = length - pos;
            if (skippingLongLine) {
                pos = length; // still inside the line already quarantined
            } else if (rest > m_options.maxRecordBytes) {
                quarantine(line + 1, input.offsetOf(pos), tooLongReason(), {data + pos, rest});
                skippingLongLine = true;
                pos = length;
            } else if (atEnd && rest > 0 && !m_options.follow) {
                // A last line without its newline: taken if it is complete JSON, else left waiting.
                simdjson::dom::element probe;
                if (!m_json.parse(data + pos, rest, false).get(probe)) {
                    ++line;
                    handleRecord({data + pos, rest}, input.offsetOf(pos), line);
                    pos = length;
                    consumedTo(input.offsetOf(pos), line);
                }
            }
            input.dropFront(pos);
        }
        m_pendingBytes = static_cast<std::int64_t>(input.length());
        finish(input.base(), line);
    }

    // Frames JSON values that may span lines: the elements of a top-level array, or a sequence of
    // top-level objects. A value longer than the record limit is quarantined and skipped.
    void readValues()
    {
        InputWindow input(m_fd, m_position.offset, m_options.maxRecordBytes);
        std::int64_t line = m_position.line + 1;
        int depth = 0;
        bool inString = false, escaped = false, inArray = false, sawAnything = false, tooLong = false;
        size_t valueStart = 0;
        std::int64_t valueLine = 0;
        bool atEnd = false;
        m_lastCommitted = input.base();
        size_t pos = 0;
        while (!atEnd && !cancelled()) {
            atEnd = !input.fill();
            const char* data = input.data();
            const size_t length = input.length();
            for (; pos < length; ++pos) {
                const char c = data[pos];
                if (c == '\n')
                    ++line;
                if (depth > 0) {
                    if (inString) {
                        if (escaped)
                            escaped = false;
                        else if (c == '\\')
                            escaped = true;
                        else if (c == '"')
                            inString = false;
                        continue;
                    }
                    if (c == '"')
                        inString = true;
                    else if (c == '{' || c == '[')
                        ++depth;
                    else if ((c == '}' || c == ']') && --depth == 0) {
                        if (!tooLong)
                            handleRecord({data + valueStart, pos + 1 - valueStart},
                                         input.offsetOf(valueStart), valueLine);
                        tooLong = false;
                        consumedTo(input.offsetOf(pos + 1), line);
                    }
                    continue;
                }
                if (std::isspace(static_cast<unsigned char>(c)) || c == ',')
                    continue;
                if (c == '[' && !inArray && !sawAnything) {
                    inArray = true;
                    sawAnything = true;
                    continue;
                }
                if (c == ']' && inArray) {
                    inArray = false;
                    continue;
                }
                sawAnything = true;
                if (c == '{' || c == '[') {
                    depth = 1;
                    valueStart = pos;
                    valueLine = line;
                    continue;
                }
                // A scalar where a record should be: quarantine up to the next separator.
                size_t end = pos;
                while (end < length && data[end] != ',' && data[end] != '\n' && data[end] != ']')
                    ++end;
                quarantine(line, input.offsetOf(pos), "a record must be a JSON object",
                           {data + pos, end - pos});
                pos = end - 1;
            }
            // Keep the value in progress; drop everything before it.
            size_t keepFrom = depth > 0 && !tooLong ? valueStart : length;
            if (depth > 0 && !tooLong && length - valueStart > m_options.maxRecordBytes) {
                quarantine(valueLine, input.offsetOf(valueStart), tooLongReason(),
                           {data + valueStart, length - valueStart});
                tooLong = true;
                keepFrom = length;
            }
            input.dropFront(keepFrom);
            pos -= keepFrom;
            valueStart = 0;
        }
        if (depth > 0 && !tooLong && !cancelled())
            quarantine(valueLine, input.base(), "the input ends inside a JSON value",
                       {input.data(), input.length()});
        finish(input.offsetOf(input.length()), line - 1);
    }

    const IngestOptions& m_options;
    int m_fd;
    Layout m_layout;
    Sink m_sink;
    simdjson::dom::parser m_json;
    RecordParser m_records;
    SignalDetector* m_detector; // may be null
    const PriceTable* m_prices; // may be null
    const RuleEngine* m_rules;  // may be null
    OtlpAssembler m_otlp;
    static constexpr std::int64_t committedSourcesInMemory = 128ll << 20;
    std::unique_ptr<Database> m_reader; // the parser's own, to read committed traces' sources
    std::optional<OtlpRuns> m_runs;
    SourcePosition m_position;
    Batch m_batch;
    size_t m_batchBytes = 0;
    std::int64_t m_lastCommitted = 0;
    std::int64_t m_pendingBytes = 0;
    std::exception_ptr m_error;
    bool m_writerGone = false;
    std::map<std::string, std::int64_t> m_hints;
};

std::string nowLabel()
{
    using namespace std::chrono;
    return formatIsoTimestamp(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

} // namespace

std::string ingestOptionsJson(const IngestOptions& options, const std::string& format)
{
    return "{\"format\":" + jsonString(format) + ",\"map\":" + options.mapping.toJson() + "}";
}

Result<IngestOptions> ingestOptionsFromJson(const std::string& json)
{
    IngestOptions options;
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(json).get_object().get(object))
        return Error{"the source's saved options are not a JSON object", {}};
    std::string_view format;
    if (!object["format"].get_string().get(format)) {
        const auto parsed = parseFormatName(format);
        if (!parsed)
            return Error{"the source's saved format '" + std::string(format) + "' is unknown", {}};
        options.format = *parsed;
    }
    simdjson::dom::element map;
    if (!object["map"].get(map)) {
        std::string error;
        const auto mapping = FieldMapping::fromJson(simdjson::minify(map), error);
        if (!mapping)
            return Error{"the source's saved mapping: " + error, {}};
        options.mapping = *mapping;
    }
    return options;
}

// Batches on their way to the writer for one input: at most a few wait at a time (memory stays
// flat), their results are added up as they commit, and written batches come back to be freed on
// the thread that allocated them (a free from the writer's thread contended for glibc's arena).
struct Ingestor::Pipeline
{
    static constexpr int maxInFlight = 8;

    explicit Pipeline(StoreWriter& writer) : writer(writer) {}
    ~Pipeline() { waitAll(); }

    // Blocks while maxInFlight batches wait; false once the store refused a write.
    bool submit(Batch&& batch)
    {
        auto shared = std::make_shared<Batch>(std::move(batch));
        auto result = std::make_shared<BatchResult>();
        {
            std::unique_lock lock(mutex);
            wake.wait(lock, [this] { return inFlight < maxInFlight || error; });
            if (error)
                return false;
            ++inFlight;
            spent.clear(); // freed here, on the parsing thread
        }
        const auto weight = static_cast<std::int64_t>(shared->interactions.size());
        writer.submit(
            WritePriority::Bulk,
            [shared, result](WriteTransaction& tx) { *result = writeBatch(tx, *shared); },
            [this, shared, result](const Status& status) {
                std::lock_guard lock(mutex);
                --inFlight;
                if (!status) {
                    if (!error)
                        error = status.error();
                } else {
                    ingested += result->inserted;
                    updated += result->updated;
                    duplicates += result->duplicates;
                    quarantined += static_cast<std::int64_t>(shared->quarantined.size());
                    bytes += shared->bytes;
                    committedOffset = shared->position.offset;
                    committed = true;
                }
                spent.push_back(shared);
                wake.notify_all();
            },
            weight);
        return true;
    }

    void waitAll()
    {
        std::unique_lock lock(mutex);
        wake.wait(lock, [this] { return inFlight == 0; });
        spent.clear();
    }

    // Waits a little for a commit; true when one happened since the last call.
    bool takeCommitted(std::chrono::milliseconds wait = std::chrono::milliseconds(0))
    {
        std::unique_lock lock(mutex);
        if (wait.count() > 0)
            wake.wait_for(lock, wait, [this] { return committed || inFlight == 0; });
        return std::exchange(committed, false);
    }

    StoreWriter& writer;
    std::mutex mutex;
    std::condition_variable wake;
    int inFlight = 0;
    bool committed = false;
    std::optional<Error> error;
    std::int64_t ingested = 0, updated = 0, duplicates = 0, quarantined = 0, bytes = 0, committedOffset = 0;
    std::vector<std::shared_ptr<Batch>> spent;
};

Ingestor::Ingestor(StoreWriter& writer, IngestOptions options)
    : m_writer(writer), m_options(std::move(options))
{
}

Ingestor::~Ingestor() = default;

bool Ingestor::cancelled() const
{
    return (m_options.cancel && m_options.cancel->load()) || m_storeError.has_value();
}

IngestSummary Ingestor::ingest(const std::vector<std::string>& paths)
{
    const auto started = std::chrono::steady_clock::now();
    IngestSummary summary;
    m_progress = {};
    m_storeError.reset();
    // The store's detector settings and prices, read through the writer (the one connection sure
    // to be current).
    auto prices = std::make_shared<std::vector<ModelPrice>>();
    auto rules =
        std::make_shared<Result<std::shared_ptr<const RuleEngine>>>(std::shared_ptr<const RuleEngine>());
    auto settings = m_writer.write<std::string>(
        WritePriority::Bulk, [prices, rules, current = m_rules](WriteTransaction& tx) {
            *prices = PriceStore(tx.database()).prices();
            *rules = loadAppliedRules(tx.database(), current);
            return SettingsStore(tx.database()).get(storeSettings::detectors);
        });
    if (!settings) {
        summary.storeError = settings.error();
        return summary;
    }
    m_rules = *rules ? **rules : nullptr;
    if (!*rules)
        summary.rulesError = rules->error().message;
    m_prices = PriceTable(std::move(*prices));
    DetectorSettings detectorSettings;
    if (!settings->empty()) {
        std::string error;
        detectorSettings = DetectorSettings::fromJson(*settings, error);
        if (!error.empty())
            summary.signalsError = "the store's detector settings: " + error;
    }
    m_detector = std::make_unique<SignalDetector>(detectorSettings);
    m_detector->setEarlierInteractions(storedInteractions(m_writer.path()));
    if (summary.signalsError.empty())
        summary.signalsError = m_detector->error();
    std::optional<BackgroundIndexer> indexer;
    if (m_options.indexText)
        indexer.emplace(m_writer.path());
    m_indexer = indexer ? &*indexer : nullptr;
    auto account = [&summary](FileReport report) {
        summary.ingested += report.ingested;
        summary.duplicates += report.duplicates;
        summary.quarantined += report.quarantined;
        summary.bytes += report.bytes;
        summary.files.push_back(std::move(report));
    };
    for (const std::string& path : paths) {
        if (cancelled())
            break;
        if (path == "-") {
            account(ingestStream(STDIN_FILENO, "stdin@" + nowLabel()));
            continue;
        }
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
            std::vector<std::string> files;
            auto options = std::filesystem::directory_options::skip_permission_denied;
            for (auto it = std::filesystem::recursive_directory_iterator(path, options, ec);
                 !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
                const std::string name = it->path().filename().string();
                if (!name.empty() && name[0] == '.') {
                    if (it->is_directory())
                        it.disable_recursion_pending();
                    continue;
                }
                if (it->is_regular_file())
                    files.push_back(it->path().string());
            }
            std::sort(files.begin(), files.end());
            if (files.empty()) {
                FileReport report;
                report.path = path;
                report.error = Error{ec ? ec.message() : "the folder holds no files", {path}};
                account(std::move(report));
            }
            for (const std::string& file : files) {
                if (cancelled())
                    break;
                account(ingestFile(file));
            }
            continue;
        }
        account(ingestFile(path));
    }
    summary.cancelled = m_options.cancel && m_options.cancel->load();
    summary.storeError = m_storeError;
    m_indexer = nullptr;
    if (indexer && !summary.cancelled)
        summary.indexError = indexer->finish();
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return summary;
}

IngestSummary Ingestor::follow(const std::vector<std::string>& paths, std::chrono::milliseconds interval,
                               const std::atomic<bool>& stop,
                               const std::function<void(const IngestSummary&)>& round)
{
    const auto started = std::chrono::steady_clock::now();
    const bool replace = m_options.replace;
    IngestSummary total = ingest(paths);
    m_options.replace = false; // taken back once, then followed
    if (round)
        round(total);
    while (!stop.load() && !total.storeError) {
        const auto wakeAt = std::chrono::steady_clock::now() + interval;
        while (!stop.load() && std::chrono::steady_clock::now() < wakeAt)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (stop.load())
            break;
        const IngestSummary next = ingest(paths);
        total.add(next);
        if (round && (next.ingested || next.duplicates || next.quarantined || next.storeError))
            round(next);
    }
    m_options.replace = replace;
    total.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    total.cancelled = false; // stopping is how following ends
    return total;
}

FileReport Ingestor::ingestFile(const std::string& path)
{
    const std::string absolute = std::filesystem::absolute(path).lexically_normal().string();
    FileReport report;
    report.path = absolute;
    // Never open a FIFO, a device or a socket: opening a FIFO waits for a writer, forever.
    struct stat info
    {
    };
    if (::stat(absolute.c_str(), &info) != 0) {
        report.error = Error{std::strerror(errno), {absolute}};
        return report;
    }
    if (!S_ISREG(info.st_mode) && !S_ISDIR(info.st_mode)) {
        report.error = Error{"is not a regular file (a FIFO, a device or a socket): refused; pipe it to "
                             "`winnow ingest -` instead",
                             {absolute}};
        return report;
    }
    const int fd = ::open(absolute.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        report.error = Error{std::strerror(errno), {absolute}};
        return report;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (m_options.replace) {
        if (!m_reader) {
            auto reader = Database::openForReading(m_writer.path());
            if (!reader) {
                ::close(fd);
                report.error = reader.error();
                return report;
            }
            m_reader = std::move(reader).take();
        }
        auto taken = resetSource(*m_reader, m_writer, absolute, m_options.cancel);
        if (!taken) {
            ::close(fd);
            m_storeError = taken.error();
            report.error = taken.error();
            return report;
        }
        report.replaced = *taken;
    }
    FileReport read = run(fd, absolute, true);
    ::close(fd);
    read.replaced = report.replaced;
    return read;
}

FileReport Ingestor::ingestStream(int fd, const std::string& name)
{
    return run(fd, name, false);
}

FileReport Ingestor::run(int fd, const std::string& path, bool seekable)
{
    FileReport report;
    report.path = path;
    struct stat info
    {
    };
    if (fstat(fd, &info) != 0) {
        report.error = Error{std::strerror(errno), {path}};
        return report;
    }
    if (S_ISDIR(info.st_mode)) {
        report.error = Error{"is a folder", {path}};
        return report;
    }
    seekable = seekable && S_ISREG(info.st_mode);

    // The head of the input decides the layout (and for files, the fingerprint).
    std::string head(64 * 1024, '\0');
    size_t headLength = 0;
    if (seekable) {
        if (!readFully(fd, head.data(), head.size(), 0, headLength)) {
            report.error = Error{std::strerror(errno), {path}};
            return report;
        }
        head.resize(headLength);
    }

    auto registered = m_writer.write<SourceState>(WritePriority::Bulk, [&path](WriteTransaction& tx) {
        return SourceStore(tx.database()).sourceFor(path, {});
    });
    if (!registered) {
        m_storeError = registered.error();
        report.error = registered.error();
        return report;
    }
    const SourceState source = *registered;
    SourcePosition start{source.id, 0, 0};
    std::string fingerprint;
    bool sameFile = false;
    if (seekable) {
        fingerprint = fingerprintOf(std::string_view(head).substr(0, fingerprintBytes));
        sameFile = source.inode == static_cast<std::int64_t>(info.st_ino) && source.offset <= info.st_size &&
                   !source.fingerprint.empty() && fingerprintStillMatches(fd, source.fingerprint);
        if (sameFile)
            start = {source.id, source.offset, source.line};
        else
            report.restarted = source.offset > 0;
        if (lseek(fd, start.offset, SEEK_SET) < 0) {
            report.error = Error{std::strerror(errno), {path}};
            return report;
        }
    }

    Layout layout;
    if (seekable) {
        InputFormat known = m_options.format;
        if (known == InputFormat::Auto && !source.format.empty() && start.offset > 0)
            known = parseFormatName(source.format).value_or(InputFormat::Auto);
        layout = detectLayout(head, known);
    } else {
        layout.format = m_options.format == InputFormat::Auto ? InputFormat::Jsonl : m_options.format;
        layout.lines = layout.format != InputFormat::Json;
    }
    report.format = formatName(layout.format);
    // The stored fingerprint grows with the file until it covers its first KiB.
    Status identity = m_writer.write(WritePriority::Bulk, [&, seekable](WriteTransaction& tx) {
        SourceStore sources(tx.database());
        if (seekable)
            sources.updateIdentity(source.id, info.st_size, static_cast<std::int64_t>(info.st_ino),
                                   fingerprint, !sameFile);
        sources.setFormat(source.id, report.format);
        sources.setOptions(source.id, ingestOptionsJson(m_options, report.format));
    });
    if (!identity) {
        m_storeError = identity.error();
        report.error = identity.error();
        return report;
    }

    m_progress.path = path;
    m_progress.bytesTotal = seekable ? info.st_size : 0;
    m_progress.bytesDone = start.offset;

    Pipeline pipeline(m_writer);
    auto report_ = [&] {
        std::lock_guard lock(pipeline.mutex);
        report.ingested = pipeline.ingested;
        report.updated = pipeline.updated;
        report.duplicates = pipeline.duplicates;
        report.quarantined = pipeline.quarantined;
        report.bytes = pipeline.bytes;
    };
    const IngestProgress before = m_progress;
    auto showProgress = [&] {
        if (!pipeline.takeCommitted())
            return;
        std::int64_t ingested, duplicates, quarantined, offset;
        {
            std::lock_guard lock(pipeline.mutex);
            ingested = pipeline.ingested;
            duplicates = pipeline.duplicates;
            quarantined = pipeline.quarantined;
            offset = pipeline.committedOffset;
        }
        m_progress.ingested = before.ingested + ingested;
        m_progress.duplicates = before.duplicates + duplicates;
        m_progress.quarantined = before.quarantined + quarantined;
        m_progress.bytesDone = offset;
        if (m_indexer && ingested)
            m_indexer->notify();
        if (onProgress)
            onProgress(m_progress);
    };

    if (layout.binary) {
        if (start.offset >= info.st_size && start.offset > 0)
            return report; // quarantined on an earlier run and unchanged since
        Batch batch;
        batch.position = {source.id, info.st_size, 0};
        batch.quarantined.push_back(
            {0, 0, "binary file (NUL bytes in its first 4 KiB)", excerptOf(head, 200)});
        pipeline.submit(std::move(batch));
        pipeline.waitAll();
        showProgress();
        report_();
        if (pipeline.error) {
            m_storeError = pipeline.error;
            report.error = pipeline.error;
        }
        return report;
    }

    Producer producer(
        m_options, fd, layout, start,
        [&](Batch&& batch) {
            if (m_options.cancel && m_options.cancel->load())
                return false; // batches parsed ahead are dropped: the offset stays at the last commit
            const bool accepted = pipeline.submit(std::move(batch));
            showProgress();
            return accepted;
        },
        m_detector.get(), &m_prices, m_rules.get(), m_writer.path());
    producer.run();
    // The last batches commit; progress is told as they do.
    while (true) {
        {
            std::lock_guard lock(pipeline.mutex);
            if (pipeline.inFlight == 0)
                break;
        }
        pipeline.takeCommitted(std::chrono::milliseconds(50));
        showProgress();
    }
    pipeline.waitAll();
    pipeline.committed = true;
    showProgress();
    report_();
    if (pipeline.error) {
        m_storeError = pipeline.error;
        report.error = pipeline.error;
    }
    if (producer.error()) {
        try {
            std::rethrow_exception(producer.error());
        } catch (const std::exception& e) {
            report.error = Error{e.what(), {path}};
        }
    }
    report.pendingBytes = producer.pendingBytes();
    report.hints = producer.hints();
    return report;
}

} // namespace winnow
