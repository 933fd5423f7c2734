#include "../test_helpers.h"
#include "core/demo/generator.h"
#include "core/ingest/otlp_receiver.h"
#include "core/metrics/metrics.h"
#include "core/store/database.h"
#include "core/store/store_writer.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

#include <google/protobuf/util/json_util.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QThread>

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include <zlib.h>

using namespace winnow;

namespace {

// The receiver runs on a thread of its own, as in the app; the test talks to it over TCP.
class ReceiverThread
{
public:
    ReceiverThread(const std::string& store, OtlpReceiverOptions options)
        : m_writer(StoreWriter::open(store).take())
    {
        options.port = 0;
        m_thread.start();
        m_receiver = new OtlpReceiver(m_writer, options);
        m_receiver->moveToThread(&m_thread);
        QString error;
        QMetaObject::invokeMethod(
            m_receiver, [&] { m_started = m_receiver->start(&error); }, Qt::BlockingQueuedConnection);
        EXPECT_TRUE(m_started) << error.toStdString();
        m_port = m_receiver->port();
    }
    ~ReceiverThread() { stop(); }
    void stop()
    {
        if (!m_receiver)
            return;
        QMetaObject::invokeMethod(
            m_receiver,
            [this] {
                m_receiver->stop();
                m_stats = m_receiver->stats();
                delete m_receiver;
            },
            Qt::BlockingQueuedConnection);
        m_receiver = nullptr;
        m_thread.quit();
        m_thread.wait();
    }
    quint16 port() const { return m_port; }
    const OtlpReceiverStats& stats() const { return m_stats; }

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
constexpr const char* waitingSources = "otlp_sources WHERE committed = 0";

std::int64_t count(const std::string& store, const char* table)
{
    return test::queryInt(store, std::string("SELECT count(*) FROM ") + table);
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
        EXPECT_EQ(count(split, "interactions"), 1); // committed before the answer
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
        EXPECT_EQ(count(late, "interactions"), 1);
        const std::int64_t spansBefore = count(late, "spans");
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
        EXPECT_EQ(count(late, "interactions"), 1);
        EXPECT_EQ(count(late, "spans"), spansBefore + children.size());
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
    for (int attempt = 0; attempt < 2; ++attempt) {
        ReceiverThread receiver(restarted, {});
        EXPECT_EQ(post(receiver.port(), "Content-Type: application/json\r\n", requestWith(children)).status,
                  200);
        EXPECT_EQ(count(restarted, "interactions"), 1);
        EXPECT_EQ(count(restarted, "spans"), spans.size());
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
        EXPECT_EQ(count(crashed, "interactions"), 1);
        EXPECT_EQ(count(crashed, waitingSources), 0);
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
// tools/record-otlp-fixtures): message content on /v1/logs joins the spans on /v1/traces, whichever
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
            EXPECT_EQ(count(store, "interactions"), 1);
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
            EXPECT_EQ(post(again.port(), protobuf, logs.front(), true, "/v1/logs").status, 200);
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
    EXPECT_EQ(test::conversation(store), expected);
    const Reply wrong =
        post(receiver.port(), "Content-Type: application/json\r\n", demoRequest(dir, 1, 3), true, "/v1/logs");
    EXPECT_EQ(wrong.status, 400);
    EXPECT_NE(wrong.body.indexOf("resourceLogs"), -1) << wrong.body.toStdString();
}
