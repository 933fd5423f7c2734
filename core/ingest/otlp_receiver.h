#pragma once
// A loopback OTLP/HTTP receiver: `POST /v1/traces` and `POST /v1/logs` (GenAI message content sent
// as log records joins its spans, whichever comes first) with application/json or
// application/x-protobuf bodies, gzip or not, with a Content-Length or chunked. The HTTP side runs
// on the thread that owns the receiver (its event loop); parsing, assembling traces into
// interactions and detecting signals run on the receiver's worker thread; the store's writer
// commits them, and a request is answered once what it completed is committed. Spans of one trace may come in
// several requests: a trace becomes an interaction when its root span arrives, or after `quietSeconds`
// without new spans for it, or when the receiver stops.
//
// Answers: 200 with an ExportTraceServiceResponse in the request's encoding (also for an empty
// request, as the OTLP specification asks); 400 for a body that is not a valid request (with a
// google.rpc.Status message) or for ambiguous framing (two Content-Length headers, a length with
// chunked transfer encoding); 401 without the bearer token when one is set; 404 for other paths,
// 405 for other methods, 408 for a request that does not arrive in time, 411 without a length, 413
// over `maxBodyBytes` (before or after gunzip), 415 for other content types or encodings, 429 and
// 503 with Retry-After when the receiver is full, 501 for transfer codings other than chunked.
//
// Exposure: it listens on loopback unless told otherwise; any other address needs a bearer token
// (checked in constant time), and TLS is offered (a PEM certificate and key). Resources per
// client are bounded: open connections, time to send headers and body, idle keep-alive time, and
// what a connection buffers while its request waits for the store (it is not read meanwhile, so
// TCP pushes back on the client).

#include "core/jobs/post_call.h"

#include <QHostAddress>
#include <QObject>

#include <cstdint>
#include <memory>
#include <string>

class QTcpServer;

namespace winnow {

class StoreWriter;

struct OtlpReceiverOptions
{
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 4318; // 0: any free port
    std::int64_t maxBodyBytes = 64ll << 20;
    int quietSeconds = 30;
    // Spans waiting for their trace's root are stored, and bounded: past either bound a request
    // is answered 429 with Retry-After (the exporter retries), not kept in memory without end.
    std::int64_t maxPendingSpans = 200'000;
    std::int64_t maxPendingBytes = 256ll << 20;
    // A request is answered once its spans and log records are stored; the traces they complete
    // become interactions (with signals, rule hits and rollups, in one transaction) in batches:
    // after this long, or sooner once this many traces are complete. 0: before the answer.
    int assembleDelayMs = 200;
    int assembleBatchTraces = 1000;
    // Requests waiting for the writer: past this, 503 with Retry-After.
    int maxQueuedRequests = 64;
    // Connections open at once: more are answered 503 and closed.
    int maxConnections = 256;
    // A request's headers must arrive within this of its first byte, its body within
    // bodyTimeoutMs of its headers (408 otherwise); a kept-alive connection idle this long is closed.
    int headerTimeoutMs = 10'000;
    int bodyTimeoutMs = 120'000;
    int idleTimeoutMs = 60'000;
    // Every request must carry "Authorization: Bearer TOKEN" when set; required for an address
    // other than loopback.
    QByteArray bearerToken;
    // TLS when both are set: PEM files.
    QString tlsCertificateFile;
    QString tlsKeyFile;
    // Sources of recently committed traces kept in memory, so that a late span or log record
    // merges without a read of the store (older ones are read from it): a cache, bounded so that a
    // receiver running for days stays at its size (bench/run_soak.sh).
    std::int64_t maxRecentBytes = 32ll << 20;
    // At stop, commit every trace still waiting as it is (the default), or leave its spans stored
    // for the next start to complete (what a crash leaves).
    bool completeWaitingAtStop = true;
};

struct OtlpReceiverStats
{
    std::int64_t requests = 0;
    std::int64_t rejected = 0; // answered with a 4xx
    std::int64_t spans = 0;
    std::int64_t logRecords = 0;
    std::int64_t interactions = 0; // committed by this receiver (new ones, not merges)
    std::int64_t connections = 0;  // open now
    std::int64_t refusedConnections = 0; // over maxConnections
    std::int64_t acceptErrors = 0; // e.g. out of file descriptors: accepting pauses, then resumes
};

class OtlpReceiver : public QObject
{
    Q_OBJECT
public:
    OtlpReceiver(std::shared_ptr<StoreWriter> store, OtlpReceiverOptions options, QObject* parent = nullptr);
    ~OtlpReceiver() override;

    // Registers its source in the store and starts listening; false with a message otherwise.
    bool start(QString* error);
    // Stops listening, turns every pending trace into an interaction and commits; returns when
    // that is done.
    void stop();
    bool listening() const;
    quint16 port() const;
    OtlpReceiverStats stats() const;

Q_SIGNALS:
    void committed();
    void requestHandled(int status, const QString& message);

private:
    class Writer;
    class Connection;
    void accept();
    void acceptFailed();
    std::shared_ptr<StoreWriter> m_store;
    OtlpReceiverOptions m_options;
    QTcpServer* m_server = nullptr;
    std::unique_ptr<Writer> m_writer;
    OtlpReceiverStats m_stats;
    int m_acceptBackoffMs = 0;
    Inbox m_inbox{this}; // where the writers' answers come back
};

} // namespace winnow
