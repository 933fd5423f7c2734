#include "core/ingest/otlp_receiver.h"

#include "core/ingest/batch.h"
#include "core/ingest/feedback_import.h"
#include "core/ingest/http_request.h"
#include "core/ingest/otlp.h"
#include "core/ingest/otlp_runs.h"
#include "core/ingest/pricing.h"
#include "core/ingest/validation.h"
#include "core/rules/rules.h"
#include "core/signals/detectors.h"
#include "core/signals/rebuild.h"
#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/otlp_source_store.h"
#include "core/store/price_store.h"
#include "core/store/settings_store.h"
#include "core/store/source_store.h"
#include "core/store/store_writer.h"
#include "core/util/text.h"

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QPointer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <zlib.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace winnow {

namespace {

constexpr qsizetype maxHeaderBytes = 64 * 1024;
const char* otlpSourceName = "otlp-http";

// Inflates a gzip body; false when it is not gzip or inflates to more than `limit` bytes (then
// `tooLarge` is set).
bool gunzip(const QByteArray& in, std::int64_t limit, QByteArray& out, bool& tooLarge)
{
    tooLarge = false;
    z_stream stream{};
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
        return false;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.constData()));
    stream.avail_in = static_cast<uInt>(in.size());
    out.clear();
    char chunk[64 * 1024];
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        stream.next_out = reinterpret_cast<Bytef*>(chunk);
        stream.avail_out = sizeof chunk;
        rc = inflate(&stream, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&stream);
            return false;
        }
        out.append(chunk, static_cast<qsizetype>(sizeof chunk - stream.avail_out));
        if (out.size() > limit) {
            tooLarge = true;
            inflateEnd(&stream);
            return false;
        }
        if (rc == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
            inflateEnd(&stream);
            return false; // truncated
        }
    }
    inflateEnd(&stream);
    return true;
}

// google.rpc.Status { int32 code = 1; string message = 2; } by hand: the one message outside the
// OTLP schema that an error answer needs.
QByteArray rpcStatusProtobuf(int code, const std::string& message)
{
    QByteArray bytes;
    bytes.append(char(0x08));
    bytes.append(char(code));
    bytes.append(char(0x12));
    std::uint64_t length = message.size();
    while (length >= 0x80) {
        bytes.append(char((length & 0x7f) | 0x80));
        length >>= 7;
    }
    bytes.append(char(length));
    bytes.append(message.data(), static_cast<qsizetype>(message.size()));
    return bytes;
}

struct Answer
{
    int status = 200;
    QByteArray contentType;
    QByteArray body;
    std::string message;       // for errors and the log
    int retryAfterSeconds = 0; // with 429 and 503: when an exporter may try again
};

Answer errorAnswer(int status, bool protobuf, const std::string& message)
{
    Answer answer;
    answer.status = status;
    answer.message = message;
    // google.rpc codes: RESOURCE_EXHAUSTED and UNAVAILABLE tell an exporter to retry.
    const int code = status == 429 ? 8 : status == 503 ? 14 : 3;
    if (protobuf) {
        answer.contentType = "application/x-protobuf";
        answer.body = rpcStatusProtobuf(code, message);
    } else {
        answer.contentType = "application/json";
        QByteArray escaped;
        for (char c : message) {
            if (c == '"' || c == '\\')
                escaped.append('\\');
            if (static_cast<unsigned char>(c) < 0x20)
                continue;
            escaped.append(c);
        }
        answer.body = "{\"code\":" + QByteArray::number(code) + ",\"message\":\"" + escaped + "\"}";
    }
    return answer;
}

const char* reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    }
    return "Error";
}

// A header's value is the same secret as `expected`, compared in time that depends on neither.
bool sameSecret(const QByteArray& given, const QByteArray& expected)
{
    const QByteArray a = QCryptographicHash::hash(given, QCryptographicHash::Sha256);
    const QByteArray b = QCryptographicHash::hash(expected, QCryptographicHash::Sha256);
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a[i] ^ b[i]);
    return difference == 0;
}

} // namespace

// The receiver's worker: one thread with the trace assembler and the signal detector. Requests
// are parsed and assembled in arrival order; each request's spans and log records go to the
// store's writer as they are, and the request is answered once they have committed. The traces
// they complete are taken in batches (assembleDelayMs, assembleBatchTraces): a commit per request
// that also wrote its interactions' rollups cost twenty times what reading the request did.
class OtlpReceiver::Writer
{
public:
    Writer(std::shared_ptr<StoreWriter> store, const OtlpReceiverOptions& options)
        : m_store(std::move(store)), m_quietSeconds(options.quietSeconds), m_options(options)
    {
    }
    ~Writer() { stop(); }

    // Registers the receiver's source and reads the detector settings; an error message or empty.
    std::string start()
    {
        auto prices = std::make_shared<std::vector<ModelPrice>>();
        auto waiting = std::make_shared<std::vector<OtlpSource>>();
        auto rules =
            std::make_shared<Result<std::shared_ptr<const RuleEngine>>>(std::shared_ptr<const RuleEngine>());
        auto prepared = m_store->write<std::pair<std::int64_t, std::string>>(
            WritePriority::Interactive, [prices, waiting, rules](WriteTransaction& tx) {
                const std::int64_t source = SourceStore(tx.database()).sourceFor(otlpSourceName, "otlp").id;
                *prices = PriceStore(tx.database()).prices();
                *rules = loadAppliedRules(tx.database());
                OtlpSourceStore otlp(tx.database());
                *waiting = otlp.waiting();
                return std::pair(source, SettingsStore(tx.database()).get(storeSettings::detectors));
            });
        if (!prepared)
            return prepared.error().text();
        if (!*rules)
            return "the store's rules: " + rules->error().message;
        m_rules = **rules;
        m_prices = PriceTable(std::move(*prices));
        // Traces committed before this start are asked of the store, on a connection of the
        // worker's own.
        if (auto reader = Database::openForReading(m_store->path()); reader)
            m_reader = std::move(reader).take();
        resumeFromStore(*waiting, nowMs());
        m_sourceId = prepared->first;
        DetectorSettings settings;
        if (!prepared->second.empty()) {
            std::string error;
            settings = DetectorSettings::fromJson(prepared->second, error);
        }
        m_detector = std::make_unique<SignalDetector>(settings);
        m_detector->setEarlierInteractions(storedInteractions(m_store->path()));
        m_thread = std::thread([this] { run(); });
        return {};
    }

    void stop()
    {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping || !m_thread.joinable())
                return;
            m_stopping = true;
        }
        m_wake.notify_all();
        m_thread.join();
        // Every batch handed over has committed (other writers' work is not waited for).
        std::unique_lock lock(m_mutex);
        m_committedAll.wait(lock, [this] { return m_inFlight == 0; });
    }

    // Handles a request body on the worker thread, then calls done(answer, spans) on the writer's
    // thread once its spans are stored (or at once for a rejected body).
    void submit(QByteArray body, bool protobuf, bool logs,
                std::function<void(Answer, std::int64_t spans)> done)
    {
        {
            std::lock_guard lock(m_mutex);
            if (static_cast<int>(m_tasks.size()) >= m_options.maxQueuedRequests) {
                Answer answer = errorAnswer(503, protobuf, "the receiver is behind: retry later");
                answer.retryAfterSeconds = 2;
                done(std::move(answer), 0);
                return;
            }
            m_tasks.push_back({std::move(body), protobuf, logs, std::move(done)});
        }
        m_wake.notify_all();
    }

    std::function<void(std::int64_t)> m_onCommit; // on the writer's thread
    std::int64_t interactionsStored() const { return m_interactionsStored; }

private:
    struct Task
    {
        QByteArray body;
        bool protobuf;
        bool logs; // an ExportLogsServiceRequest (/v1/logs), else traces
        std::function<void(Answer, std::int64_t spans)> done;
    };

    void run()
    {
        std::int64_t lastQuietCheckMs = nowMs();
        std::unique_lock lock(m_mutex);
        while (true) {
            std::int64_t wakeAtMs = lastQuietCheckMs + 1000;
            if (m_assembleAtMs)
                wakeAtMs = std::min(wakeAtMs, m_assembleAtMs);
            m_wake.wait_for(lock, std::chrono::milliseconds(std::max<std::int64_t>(0, wakeAtMs - nowMs())),
                            [this] { return m_stopping || !m_tasks.empty(); });
            while (!m_tasks.empty()) {
                Task task = std::move(m_tasks.front());
                m_tasks.pop_front();
                lock.unlock();
                if (m_refused)
                    recoverFromRefusal();
                handle(task);
                assembleIfDue(); // requests that keep coming do not hold back what is due
                lock.lock();
            }
            lock.unlock();
            if (m_stopping) {
                if (m_options.completeWaitingAtStop)
                    commit(settle(OtlpRuns::Take::All), {});
                return;
            }
            if (m_refused)
                recoverFromRefusal();
            const std::int64_t now = nowMs();
            if (now - lastQuietCheckMs >= 1000) {
                // Takes the completed traces too.
                commit(settle(OtlpRuns::Take::Quiet, now - std::int64_t(m_quietSeconds) * 1000), {});
                lastQuietCheckMs = now;
            } else {
                assembleIfDue();
            }
            lock.lock();
        }
    }

    void assembleIfDue()
    {
        if (m_assembleAtMs && nowMs() >= m_assembleAtMs)
            commit(settle(OtlpRuns::Take::Completed), {});
    }

    // Starts from what the store holds: the spans and log records acknowledged and not yet
    // assembled wait again, as they arrived (stored already), and what is known of committed
    // traces is asked of the store. Those of traces complete (or committed before: late
    // arrivals) are taken at `assembleAtMs`.
    void resumeFromStore(const std::vector<OtlpSource>& waiting, std::int64_t assembleAtMs)
    {
        m_assembler = OtlpAssembler();
        m_assembler.keepSources(true);
        m_assembler.recordNewSources(true);
        for (const OtlpSource& source : waiting)
            m_assembler.addSource(source.request, source.receivedMs);
        m_assembler.takeNewSources();
        m_unstored.clear();
        m_runs = std::make_unique<OtlpRuns>(m_options.maxRecentBytes, m_reader.get());
        m_assembleAtMs = waiting.empty() ? 0 : assembleAtMs;
    }

    // A batch the store refused (a full disk) took traces out of the assembler that the store
    // still holds as waiting, and the runs' memory counts them committed: once every batch handed
    // over is done, start again from the store, and try those traces again a second later.
    void recoverFromRefusal()
    {
        {
            std::unique_lock lock(m_mutex);
            m_committedAll.wait(lock, [this] { return m_inFlight == 0; });
        }
        m_refused = false;
        auto waiting =
            m_store->write<std::vector<OtlpSource>>(WritePriority::Interactive, [](WriteTransaction& tx) {
                return OtlpSourceStore(tx.database()).waiting();
            });
        if (!waiting) {
            m_refused = true; // asked again at the next request, or in a second
            return;
        }
        resumeFromStore(*waiting, nowMs() + 1000);
    }

    // Takes what is due from the assembler; what it still holds waits for its root.
    OtlpSettled settle(OtlpRuns::Take take, std::int64_t quietBefore = 0)
    {
        m_assembleAtMs = 0;
        return m_runs->settle(m_assembler, take, nowMs(), quietBefore);
    }

    void handle(Task& task)
    {
        // Protobuf is read as it is; JSON through simdjson. Both give the same spans and records.
        OtlpDecoded decoded;
        std::string error;
        if (task.protobuf) {
            error = decodeOtlpProtobuf(std::string_view(task.body.constData(), size_t(task.body.size())),
                                       task.logs, true, decoded);
        } else if (!task.body.trimmed().isEmpty()) {
            // An empty body, or an object without the list, is an empty request: a success.
            simdjson::dom::element document;
            if (m_parser.parse(task.body.constData(), size_t(task.body.size())).get(document) !=
                    simdjson::SUCCESS ||
                !document.is_object()) {
                task.done(errorAnswer(400, false, "the body is not a JSON object"), 0);
                return;
            }
            const char* wanted = task.logs ? "resourceLogs" : "resourceSpans";
            const char* other = task.logs ? "resourceSpans" : "resourceLogs";
            const auto list = document.at_key(wanted);
            simdjson::dom::array otherList;
            if (list.error() == simdjson::NO_SUCH_FIELD && !document.at_key(other).get_array().get(otherList) &&
                otherList.size() > 0) {
                // Empty for this path, but not empty: sent to the wrong one. Refused, not dropped.
                task.done(errorAnswer(400, false,
                                      std::string("no ") + wanted + " but " + other + ": POST it to " +
                                          (task.logs ? "/v1/traces" : "/v1/logs")),
                          0);
                return;
            }
            if (list.error() != simdjson::NO_SUCH_FIELD) {
                if (list.get_array().error() != simdjson::SUCCESS) {
                    task.done(errorAnswer(400, false,
                                          std::string(task.logs ? "not an OTLP logs request"
                                                                : "not an OTLP trace request") +
                                              ": " + wanted + " is not an array"),
                              0);
                    return;
                }
                error = decodeOtlpJson(document, true, decoded);
            }
        }
        if (!error.empty()) {
            task.done(errorAnswer(400, task.protobuf, error), 0);
            return;
        }
        // Past the bound on waiting spans, the traces complete are taken first (they make room);
        // then only a request with a root span (which completes a trace) is taken, and the others
        // are told to come back.
        auto overBound = [this] {
            return m_assembler.pendingSpans() >= m_options.maxPendingSpans ||
                   m_assembler.pendingSourceBytes() >= m_options.maxPendingBytes;
        };
        if (overBound() && m_assembler.completedTraces() > 0)
            commit(settle(OtlpRuns::Take::Completed), {});
        if (overBound() && !decoded.hasRootSpan()) {
            Answer answer = errorAnswer(429, task.protobuf,
                                        "too many spans wait for their traces' root spans (" +
                                            std::to_string(m_assembler.pendingSpans()) + "): retry later");
            answer.retryAfterSeconds = std::max(1, m_quietSeconds / 2);
            task.done(std::move(answer), 0);
            return;
        }
        const std::int64_t spans = decoded.items(); // spans, or log records
        const std::int64_t now = nowMs();
        m_assembler.add(std::move(decoded), now);
        for (auto& [traceId, source] : m_assembler.takeNewSources())
            m_unstored.push_back({traceId, now, std::move(source)});
        // Traces completed and late arrivals (spans and log records of traces committed before,
        // merged into their interaction, written again with its signals and totals) are taken in
        // a while, with those of the requests to come.
        OtlpSettled settled;
        if (m_assembler.completedTraces() > 0 || m_assembler.hasTouched()) {
            if (m_options.assembleDelayMs <= 0 ||
                m_assembler.completedTraces() >= size_t(std::max(1, m_options.assembleBatchTraces)))
                settled = settle(OtlpRuns::Take::Completed);
            else if (!m_assembleAtMs)
                m_assembleAtMs = now + m_options.assembleDelayMs;
        }
        const bool protobuf = task.protobuf;
        commit(std::move(settled), [done = std::move(task.done), spans, protobuf](const Status& status) {
            if (!status) {
                done(errorAnswer(503, protobuf, "the store refused the write: " + status.error().text()),
                     spans);
                return;
            }
            Answer answer;
            if (protobuf) {
                answer.contentType = "application/x-protobuf";
                opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
                std::string bytes;
                response.SerializeToString(&bytes);
                answer.body = QByteArray(bytes.data(), static_cast<qsizetype>(bytes.size()));
            } else {
                answer.contentType = "application/json";
                answer.body = "{}";
            }
            done(std::move(answer), spans);
        });
    }

    // Hands what arrived since the last commit and the interactions settled to the writer as one
    // batch; `done` (on the writer's thread) gets the outcome. A batch with nothing in it is done
    // at once.
    void commit(OtlpSettled settled, std::function<void(const Status&)> done)
    {
        // In one transaction: the spans and log records that arrived (stored before their request
        // is answered), the interactions, the traces taken (their sources no longer waiting, kept
        // so that what arrives late can be merged), and the runs joined.
        auto batch = std::make_shared<Batch>();
        batch->otlpWaiting = std::exchange(m_unstored, {});
        for (auto& [traceId, sources] : settled.sources)
            batch->otlpStoredCommitted.push_back(traceId);
        batch->otlpStoredCommitted.insert(batch->otlpStoredCommitted.end(), settled.retried.begin(),
                                          settled.retried.end());
        batch->replacedKeys = std::move(settled.replacedKeys);
        batch->otlpRuns = std::move(settled.runs);
        std::vector<Interaction>& interactions = settled.interactions;
        if (interactions.empty() && batch->otlpWaiting.empty() && batch->otlpStoredCommitted.empty() &&
            batch->replacedKeys.empty() && batch->otlpRuns.empty()) {
            if (done)
                done({});
            return;
        }
        for (Interaction& in : interactions) {
            if (std::string reason = implausibleValues(in); !reason.empty()) {
                batch->quarantined.push_back(
                    {0, m_committedBatches, std::move(reason), excerptOf(in.key, 200)});
                continue;
            }
            m_prices.estimate(in);
            in.signals = m_detector->detect(in);
            if (m_rules)
                in.ruleHits = m_rules->scan(in);
            addToBatch(*batch, std::move(in));
        }
        batch->position = {m_sourceId, ++m_committedBatches, 0};
        auto result = std::make_shared<BatchResult>();
        {
            std::lock_guard lock(m_mutex);
            ++m_inFlight;
        }
        m_store->submit(
            WritePriority::Bulk, [batch, result](WriteTransaction& tx) { *result = writeBatch(tx, *batch); },
            [this, result, done = std::move(done),
             settles = !batch->otlpStoredCommitted.empty()](const Status& status) {
                if (status)
                    m_interactionsStored += result->inserted;
                else if (settles)
                    m_refused = true;
                if (status && m_onCommit)
                    m_onCommit(result->inserted);
                if (done)
                    done(status);
                std::lock_guard lock(m_mutex);
                --m_inFlight;
                m_committedAll.notify_all();
            },
            static_cast<std::int64_t>(batch->interactions.size()));
    }

    std::shared_ptr<StoreWriter> m_store;
    int m_quietSeconds;
    OtlpReceiverOptions m_options;
    std::thread m_thread;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_committedAll;
    int m_inFlight = 0;
    std::deque<Task> m_tasks;
    bool m_stopping = false;
    std::unique_ptr<SignalDetector> m_detector;
    PriceTable m_prices;
    std::shared_ptr<const RuleEngine> m_rules; // the applied version when the receiver started
    std::unique_ptr<Database> m_reader;        // the worker's own, for committed traces' sources
    std::unique_ptr<OtlpRuns> m_runs;
    OtlpAssembler m_assembler;
    std::vector<OtlpSource> m_unstored; // arrived, for the next commit
    std::int64_t m_assembleAtMs = 0;    // when to take the completed traces (0: none wait)
    std::atomic<std::int64_t> m_interactionsStored{0};
    std::atomic<bool> m_refused{false}; // a batch that took traces was refused by the store
    simdjson::dom::parser m_parser;
    std::int64_t m_sourceId = 0;
    std::int64_t m_committedBatches = 0;
};

// One client connection: reads requests one at a time (HTTP/1.1 keep-alive), answers each once
// the writer has handled it.
class OtlpReceiver::Connection : public QObject
{
public:
    Connection(QTcpSocket* socket, OtlpReceiver* receiver)
        : QObject(receiver), m_socket(socket), m_receiver(receiver)
    {
        socket->setParent(this);
        // What the socket holds unread is bounded: while a request waits for the store, nothing
        // is read, its buffer fills, and TCP makes the client wait.
        socket->setReadBufferSize(readBufferBytes);
        ++m_receiver->m_stats.connections;
        m_deadline.setSingleShot(true);
        connect(&m_deadline, &QTimer::timeout, this, &Connection::timedOut);
        connect(socket, &QTcpSocket::readyRead, this, &Connection::read);
        connect(socket, &QTcpSocket::disconnected, this, &QObject::deleteLater);
        arm(Deadline::Idle);
        if (socket->bytesAvailable() > 0) // a TLS socket may hold the first bytes already
            QMetaObject::invokeMethod(this, &Connection::read, Qt::QueuedConnection);
    }
    ~Connection() override
    {
        if (m_receiver)
            --m_receiver->m_stats.connections;
    }

private:
    enum class State { Reading, Waiting, Closing };
    enum class Deadline { None, Idle, Headers, Body, Closing };
    static constexpr qint64 readBufferBytes = 1 << 20;

    void read()
    {
        if (m_state == State::Waiting)
            return; // read again once answered
        if (m_state == State::Closing) {
            m_socket->readAll();
            return;
        }
        m_buffer.append(m_socket->readAll());
        if (m_state == State::Reading && !m_buffer.isEmpty() && m_armed == Deadline::Idle)
            arm(Deadline::Headers);
        process();
    }

    // One timer per connection, for whichever deadline applies now.
    void arm(Deadline deadline)
    {
        m_armed = deadline;
        const OtlpReceiverOptions& o = m_receiver->m_options;
        const int ms = deadline == Deadline::Idle      ? o.idleTimeoutMs
                       : deadline == Deadline::Headers ? o.headerTimeoutMs
                       : deadline == Deadline::Body    ? o.bodyTimeoutMs
                       : deadline == Deadline::Closing ? 5000
                                                       : 0;
        if (ms > 0)
            m_deadline.start(ms);
        else
            m_deadline.stop();
    }

    void timedOut()
    {
        switch (m_armed) {
        case Deadline::Idle:
            close();
            break;
        case Deadline::Headers:
            fail(408, "the request's headers did not arrive in time", true);
            break;
        case Deadline::Body:
            fail(408, "the request's body did not arrive in time", true);
            break;
        case Deadline::Closing:
            m_socket->abort(); // a client that does not read its answer
            break;
        case Deadline::None:
            break;
        }
    }

    void close()
    {
        m_state = State::Closing;
        arm(Deadline::Closing);
        m_socket->disconnectFromHost();
    }

    void process()
    {
        while (m_state == State::Reading) {
            switch (m_reader.read(m_buffer)) {
            case HttpRequestReader::Step::NeedMore:
                return;
            case HttpRequestReader::Step::Failed:
                fail(m_reader.failure().status, m_reader.failure().message, true);
                return;
            case HttpRequestReader::Step::Head:
                if (!takeHead())
                    return;
                break;
            case HttpRequestReader::Step::Body:
                m_body = m_reader.takeBody();
                finishBody();
                break;
            }
        }
    }

    // Whether this request is one the receiver takes; if so its body is read next.
    bool takeHead()
    {
        const HttpHead& head = m_reader.head();
        m_keepAlive = head.keepAlive;
        const QByteArray type = head.header("content-type").split(';').value(0).trimmed().toLower();
        m_protobuf = type == "application/x-protobuf";
        m_feedback = head.path == "/v1/feedback";
        m_logs = head.path == "/v1/logs";
        if (head.path != "/v1/traces" && !m_logs && !m_feedback) {
            fail(404, "only /v1/traces, /v1/logs and /v1/feedback are served here", true);
            return false;
        }
        const QByteArray& token = m_receiver->m_options.bearerToken;
        if (!token.isEmpty() && !sameSecret(head.header("authorization"), "Bearer " + token)) {
            fail(401, "a bearer token is needed: Authorization: Bearer TOKEN", true);
            return false;
        }
        if (m_feedback && m_protobuf) {
            fail(415, "feedback is JSON: Content-Type application/json", true);
            return false;
        }
        if (head.method != "POST") {
            fail(405, "use POST", true);
            return false;
        }
        if (!m_protobuf && type != "application/json") {
            fail(415, "Content-Type must be application/json or application/x-protobuf", true);
            return false;
        }
        const QByteArray encoding = head.header("content-encoding").toLower();
        if (!encoding.isEmpty() && encoding != "identity" && encoding != "gzip") {
            fail(415, "Content-Encoding must be gzip or none", true);
            return false;
        }
        m_gzip = encoding == "gzip";
        if (!m_reader.startBody()) {
            fail(m_reader.failure().status, m_reader.failure().message, true);
            return false;
        }
        if (head.header("expect").toLower() == "100-continue")
            m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        arm(Deadline::Body);
        return true;
    }

    void finishBody()
    {
        if (m_gzip) {
            QByteArray inflated;
            bool tooLarge = false;
            if (!gunzip(m_body, m_receiver->m_options.maxBodyBytes, inflated, tooLarge)) {
                fail(tooLarge ? 413 : 400,
                     tooLarge ? "the body inflates to more than the limit" : "the body is not valid gzip",
                     false);
                return;
            }
            m_body = std::move(inflated);
        }
        m_state = State::Waiting;
        arm(Deadline::None);
        ++m_receiver->m_stats.requests;
        QPointer<Connection> self(this);
        if (m_feedback) {
            submitFeedback(self);
            return;
        }
        OtlpReceiver* receiver = m_receiver;
        // Answers come back through the receiver's inbox: a call it delivers finds the receiver.
        m_receiver->m_writer->submit(
            std::move(m_body), m_protobuf, m_logs,
            [inbox = m_receiver->m_inbox, self, receiver, logs = m_logs](Answer answer, std::int64_t spans) {
                inbox.post([self, receiver, answer = std::move(answer), spans, logs] {
                    (logs ? receiver->m_stats.logRecords : receiver->m_stats.spans) += spans;
                    if (self)
                        self->respond(answer, false);
                });
            });
    }

    // The records of a POST /v1/feedback, applied by the store's writer (off this thread); the
    // answer says what matched, once it is stored.
    void submitFeedback(QPointer<Connection> self)
    {
        auto problems = std::make_shared<std::vector<FeedbackProblem>>();
        auto records = std::make_shared<std::vector<FeedbackRecord>>(
            parseFeedbackJson(std::string_view(m_body.constData(), size_t(m_body.size())), *problems));
        auto summary = std::make_shared<FeedbackSummary>();
        m_receiver->m_store->submit(
            WritePriority::Interactive,
            [records, summary](WriteTransaction& tx) {
                auto settings = loadDetectorSettings(tx.database());
                SignalDetector detector(settings ? *settings : DetectorSettings{});
                *summary = applyFeedback(tx, *records, detector);
            },
            [inbox = m_receiver->m_inbox, self, problems, summary](const Status& status) {
                Answer answer;
                if (!status) {
                    answer = errorAnswer(503, false, status.error().message);
                } else {
                    std::string body = "{\"matched\":" + std::to_string(summary->matched) +
                                       ",\"changed\":" + std::to_string(summary->changed) +
                                       ",\"unmatched\":[";
                    bool first = true;
                    for (const auto* list : {&summary->unmatched, problems.get()})
                        for (const FeedbackProblem& p : *list) {
                            body += first ? "{" : ",{";
                            first = false;
                            body += "\"record\":" + std::to_string(p.line) +
                                    ",\"reason\":" + jsonString(p.reason) + "}";
                        }
                    body += "]}";
                    // Nothing readable in the body is the client's mistake; records that match no
                    // interaction yet are not (they are listed).
                    answer.status = nothingReadable(*summary, *problems) ? 400 : 200;
                    answer.contentType = "application/json";
                    answer.body = QByteArray::fromStdString(body);
                    answer.message = answer.status == 200 ? "feedback" : "no feedback record could be read";
                }
                inbox.post([self, answer] {
                    if (self)
                        self->respond(answer, false);
                });
            });
    }

    static bool nothingReadable(const FeedbackSummary& summary, const std::vector<FeedbackProblem>& problems)
    {
        return summary.records == 0 && !problems.empty();
    }

    void fail(int status, const std::string& message, bool close)
    {
        respond(errorAnswer(status, m_protobuf, message), close);
    }

    void respond(const Answer& answer, bool close)
    {
        if (answer.status >= 400) {
            ++m_receiver->m_stats.rejected;
            if (answer.status != 503)
                close = close || m_state == State::Reading; // mid-request: the rest cannot be framed
        }
        if (!m_keepAlive)
            close = true;
        QByteArray head =
            "HTTP/1.1 " + QByteArray::number(answer.status) + ' ' + reasonPhrase(answer.status) +
            (answer.status == 401 ? "\r\nWWW-Authenticate: Bearer realm=\"winnow\"" : "") +
            "\r\nContent-Type: " + answer.contentType +
            "\r\nContent-Length: " + QByteArray::number(answer.body.size()) +
            (answer.retryAfterSeconds > 0 ? "\r\nRetry-After: " + QByteArray::number(answer.retryAfterSeconds)
                                          : QByteArray()) +
            (close ? "\r\nConnection: close" : "") + "\r\n\r\n";
        m_socket->write(head + answer.body);
        Q_EMIT m_receiver->requestHandled(answer.status, QString::fromStdString(answer.message));
        if (close) {
            this->close();
            return;
        }
        m_state = State::Reading;
        arm(m_buffer.isEmpty() ? Deadline::Idle : Deadline::Headers);
        // Pipelined requests, and what the socket held while this one waited.
        QMetaObject::invokeMethod(this, &Connection::read, Qt::QueuedConnection);
    }

    QTcpSocket* m_socket;
    QPointer<OtlpReceiver> m_receiver;
    QTimer m_deadline;
    Deadline m_armed = Deadline::None;
    State m_state = State::Reading;
    HttpRequestReader m_reader{maxHeaderBytes, m_receiver->m_options.maxBodyBytes};
    QByteArray m_buffer;
    QByteArray m_body;
    bool m_protobuf = false;
    bool m_feedback = false;
    bool m_logs = false;
    bool m_gzip = false;
    bool m_keepAlive = true;
};

OtlpReceiver::OtlpReceiver(std::shared_ptr<StoreWriter> store, OtlpReceiverOptions options, QObject* parent)
    : QObject(parent), m_store(std::move(store)), m_options(options)
{
}

OtlpReceiver::~OtlpReceiver()
{
    stop();
}

bool OtlpReceiver::start(QString* error)
{
    if (m_server)
        return true;
    auto refuse = [error](const QString& message) {
        if (error)
            *error = message;
        return false;
    };
    if (!m_options.address.isLoopback() && m_options.bearerToken.isEmpty())
        return refuse(QStringLiteral("listening on %1, which other machines can reach, needs a bearer token "
                                     "(--token-file)")
                          .arg(m_options.address.toString()));
    const bool tls = !m_options.tlsCertificateFile.isEmpty() || !m_options.tlsKeyFile.isEmpty();
    QSslConfiguration tlsConfiguration;
    if (tls) {
        if (!QSslSocket::supportsSsl())
            return refuse(QStringLiteral("TLS is not available: Qt has no TLS backend here (%1)")
                              .arg(QSslSocket::sslLibraryVersionString()));
        QFile certificateFile(m_options.tlsCertificateFile), keyFile(m_options.tlsKeyFile);
        if (!certificateFile.open(QIODevice::ReadOnly))
            return refuse(QStringLiteral("cannot read the TLS certificate %1: %2")
                              .arg(m_options.tlsCertificateFile, certificateFile.errorString()));
        if (!keyFile.open(QIODevice::ReadOnly))
            return refuse(QStringLiteral("cannot read the TLS key %1: %2")
                              .arg(m_options.tlsKeyFile, keyFile.errorString()));
        const QList<QSslCertificate> chain = QSslCertificate::fromData(certificateFile.readAll(), QSsl::Pem);
        const QByteArray keyPem = keyFile.readAll();
        QSslKey key(keyPem, QSsl::Rsa, QSsl::Pem);
        if (key.isNull())
            key = QSslKey(keyPem, QSsl::Ec, QSsl::Pem);
        if (chain.isEmpty())
            return refuse(QStringLiteral("%1 holds no PEM certificate").arg(m_options.tlsCertificateFile));
        if (key.isNull())
            return refuse(
                QStringLiteral("%1 holds no unencrypted PEM RSA or EC private key").arg(m_options.tlsKeyFile));
        tlsConfiguration = QSslConfiguration::defaultConfiguration();
        tlsConfiguration.setLocalCertificateChain(chain);
        tlsConfiguration.setPrivateKey(key);
        tlsConfiguration.setPeerVerifyMode(QSslSocket::VerifyNone); // clients authenticate by token
        tlsConfiguration.setProtocol(QSsl::TlsV1_2OrLater);
    }
    m_writer = std::make_unique<Writer>(m_store, m_options);
    m_writer->m_onCommit = [inbox = m_inbox, self = this](std::int64_t inserted) {
        if (inserted > 0)
            inbox.post([self] { Q_EMIT self->committed(); });
    };
    const std::string opened = m_writer->start();
    if (!opened.empty()) {
        m_writer.reset();
        if (error)
            *error = QString::fromStdString(opened);
        return false;
    }
    if (tls) {
        auto* server = new QSslServer(this);
        server->setSslConfiguration(tlsConfiguration);
        server->setHandshakeTimeout(m_options.headerTimeoutMs);
        m_server = server;
    } else {
        m_server = new QTcpServer(this);
    }
    // Emitted once a connection is ready to read: for TLS, after its handshake.
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this, &OtlpReceiver::accept);
    connect(m_server, &QTcpServer::acceptError, this, &OtlpReceiver::acceptFailed);
    if (!m_server->listen(m_options.address, m_options.port)) {
        if (error)
            *error = m_server->errorString();
        delete m_server;
        m_server = nullptr;
        m_writer.reset();
        return false;
    }
    return true;
}

void OtlpReceiver::accept()
{
    while (QTcpSocket* socket = m_server->nextPendingConnection()) {
        m_acceptBackoffMs = 0;
        if (m_stats.connections >= m_options.maxConnections) {
            ++m_stats.refusedConnections;
            socket->write("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
                          "Connection: close\r\n\r\n");
            socket->disconnectFromHost();
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            QTimer::singleShot(2000, socket, [socket] { socket->abort(); });
            continue;
        }
        new Connection(socket, this);
    }
}

// QTcpServer pauses accepting on an error that is not temporary, such as running out of file
// descriptors; accepting again at once would spin, never again would leave the port dead. Wait,
// longer each time up to a second, then try again.
void OtlpReceiver::acceptFailed()
{
    ++m_stats.acceptErrors;
    m_acceptBackoffMs = std::clamp(m_acceptBackoffMs * 2, 50, 1000);
    QTimer::singleShot(m_acceptBackoffMs, this, [this] {
        if (m_server)
            m_server->resumeAccepting();
    });
}

void OtlpReceiver::stop()
{
    if (m_server) {
        m_server->close();
        delete m_server;
        m_server = nullptr;
    }
    if (m_writer) {
        m_writer->stop(); // commits every pending trace
        m_stats.interactions = m_writer->interactionsStored();
        m_writer.reset();
    }
}

bool OtlpReceiver::listening() const
{
    return m_server && m_server->isListening();
}

quint16 OtlpReceiver::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

OtlpReceiverStats OtlpReceiver::stats() const
{
    OtlpReceiverStats stats = m_stats;
    if (m_writer)
        stats.interactions = m_writer->interactionsStored();
    return stats;
}

} // namespace winnow
