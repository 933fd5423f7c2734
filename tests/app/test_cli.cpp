// Drives the real `winnow` binary in child processes, as a user or a script would.

#include "core/store/store.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace winnow;

namespace {

struct Result
{
    int exitCode = -1;
    std::string out;
    std::string err;
    QJsonObject json() const { return QJsonDocument::fromJson(QByteArray::fromStdString(out)).object(); }
};

std::string slurp(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class Cli : public ::testing::Test
{
protected:
    QTemporaryDir m_dir;
    std::string path(const std::string& name) const
    {
        return m_dir.filePath(QString::fromStdString(name)).toStdString();
    }
    std::string db() const { return path("store.db"); }

    pid_t spawn(const std::vector<std::string>& args, const std::string& stdinFile = {})
    {
        const pid_t pid = fork();
        if (pid == 0) {
            const int out = ::open(path("out.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int err = ::open(path("err.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int in = ::open(stdinFile.empty() ? "/dev/null" : stdinFile.c_str(), O_RDONLY);
            dup2(out, 1);
            dup2(err, 2);
            dup2(in, 0);
            std::vector<char*> argv;
            std::string binary = WINNOW_BINARY;
            argv.push_back(binary.data());
            std::vector<std::string> copy = args;
            for (auto& a : copy)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(binary.c_str(), argv.data());
            _exit(127);
        }
        return pid;
    }

    Result run(const std::vector<std::string>& args, const std::string& stdinFile = {})
    {
        const pid_t pid = spawn(args, stdinFile);
        int status = 0;
        waitpid(pid, &status, 0);
        Result result;
        result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        result.out = slurp(path("out.txt"));
        result.err = slurp(path("err.txt"));
        return result;
    }
};

} // namespace

TEST_F(Cli, DemoThenIngestThenStatsAsJson)
{
    auto demo = run({"demo", "--interactions", "400", "--seed", "5", "--out", path("d.jsonl"), "--json"});
    ASSERT_EQ(demo.exitCode, 0) << demo.err;
    EXPECT_EQ(demo.json().value(QStringLiteral("interactions")).toInt(), 400);

    auto ingest = run({"--db", db(), "ingest", path("d.jsonl"), "--json"});
    ASSERT_EQ(ingest.exitCode, 0) << ingest.err;
    const QJsonObject summary = ingest.json();
    for (const char* key : {"ingested", "duplicates", "quarantined", "bytes", "seconds"})
        EXPECT_TRUE(summary.contains(QString::fromLatin1(key))) << key;
    EXPECT_EQ(summary.value(QStringLiteral("ingested")).toInt(), 400);
    EXPECT_EQ(summary.value(QStringLiteral("bytes")).toInteger(),
              static_cast<qint64>(slurp(path("d.jsonl")).size()));

    auto stats = run({"--db", db(), "stats", "--json"});
    ASSERT_EQ(stats.exitCode, 0) << stats.err;
    const QJsonObject counts = stats.json();
    EXPECT_EQ(counts.value(QStringLiteral("interactions")).toInt(), 400);
    for (const char* key : {"messages", "tool_calls", "sources", "quarantined"})
        EXPECT_TRUE(counts.contains(QString::fromLatin1(key))) << key;
    EXPECT_EQ(counts.value(QStringLiteral("sources")).toInt(), 1);

    auto again = run({"--db", db(), "ingest", path("d.jsonl"), "--json"});
    EXPECT_EQ(again.json().value(QStringLiteral("ingested")).toInt(), 0);
}

TEST_F(Cli, HumanReadableSummary)
{
    std::ofstream(path("a.jsonl")) << "{\"id\":\"1\"}\nnot json\n";
    auto ingest = run({"--db", db(), "ingest", path("a.jsonl")});
    ASSERT_EQ(ingest.exitCode, 0);
    EXPECT_NE(ingest.out.find("ingested     1"), std::string::npos) << ingest.out;
    EXPECT_NE(ingest.out.find("quarantined  1"), std::string::npos) << ingest.out;
    auto quarantine = run({"--db", db(), "quarantine"});
    EXPECT_NE(quarantine.out.find("a.jsonl:2"), std::string::npos) << quarantine.out;
    EXPECT_NE(quarantine.out.find("invalid JSON"), std::string::npos) << quarantine.out;
}

TEST_F(Cli, ExitCodes)
{
    EXPECT_EQ(run({"--db", db(), "frobnicate"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "ingest"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "ingest", "--format", "xml", "x"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "ingest", "--map", "nonsense", "x"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "demo", "--interactions", "ten", "--out", path("x")}).exitCode, 2);
    const auto missing = run({"--db", db(), "ingest", path("missing.jsonl"), "--json"});
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_NE(missing.out.find("No such file"), std::string::npos);
    EXPECT_EQ(run({"--help"}).exitCode, 0);
}

TEST_F(Cli, TheSearchIndexCanBeBuiltLater)
{
    std::ofstream(path("a.jsonl")) << R"({"id":"1","messages":[{"role":"user","content":"hello"}]})"
                                      "\n";
    ASSERT_EQ(run({"--db", db(), "ingest", "--no-index", path("a.jsonl")}).exitCode, 0);
    auto index = run({"--db", db(), "index", "--json"});
    ASSERT_EQ(index.exitCode, 0) << index.err;
    EXPECT_EQ(index.json().value(QStringLiteral("indexed_messages")).toInt(), 1);
    EXPECT_EQ(run({"--db", db(), "index", "--json"}).json().value(QStringLiteral("indexed_messages")).toInt(),
              0);
}

TEST_F(Cli, ScreenshotRendersTheWindowAt1440By900)
{
    std::ofstream(path("a.jsonl")) << "{\"id\":\"1\"}\n";
    ASSERT_EQ(run({"--db", db(), "ingest", path("a.jsonl")}).exitCode, 0);
    auto shot = run({"--db", db(), "screenshot", "--out", path("shot.png")});
    ASSERT_EQ(shot.exitCode, 0) << shot.err;
    const std::string png = slurp(path("shot.png"));
    ASSERT_GT(png.size(), 24u);
    EXPECT_EQ(png.substr(1, 3), "PNG");
    auto be32 = [&png](size_t at) {
        return (static_cast<unsigned char>(png[at]) << 24) | (static_cast<unsigned char>(png[at + 1]) << 16) |
               (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
    };
    EXPECT_EQ(be32(16), 1440); // IHDR width and height
    EXPECT_EQ(be32(20), 900);
    EXPECT_EQ(run({"--db", db(), "screenshot"}).exitCode, 2);
}

TEST_F(Cli, FollowTailsAGrowingFileUntilInterrupted)
{
    auto line = [](int i) {
        return "{\"id\":\"f" + std::to_string(i) +
               "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n";
    };
    std::ofstream(path("live.jsonl")) << line(0) << line(1);
    const pid_t pid =
        spawn({"--db", db(), "ingest", "--follow", "--interval-ms", "50", path("live.jsonl"), "--json"});
    auto waitForCount = [this](std::int64_t expected) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        std::int64_t count = -1;
        while (std::chrono::steady_clock::now() < deadline) {
            try {
                Store reader(db(), Store::Mode::ReadOnly);
                count = reader.connection().queryInt("SELECT count(*) FROM interactions");
            } catch (const std::exception&) {
            }
            if (count == expected)
                return count;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return count;
    };
    EXPECT_EQ(waitForCount(2), 2);
    std::string third = line(2);
    {
        std::ofstream append(path("live.jsonl"), std::ios::app);
        append << line(3) << third.substr(0, 10); // a writer mid-line
    }
    EXPECT_EQ(waitForCount(3), 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(waitForCount(3), 3); // the half line waits for its newline
    {
        std::ofstream append(path("live.jsonl"), std::ios::app);
        append << third.substr(10);
    }
    EXPECT_EQ(waitForCount(4), 4);
    kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    const Result result{0, slurp(path("out.txt")), slurp(path("err.txt"))};
    EXPECT_EQ(result.json().value(QStringLiteral("ingested")).toInt(), 4) << result.out;
    EXPECT_EQ(result.json().value(QStringLiteral("quarantined")).toInt(), 0);
}

TEST_F(Cli, SignalsCountsListsAndRebuilds)
{
    ASSERT_EQ(run({"demo", "--interactions", "2000", "--seed", "8", "--out", path("d.jsonl")}).exitCode, 0);
    ASSERT_EQ(run({"--db", db(), "ingest", path("d.jsonl")}).exitCode, 0);
    auto counts = run({"--db", db(), "signals", "--json"});
    ASSERT_EQ(counts.exitCode, 0) << counts.err;
    const QJsonObject signalsObject = counts.json().value(QStringLiteral("signals")).toObject();
    for (const char* kind :
         {"escalation", "correction", "repeat", "partial", "negative_feedback", "tool_error"}) {
        const QJsonObject entry = signalsObject.value(QString::fromLatin1(kind)).toObject();
        EXPECT_GT(entry.value(QStringLiteral("interactions")).toInt(), 0) << kind;
        EXPECT_GT(entry.value(QStringLiteral("rate")).toDouble(), 0.0) << kind;
    }
    auto list = run({"--db", db(), "signals", "--kind", "escalation", "--list", "--limit", "5", "--json"});
    ASSERT_EQ(list.exitCode, 0) << list.err;
    EXPECT_EQ(list.json().value(QStringLiteral("items")).toArray().size(), 5);
    auto rebuild = run({"--db", db(), "signals", "--rebuild", "--json"});
    ASSERT_EQ(rebuild.exitCode, 0) << rebuild.err;
    EXPECT_EQ(rebuild.json().value(QStringLiteral("rebuilt")).toInt(), 2000);
    EXPECT_EQ(rebuild.json().value(QStringLiteral("signals")).toObject(), signalsObject);
    EXPECT_EQ(run({"--db", db(), "signals", "--list"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "signals", "--kind", "vibes"}).exitCode, 2);
}

TEST_F(Cli, MetricsAsJson)
{
    ASSERT_EQ(run({"demo", "--interactions", "1500", "--seed", "2", "--out", path("d.jsonl")}).exitCode, 0);
    ASSERT_EQ(run({"--db", db(), "ingest", path("d.jsonl")}).exitCode, 0);
    auto metrics = run({"--db", db(), "metrics", "--where", "agent=support-bot", "--json"});
    ASSERT_EQ(metrics.exitCode, 0) << metrics.err;
    const QJsonObject m = metrics.json();
    EXPECT_GT(m.value(QStringLiteral("interactions")).toInt(), 300);
    EXPECT_EQ(m.value(QStringLiteral("computed_from")).toString(), QStringLiteral("rollups"));
    // Rebuilding the rollups changes no figure.
    auto rebuilt =
        run({"--db", db(), "metrics", "--where", "agent=support-bot", "--rebuild-rollups", "--json"});
    ASSERT_EQ(rebuilt.exitCode, 0) << rebuilt.err;
    EXPECT_EQ(rebuilt.json(), m);
    for (const char* key : {"rates", "latency_ms", "tokens", "cost_usd", "scores"})
        EXPECT_TRUE(m.contains(QString::fromLatin1(key))) << key;
    const QJsonObject escalation =
        m.value(QStringLiteral("rates")).toObject().value(QStringLiteral("escalation")).toObject();
    for (const char* key : {"value", "low", "high", "n"})
        EXPECT_TRUE(escalation.contains(QString::fromLatin1(key))) << key;
    EXPECT_LE(escalation.value(QStringLiteral("low")).toDouble(),
              escalation.value(QStringLiteral("value")).toDouble());
    for (const char* key : {"p50", "p90", "p99"})
        EXPECT_GT(m.value(QStringLiteral("latency_ms")).toObject().value(QString::fromLatin1(key)).toDouble(),
                  0)
            << key;
    auto full = run({"--db", db(), "metrics", "--bucket", "day", "--by", "agent_version", "--compare-to",
                     "2026-10-01..2026-11-05", "--from", "2026-11-05", "--json"});
    ASSERT_EQ(full.exitCode, 0) << full.err;
    const QJsonObject f = full.json();
    EXPECT_GT(f.value(QStringLiteral("series")).toArray().size(), 10);
    EXPECT_EQ(f.value(QStringLiteral("breakdown")).toObject().value(QStringLiteral("dimension")).toString(),
              QStringLiteral("agent_version"));
    EXPECT_GE(f.value(QStringLiteral("breakdown")).toObject().value(QStringLiteral("rows")).toArray().size(),
              3);
    const QJsonObject comparison = f.value(QStringLiteral("comparison")).toObject();
    for (const char* key : {"difference", "z", "p_value", "significant"})
        EXPECT_TRUE(comparison.value(QStringLiteral("rates"))
                        .toObject()
                        .value(QStringLiteral("escalation"))
                        .toObject()
                        .contains(QString::fromLatin1(key)))
            << key;
    auto scored = run({"--db", db(), "metrics", "--success-score", "reward>=0.5", "--json"});
    ASSERT_EQ(scored.exitCode, 0) << scored.err;
    EXPECT_EQ(scored.json().value(QStringLiteral("computed_from")).toString(), QStringLiteral("scan"));
    const QJsonObject success =
        scored.json().value(QStringLiteral("rates")).toObject().value(QStringLiteral("success")).toObject();
    EXPECT_EQ(success.value(QStringLiteral("n")).toInt(), scored.json()
                                                              .value(QStringLiteral("scores"))
                                                              .toObject()
                                                              .value(QStringLiteral("reward"))
                                                              .toObject()
                                                              .value(QStringLiteral("n"))
                                                              .toInt());
    EXPECT_EQ(run({"--db", db(), "metrics", "--success-score", "reward"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "metrics", "--by", "tool"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "metrics", "--compare-to", "2026-10-01"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "metrics", "--where", "colour=red"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "metrics", "--from", "last week"}).exitCode, 2);
}

TEST_F(Cli, StandardInput)
{
    std::ofstream(path("in.jsonl")) << "{\"id\":\"1\"}\n{\"id\":\"2\"}\n";
    auto ingest = run({"--db", db(), "ingest", "-", "--json"}, path("in.jsonl"));
    ASSERT_EQ(ingest.exitCode, 0) << ingest.err;
    EXPECT_EQ(ingest.json().value(QStringLiteral("ingested")).toInt(), 2);
}

TEST_F(Cli, MappingProfilesAreSavedInTheStoreAndReused)
{
    std::ofstream(path("rl.jsonl"))
        << R"({"episode":"e1","traj":[{"role":"user","content":"hi"}],"reward":1,"info":{"source":"done"}})"
           "\n";
    auto save = run({"--db", db(), "profile", "save", "rl", "--map", "id=episode", "--map", "messages=traj",
                     "--map", "scores.reward=reward", "--map", "metadata.end_reason=info.source"});
    ASSERT_EQ(save.exitCode, 0) << save.err;
    auto list = run({"--db", db(), "profile", "list", "--json"});
    EXPECT_NE(list.out.find("episode"), std::string::npos);
    auto ingest = run({"--db", db(), "ingest", "--profile", "rl", path("rl.jsonl"), "--json"});
    ASSERT_EQ(ingest.exitCode, 0) << ingest.err;
    EXPECT_EQ(ingest.json().value(QStringLiteral("ingested")).toInt(), 1);
    Store store(db(), Store::Mode::ReadOnly);
    EXPECT_EQ(store.connection().queryInt("SELECT count(*) FROM interactions WHERE key = 'e1'"), 1);
    EXPECT_EQ(store.connection().queryInt("SELECT count(*) FROM scores WHERE name = 'reward' AND value = 1"),
              1);
    EXPECT_EQ(run({"--db", db(), "ingest", "--profile", "nope", path("rl.jsonl")}).exitCode, 2);
}

// A kill -9 at any moment loses nothing committed; the re-run finishes with exact counts.
TEST_F(Cli, KilledMidIngestThenReRunGivesExactCounts)
{
    const int total = 60000;
    ASSERT_EQ(
        run({"demo", "--interactions", std::to_string(total), "--seed", "11", "--out", path("big.jsonl")})
            .exitCode,
        0);
    const pid_t pid = spawn({"--db", db(), "ingest", "--batch", "250", path("big.jsonl")});
    // Wait until some batches are committed, then kill without warning.
    std::int64_t committed = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        try {
            Store reader(db(), Store::Mode::ReadOnly);
            committed = reader.connection().queryInt("SELECT count(*) FROM interactions");
        } catch (const std::exception&) {
            continue; // the store is still being created
        }
        if (committed >= 2000)
            break;
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the ingest finished before it could be killed";
    ASSERT_GE(committed, 2000);

    Store midway(db(), Store::Mode::ReadOnly);
    const std::int64_t survived = midway.connection().queryInt("SELECT count(*) FROM interactions");
    EXPECT_GE(survived, committed);
    EXPECT_LT(survived, total);
    // Everything committed is whole: each interaction has all its messages.
    EXPECT_EQ(midway.connection().queryInt("SELECT count(*) FROM interactions i WHERE message_count != "
                                           "(SELECT count(*) FROM messages m WHERE m.interaction_id = i.id)"),
              0);

    auto rerun = run({"--db", db(), "ingest", path("big.jsonl"), "--json"});
    ASSERT_EQ(rerun.exitCode, 0) << rerun.err;
    EXPECT_EQ(rerun.json().value(QStringLiteral("ingested")).toInt() + survived, total);
    EXPECT_EQ(rerun.json().value(QStringLiteral("duplicates")).toInt(), 0); // resumed at the committed offset
    auto stats = run({"--db", db(), "stats", "--json"});
    EXPECT_EQ(stats.json().value(QStringLiteral("interactions")).toInt(), total);
    EXPECT_EQ(stats.json().value(QStringLiteral("quarantined")).toInt(), 0);
}

TEST_F(Cli, ServeReceivesTracesAndWatchesFilesUntilSigterm)
{
    ASSERT_EQ(run({"demo", "--format", "otlp", "--interactions", "5", "--out", path("t.otlp.json")}).exitCode,
              0);
    std::ofstream(path("watched.jsonl"))
        << "{\"id\":\"w1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n";
    const pid_t pid = spawn({"--db", db(), "serve", "--otlp", "127.0.0.1:0", "--watch", path("watched.jsonl"),
                             "--interval-ms", "50", "--json"});
    // The port it listens on is in its first line on standard error.
    quint16 port = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!port && std::chrono::steady_clock::now() < deadline) {
        const std::string err = slurp(path("err.txt"));
        const auto at = err.find("listening on ");
        if (at != std::string::npos)
            port = static_cast<quint16>(std::atoi(err.c_str() + at + 13));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_NE(port, 0) << slurp(path("err.txt"));
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    ASSERT_TRUE(socket.waitForConnected(5000));
    const QByteArray body = QByteArray::fromStdString(slurp(path("t.otlp.json"))).trimmed();
    socket.write("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
                 QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QByteArray answer;
    while (!answer.contains("\r\n\r\n{}") && socket.waitForReadyRead(10000))
        answer += socket.readAll();
    EXPECT_TRUE(answer.startsWith("HTTP/1.1 200")) << answer.toStdString();
    std::ofstream(path("watched.jsonl"), std::ios::app)
        << "{\"id\":\"w2\",\"messages\":[{\"role\":\"user\",\"content\":\"again\"}]}\n";
    auto interactions = [this] {
        try {
            Store reader(db(), Store::Mode::ReadOnly);
            return reader.connection().queryInt("SELECT count(*) FROM interactions");
        } catch (const std::exception&) {
            return std::int64_t(-1);
        }
    };
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (interactions() != 7 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(interactions(), 7); // five traces and two watched lines
    kill(pid, SIGTERM);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    const Result result{0, slurp(path("out.txt")), slurp(path("err.txt"))};
    EXPECT_EQ(result.json().value(QStringLiteral("requests")).toInt(), 1) << result.out;
    EXPECT_EQ(result.json().value(QStringLiteral("interactions")).toInt(), 5);
    EXPECT_EQ(run({"--db", db(), "serve", "--otlp", "nowhere"}).exitCode, 2);
}
