#pragma once
// Reads HTTP/1.1 requests out of a connection's bytes, one after another (keep-alive, pipelining):
// the head, then, if the caller takes the request, its body by Content-Length or chunked. No
// sockets here, so that the receiver's parsing can be tested and fuzzed on its own.
//
// Everything is bounded: the head by maxHeadBytes, a chunk-size line and the trailers likewise,
// the body by maxBodyBytes (sizes parsed without overflow). Framing that two parties could read
// differently (RFC 9112 6.3: two Content-Length headers, one with Transfer-Encoding) is refused.

#include <QByteArray>
#include <QHash>

#include <cstdint>
#include <string>

namespace winnow {

struct HttpHead
{
    QByteArray method;
    QByteArray path; // without the query
    QHash<QByteArray, QByteArray> headers; // names in lower case, values trimmed
    bool keepAlive = true;
    bool repeatedContentLength = false;

    QByteArray header(const char* name) const { return headers.value(QByteArray(name)); }
};

struct HttpFailure
{
    int status = 0;
    std::string message;
};

class HttpRequestReader
{
public:
    enum class Step { NeedMore, Head, Body, Failed };

    HttpRequestReader(std::int64_t maxHeadBytes, std::int64_t maxBodyBytes);

    // Takes what it can from the front of `buffer`. Head: a request's head is complete; the caller
    // looks at it and calls startBody() (or refuses the request). Body: its body is complete.
    // Failed: failure() says why; the connection cannot go on.
    Step read(QByteArray& buffer);
    // After Head: reads the body as the head frames it; false (and failure()) when it cannot.
    bool startBody();
    const HttpHead& head() const { return m_head; }
    QByteArray takeBody();
    const HttpFailure& failure() const { return m_failure; }

private:
    enum class State { Head, HeadRead, Body, Chunked, Done };
    Step fail(int status, std::string message);
    Step readHead(QByteArray& buffer);
    Step readChunks(QByteArray& buffer);

    std::int64_t m_maxHeadBytes;
    std::int64_t m_maxBodyBytes;
    State m_state = State::Head;
    HttpHead m_head;
    HttpFailure m_failure;
    QByteArray m_body;
    std::int64_t m_remaining = 0;      // of a Content-Length body
    std::int64_t m_chunkRemaining = 0; // of the current chunk
    bool m_expectChunkEnd = false;
    bool m_lastChunkSeen = false;
    std::int64_t m_trailerBytes = 0;
};

} // namespace winnow
