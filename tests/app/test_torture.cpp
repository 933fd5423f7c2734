// Torture: the promises of the store under a kill -9 at any moment and a full disk. Bounded in
// time (each under a minute on two cores).

#include "cli_test_helpers.h"

#include <random>

using namespace winnow;
using test::Cli;

namespace {

// The store and its search index pass SQLite's own checks, and every interaction is whole.
void expectWhole(const std::string& store)
{
    {
        sql::Connection reader(store, sql::Connection::Mode::ReadOnly);
        sql::Statement check(reader, "PRAGMA integrity_check");
        ASSERT_TRUE(check.step());
        EXPECT_EQ(check.text(0), "ok");
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
        search.exec("INSERT INTO message_fts(message_fts) VALUES('integrity-check')"); // throws when broken
    }
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
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 280));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        killedMidway += WIFSIGNALED(status) ? 1 : 0;
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
