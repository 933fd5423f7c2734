// The OTLP/HTTP receiver's throughput (issue #9): demo traces posted one request at a time over
// one keep-alive connection, as JSON and as protobuf, against two servers that keep nothing:
//  - one that reads each request and answers 200 without looking at it (the floor any receiver
//    pays for HTTP on loopback);
//  - one that reads each request with the receiver's HTTP reader, decodes its body into spans
//    with the receiver's decoders, answers as the receiver does, and discards the spans (an
//    OTLP receiver with nowhere to put what it gets, as a collector with a no-op exporter).
//   winnow_bench_receiver [TRACES]   (default 20,000 demo traces)
// Prints the time per run and the receiver's time over each server's: until the last request is
// answered, and until every trace is stored as an interaction.
//   WINNOW_BENCH_ASSEMBLE_DELAY_MS=0: traces assembled before each answer (the receiver's option).

#include "core/demo/generator.h"
#include "core/ingest/http_request.h"
#include "core/ingest/otlp.h"
#include "core/ingest/otlp_receiver.h"
#include "core/jobs/post_call.h"
#include "core/store/store_writer.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

#include <google/protobuf/util/json_util.h>
#include <simdjson.h>

#include <QCoreApplication>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

using namespace winnow;
using Clock = std::chrono::steady_clock;

namespace {

// Reads one HTTP request (headers, then Content-Length bytes) per turn and answers 200 "{}".
class DiscardServer : public QTcpServer
{
public:
    void incomingConnection(qintptr handle) override
    {
        auto* socket = new QTcpSocket(this);
        socket->setSocketDescriptor(handle);
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        auto buffer = std::make_shared<QByteArray>();
        connect(socket, &QTcpSocket::readyRead, socket, [socket, buffer] {
            buffer->append(socket->readAll());
            while (true) {
                const qsizetype end = buffer->indexOf("\r\n\r\n");
                if (end < 0)
                    return;
                const qsizetype at = buffer->toLower().indexOf("content-length:");
                const qsizetype lineEnd = buffer->indexOf("\r\n", at);
                const qsizetype length = buffer->mid(at + 15, lineEnd - at - 15).trimmed().toLongLong();
                if (buffer->size() < end + 4 + length)
                    return;
                buffer->remove(0, end + 4 + length);
                socket->write(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
            }
        });
    }
};

// Reads each request as the receiver does, decodes its spans, answers 200 as the receiver does,
// and keeps nothing.
class DecodeAndDiscardServer : public QTcpServer
{
public:
    void incomingConnection(qintptr handle) override
    {
        auto* socket = new QTcpSocket(this);
        socket->setSocketDescriptor(handle);
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        auto reader = std::make_shared<HttpRequestReader>(64 * 1024, 64 * 1024 * 1024);
        auto buffer = std::make_shared<QByteArray>();
        auto parser = std::make_shared<simdjson::dom::parser>();
        connect(socket, &QTcpSocket::readyRead, socket, [socket, reader, buffer, parser] {
            buffer->append(socket->readAll());
            while (true) {
                switch (reader->read(*buffer)) {
                case HttpRequestReader::Step::NeedMore:
                    return;
                case HttpRequestReader::Step::Failed:
                    std::fprintf(stderr, "bad request: %s\n", reader->failure().message.c_str());
                    socket->abort();
                    return;
                case HttpRequestReader::Step::Head:
                    reader->startBody();
                    break;
                case HttpRequestReader::Step::Body: {
                    const bool protobuf = reader->head().header("content-type") == "application/x-protobuf";
                    const QByteArray body = reader->takeBody();
                    OtlpDecoded decoded;
                    std::string error;
                    if (protobuf) {
                        error = decodeOtlpProtobuf(std::string_view(body.constData(), size_t(body.size())),
                                                   false, false, decoded);
                    } else {
                        simdjson::dom::element document;
                        if (parser->parse(body.constData(), size_t(body.size())).get(document))
                            error = "not JSON";
                        else
                            error = decodeOtlpJson(document, false, decoded);
                    }
                    if (!error.empty() || decoded.items() == 0)
                        std::fprintf(stderr, "not decoded: %s\n", error.c_str());
                    QByteArray answer = "{}";
                    if (protobuf) {
                        opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
                        std::string bytes;
                        response.SerializeToString(&bytes);
                        answer = QByteArray::fromStdString(bytes);
                    }
                    socket->write(QByteArray("HTTP/1.1 200 OK\r\nContent-Type: ") +
                                  (protobuf ? "application/x-protobuf" : "application/json") +
                                  "\r\nContent-Length: " + QByteArray::number(answer.size()) + "\r\n\r\n" +
                                  answer);
                    break;
                }
                }
            }
        });
    }
};

// Posts every body in turn on one connection, each answered before the next: seconds taken.
double postAll(quint16 port, const std::vector<std::string>& bodies, const char* type)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000))
        return -1;
    // Headers and body in one write, sent at once: Nagle's delay would otherwise dominate.
    socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    const auto started = Clock::now();
    QByteArray buffer;
    for (const std::string& body : bodies) {
        socket.write(QByteArray("POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: ") + type +
                     "\r\nContent-Length: " + QByteArray::number(qsizetype(body.size())) + "\r\n\r\n" +
                     QByteArray::fromRawData(body.data(), qsizetype(body.size())));
        while (true) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end >= 0) {
                const qsizetype at = buffer.toLower().indexOf("content-length:");
                const qsizetype lineEnd = buffer.indexOf("\r\n", at);
                const qsizetype length = buffer.mid(at + 15, lineEnd - at - 15).trimmed().toLongLong();
                if (buffer.size() >= end + 4 + length) {
                    if (!buffer.startsWith("HTTP/1.1 200"))
                        std::fprintf(stderr, "not 200: %s\n", buffer.left(end).constData());
                    buffer.remove(0, end + 4 + length);
                    break;
                }
            }
            if (!socket.waitForReadyRead(30000))
                return -1;
            buffer.append(socket.readAll());
        }
    }
    return std::chrono::duration<double>(Clock::now() - started).count();
}

// Posts every body to a server of this kind, run on a thread of its own: seconds taken.
template <typename Server> double postToServer(const std::vector<std::string>& bodies, const char* type)
{
    QThread thread;
    thread.start();
    auto* server = new Server;
    server->moveToThread(&thread);
    quint16 port = 0;
    callAndWait(server, [&] {
        server->listen(QHostAddress::LocalHost, 0);
        port = server->serverPort();
    });
    const double seconds = postAll(port, bodies, type);
    callAndWait(server, [server] { delete server; });
    thread.quit();
    thread.wait();
    return seconds;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int traces = argc > 1 ? std::atoi(argv[1]) : 20000;
    QTemporaryDir dir;
    const std::string demo = dir.filePath(QStringLiteral("demo.otlp")).toStdString();
    DemoOptions options;
    options.interactions = traces;
    options.seed = 3;
    if (const std::string error = writeDemo(options, DemoFormat::Otlp, demo); !error.empty()) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
    }
    std::vector<std::string> json, protobuf;
    std::ifstream in(demo);
    std::size_t jsonBytes = 0, protobufBytes = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.empty())
            continue;
        opentelemetry::proto::collector::trace::v1::ExportTraceServiceRequest request;
        if (!google::protobuf::util::JsonStringToMessage(line, &request).ok())
            continue;
        std::string bytes;
        request.SerializeToString(&bytes);
        jsonBytes += line.size();
        protobufBytes += bytes.size();
        json.push_back(std::move(line));
        protobuf.push_back(std::move(bytes));
    }
    std::printf("%zu requests (%d traces): %.1f MB as JSON, %.1f MB as protobuf\n", json.size(), traces,
                double(jsonBytes) / 1e6, double(protobufBytes) / 1e6);

    auto receive = [&](const std::vector<std::string>& bodies, const char* type, const char* name) {
        auto writer = StoreWriter::open(dir.filePath(QString::fromLatin1(name)).toStdString()).take();
        QThread thread;
        thread.start();
        OtlpReceiverOptions receiverOptions;
        receiverOptions.port = 0;
        if (const char* delay = std::getenv("WINNOW_BENCH_ASSEMBLE_DELAY_MS"))
            receiverOptions.assembleDelayMs = std::atoi(delay);
        auto* receiver = new OtlpReceiver(writer, receiverOptions);
        receiver->moveToThread(&thread);
        quint16 port = 0;
        callAndWait(receiver, [&] {
            receiver->start(nullptr);
            port = receiver->port();
        });
        const auto started = Clock::now();
        const double answered = postAll(port, bodies, type);
        std::int64_t interactions = 0;
        callAndWait(receiver, [receiver, &interactions] {
            receiver->stop(); // takes the traces still waiting to be assembled
            interactions = receiver->stats().interactions;
            delete receiver;
        });
        const double stored = std::chrono::duration<double>(Clock::now() - started).count();
        thread.quit();
        thread.wait();
        if (interactions != traces)
            std::fprintf(stderr, "%s: %lld interactions stored, not %d\n", name,
                         static_cast<long long>(interactions), traces);
        return std::pair(answered, stored);
    };
    const char* jsonType = "application/json";
    const char* protobufType = "application/x-protobuf";
    const double discardJson = postToServer<DiscardServer>(json, jsonType);
    const double discardProtobuf = postToServer<DiscardServer>(protobuf, protobufType);
    const double decodeJson = postToServer<DecodeAndDiscardServer>(json, jsonType);
    const double decodeProtobuf = postToServer<DecodeAndDiscardServer>(protobuf, protobufType);
    const auto [receiveJson, storedJson] = receive(json, jsonType, "json.db");
    const auto [receiveProtobuf, storedProtobuf] = receive(protobuf, protobufType, "protobuf.db");
    std::printf("reads and discards, JSON              %7.2f s\n", discardJson);
    std::printf("reads and discards, protobuf          %7.2f s\n", discardProtobuf);
    std::printf("reads, decodes and discards, JSON     %7.2f s\n", decodeJson);
    std::printf("reads, decodes and discards, protobuf %7.2f s\n", decodeProtobuf);
    // Answered: the last request answered (its spans stored). Stored: every trace an interaction
    // too (the receiver stopped, taking those still waiting to be assembled).
    std::printf("receiver, JSON       %7.2f s answered, %.2f s stored: answered at %.2fx the reading server, "
                "%.2fx the decoding one\n",
                receiveJson, storedJson, receiveJson / discardJson, receiveJson / decodeJson);
    std::printf("receiver, protobuf   %7.2f s answered, %.2f s stored: answered at %.2fx the reading server, "
                "%.2fx the decoding one (%.2fx JSON)\n",
                receiveProtobuf, storedProtobuf, receiveProtobuf / discardProtobuf,
                receiveProtobuf / decodeProtobuf, receiveProtobuf / receiveJson);
    return 0;
}
