#include "cli_test_helpers.h"

#include <QHostAddress>
#include <QTcpSocket>

using namespace winnow;
using test::Cli;

TEST_F(Cli, ServeReceivesTracesAndWatchesFilesUntilSigterm)
{
    ASSERT_EQ(run({"demo", "--format", "otlp", "--interactions", "5", "--out", path("t.otlp.json")}).exitCode,
              0);
    std::ofstream(path("watched.jsonl"))
        << "{\"id\":\"w1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n";
    const pid_t pid = spawn({"--db", db(), "serve", "--otlp", "127.0.0.1:0", "--watch", path("watched.jsonl"),
                             "--interval-ms", "50", "--json"});
    const quint16 port = test::servePort(path("err.txt"));
    ASSERT_NE(port, 0) << test::slurp(path("err.txt"));
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    ASSERT_TRUE(socket.waitForConnected(5000));
    const QByteArray body = QByteArray::fromStdString(test::slurp(path("t.otlp.json"))).trimmed();
    socket.write("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
                 QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QByteArray answer;
    while (!answer.contains("\r\n\r\n{}") && socket.waitForReadyRead(10000))
        answer += socket.readAll();
    EXPECT_TRUE(answer.startsWith("HTTP/1.1 200")) << answer.toStdString();
    std::ofstream(path("watched.jsonl"), std::ios::app)
        << "{\"id\":\"w2\",\"messages\":[{\"role\":\"user\",\"content\":\"again\"}]}\n";
    EXPECT_EQ(waitForInteractions(7), 7); // five traces and two watched lines
    // Message content as OTLP log records, on the same keep-alive connection.
    std::string logs = test::slurp(std::string(WINNOW_TEST_DATA) + "/otel_js/responses/logs.jsonl");
    logs = logs.substr(0, logs.find('\n'));
    socket.write("POST /v1/logs HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
                 QByteArray::number(qsizetype(logs.size())) + "\r\n\r\n" + QByteArray::fromStdString(logs));
    answer.clear();
    while (!answer.contains("\r\n\r\n{}") && socket.waitForReadyRead(10000))
        answer += socket.readAll();
    EXPECT_TRUE(answer.startsWith("HTTP/1.1 200")) << answer.toStdString();
    kill(pid, SIGTERM);
    const auto result = finish(pid);
    EXPECT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(result.json().value(QStringLiteral("requests")).toInt(), 2) << result.out;
    EXPECT_EQ(result.json().value(QStringLiteral("log_records")).toInt(), 1) << result.out;
    // Five traces, and the log record's trace (no span came) taken as it is at the stop.
    EXPECT_EQ(result.json().value(QStringLiteral("interactions")).toInt(), 6);
    EXPECT_EQ(run({"--db", db(), "serve", "--otlp", "nowhere"}).exitCode, 2);
}

TEST_F(Cli, ServeBeyondLoopbackNeedsATokenFile)
{
    const auto refused = run({"--db", db(), "serve", "--otlp", "0.0.0.0:0"});
    EXPECT_NE(refused.exitCode, 0);
    EXPECT_NE(refused.err.find("--token-file"), std::string::npos) << refused.err;
    std::ofstream(path("short.txt")) << "abc\n";
    const auto weak = run({"--db", db(), "serve", "--otlp", "0.0.0.0:0", "--token-file", path("short.txt")});
    EXPECT_EQ(weak.exitCode, 2);
    EXPECT_NE(weak.err.find("16 characters"), std::string::npos) << weak.err;
    EXPECT_EQ(run({"--db", db(), "serve", "--tls-cert", path("short.txt")}).exitCode, 2); // needs --tls-key

    std::ofstream(path("token.txt")) << "a-long-enough-secret-token\n";
    const pid_t pid = spawn({"--db", db(), "serve", "--otlp", "0.0.0.0:0", "--token-file", path("token.txt"), "--json"});
    const quint16 port = test::servePort(path("err.txt"));
    ASSERT_NE(port, 0) << test::slurp(path("err.txt"));
    EXPECT_NE(test::slurp(path("err.txt")).find("bearer token required"), std::string::npos);
    auto status = [port](const QByteArray& authorization) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        if (!socket.waitForConnected(5000))
            return 0;
        socket.write("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\n" + authorization +
                     "Content-Length: 2\r\n\r\n{}");
        QByteArray answer;
        while (!answer.contains("\r\n\r\n") && socket.waitForReadyRead(10000))
            answer += socket.readAll();
        return answer.mid(9, 3).toInt();
    };
    EXPECT_EQ(status({}), 401);
    EXPECT_EQ(status("Authorization: Bearer a-long-enough-secret-tokeN\r\n"), 401);
    EXPECT_EQ(status("Authorization: Bearer a-long-enough-secret-token\r\n"), 200);
    kill(pid, SIGTERM);
    const auto result = finish(pid);
    EXPECT_EQ(result.exitCode, 0) << result.err;
    EXPECT_EQ(result.json().value(QStringLiteral("rejected")).toInt(), 2) << result.out;
}
