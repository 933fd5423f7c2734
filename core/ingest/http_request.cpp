#include "core/ingest/http_request.h"

#include <QList>

#include <algorithm>
#include <climits>
#include <utility>

namespace winnow {

namespace {

// RFC 9112: Content-Length is 1*DIGIT (at most 18 digits here).
bool parseContentLength(const QByteArray& value, std::int64_t& length)
{
    if (value.isEmpty() || value.size() > 18)
        return false;
    length = 0;
    for (const char c : value) {
        if (c < '0' || c > '9')
            return false;
        length = length * 10 + (c - '0');
    }
    return true;
}

// A chunk size: 1*HEXDIG. A size past what an int64 holds comes out as INT64_MAX, over any limit.
bool parseChunkSize(const QByteArray& value, std::int64_t& size)
{
    if (value.isEmpty())
        return false;
    std::uint64_t total = 0;
    for (const char c : value) {
        const int digit = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
        if (digit < 0)
            return false;
        total = total > (std::uint64_t(INT64_MAX) >> 4) ? std::uint64_t(INT64_MAX)
                                                         : total * 16 + unsigned(digit);
    }
    size = std::int64_t(std::min<std::uint64_t>(total, INT64_MAX));
    return true;
}

} // namespace

HttpRequestReader::HttpRequestReader(std::int64_t maxHeadBytes, std::int64_t maxBodyBytes)
    : m_maxHeadBytes(maxHeadBytes), m_maxBodyBytes(maxBodyBytes)
{
}

HttpRequestReader::Step HttpRequestReader::fail(int status, std::string message)
{
    m_failure = {status, std::move(message)};
    m_state = State::Done;
    return Step::Failed;
}

QByteArray HttpRequestReader::takeBody()
{
    m_state = State::Head;
    return std::exchange(m_body, {});
}

HttpRequestReader::Step HttpRequestReader::read(QByteArray& buffer)
{
    switch (m_state) {
    case State::Head:
        return readHead(buffer);
    case State::Body: {
        const qsizetype take = qsizetype(std::min<std::int64_t>(m_remaining, buffer.size()));
        m_body.append(buffer.constData(), take);
        buffer.remove(0, take);
        m_remaining -= take;
        if (m_remaining > 0)
            return Step::NeedMore;
        m_state = State::Done;
        return Step::Body;
    }
    case State::Chunked:
        return readChunks(buffer);
    case State::HeadRead:
        return Step::Head; // startBody() was not called
    case State::Done:
        return m_failure.status ? Step::Failed : Step::NeedMore;
    }
    return Step::NeedMore;
}

HttpRequestReader::Step HttpRequestReader::readHead(QByteArray& buffer)
{
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0 || end > m_maxHeadBytes) {
        if (buffer.size() > m_maxHeadBytes)
            return fail(431, "request headers are too large");
        return Step::NeedMore;
    }
    const QList<QByteArray> lines = buffer.left(end).split('\n');
    buffer.remove(0, end + 4);
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1."))
        return fail(400, "malformed request line");
    m_head = {};
    m_head.method = requestLine[0];
    m_head.path = requestLine[1].split('?').value(0);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = lines[i].left(colon).trimmed().toLower();
        m_head.repeatedContentLength =
            m_head.repeatedContentLength || (name == "content-length" && m_head.headers.contains(name));
        m_head.headers[name] = lines[i].mid(colon + 1).trimmed();
    }
    const QByteArray connection = m_head.header("connection").toLower();
    m_head.keepAlive = requestLine[2] == "HTTP/1.1" ? connection != "close" : connection == "keep-alive";
    m_state = State::HeadRead;
    return Step::Head;
}

bool HttpRequestReader::startBody()
{
    m_body.clear();
    const bool chunked = m_head.headers.contains("transfer-encoding");
    // RFC 9112 6.3: framing that two parties could read differently is refused, not guessed.
    if (m_head.repeatedContentLength || (chunked && m_head.headers.contains("content-length"))) {
        fail(400, "ambiguous message framing: one Content-Length, or chunked without one");
        return false;
    }
    if (chunked) {
        if (m_head.header("transfer-encoding").toLower() != "chunked") {
            fail(501, "the only transfer coding served is chunked");
            return false;
        }
        m_chunkRemaining = 0;
        m_expectChunkEnd = m_lastChunkSeen = false;
        m_trailerBytes = 0;
        m_state = State::Chunked;
        return true;
    }
    if (!m_head.headers.contains("content-length")) {
        fail(411, "a Content-Length or chunked transfer encoding is needed");
        return false;
    }
    if (!parseContentLength(m_head.header("content-length"), m_remaining)) {
        fail(400, "malformed Content-Length");
        return false;
    }
    if (m_remaining > m_maxBodyBytes) {
        fail(413, "the body is larger than " + std::to_string(m_maxBodyBytes) + " bytes");
        return false;
    }
    m_state = State::Body;
    return true;
}

HttpRequestReader::Step HttpRequestReader::readChunks(QByteArray& buffer)
{
    while (true) {
        if (m_chunkRemaining > 0) {
            const qsizetype take = qsizetype(std::min<std::int64_t>(m_chunkRemaining, buffer.size()));
            m_body.append(buffer.constData(), take);
            buffer.remove(0, take);
            m_chunkRemaining -= take;
            if (m_chunkRemaining > 0)
                return Step::NeedMore;
            m_expectChunkEnd = true;
        }
        if (m_expectChunkEnd) {
            if (buffer.size() < 2)
                return Step::NeedMore;
            if (!buffer.startsWith("\r\n"))
                return fail(400, "malformed chunked body");
            buffer.remove(0, 2);
            m_expectChunkEnd = false;
        }
        const qsizetype lineEnd = buffer.indexOf("\r\n");
        if (m_lastChunkSeen) {
            // Trailers, then an empty line; bounded as a head is.
            if (lineEnd < 0) {
                if (m_trailerBytes + buffer.size() > m_maxHeadBytes)
                    return fail(431, "the trailers are too large");
                return Step::NeedMore;
            }
            m_trailerBytes += lineEnd + 2;
            buffer.remove(0, lineEnd + 2);
            if (m_trailerBytes > m_maxHeadBytes)
                return fail(431, "the trailers are too large");
            if (lineEnd == 0) {
                m_lastChunkSeen = false;
                m_state = State::Done;
                return Step::Body;
            }
            continue;
        }
        if (lineEnd < 0) {
            if (buffer.size() > 1024)
                return fail(400, "malformed chunk size");
            return Step::NeedMore;
        }
        std::int64_t size = 0;
        const bool ok = parseChunkSize(buffer.left(lineEnd).split(';').value(0).trimmed(), size);
        buffer.remove(0, lineEnd + 2);
        if (!ok)
            return fail(400, "malformed chunk size");
        if (size > m_maxBodyBytes - m_body.size())
            return fail(413, "the body is larger than " + std::to_string(m_maxBodyBytes) + " bytes");
        if (size == 0)
            m_lastChunkSeen = true;
        else
            m_chunkRemaining = size;
    }
}

} // namespace winnow
