#include "../test_helpers.h"
#include "core/demo/generator.h"
#include "core/ingest/otlp_receiver.h"
#include "core/jobs/post_call.h"
#include "core/metrics/metrics.h"
#include "core/review/review.h"
#include "core/store/database.h"
#include "core/store/store_writer.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

#include <google/protobuf/util/json_util.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QSslSocket>
#include <QTcpSocket>
#include <QThread>

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <sstream>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include <zlib.h>

using namespace winnow;

namespace {

// The receiver runs on a thread of its own, as in the app; the test talks to it over TCP.
class ReceiverThread
{
public:
    ReceiverThread(const std::string& store, OtlpReceiverOptions options, QString* startError = nullptr)
        : m_writer(StoreWriter::open(store).take())
    {
        options.port = 0;
        m_thread.start();
        m_receiver = new OtlpReceiver(m_writer, options);
        m_receiver->moveToThread(&m_thread);
        QString error;
        callAndWait(m_receiver, [&] { m_started = m_receiver->start(&error); });
        if (startError)
            *startError = error;
        else
            EXPECT_TRUE(m_started) << error.toStdString();
        m_port = m_receiver->port();
    }
    ~ReceiverThread() { stop(); }
    void stop()
    {
        if (!m_receiver)
            return;
        callAndWait(m_receiver, [this] {
            m_receiver->stop();
            m_stats = m_receiver->stats();
            delete m_receiver;
        });
        m_receiver = nullptr;
        m_thread.quit();
        m_thread.wait();
    }
    quint16 port() const { return m_port; }
    bool started() const { return m_started; }
    const OtlpReceiverStats& stats() const { return m_stats; }
    StoreWriter& writer() { return *m_writer; }
    // The receiver's figures now, asked on its thread.
    OtlpReceiverStats liveStats()
    {
        OtlpReceiverStats stats;
        callAndWait(m_receiver, [&] { stats = m_receiver->stats(); });
        return stats;
    }

private:
    std::shared_ptr<StoreWriter> m_writer;
    QThread m_thread;
    OtlpReceiver* m_receiver = nullptr;
    bool m_started = false;
    quint16 m_port = 0;
    OtlpReceiverStats m_stats;
};

struct Reply
{
    int status = 0;
    QByteArray headers;
    QByteArray body;
};

// Sends raw bytes and reads one HTTP response (Content-Length framed) from the socket.
Reply exchange(QTcpSocket& socket, const QByteArray& request)
{
    socket.write(request);
    socket.waitForBytesWritten(5000);
    QByteArray buffer;
    Reply reply;
    while (true) {
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end >= 0) {
            reply.headers = buffer.left(end);
            reply.status = buffer.mid(9, 3).toInt();
            if (reply.status == 100) { // an interim answer: the real one follows
                buffer.remove(0, end + 4);
                continue;
            }
            const qsizetype at = reply.headers.toLower().indexOf("content-length:");
            const qsizetype length =
                at < 0 ? 0 : reply.headers.mid(at + 15).split('\r').value(0).trimmed().toLongLong();
            if (buffer.size() >= end + 4 + length) {
                reply.body = buffer.mid(end + 4, length);
                return reply;
            }
        }
        if (!socket.waitForReadyRead(10000))
            return reply;
        buffer.append(socket.readAll());
    }
}

Reply post(quint16 port, const QByteArray& headers, const QByteArray& body, bool lengthHeader = true,
           const QByteArray& path = "/v1/traces")
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    EXPECT_TRUE(socket.waitForConnected(5000));
    QByteArray request = "POST " + path + " HTTP/1.1\r\nHost: localhost\r\n" + headers;
    if (lengthHeader)
        request += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    return exchange(socket, request + "\r\n" + body);
}

QByteArray gzipped(const QByteArray& data)
{
    z_stream stream{};
    deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    QByteArray out(int(deflateBound(&stream, uLong(data.size()))), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.constData()));
    stream.avail_in = uInt(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = uInt(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(qsizetype(stream.total_out));
    deflateEnd(&stream);
    return out;
}

QByteArray demoRequest(const test::TempDir& dir, int interactions, int seed)
{
    DemoOptions options;
    options.interactions = interactions;
    options.seed = seed;
    EXPECT_EQ(writeDemo(options, DemoFormat::Otlp, dir.path("otlp.jsonl")), "");
    return QByteArray::fromStdString(test::readFile(dir.path("otlp.jsonl"))).trimmed();
}

QByteArray asProtobuf(const QByteArray& json)
{
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json.toStdString(), &request).ok());
    std::string bytes;
    request.SerializeToString(&bytes);
    return QByteArray::fromStdString(bytes);
}

// The spans and log records that wait for their trace's root.
constexpr const char* waitingSources = "otlp_waiting";

std::int64_t count(const std::string& store, const char* table)
{
    return test::queryInt(store, std::string("SELECT count(*) FROM ") + table);
}

// The count once the receiver has assembled what it answered for (within its assembleDelayMs), or
// what it is after five seconds.
std::int64_t countOnceAssembled(const std::string& store, const char* table, std::int64_t expected)
{
    QElapsedTimer timer;
    timer.start();
    std::int64_t now = count(store, table);
    while (now != expected && timer.elapsed() < 5000) {
        QThread::msleep(10);
        now = count(store, table);
    }
    return now;
}

} // namespace

TEST(OtlpReceiver, AcceptsJsonProtobufGzipAndChunkedBodies)
{
    test::TempDir dir;
    const QByteArray json = demoRequest(dir, 12, 3);
    const std::string jsonStore = dir.path("json.db"), protobufStore = dir.path("protobuf.db");
    {
        ReceiverThread receiver(jsonStore, {});
        const Reply reply = post(receiver.port(), "Content-Type: application/json\r\n", json);
        EXPECT_EQ(reply.status, 200) << reply.body.toStdString();
        EXPECT_TRUE(reply.headers.contains("Content-Type: application/json"));
        EXPECT_EQ(reply.body, "{}");
    }
    EXPECT_EQ(count(jsonStore, "interactions"), 12);
    {
        ReceiverThread receiver(protobufStore, {});
        const Reply reply =
            post(receiver.port(), "Content-Type: application/x-protobuf\r\n", asProtobuf(json));
        ASSERT_EQ(reply.status, 200) << reply.body.toStdString();
        EXPECT_TRUE(reply.headers.contains("Content-Type: application/x-protobuf"));
        opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
        EXPECT_TRUE(response.ParseFromArray(reply.body.constData(), int(reply.body.size())));
        EXPECT_FALSE(response.has_partial_success());
    }
    // The same traces by either encoding make the same interactions.
    EXPECT_EQ(count(protobufStore, "interactions"), 12);
    EXPECT_EQ(count(protobufStore, "messages"), count(jsonStore, "messages"));
    EXPECT_EQ(count(protobufStore, "tool_calls"), count(jsonStore, "tool_calls"));
    EXPECT_EQ(test::queryInt(jsonStore, "SELECT sum(latency_ms) + sum(input_tokens) FROM interactions"),
              test::queryInt(protobufStore, "SELECT sum(latency_ms) + sum(input_tokens) FROM interactions"));

    const std::string otherStore = dir.path("other.db");
    const QByteArray second = demoRequest(dir, 5, 8);
    {
        ReceiverThread receiver(otherStore, {});
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
                       gzipped(second))
                      .status,
                  200);
        // Chunked, without a Content-Length, in uneven chunks, with a 100-continue handshake.
        QByteArray chunked;
        const QByteArray body =
            demoRequest(dir, 9, 9); // the demo numbers its keys: 5 of these are in already
        for (qsizetype at = 0; at < body.size(); at += 777) {
            const QByteArray piece = body.mid(at, 777);
            chunked += QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n";
        }
        chunked += "0\r\n\r\n";
        EXPECT_EQ(post(receiver.port(),
                       "Content-Type: application/json; charset=utf-8\r\nTransfer-Encoding: chunked\r\n"
                       "Expect: 100-continue\r\n",
                       chunked, false)
                      .status,
                  200);
    }
    EXPECT_EQ(count(otherStore, "interactions"), 9);
    EXPECT_EQ(count(otherStore, "sources"), 1); // the receiver is a source of its own
}

TEST(OtlpReceiver, RefusesWhatItCannotTakeAndKeepsServing)
{
    test::TempDir dir;
    OtlpReceiverOptions options;
    options.maxBodyBytes = 4096;
    ReceiverThread receiver(dir.path("s.db"), options);
    const quint16 port = receiver.port();
    EXPECT_EQ(post(port, "Content-Type: text/plain\r\n", "x").status, 415);
    EXPECT_EQ(post(port, "Content-Type: application/json\r\nContent-Encoding: br\r\n", "{}").status, 415);
    EXPECT_EQ(post(port, "Content-Type: application/json\r\n", QByteArray(5000, ' ')).status, 413);
    EXPECT_EQ(
        post(port, "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
             "1000\r\n" + QByteArray(4096, ' ') + "\r\n1000\r\n" + QByteArray(4096, ' ') + "\r\n0\r\n\r\n",
             false)
            .status,
        413);
    EXPECT_EQ(post(port, "Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
                   gzipped(QByteArray(1 << 20, ' ')))
                  .status,
              413); // small on the wire, too big inflated
    EXPECT_EQ(post(port, "Content-Type: application/json\r\nContent-Encoding: gzip\r\n", "not gzip").status,
              400);
    const Reply malformed = post(port, "Content-Type: application/json\r\n", "{\"resourceSpans\": 5");
    EXPECT_EQ(malformed.status, 400);
    EXPECT_TRUE(malformed.body.contains("message"));
    const Reply badProtobuf = post(port, "Content-Type: application/x-protobuf\r\n", "\xff\xff\xff\xff");
    EXPECT_EQ(badProtobuf.status, 400);
    EXPECT_TRUE(badProtobuf.headers.contains("application/x-protobuf"));
    EXPECT_EQ(post(port, "Content-Type: application/json\r\n", "", false).status, 411);
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        ASSERT_TRUE(socket.waitForConnected(5000));
        EXPECT_EQ(exchange(socket, "GET /v1/traces HTTP/1.1\r\nHost: x\r\n\r\n").status, 405);
    }
    {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        ASSERT_TRUE(socket.waitForConnected(5000));
        EXPECT_EQ(exchange(socket, "POST /v1/metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}").status, 404);
    }
    {
        QTcpSocket socket; // garbage instead of HTTP
        socket.connectToHost(QHostAddress::LocalHost, port);
        ASSERT_TRUE(socket.waitForConnected(5000));
        EXPECT_EQ(exchange(socket, QByteArray("\x16\x03\x01\x02\x00\r\n\r\n", 9)).status, 400);
    }
    // Still serving, and two requests on one kept-alive connection both answered.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    ASSERT_TRUE(socket.waitForConnected(5000));
    const QByteArray empty = "{\"resourceSpans\":[]}";
    const QByteArray request =
        "POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
        QByteArray::number(empty.size()) + "\r\n\r\n" + empty;
    EXPECT_EQ(exchange(socket, request).status, 200);
    EXPECT_EQ(exchange(socket, request).status, 200);
    receiver.stop();
    EXPECT_GE(receiver.stats().rejected, 11);
    EXPECT_EQ(receiver.stats().requests, 4); // handed to the writer: the two bad bodies, the two empty ones
}

// Children end (and are exported) before their parents: spans of one trace in several requests
// still make one interaction.
TEST(OtlpReceiver, SpansOfOneTraceInSeveralRequestsMakeOneInteraction)
{
    test::TempDir dir;
    const QByteArray whole = demoRequest(dir, 1, 21);
    QJsonDocument document = QJsonDocument::fromJson(whole);
    QJsonObject root = document.object();
    QJsonArray resources = root.value(QStringLiteral("resourceSpans")).toArray();
    QJsonObject resource = resources.at(0).toObject();
    QJsonArray scopes = resource.value(QStringLiteral("scopeSpans")).toArray();
    QJsonObject scope = scopes.at(0).toObject();
    const QJsonArray spans = scope.value(QStringLiteral("spans")).toArray();
    ASSERT_GE(spans.size(), 2);
    QJsonArray children, roots;
    for (const QJsonValue& span : spans)
        (span.toObject().value(QStringLiteral("parentSpanId")).toString().isEmpty() ? roots : children)
            .append(span);
    ASSERT_EQ(roots.size(), 1);
    auto requestWith = [&](const QJsonArray& some) {
        QJsonObject s = scope;
        s.insert(QStringLiteral("spans"), some);
        QJsonObject r = resource;
        r.insert(QStringLiteral("scopeSpans"), QJsonArray{s});
        return QJsonDocument(QJsonObject{{QStringLiteral("resourceSpans"), QJsonArray{r}}})
            .toJson(QJsonDocument::Compact);
    };
    const std::string split = dir.path("split.db"), together = dir.path("together.db");
    {
        ReceiverThread receiver(split, {});
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
        EXPECT_EQ(count(split, "interactions"), 0); // waiting for its root
        EXPECT_EQ(
            post(receiver.port(), "Content-Type: application/x-protobuf\r\n", asProtobuf(requestWith(roots)))
                .status,
            200);
        EXPECT_EQ(countOnceAssembled(split, "interactions", 1), 1);
    }
    {
        ReceiverThread receiver(together, {});
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", whole).status, 200);
    }
    EXPECT_EQ(count(split, "messages"), count(together, "messages"));
    EXPECT_EQ(count(split, "tool_calls"), count(together, "tool_calls"));

    // Late arrivals: the root came with none of its children, the trace was committed, then the
    // children arrive. They are merged into that interaction (not dropped as a duplicate), and
    // the figures follow: the same messages, tool calls, spans and totals as the whole trace.
    const std::string late = dir.path("late.db");
    {
        ReceiverThread receiver(late, {});
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(roots)).status,
                  200);
        EXPECT_EQ(countOnceAssembled(late, "interactions", 1), 1);
        const std::int64_t spansBefore = count(late, "spans");
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
        EXPECT_EQ(countOnceAssembled(late, "spans", spansBefore + children.size()),
                  spansBefore + children.size());
        EXPECT_EQ(count(late, "interactions"), 1);
    }
    EXPECT_EQ(count(late, "messages"), count(together, "messages"));
    EXPECT_EQ(count(late, "tool_calls"), count(together, "tool_calls"));
    EXPECT_EQ(count(late, "signals"), count(together, "signals"));
    {
        auto lateReader = Database::openForReading(late).take();
        auto togetherReader = Database::openForReading(together).take();
        const MetricsSummary merged = computeMetrics(*lateReader, MetricsFilter{});
        const MetricsSummary whole = computeMetrics(*togetherReader, MetricsFilter{});
        EXPECT_EQ(merged.interactions, 1);
        EXPECT_EQ(merged.inputTokens, whole.inputTokens);
        EXPECT_EQ(merged.outputTokens, whole.outputTokens);
        for (Rate rate : allRates)
            EXPECT_EQ(merged.rate(rate).hits, whole.rate(rate).hits) << rateName(rate);
    }

    // The store keeps each committed trace's spans: a span that comes after a restart still merges,
    // and a retry of what was merged changes nothing.
    const std::string restarted = dir.path("restarted.db");
    {
        ReceiverThread receiver(restarted, {});
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(roots)).status,
                  200);
    }
    // A reviewer labels it before the rest arrives: the label follows the interaction written again.
    {
        auto writer = StoreWriter::open(restarted).take();
        Label label;
        label.interactionId = test::queryInt(restarted, "SELECT id FROM interactions");
        label.reviewer = "ana";
        label.verdict = Verdict::Fail;
        label.status = LabelStatus::Submitted;
        label.author = "ana";
        label.atMs = 1;
        ASSERT_TRUE(importLabels(*writer, {label}));
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        ReceiverThread receiver(restarted, {});
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
        EXPECT_EQ(countOnceAssembled(restarted, "spans", spans.size()), spans.size());
        EXPECT_EQ(count(restarted, "interactions"), 1);
        EXPECT_EQ(test::queryInt(restarted, "SELECT count(*) FROM labels l JOIN interactions i ON i.id = "
                                            "l.interaction_id WHERE l.reviewer = 'ana'"),
                  1);
    }
    EXPECT_EQ(count(restarted, "messages"), count(together, "messages"));
    EXPECT_EQ(count(restarted, "tool_calls"), count(together, "tool_calls"));

    // A 200 means stored: the children wait in the store, not only in memory, so a receiver that
    // dies after answering loses nothing and the next one completes the trace when the root comes.
    const std::string crashed = dir.path("crashed.db");
    {
        OtlpReceiverOptions dies;
        dies.completeWaitingAtStop = false; // what a crash leaves
        ReceiverThread receiver(crashed, dies);
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
        EXPECT_EQ(count(crashed, waitingSources), children.size()); // stored before the answer
    }
    EXPECT_EQ(count(crashed, "interactions"), 0);
    EXPECT_EQ(count(crashed, waitingSources), children.size());
    {
        ReceiverThread receiver(crashed, {});
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(roots)).status,
                  200);
        EXPECT_EQ(countOnceAssembled(crashed, "interactions", 1), 1);
        EXPECT_EQ(countOnceAssembled(crashed, waitingSources, 0), 0);
    }
    EXPECT_EQ(count(crashed, "messages"), count(together, "messages"));
    EXPECT_EQ(count(crashed, "tool_calls"), count(together, "tool_calls"));

    // Waiting spans are bounded: past the bound, 429 with Retry-After, and nothing of it is kept.
    const std::string bounded = dir.path("bounded.db");
    {
        OtlpReceiverOptions small;
        small.maxPendingSpans = children.size();
        ReceiverThread receiver(bounded, small);
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
        const Reply refused =
            post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children));
        EXPECT_EQ(refused.status, 429) << refused.body.toStdString();
        EXPECT_TRUE(refused.headers.contains("Retry-After: ")) << refused.headers.toStdString();
        EXPECT_EQ(count(bounded, waitingSources), children.size());
        // The root completes the trace and frees the room.
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(roots)).status,
                  200);
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
    }

    // A trace whose root never comes is committed when the receiver stops.
    const std::string orphan = dir.path("orphan.db");
    {
        ReceiverThread receiver(orphan, {});
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
        EXPECT_EQ(count(orphan, "interactions"), 0);
    }
    EXPECT_EQ(count(orphan, "interactions"), 1);
}

// A request is answered once its spans are stored; the traces it completes become interactions
// a little later, with those of the requests around it (one commit per request that also wrote
// every interaction's rollups was most of the receiver's time). Nothing acknowledged is lost in
// between: a receiver that dies first leaves the spans, and the next one assembles them at once.
TEST(OtlpReceiver, AnswersOnceTheSpansAreStoredAndAssemblesTracesInBatches)
{
    test::TempDir dir;
    const QList<QByteArray> requests = demoRequest(dir, 24, 3).split('\n'); // 16 traces, then 8
    ASSERT_EQ(requests.size(), 2);
    const QByteArray first = demoRequest(dir, 12, 3);
    const std::string store = dir.path("batches.db");
    {
        OtlpReceiverOptions later;
        later.assembleDelayMs = 60'000;
        later.assembleBatchTraces = 20;
        ReceiverThread receiver(store, later);
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requests[0]).status, 200);
        EXPECT_EQ(count(store, "interactions"), 0);
        EXPECT_GE(count(store, waitingSources),
                  16 * 2); // every span of the request, stored before the answer
        // 24 traces complete: past assembleBatchTraces, taken with the request that made them so.
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requests[1]).status, 200);
        EXPECT_EQ(count(store, "interactions"), 24);
        EXPECT_EQ(count(store, waitingSources), 0);
        EXPECT_EQ(receiver.liveStats().interactions, 24);
    }
    // After assembleDelayMs, without another request.
    const std::string soon = dir.path("soon.db");
    {
        OtlpReceiverOptions options;
        options.assembleDelayMs = 50;
        ReceiverThread receiver(soon, options);
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", first).status, 200);
        EXPECT_EQ(countOnceAssembled(soon, "interactions", 12), 12);
        EXPECT_EQ(count(soon, waitingSources), 0);
    }
    // Dies before assembling: the next receiver assembles what was acknowledged, unasked.
    const std::string crashed = dir.path("crashed.db");
    {
        OtlpReceiverOptions dies;
        dies.assembleDelayMs = 60'000;
        dies.completeWaitingAtStop = false;
        ReceiverThread receiver(crashed, dies);
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", first).status, 200);
    }
    EXPECT_EQ(count(crashed, "interactions"), 0);
    {
        ReceiverThread receiver(crashed, {});
        EXPECT_EQ(countOnceAssembled(crashed, "interactions", 12), 12);
        EXPECT_EQ(countOnceAssembled(crashed, waitingSources, 0), 0);
    }
    EXPECT_EQ(count(crashed, "messages"), count(soon, "messages"));
    EXPECT_EQ(count(crashed, "otlp_sources"), count(soon, "otlp_sources"));
}

// A batch of traces the store refuses (a full disk, here a trigger) is not lost until a restart:
// its spans are stored, waiting, and the receiver takes them again once the store takes writes.
TEST(OtlpReceiver, TracesTheStoreRefusedAreAssembledOnceItTakesWritesAgain)
{
    test::TempDir dir;
    const QByteArray request = demoRequest(dir, 12, 3);
    const std::string store = dir.path("refusing.db");
    {
        auto writer = StoreWriter::open(store).take();
    }
    {
        sql::Connection db(store);
        db.exec("CREATE TABLE refuse(now INTEGER); INSERT INTO refuse VALUES(1); CREATE TRIGGER "
                "no_room BEFORE INSERT ON interactions WHEN (SELECT now FROM refuse) = 1 BEGIN SELECT "
                "RAISE(ABORT, 'database or disk is full'); END");
    }
    OtlpReceiverOptions options;
    options.assembleDelayMs = 20;
    ReceiverThread receiver(store, options);
    EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", request).status, 200);
    const std::int64_t stored = count(store, waitingSources);
    EXPECT_GE(stored, 12 * 2);
    QThread::msleep(300); // the batch was refused
    EXPECT_EQ(count(store, "interactions"), 0);
    EXPECT_EQ(count(store, waitingSources), stored);
    {
        sql::Connection db(store);
        db.exec("PRAGMA busy_timeout = 5000");
        db.exec("UPDATE refuse SET now = 0");
    }
    EXPECT_EQ(countOnceAssembled(store, "interactions", 12), 12);
    EXPECT_EQ(countOnceAssembled(store, waitingSources, 0), 0);
    EXPECT_EQ(receiver.liveStats().interactions, 12);
}

// Late spans the receiver acknowledged but had not merged when it died are merged by the next
// one into their interaction, not made a second one; a retry of spans merged already leaves no
// copy of them behind.
TEST(OtlpReceiver, LateSpansAcknowledgedBeforeACrashAreMergedAfterTheRestart)
{
    test::TempDir dir;
    const QByteArray whole = demoRequest(dir, 1, 21);
    QJsonObject resource = QJsonDocument::fromJson(whole)
                               .object()
                               .value(QStringLiteral("resourceSpans"))
                               .toArray()
                               .at(0)
                               .toObject();
    QJsonObject scope = resource.value(QStringLiteral("scopeSpans")).toArray().at(0).toObject();
    QJsonArray children, roots;
    for (const QJsonValue& span : scope.value(QStringLiteral("spans")).toArray())
        (span.toObject().value(QStringLiteral("parentSpanId")).toString().isEmpty() ? roots : children)
            .append(span);
    ASSERT_EQ(roots.size(), 1);
    ASSERT_GE(children.size(), 1);
    auto requestWith = [&](const QJsonArray& some) {
        scope.insert(QStringLiteral("spans"), some);
        resource.insert(QStringLiteral("scopeSpans"), QJsonArray{scope});
        return QJsonDocument(QJsonObject{{QStringLiteral("resourceSpans"), QJsonArray{resource}}})
            .toJson(QJsonDocument::Compact);
    };
    const std::string store = dir.path("late.db");
    OtlpReceiverOptions dies;
    dies.assembleDelayMs = 60'000;
    dies.completeWaitingAtStop = false;
    {
        OtlpReceiverOptions now;
        now.assembleDelayMs = 0;
        ReceiverThread receiver(store, now);
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(roots)).status,
                  200);
        EXPECT_EQ(count(store, "interactions"), 1);
    }
    {
        ReceiverThread receiver(store, dies);
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
    }
    EXPECT_EQ(count(store, waitingSources), children.size());
    EXPECT_EQ(count(store, "spans"), 1);
    {
        ReceiverThread receiver(store, {});
        EXPECT_EQ(countOnceAssembled(store, "spans", 1 + children.size()), 1 + children.size());
        EXPECT_EQ(count(store, "interactions"), 1);
        EXPECT_EQ(countOnceAssembled(store, waitingSources, 0), 0);
        // The exporter retries what was merged: stored before the answer, gone once seen to repeat.
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
        EXPECT_EQ(countOnceAssembled(store, waitingSources, 0), 0);
    }
    EXPECT_EQ(count(store, "otlp_sources"), 1 + children.size());
    EXPECT_EQ(count(store, "interactions"), 1);
    EXPECT_EQ(count(store, "spans"), 1 + children.size());
}

// A front end sends a thumb as it happens: POST /v1/feedback with the same records as
// `winnow feedback import`, answered once stored, with what matched nothing listed.
TEST(OtlpReceiver, FeedbackArrivesOnItsOwnPath)
{
    test::TempDir dir;
    const QByteArray json = demoRequest(dir, 6, 5);
    const std::string store = dir.path("s.db");
    {
        ReceiverThread receiver(store, {});
        ASSERT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", json).status, 200);
    }
    const std::string key = test::queryRow(store, "SELECT key FROM interactions ORDER BY id LIMIT 1").at(0);
    ASSERT_FALSE(key.empty());
    {
        ReceiverThread receiver(store, {});
        const QByteArray body = QByteArray::fromStdString(
            "[{\"interaction_id\": \"" + key +
            "\", \"thumb\": \"down\", \"score.csat\": 1},"
            " {\"interaction_id\": \"nobody\", \"thumb\": \"up\"}, {\"thumb\": \"up\"}]");
        const Reply reply =
            post(receiver.port(), "Content-Type: application/json\r\n", body, true, "/v1/feedback");
        ASSERT_EQ(reply.status, 200) << reply.body.toStdString();
        const QJsonObject answer = QJsonDocument::fromJson(reply.body).object();
        EXPECT_EQ(answer.value(QStringLiteral("matched")).toInt(), 1);
        EXPECT_EQ(answer.value(QStringLiteral("changed")).toInt(), 1);
        EXPECT_EQ(answer.value(QStringLiteral("unmatched")).toArray().size(), 2);
        // The same thumb again changes nothing.
        const Reply again =
            post(receiver.port(), "Content-Type: application/json\r\n", body, true, "/v1/feedback");
        EXPECT_EQ(QJsonDocument::fromJson(again.body).object().value(QStringLiteral("changed")).toInt(), 0);
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", "[{\"thumb\": 3}]", true,
                       "/v1/feedback")
                      .status,
                  400);
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/x-protobuf\r\n", "x", true, "/v1/feedback")
                      .status,
                  415);
        EXPECT_EQ(
            post(receiver.port(), "Content-Type: application/json\r\n", "{}", true, "/v1/logs-nope").status,
            404);
    }
    EXPECT_EQ(test::queryInt(store, "SELECT thumb FROM interactions WHERE key = '" + key + "'"), -1);
    EXPECT_EQ(
        test::queryInt(store, "SELECT count(*) FROM signals s JOIN interactions i ON i.id = s.interaction_id "
                              "WHERE i.key = '" +
                                  key + "' AND s.kind = 'negative_feedback'"),
        1);
    EXPECT_EQ(test::queryInt(store, "SELECT count(*) FROM scores WHERE name = 'csat'"), 1);
}

// The official OpenTelemetry JS exporters' own protobuf bodies (tests/data/otel_js, recorded by
// tools/otel-js/record): message content on /v1/logs joins the spans on /v1/traces, whichever
// comes first, in one interaction.
TEST(OtlpReceiver, LogRecordsJoinTheirSpansWhicheverComesFirst)
{
    auto bodies = [](const std::string& scenario, const std::string& prefix) {
        std::vector<QByteArray> found;
        for (int n = 1;; ++n) {
            const std::string path =
                test::dataFile("otel_js/" + scenario + "/" + prefix + "-" + std::to_string(n) + ".pb");
            if (!std::filesystem::exists(path))
                return found;
            found.push_back(QByteArray::fromStdString(test::readFile(path)));
        }
    };
    const QByteArray protobuf = "Content-Type: application/x-protobuf\r\n";
    test::TempDir dir;
    std::string expected;
    // chat-agent: one trace under the application's agent span; chat-tools: each model call its own
    // trace, joined into one run.
    for (const auto& [scenario, logsFirst] :
         {std::pair{"chat-agent", true}, std::pair{"chat-agent", false}, std::pair{"chat-tools", true},
          std::pair{"chat-tools", false}}) {
        const std::vector<QByteArray> traces = bodies(scenario, "traces"), logs = bodies(scenario, "logs");
        SCOPED_TRACE(std::string(scenario) + (logsFirst ? ", log records first" : ", spans first"));
        ASSERT_GE(traces.size(), 2u);
        ASSERT_EQ(logs.size(), 8u);
        const std::string store =
            dir.path(std::string(scenario) + (logsFirst ? "-logs-first.db" : "-traces-first.db"));
        {
            ReceiverThread receiver(store, {});
            for (int pass = 0; pass < 2; ++pass)
                for (const QByteArray& body : (pass == 0) == logsFirst ? logs : traces)
                    EXPECT_EQ(post(receiver.port(), protobuf, body, true,
                                   (pass == 0) == logsFirst ? "/v1/logs" : "/v1/traces")
                                  .status,
                              200);
            EXPECT_EQ(countOnceAssembled(store, "interactions", 1), 1);
            // A retry of a log record changes nothing.
            EXPECT_EQ(post(receiver.port(), protobuf, logs.back(), true, "/v1/logs").status, 200);
            receiver.stop();
            EXPECT_EQ(receiver.stats().logRecords, 9);
        }
        EXPECT_EQ(count(store, "interactions"), 1);
        EXPECT_EQ(count(store, "tool_calls"), 1);
        {
            // After a restart, the trace's stored sources (protobuf ones here) are read back: a retry
            // still changes nothing.
            ReceiverThread again(store, {});
            const Reply retried = post(again.port(), protobuf, logs.front(), true, "/v1/logs");
            EXPECT_EQ(retried.status, 200) << retried.body.toStdString();
            EXPECT_EQ(count(store, "interactions"), 1);
        }
        const std::string text = test::conversation(store);
        EXPECT_NE(text.find("user: What is the weather in Lisbon?\n"), std::string::npos) << text;
        EXPECT_NE(text.find("assistant: It is 21 °C and sunny in Lisbon right now.\n"), std::string::npos)
            << text;
        if (expected.empty())
            expected = text;
        EXPECT_EQ(text, expected);
    }

    // JSON, gzipped, on /v1/logs too; a trace request on /v1/logs is refused.
    const std::string store = dir.path("json.db");
    ReceiverThread receiver(store, {});
    for (const std::string line : {"traces", "logs"}) {
        std::istringstream lines(test::readFile(test::dataFile("otel_js/chat-agent/" + line + ".jsonl")));
        for (std::string request; std::getline(lines, request);)
            EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
                           gzipped(QByteArray::fromStdString(request)), true,
                           line == std::string("logs") ? "/v1/logs" : "/v1/traces")
                          .status,
                      200);
    }
    QElapsedTimer assembling;
    assembling.start();
    while (test::conversation(store) != expected && assembling.elapsed() < 5000)
        QThread::msleep(10);
    EXPECT_EQ(test::conversation(store), expected);
    const Reply wrong =
        post(receiver.port(), "Content-Type: application/json\r\n", demoRequest(dir, 1, 3), true, "/v1/logs");
    EXPECT_EQ(wrong.status, 400);
    EXPECT_NE(wrong.body.indexOf("resourceLogs"), -1) << wrong.body.toStdString();
}

// Abuse: each answered with the right status, with bounded memory, while valid traffic is served
// during and after.

namespace {

// Whether the server closed the connection within `ms`.
bool closedWithin(QTcpSocket& socket, int ms)
{
    QElapsedTimer timer;
    timer.start();
    while (socket.state() == QAbstractSocket::ConnectedState && timer.elapsed() < ms) {
        socket.waitForReadyRead(50);
        socket.readAll();
    }
    return socket.state() != QAbstractSocket::ConnectedState;
}

QByteArray framed(const QByteArray& body, const QByteArray& path = "/v1/traces",
                  const QByteArray& type = "application/json", const QByteArray& more = {})
{
    return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: " + type + "\r\n" + more +
           "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

bool stillServes(quint16 port)
{
    return post(port, "Content-Type: application/json\r\n", "{\"resourceSpans\":[]}").status == 200;
}

} // namespace

TEST(OtlpReceiver, AnEmptyExportRequestIsASuccess)
{
    test::TempDir dir;
    ReceiverThread receiver(dir.path("s.db"), {});
    const quint16 port = receiver.port();
    for (const QByteArray& path : {QByteArray("/v1/traces"), QByteArray("/v1/logs")}) {
        for (const QByteArray& body : {QByteArray(), QByteArray("{}"), QByteArray(" \n"),
                                      QByteArray("{\"resourceSpans\":[]}"), QByteArray("{\"resourceLogs\":[]}")}) {
            // An empty list of the other signal is empty too: nothing sent to the wrong path is lost.
            const Reply reply = post(port, "Content-Type: application/json\r\n", body, true, path);
            EXPECT_EQ(reply.status, 200) << path.toStdString() << " " << body.toStdString() << " "
                                         << reply.body.toStdString();
        }
        const Reply protobuf = post(port, "Content-Type: application/x-protobuf\r\n", {}, true, path);
        EXPECT_EQ(protobuf.status, 200) << path.toStdString();
    }
    // Wrong types are the client's mistake, said so.
    for (const QByteArray& body : {QByteArray("[]"), QByteArray("{\"resourceSpans\":{}}"),
                                  QByteArray("{\"resourceSpans\":[{\"scopeSpans\":7}]}"),
                                  QByteArray("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":\"x\"}]}]}"),
                                  QByteArray("7")}) {
        const Reply reply = post(port, "Content-Type: application/json\r\n", body);
        EXPECT_EQ(reply.status, 400) << body.toStdString();
    }
    // A trace request sent to the logs path is not taken as an empty logs request.
    const Reply misrouted =
        post(port, "Content-Type: application/json\r\n", demoRequest(dir, 1, 3), true, "/v1/logs");
    EXPECT_EQ(misrouted.status, 400);
    EXPECT_EQ(count(dir.path("s.db"), "interactions"), 0);
    EXPECT_TRUE(stillServes(port));
}

TEST(OtlpReceiver, RefusesAmbiguousFramingAndHugeChunks)
{
    test::TempDir dir;
    ReceiverThread receiver(dir.path("s.db"), {});
    const quint16 port = receiver.port();
    const QByteArray json = "Content-Type: application/json\r\n";
    // RFC 9112: two lengths, or a length with chunked, could be read two ways by two parties.
    EXPECT_EQ(post(port, json + "Content-Length: 2\r\nContent-Length: 2\r\n", "{}", false).status, 400);
    EXPECT_EQ(post(port, json + "Content-Length: 2\r\nContent-Length: 20\r\n", "{}", false).status, 400);
    EXPECT_EQ(post(port, json + "Transfer-Encoding: chunked\r\nContent-Length: 7\r\n", "2\r\n{}\r\n0\r\n\r\n", false)
                  .status,
              400);
    EXPECT_EQ(post(port, json + "Content-Length: +2\r\n", "{}", false).status, 400);
    EXPECT_EQ(post(port, json + "Transfer-Encoding: gzip, chunked\r\n", "2\r\n{}\r\n0\r\n\r\n", false).status, 501);
    // A chunk size near 2^63 after a first chunk: the sum overflowed the limit check, and the
    // receiver went on buffering what the client sent.
    for (const QByteArray& size : {QByteArray("7ffffffffffffff0"), QByteArray("ffffffffffffffffffff")}) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        ASSERT_TRUE(socket.waitForConnected(5000));
        const Reply reply = exchange(socket, "POST /v1/traces HTTP/1.1\r\n" + json +
                                                 "Transfer-Encoding: chunked\r\n\r\n10\r\n{\"resourceSpans\"\r\n" +
                                                 size + "\r\n" + QByteArray(100000, ' '));
        EXPECT_EQ(reply.status, 413) << size.toStdString();
        EXPECT_TRUE(closedWithin(socket, 5000));
    }
    EXPECT_TRUE(stillServes(port));
}

TEST(OtlpReceiver, PipelinedRequestsAreAnsweredInOrder)
{
    test::TempDir dir;
    const QByteArray traces = demoRequest(dir, 3, 11);
    ReceiverThread receiver(dir.path("s.db"), {});
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, receiver.port());
    ASSERT_TRUE(socket.waitForConnected(5000));
    // Three requests in one write: each answered, in order; the refusal in the middle closes the
    // connection after its answer (what follows it is not read).
    socket.write(framed(traces) + framed("{}", "/v1/logs") + framed("{}", "/v1/metrics") + framed("{}"));
    QByteArray answers;
    while (socket.waitForReadyRead(3000))
        answers += socket.readAll();
    const qsizetype ok = answers.indexOf("HTTP/1.1 200"), second = answers.indexOf("HTTP/1.1 200", ok + 1),
                    missing = answers.indexOf("HTTP/1.1 404");
    EXPECT_TRUE(ok == 0 && second > ok && missing > second) << answers.toStdString();
    EXPECT_EQ(answers.count("HTTP/1.1 "), 3);
    receiver.stop();
    EXPECT_EQ(count(dir.path("s.db"), "interactions"), 3);
    EXPECT_EQ(receiver.stats().requests, 2);
}

TEST(OtlpReceiver, SlowAndIdleClientsAreClosed)
{
    test::TempDir dir;
    OtlpReceiverOptions options;
    options.headerTimeoutMs = 400;
    options.bodyTimeoutMs = 400;
    options.idleTimeoutMs = 400;
    ReceiverThread receiver(dir.path("s.db"), options);
    const quint16 port = receiver.port();
    {
        QTcpSocket idle; // connects and says nothing
        idle.connectToHost(QHostAddress::LocalHost, port);
        ASSERT_TRUE(idle.waitForConnected(5000));
        EXPECT_TRUE(closedWithin(idle, 5000));
    }
    {
        QTcpSocket slow; // a byte at a time, never finishing its headers
        slow.connectToHost(QHostAddress::LocalHost, port);
        ASSERT_TRUE(slow.waitForConnected(5000));
        QByteArray answer;
        const QByteArray request = "POST /v1/traces HTTP/1.1\r\nHost: x\r\nX-Slow: ";
        QElapsedTimer timer;
        timer.start();
        for (qsizetype i = 0; slow.state() == QAbstractSocket::ConnectedState && timer.elapsed() < 5000; ++i) {
            slow.write(request.mid(i % request.size(), 1));
            slow.waitForBytesWritten(100);
            if (slow.waitForReadyRead(100))
                answer += slow.readAll();
        }
        answer += slow.readAll();
        EXPECT_TRUE(answer.startsWith("HTTP/1.1 408")) << answer.toStdString();
        EXPECT_LT(timer.elapsed(), 4000);
    }
    {
        QTcpSocket stalled; // headers, then a tenth of the body
        stalled.connectToHost(QHostAddress::LocalHost, port);
        ASSERT_TRUE(stalled.waitForConnected(5000));
        const Reply reply = exchange(
            stalled, "POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"re");
        EXPECT_EQ(reply.status, 408);
        EXPECT_TRUE(closedWithin(stalled, 5000));
    }
    {
        QTcpSocket kept; // answered, then left idle
        kept.connectToHost(QHostAddress::LocalHost, port);
        ASSERT_TRUE(kept.waitForConnected(5000));
        EXPECT_EQ(exchange(kept, framed("{}")).status, 200);
        EXPECT_TRUE(closedWithin(kept, 5000));
    }
    EXPECT_TRUE(stillServes(port));
    QElapsedTimer timer;
    timer.start();
    while (receiver.liveStats().connections > 0 && timer.elapsed() < 5000)
        QThread::msleep(20);
    EXPECT_EQ(receiver.liveStats().connections, 0);
}

TEST(OtlpReceiver, OpenConnectionsAreCapped)
{
    test::TempDir dir;
    OtlpReceiverOptions options;
    options.maxConnections = 50;
    ReceiverThread receiver(dir.path("s.db"), options);
    const quint16 port = receiver.port();
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    for (int i = 0; i < 200; ++i) {
        idle.push_back(std::make_unique<QTcpSocket>());
        idle.back()->connectToHost(QHostAddress::LocalHost, port);
        ASSERT_TRUE(idle.back()->waitForConnected(5000));
    }
    // The ones past the cap are told to come back and closed.
    int refused = 0;
    for (auto& socket : idle)
        if (closedWithin(*socket, 100))
            ++refused;
    EXPECT_EQ(refused, 150);
    const OtlpReceiverStats stats = receiver.liveStats();
    EXPECT_EQ(stats.connections, 50);
    EXPECT_EQ(stats.refusedConnections, 150);
    QTcpSocket extra; // told at once, before it sends anything
    extra.connectToHost(QHostAddress::LocalHost, port);
    ASSERT_TRUE(extra.waitForConnected(5000));
    QByteArray told;
    while (!told.contains("\r\n\r\n") && extra.waitForReadyRead(5000))
        told += extra.readAll();
    EXPECT_TRUE(told.startsWith("HTTP/1.1 503")) << told.toStdString();
    EXPECT_TRUE(told.contains("Retry-After:"));
    idle.clear(); // they go away: room again
    QElapsedTimer timer;
    timer.start();
    while (receiver.liveStats().connections > 0 && timer.elapsed() < 5000)
        QThread::msleep(20);
    EXPECT_TRUE(stillServes(port));
}

TEST(OtlpReceiver, AClientThatKeepsSendingWhileItsRequestWaitsIsNotBuffered)
{
    test::TempDir dir;
    ReceiverThread receiver(dir.path("s.db"), {});
    // The store's writer is busy: the request waits.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    receiver.writer().submit(WritePriority::Interactive, [released](WriteTransaction&) { released.wait(); });
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, receiver.port());
    ASSERT_TRUE(socket.waitForConnected(5000));
    socket.write(framed(demoRequest(dir, 2, 5)));
    const qint64 flood = 64ll << 20;
    socket.write(QByteArray(flood, 'x'));
    for (int i = 0; i < 20; ++i)
        socket.waitForBytesWritten(100);
    // What the kernel and the receiver's socket buffer hold is a few megabytes; the rest waits on
    // the client's side because nobody reads it.
    EXPECT_GT(socket.bytesToWrite(), flood / 2);
    release.set_value();
    QByteArray answer;
    while (!answer.contains("\r\n\r\n") && socket.waitForReadyRead(5000))
        answer += socket.readAll();
    EXPECT_TRUE(answer.startsWith("HTTP/1.1 200")) << answer.left(60).toStdString();
    // The flood is then read as the next request: garbage, refused, the connection closed.
    EXPECT_TRUE(closedWithin(socket, 10000));
    EXPECT_TRUE(stillServes(receiver.port()));
}

TEST(OtlpReceiver, AGzipBombIsRefusedAtTheLimit)
{
    test::TempDir dir;
    ReceiverThread receiver(dir.path("s.db"), {}); // the default limit, 64 MB
    // 1 GB of zeros, about a megabyte on the wire.
    z_stream stream{};
    deflateInit2(&stream, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
    const QByteArray zeros(16 << 20, '\0');
    QByteArray bomb;
    char out[1 << 16];
    for (int i = 0; i < 64; ++i) {
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.constData()));
        stream.avail_in = uInt(zeros.size());
        do {
            stream.next_out = reinterpret_cast<Bytef*>(out);
            stream.avail_out = sizeof out;
            deflate(&stream, i == 63 ? Z_FINISH : Z_NO_FLUSH);
            bomb.append(out, qsizetype(sizeof out - stream.avail_out));
        } while (stream.avail_out == 0);
    }
    deflateEnd(&stream);
    ASSERT_LT(bomb.size(), 2 << 20);
    const Reply reply = post(receiver.port(), "Content-Type: application/json\r\nContent-Encoding: gzip\r\n", bomb);
    EXPECT_EQ(reply.status, 413);
    EXPECT_TRUE(reply.body.contains("inflates"));
    EXPECT_TRUE(stillServes(receiver.port()));
}

TEST(OtlpReceiver, RunningOutOfFileDescriptorsPausesAcceptingThenResumes)
{
    test::TempDir dir;
    ReceiverThread receiver(dir.path("s.db"), {});
    const quint16 port = receiver.port();
    rlimit original{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &original), 0);
    rlimit lowered = original;
    lowered.rlim_cur = std::min<rlim_t>(original.rlim_cur, 512);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
    // Every descriptor taken but one, which the client's socket gets: the receiver's accept fails.
    std::vector<int> taken;
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
        taken.push_back(fd);
    ASSERT_FALSE(taken.empty());
    ::close(taken.back());
    taken.pop_back();
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    // A plain socket, no Qt object: with no descriptor to spare, even a sanitizer's runtime
    // cannot check a C++ object's type. The kernel completes the connection; nobody accepts it.
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool connected =
        client >= 0 && ::connect(client, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    QThread::msleep(1500);
    getrusage(RUSAGE_SELF, &after);
    for (const int fd : taken)
        ::close(fd);
    setrlimit(RLIMIT_NOFILE, &original);
    ASSERT_TRUE(connected);
    QTcpSocket socket;
    ASSERT_TRUE(socket.setSocketDescriptor(client));
    // It did not spin: well under a core's second in a second and a half.
    const double cpu = double(after.ru_utime.tv_sec - before.ru_utime.tv_sec + after.ru_stime.tv_sec -
                              before.ru_stime.tv_sec) +
                       double(after.ru_utime.tv_usec - before.ru_utime.tv_usec + after.ru_stime.tv_usec -
                              before.ru_stime.tv_usec) /
                           1e6;
    EXPECT_LT(cpu, 0.75);
    EXPECT_GE(receiver.liveStats().acceptErrors, 1);
    // Descriptors are back: the waiting client is taken and served.
    EXPECT_EQ(exchange(socket, framed("{}")).status, 200);
    EXPECT_TRUE(stillServes(port));
}

TEST(OtlpReceiver, ATokenIsNeededBeyondLoopbackAndTlsIsOffered)
{
    test::TempDir dir;
    OtlpReceiverOptions open;
    open.address = QHostAddress::AnyIPv4;
    QString error;
    {
        ReceiverThread refused(dir.path("s.db"), open, &error);
        EXPECT_FALSE(refused.started());
        EXPECT_NE(error.indexOf(QStringLiteral("token")), -1) << error.toStdString();
    }
    OtlpReceiverOptions guarded = open;
    guarded.bearerToken = "s3cret-token";
    {
        ReceiverThread receiver(dir.path("s.db"), guarded);
        const quint16 port = receiver.port();
        const Reply without = post(port, "Content-Type: application/json\r\n", "{}");
        EXPECT_EQ(without.status, 401);
        EXPECT_TRUE(without.headers.contains("WWW-Authenticate: Bearer"));
        EXPECT_EQ(post(port, "Content-Type: application/json\r\nAuthorization: Bearer s3cret-tokeN\r\n", "{}").status,
                  401);
        EXPECT_EQ(post(port, "Content-Type: application/json\r\nAuthorization: Bearer s3cret-token\r\n", "{}").status,
                  200);
    }
    if (!QSslSocket::supportsSsl())
        GTEST_SKIP() << "Qt has no TLS backend here";
    OtlpReceiverOptions tls = guarded;
    tls.tlsCertificateFile = QString::fromStdString(test::dataFile("tls/localhost.crt"));
    tls.tlsKeyFile = QString::fromStdString(test::dataFile("tls/localhost.key"));
    ReceiverThread receiver(dir.path("s.db"), tls);
    QSslSocket secure;
    secure.setPeerVerifyMode(QSslSocket::VerifyNone); // the test's certificate is self-signed
    secure.connectToHostEncrypted(QStringLiteral("127.0.0.1"), receiver.port());
    ASSERT_TRUE(secure.waitForEncrypted(10000)) << secure.errorString().toStdString();
    const QByteArray body = demoRequest(dir, 2, 21);
    const Reply reply = exchange(secure, framed(body, "/v1/traces", "application/json",
                                                "Authorization: Bearer s3cret-token\r\n"));
    EXPECT_EQ(reply.status, 200) << reply.body.toStdString();
    // Plain HTTP to the TLS port gets no answer a client could mistake for success.
    QTcpSocket plain;
    plain.connectToHost(QHostAddress::LocalHost, receiver.port());
    ASSERT_TRUE(plain.waitForConnected(5000));
    EXPECT_NE(exchange(plain, framed("{}")).status, 200);
    receiver.stop();
    EXPECT_EQ(count(dir.path("s.db"), "interactions"), 2);
}
