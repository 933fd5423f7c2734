// Torture: the promises of the store under a kill -9 at any moment and a full disk. Bounded in
// time (each under a minute on two cores).

#include "../core/test_helpers.h"
#include "cli_test_helpers.h"
#include "core/store/integrity.h"

#include <QCryptographicHash>
#include <QHostAddress>
#include <QTcpSocket>

#include <algorithm>
#include <random>

using namespace winnow;
using test::Cli;

namespace {

// The store and its search index pass SQLite's own checks, and every interaction is whole.
void expectWhole(const std::string& store)
{
    if (::access(store.c_str(), F_OK) != 0)
        return; // killed before it made the file
    {
        sql::Connection reader(store, sql::Connection::Mode::ReadOnly);
        sql::Statement check(reader, "PRAGMA integrity_check");
        ASSERT_TRUE(check.step());
        EXPECT_EQ(check.text(0), "ok");
        // A kill before the first commit (the schema is made in one transaction) leaves a database
        // with no table at all, which the next run takes as new; never a part of the schema.
        const auto tables = reader.queryInt("SELECT count(*) FROM sqlite_master WHERE type = 'table'");
        if (tables == 0)
            return;
        ASSERT_GT(reader.queryInt("SELECT count(*) FROM sqlite_master WHERE name = 'interactions'"), 0);
        // Each interaction's messages are its range of message ids, all there, and no others.
        EXPECT_EQ(reader.queryInt("SELECT count(*) FROM interactions i WHERE message_count != "
                                  "(SELECT count(*) FROM messages m WHERE m.id >= i.first_message_id AND "
                                  "m.id < i.first_message_id + i.message_count AND m.interaction_id = i.id)"),
                  0);
        EXPECT_EQ(reader.queryInt("SELECT coalesce(sum(message_count), 0) FROM interactions"),
                  reader.queryInt("SELECT count(*) FROM messages"));
        // The rollups hold what the interactions hold.
        EXPECT_EQ(reader.queryInt("SELECT coalesce(sum(value), 0) FROM rollups r JOIN rollup_metrics m ON "
                                  "m.id = r.metric_id WHERE m.name = 'interactions' AND granularity = 1 AND level = 0"),
                  reader.queryInt("SELECT count(*) FROM interactions WHERE start_ms IS NOT NULL"));
    }
    const std::string index = store + "-search";
    if (::access(index.c_str(), F_OK) == 0) {
        sql::Connection search(index);
        sql::Statement check(search, "PRAGMA integrity_check");
        ASSERT_TRUE(check.step());
        EXPECT_EQ(check.text(0), "ok");
        // A kill while the index file was being made leaves it without its table: the next run
        // makes it. Otherwise FTS5's own check (it throws when the index is broken).
        if (search.queryInt("SELECT count(*) FROM sqlite_master WHERE name = 'message_fts'") > 0)
            search.exec("INSERT INTO message_fts(message_fts) VALUES('integrity-check')");
    }
}

// Kills the child with SIGKILL after `ms`: whether it was still running (killed midway).
bool killAfter(pid_t pid, int ms)
{
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status);
}

} // namespace

// Twenty kill -9s at random moments of an ingest, each followed by the checks; then a run to the
// end gives exactly the file's interactions, no duplicate, nothing quarantined.
TEST_F(Cli, IngestKilledAtTwentyRandomMomentsStaysWholeAndEndsExact)
{
    const int total = 80000;
    demo(total, 5, "big.jsonl");
    std::mt19937 random(13);
    int killedMidway = 0;
    for (int round = 0; round < 20; ++round) {
        const pid_t pid = spawn({"--db", db(), "ingest", "--batch", "200", path("big.jsonl")});
        killedMidway += killAfter(pid, int(20 + random() % 280)) ? 1 : 0;
        expectWhole(db());
        if (HasFailure())
            return;
    }
    EXPECT_GE(killedMidway, 15); // most kills landed while it worked
    auto last = run({"--db", db(), "ingest", path("big.jsonl"), "--json"});
    ASSERT_EQ(last.exitCode, 0) << last.err;
    EXPECT_EQ(last.json().value(QStringLiteral("duplicates")).toInt(), 0);
    EXPECT_EQ(interactions(), total);
    EXPECT_EQ(query("SELECT count(*) FROM quarantine"), 0);
    expectWhole(db());
}

// The same for `ingest --follow` on a file that grows while it is killed again and again.
TEST_F(Cli, FollowKilledWhileTheFileGrowsLosesNothingAndDuplicatesNothing)
{
    demo(6000, 8, "all.jsonl");
    std::ifstream all(path("all.jsonl"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(all, line);)
        lines.push_back(line);
    std::mt19937 random(3);
    size_t written = 0;
    for (int round = 0; round < 8; ++round) {
        const pid_t pid = spawn({"--db", db(), "ingest", "--follow", "--interval-ms", "50", path("live.jsonl")});
        std::ofstream live(path("live.jsonl"), std::ios::app);
        const size_t until = std::min(lines.size(), written + 750);
        for (; written < until; ++written) {
            live << lines[written] << '\n';
            if (written % 100 == 0) {
                live.flush();
                std::this_thread::sleep_for(std::chrono::milliseconds(random() % 30));
            }
        }
        live.close();
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 200));
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        expectWhole(db());
    }
    auto last = run({"--db", db(), "ingest", path("live.jsonl"), "--json"});
    ASSERT_EQ(last.exitCode, 0) << last.err;
    EXPECT_EQ(interactions(), 6000);
    EXPECT_EQ(query("SELECT count(*) FROM quarantine"), 0);
}

// A full disk (writes past a file-size limit fail, as ENOSPC would): the ingest stops with a clear
// message and a failing exit status, what it committed before stays whole, and once there is room
// the next run finishes with exact counts.
TEST_F(Cli, AFullDiskStopsWithAClearMessageKeepsWhatWasCommittedAndRecovers)
{
    const int total = 30000;
    demo(total, 9, "big.jsonl");
    const pid_t pid = spawn({"--db", db(), "ingest", "--no-index", path("big.jsonl")}, {}, rlim_t(12) << 20);
    const auto full = finish(pid);
    EXPECT_NE(full.exitCode, 0);
    EXPECT_NE(full.err.find("cannot grow: the file is at its size limit (everything committed before is kept)"),
              std::string::npos)
        << full.err;
    EXPECT_EQ(full.err.find("unfinished"), std::string::npos) << full.err; // it stopped; the file is whole
    const std::int64_t kept = interactions();
    EXPECT_LT(kept, total);
    expectWhole(db());
    auto again = run({"--db", db(), "ingest", "--no-index", path("big.jsonl"), "--json"});
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_EQ(again.json().value(QStringLiteral("duplicates")).toInt(), 0);
    EXPECT_EQ(interactions(), total);
    expectWhole(db());
}

namespace {

int postTraces(quint16 port, const QByteArray& body)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000))
        return 0;
    socket.write("POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
                 QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QByteArray answer;
    while (!answer.contains("\r\n\r\n") && socket.waitForReadyRead(10000))
        answer += socket.readAll();
    return answer.mid(9, 3).toInt();
}

// The request with only its root spans (roots) or only the others.
QByteArray spansOf(const QByteArray& request, bool roots)
{
    QJsonObject document = QJsonDocument::fromJson(request).object();
    QJsonArray resources = document.value(QStringLiteral("resourceSpans")).toArray();
    for (qsizetype r = 0; r < resources.size(); ++r) {
        QJsonObject resource = resources[r].toObject();
        QJsonArray scopes = resource.value(QStringLiteral("scopeSpans")).toArray();
        for (qsizetype s = 0; s < scopes.size(); ++s) {
            QJsonObject scope = scopes[s].toObject();
            QJsonArray kept;
            for (const QJsonValue& span : scope.value(QStringLiteral("spans")).toArray())
                if (span.toObject().value(QStringLiteral("parentSpanId")).toString().isEmpty() == roots)
                    kept.append(span);
            scope.insert(QStringLiteral("spans"), kept);
            scopes[s] = scope;
        }
        resource.insert(QStringLiteral("scopeSpans"), scopes);
        resources[r] = resource;
    }
    document.insert(QStringLiteral("resourceSpans"), resources);
    return QJsonDocument(document).toJson(QJsonDocument::Compact);
}

} // namespace

// A 200 means stored: `serve` killed with -9 right after answering keeps every request it
// answered, including the traces it had not yet assembled into interactions and spans that wait
// for a root that has not come yet; a restart assembles the first at once and completes the
// others when their roots arrive, as one uninterrupted run would have.
TEST_F(Cli, ServeKilledAfterAnsweringKeepsEverythingItAcknowledged)
{
    ASSERT_EQ(run({"demo", "--format", "otlp", "--interactions", "160", "--seed", "4", "--out", path("t.jsonl")})
                  .exitCode,
              0);
    std::ifstream file(path("t.jsonl"));
    std::vector<QByteArray> requests; // 16 traces each
    for (std::string line; std::getline(file, line);)
        requests.push_back(QByteArray::fromStdString(line));
    ASSERT_EQ(requests.size(), 10u);
    std::int64_t acknowledged = 0;
    for (size_t round = 0; round < 4; ++round) {
        std::remove(path("err.txt").c_str());
        const pid_t pid = spawn({"--db", db(), "serve", "--otlp", "127.0.0.1:0"});
        const quint16 port = test::servePort(path("err.txt"));
        ASSERT_NE(port, 0) << test::slurp(path("err.txt"));
        for (size_t i = round * 2; i < round * 2 + 2; ++i)
            if (postTraces(port, requests[i]) == 200)
                acknowledged += 16;
        if (round == 3) { // the children of the next two requests' traces, their roots still to come
            for (size_t i = 8; i < 10; ++i)
                ASSERT_EQ(postTraces(port, spansOf(requests[i], false)), 200);
        }
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        // Every trace acknowledged is stored (the children-only ones of the last round too), as an
        // interaction or as the spans it is assembled from.
        EXPECT_EQ(query("SELECT count(DISTINCT trace_id) FROM otlp_sources"),
                  acknowledged + (round == 3 ? 32 : 0));
        EXPECT_LE(interactions(), acknowledged);
        expectWhole(db());
    }
    EXPECT_EQ(acknowledged, 128);
    EXPECT_GT(query("SELECT count(*) FROM otlp_waiting"), 0); // stored, waiting
    // The roots arrive after the restart: the traces are whole.
    std::remove(path("err.txt").c_str());
    const pid_t pid = spawn({"--db", db(), "serve", "--otlp", "127.0.0.1:0"});
    const quint16 port = test::servePort(path("err.txt"));
    ASSERT_NE(port, 0);
    for (size_t i = 8; i < 10; ++i)
        EXPECT_EQ(postTraces(port, spansOf(requests[i], true)), 200);
    kill(pid, SIGTERM);
    EXPECT_EQ(finish(pid).exitCode, 0);
    EXPECT_EQ(interactions(), 160);
    // The same as the file ingested in one run.
    const std::string reference = path("reference.db");
    ASSERT_EQ(run({"--db", reference, "ingest", path("t.jsonl")}).exitCode, 0);
    sql::Connection other(reference, sql::Connection::Mode::ReadOnly);
    EXPECT_EQ(query("SELECT count(*) FROM messages"), other.queryInt("SELECT count(*) FROM messages"));
    EXPECT_EQ(query("SELECT count(*) FROM tool_calls"), other.queryInt("SELECT count(*) FROM tool_calls"));
    EXPECT_EQ(query("SELECT sum(input_tokens) FROM interactions"),
              other.queryInt("SELECT sum(input_tokens) FROM interactions"));
    expectWhole(db());
}

// Concurrency: an ingest at full speed, the receiver taking traces, dashboards' queries and a
// reviewer importing labels, all at once in four processes: no "database is locked" reaches
// anyone, every command succeeds, and no label is lost.
TEST_F(Cli, IngestReceiverQueriesAndLabelsAtOnceNeverLockAnyoneOut)
{
    demo(40000, 6, "big.jsonl");
    ASSERT_EQ(run({"demo", "--format", "otlp", "--interactions", "320", "--seed", "2", "--out", path("t.jsonl")})
                  .exitCode,
              0);
    // The labels are for the file's first interactions, committed early.
    std::vector<std::string> keys;
    {
        std::ifstream big(path("big.jsonl"));
        std::string line;
        for (int i = 0; i < 200 && std::getline(big, line); ++i)
            keys.push_back(QJsonDocument::fromJson(QByteArray::fromStdString(line))
                               .object()
                               .value(QStringLiteral("id"))
                               .toString()
                               .toStdString());
    }
    const std::string shared = path("shared.db");
    const pid_t ingest =
        spawnTo({"--db", shared, "ingest", "--batch", "100", path("big.jsonl")}, "ingest-out.txt", "ingest-err.txt");
    auto count = [&](const char* sql) {
        try {
            sql::Connection reader(shared, sql::Connection::Mode::ReadOnly);
            return reader.queryInt(sql);
        } catch (const std::exception&) {
            return std::int64_t(-1);
        }
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (count("SELECT count(*) FROM interactions") < 300 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const pid_t serve =
        spawnTo({"--db", shared, "--json", "serve", "--otlp", "127.0.0.1:0"}, "serve-out.txt", "serve-err.txt");
    const quint16 port = test::servePort(path("serve-err.txt"));
    ASSERT_NE(port, 0) << test::slurp(path("serve-err.txt"));
    std::ifstream traces(path("t.jsonl"));
    std::vector<QByteArray> requests;
    for (std::string line; std::getline(traces, line);)
        requests.push_back(QByteArray::fromStdString(line));
    int labelled = 0, posted = 0;
    std::string problems;
    for (int round = 0; round < 20; ++round) {
        // A reviewer's ten labels.
        std::ofstream labels(path("labels.jsonl"), std::ios::trunc);
        for (int i = 0; i < 10; ++i)
            labels << "{\"interaction_id\":\"" << keys[size_t(round * 10 + i)]
                   << "\",\"reviewer\":\"ana\",\"verdict\":\"fail\",\"note\":\"round " << round << "\"}\n";
        labels.close();
        const auto imported = run({"--db", shared, "labels", "import", path("labels.jsonl")});
        if (imported.exitCode == 0)
            labelled += 10;
        else
            problems += "labels: " + imported.err;
        // A dashboard's figures.
        const auto metrics = run({"--db", shared, "--json", "metrics", "--by", "agent"});
        if (metrics.exitCode != 0)
            problems += "metrics: " + metrics.err;
        // Traces to the receiver.
        if (size_t(round) < requests.size())
            posted += postTraces(port, requests[size_t(round)]) == 200 ? 1 : 0;
    }
    int status = 0;
    waitpid(ingest, &status, 0);
    // The labels as the ingest left them: before the fix of POSIX locks (see sql::Connection::
    // readUnlessOpen) they were lost as processes closed.
    EXPECT_EQ(count("SELECT count(*) FROM labels WHERE reviewer = 'ana'"), 200);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << test::slurp(path("ingest-err.txt"));
    kill(serve, SIGTERM);
    waitpid(serve, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << test::slurp(path("serve-err.txt"));
    const test::Outcome served{0, test::slurp(path("serve-out.txt")), test::slurp(path("serve-err.txt"))};
    EXPECT_EQ(problems, "");
    for (const std::string& err : {test::slurp(path("ingest-err.txt")), served.err})
        EXPECT_EQ(err.find("locked"), std::string::npos) << err;
    EXPECT_EQ(labelled, 200);
    EXPECT_EQ(count("SELECT count(*) FROM labels WHERE reviewer = 'ana'"), 200);
    EXPECT_EQ(posted, int(std::min<size_t>(20, requests.size())));
    EXPECT_EQ(served.json().value(QStringLiteral("requests")).toInt(), posted);
    EXPECT_EQ(served.json().value(QStringLiteral("rejected")).toInt(), 0);
    // The demo's traces carry the JSONL demo's interaction keys, so most of them are duplicates.
    EXPECT_GE(count("SELECT count(*) FROM interactions"), 40000);
    EXPECT_EQ(count("SELECT count(*) FROM quarantine"), 0);
}

// A damaged store is told as such: `winnow check` runs SQLite's and FTS5's checks, and names what
// is wrong; a whole store passes.
TEST_F(Cli, CheckTellsAWholeStoreFromADamagedOne)
{
    demoStore(3000, 2);
    auto whole = run({"--db", db(), "--json", "check"});
    EXPECT_EQ(whole.exitCode, 0) << whole.out << whole.err;
    EXPECT_TRUE(whole.json().value(QStringLiteral("whole")).toBool());
    EXPECT_TRUE(whole.json().value(QStringLiteral("index_checked")).toBool());
    ASSERT_TRUE(test::overwriteMiddlePages(db()));
    auto damaged = run({"--db", db(), "--json", "check"});
    EXPECT_EQ(damaged.exitCode, 1) << damaged.out << damaged.err;
    EXPECT_FALSE(damaged.json().value(QStringLiteral("whole")).toBool());
    EXPECT_FALSE(damaged.json().value(QStringLiteral("store_problems")).toArray().isEmpty()) << damaged.out;
}

// A command checks the store before it uses it. A damaged store is refused, saying what is wrong,
// rather than its figures served or more written into it (--no-check uses it anyway); a damaged
// search index alone is said, and the command runs.
TEST_F(Cli, ACommandRefusesADamagedStoreRatherThanServeItsFigures)
{
    demoStore(3000, 2);
    auto figures = run({"--db", db(), "--json", "metrics"});
    ASSERT_EQ(figures.exitCode, 0) << figures.err;
    const int interactions = figures.json().value(QStringLiteral("interactions")).toInt();
    ASSERT_EQ(interactions, 3000) << figures.out;

    ASSERT_TRUE(test::overwriteMiddlePages(db() + "-search"));
    auto withDamagedIndex = run({"--db", db(), "--json", "metrics"});
    EXPECT_EQ(withDamagedIndex.exitCode, 0) << withDamagedIndex.err;
    EXPECT_EQ(withDamagedIndex.json().value(QStringLiteral("interactions")).toInt(), interactions);
    EXPECT_NE(withDamagedIndex.err.find("the search index"), std::string::npos) << withDamagedIndex.err;
    EXPECT_NE(withDamagedIndex.err.find("winnow index"), std::string::npos) << withDamagedIndex.err;

    ASSERT_TRUE(test::overwriteMiddlePages(db()));
    for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
             {"--db", db(), "--json", "metrics"},
             {"--db", db(), "stats"},
             {"--db", db(), "ingest", path("d.jsonl")},
             {"--db", db(), "export", "--format", "openai-chat", "--out", path("batch")}}) {
        auto refused = run(command);
        EXPECT_EQ(refused.exitCode, 1) << command[2] << ": " << refused.out << refused.err;
        EXPECT_EQ(refused.out, "") << command[2];
        EXPECT_NE(refused.err.find("is damaged"), std::string::npos) << command[2] << ": " << refused.err;
        EXPECT_NE(refused.err.find("restore it from a backup"), std::string::npos) << refused.err;
    }
    auto unchecked = run({"--db", db(), "--no-check", "--json", "metrics"});
    EXPECT_EQ(unchecked.exitCode, 0) << unchecked.err;
    EXPECT_EQ(unchecked.json().value(QStringLiteral("interactions")).toInt(), interactions);
}

// A store a command found whole is not read again by the next one until its files change: the
// check is remembered (in the user's cache folder) with a stamp of the files.
TEST_F(Cli, AStoreFoundWholeIsCheckedAgainOnlyAfterItChanges)
{
    demoStore(500, 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100)); // past the file clock's tick
    EXPECT_FALSE(isKnownWhole(db()));
    ASSERT_EQ(run({"--db", db(), "stats"}).exitCode, 0);
    EXPECT_TRUE(isKnownWhole(db()));
    demo(200, 4, "more.jsonl");
    ASSERT_EQ(run({"--db", db(), "ingest", path("more.jsonl")}).exitCode, 0);
    EXPECT_FALSE(isKnownWhole(db()));
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    ASSERT_EQ(run({"--db", db(), "stats"}).exitCode, 0);
    EXPECT_TRUE(isKnownWhole(db()));
}

namespace {

// How long `run` takes, in milliseconds: the window the kills are spread over.
template <typename Run> int millisecondsOf(Run run)
{
    const auto start = std::chrono::steady_clock::now();
    run();
    return int(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
}

// A batch folder is whole: its manifest names every file it holds, with the bytes' SHA-256.
void expectWholeBatch(const std::string& folder)
{
    const QJsonObject manifest =
        QJsonDocument::fromJson(QByteArray::fromStdString(test::slurp(folder + "/manifest.json"))).object();
    const QJsonArray files = manifest.value(QStringLiteral("files")).toArray();
    ASSERT_FALSE(files.isEmpty()) << folder;
    for (const QJsonValue file : files) {
        const std::string name = file[QStringLiteral("name")].toString().toStdString();
        const std::string bytes = test::slurp(folder + "/" + name);
        EXPECT_EQ(QCryptographicHash::hash(QByteArray::fromStdString(bytes), QCryptographicHash::Sha256).toHex(),
                  file[QStringLiteral("sha256")].toString().toLatin1())
            << folder << "/" << name;
    }
}

} // namespace

// The human and curated work under kill -9: a label import, a rule publish and an export, each
// killed at random moments of its run. A label import lands whole or not at all; a version is
// published with its pack and its audit trail or not at all; no batch is reported as done unless
// its folder is whole, and no batch folder is ever half there (it is written aside and renamed).
TEST_F(Cli, KilledLabelImportsPublishesAndExportsLeaveNothingHalfDone)
{
    demoStore(6000, 8);
    const int labelled = 3000;
    auto writeLabels = [&](const std::string& reviewer) {
        const std::string file = path("labels-" + reviewer + ".jsonl");
        std::ofstream out(file);
        sql::Connection reader(db(), sql::Connection::Mode::ReadOnly);
        sql::Statement keys(reader, "SELECT key FROM interactions ORDER BY id LIMIT ?1");
        keys.bind(1, std::int64_t(labelled));
        for (int n = 0; keys.step(); ++n)
            out << R"({"interaction_id":")" << keys.text(0) << R"(","reviewer":")" << reviewer << R"(","verdict":")"
                << (n % 3 ? "pass" : R"(fail","categories":["incomplete task"],"corrected":"Done.)") << "\"}\n";
        return file;
    };
    auto labelsOf = [&](const std::string& reviewer) {
        sql::Connection reader(db(), sql::Connection::Mode::ReadOnly);
        sql::Statement count(reader, "SELECT count(*) FROM labels WHERE reviewer = ?1");
        count.bind(1, reviewer);
        count.step();
        return count.int64(0);
    };
    std::mt19937 random(8);
    // A run that ended before its kill says the window (timed once, on a busy machine perhaps) is
    // too long: it shrinks, and rounds go on (up to 24) until three kills have landed midway.
    auto killWithin = [&](const std::vector<std::string>& args, int& windowMs) {
        const bool killed = killAfter(spawn(args), int(random() % (windowMs + 1)));
        if (!killed)
            windowMs = std::max(5, windowMs * 2 / 3);
        return killed;
    };
    auto moreRounds = [](int round, int killedMidway) { return round < 8 || (killedMidway < 3 && round < 24); };

    // Labels.
    int labelMs = millisecondsOf([&] {
        ASSERT_EQ(run({"--db", db(), "labels", "import", writeLabels("timed")}).exitCode, 0);
    });
    int killedMidway = 0;
    for (int round = 0; moreRounds(round, killedMidway); ++round) {
        const std::string reviewer = "r" + std::to_string(round);
        const std::string file = writeLabels(reviewer);
        killedMidway += killWithin({"--db", db(), "labels", "import", file}, labelMs);
        expectWhole(db());
        const auto landed = labelsOf(reviewer);
        EXPECT_TRUE(landed == 0 || landed == labelled) << reviewer << ": " << landed;
        ASSERT_EQ(run({"--db", db(), "labels", "import", file}).exitCode, 0);
        EXPECT_EQ(labelsOf(reviewer), labelled);
    }
    EXPECT_GE(killedMidway, 3) << "the imports ended before the kills: the window is " << labelMs << " ms";

    // Rule versions.
    auto shown = run({"--db", db(), "rules", "show"});
    ASSERT_EQ(shown.exitCode, 0) << shown.err;
    std::ofstream(path("pack.json")) << shown.out;
    int publishMs = millisecondsOf([&] {
        const auto published = run({"--db", db(), "rules", "publish", "--pack", path("pack.json"), "--comment", "timed"});
        ASSERT_EQ(published.exitCode, 0) << published.err;
    });
    killedMidway = 0;
    for (int round = 0; moreRounds(round, killedMidway); ++round) {
        const auto versionsBefore = query("SELECT count(*) FROM rule_versions");
        killedMidway += killWithin({"--db", db(), "rules", "publish", "--pack", path("pack.json"), "--comment",
                                    "round " + std::to_string(round)},
                                   publishMs);
        expectWhole(db());
        const auto versions = query("SELECT count(*) FROM rule_versions");
        EXPECT_TRUE(versions == versionsBefore || versions == versionsBefore + 1);
        // Each published version has its pack and its audit trail.
        EXPECT_EQ(query("SELECT count(*) FROM rule_versions v WHERE state = 'published' AND NOT EXISTS "
                        "(SELECT 1 FROM rule_events e WHERE e.version = v.number AND e.action = 'published')"),
                  0);
        EXPECT_EQ(query("SELECT count(*) FROM rule_versions WHERE json_valid(pack_json) = 0"), 0);
        auto listed = run({"--db", db(), "--json", "rules", "list"});
        EXPECT_EQ(listed.exitCode, 0) << listed.err;
    }
    EXPECT_GE(killedMidway, 3) << "the publishes ended before the kills: the window is " << publishMs << " ms";

    // Export batches.
    const std::vector<std::string> exportArgs = {"--db", db(), "export", "--format", "openai-chat",
                                                 "--include-unreviewed", "--redact", "--dedupe", "0.9", "--out"};
    int exportMs = millisecondsOf([&] {
        auto args = exportArgs;
        args.push_back(path("timed-batch"));
        const auto exported = run(args);
        ASSERT_EQ(exported.exitCode, 0) << exported.err;
    });
    killedMidway = 0;
    for (int round = 0; moreRounds(round, killedMidway); ++round) {
        const std::string folder = path("batch-" + std::to_string(round));
        auto args = exportArgs;
        args.push_back(folder);
        killedMidway += killWithin(args, exportMs);
        expectWhole(db());
        // What is reported as done is whole.
        sql::Connection reader(db(), sql::Connection::Mode::ReadOnly);
        sql::Statement batches(reader, "SELECT out_dir FROM export_batches");
        bool reported = false;
        while (batches.step()) {
            expectWholeBatch(batches.text(0));
            reported = reported || batches.text(0) == folder;
        }
        // What is not reported is not there, or whole (killed between its rename and its record);
        // either way never half written under its own name.
        if (!reported && std::filesystem::exists(folder))
            expectWholeBatch(folder);
    }
    EXPECT_GE(killedMidway, 3) << "the exports ended before the kills: the window is " << exportMs << " ms";
    auto args = exportArgs;
    args.push_back(path("last-batch"));
    ASSERT_EQ(run(args).exitCode, 0);
    expectWholeBatch(path("last-batch"));
}
