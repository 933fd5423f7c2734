#include "core/ingest/http_request.h"

#include <gtest/gtest.h>

#include <random>

using namespace winnow;

namespace {

struct Outcome
{
    std::vector<QByteArray> bodies;
    int failure = 0;
};

// Feeds `bytes` in pieces of the given sizes (cycled), taking every request whose head says POST.
Outcome readAll(const QByteArray& bytes, std::vector<int> pieces, std::int64_t maxBody = 1 << 20)
{
    HttpRequestReader reader(4096, maxBody);
    Outcome outcome;
    QByteArray buffer;
    size_t piece = 0;
    for (qsizetype at = 0; at < bytes.size() && !outcome.failure;) {
        const qsizetype n = std::min<qsizetype>(pieces[piece++ % pieces.size()], bytes.size() - at);
        buffer += bytes.mid(at, n);
        at += n;
        for (bool more = true; more && !outcome.failure;) {
            switch (reader.read(buffer)) {
            case HttpRequestReader::Step::NeedMore:
                more = false;
                break;
            case HttpRequestReader::Step::Head:
                if (!reader.startBody())
                    outcome.failure = reader.failure().status;
                break;
            case HttpRequestReader::Step::Body:
                outcome.bodies.push_back(reader.takeBody());
                break;
            case HttpRequestReader::Step::Failed:
                outcome.failure = reader.failure().status;
                break;
            }
        }
    }
    return outcome;
}

} // namespace

TEST(HttpRequestReader, ReadsTheSameRequestsHoweverTheBytesAreSplit)
{
    const QByteArray requests =
        "POST /v1/traces HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
        "POST /v1/logs?x=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n"
        "0\r\nTrailer: yes\r\n\r\n"
        "POST /v1/traces HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    const std::vector<QByteArray> expected = {"hello", "abc0123456789", ""};
    for (const std::vector<int>& pieces : std::vector<std::vector<int>>{{1}, {2, 3}, {7}, {1000}, {13, 1, 40}}) {
        const Outcome outcome = readAll(requests, pieces);
        EXPECT_EQ(outcome.failure, 0);
        EXPECT_EQ(outcome.bodies, expected) << pieces[0];
    }
}

TEST(HttpRequestReader, RefusesWhatCannotBeFramedOrIsTooLarge)
{
    auto failure = [](const QByteArray& bytes, std::int64_t maxBody = 1 << 20) {
        return readAll(bytes, {5}, maxBody).failure;
    };
    EXPECT_EQ(failure("GARBAGE\r\n\r\n"), 400);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\n" + QByteArray(5000, 'x')), 431);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx"), 400);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\n\r\n"), 411);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"), 400);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 10), 413);
    // A chunk size near 2^63 after a first chunk: the sum must not overflow past the limit check.
    EXPECT_EQ(failure("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n7ffffffffffffffe\r\n"), 413);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), 400);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX"), 400);
    EXPECT_EQ(failure("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + QByteArray(2000, '1')), 400);
    // Trailers are bounded as a head is.
    QByteArray trailers = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
    for (int i = 0; i < 400; ++i)
        trailers += "X-Trailer: 0123456789\r\n";
    EXPECT_EQ(failure(trailers), 431);
    EXPECT_EQ(failure(QByteArray("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n") + QByteArray(5000, 'x')),
              431);
}

TEST(HttpRequestReader, KeepAliveFollowsTheVersionAndTheConnectionHeader)
{
    auto keepAlive = [](const QByteArray& head) {
        HttpRequestReader reader(4096, 100);
        QByteArray buffer = head + "\r\n";
        EXPECT_EQ(reader.read(buffer), HttpRequestReader::Step::Head);
        return reader.head().keepAlive;
    };
    EXPECT_TRUE(keepAlive("POST / HTTP/1.1\r\n"));
    EXPECT_FALSE(keepAlive("POST / HTTP/1.1\r\nConnection: close\r\n"));
    EXPECT_FALSE(keepAlive("POST / HTTP/1.0\r\n"));
    EXPECT_TRUE(keepAlive("POST / HTTP/1.0\r\nConnection: Keep-Alive\r\n"));
}

TEST(HttpRequestReader, RandomBytesNeverCrashOrGrowWithoutBound)
{
    std::mt19937 random(7);
    for (int round = 0; round < 2000; ++round) {
        QByteArray bytes = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        const int n = int(random() % 200);
        const char alphabet[] = "0123456789abcdefABCDEF\r\n; :xX";
        for (int i = 0; i < n; ++i)
            bytes += alphabet[random() % (sizeof alphabet - 1)];
        HttpRequestReader reader(256, 1000);
        QByteArray buffer = bytes;
        for (int step = 0; step < 100; ++step) {
            const auto result = reader.read(buffer);
            if (result == HttpRequestReader::Step::Head && !reader.startBody())
                break;
            if (result == HttpRequestReader::Step::Body)
                EXPECT_LE(reader.takeBody().size(), 1000);
            if (result == HttpRequestReader::Step::NeedMore || result == HttpRequestReader::Step::Failed)
                break;
        }
    }
}
