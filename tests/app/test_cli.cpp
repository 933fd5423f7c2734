// What every command shares: the table, help, exit codes, and stores it cannot use.

#include "cli_test_helpers.h"
#include "core/store/schema.h"
#include "core/util/version.h"

#include <filesystem>

#include <sys/stat.h>

using namespace winnow;
using test::Cli;

namespace {
const std::vector<std::string> commands = {"ingest",     "index",   "demo",      "stats",  "sources",
                                           "quarantine", "metrics", "signals",   "delete", "retention",
                                           "profile",    "serve",   "screenshot"};
}

TEST_F(Cli, EveryCommandAnswersHelpWithItsOptionsAndAnExample)
{
    const auto top = run({"--help"});
    EXPECT_EQ(top.exitCode, 0);
    for (const std::string& command : commands) {
        EXPECT_NE(top.out.find(command), std::string::npos) << command;
        const auto help = run({command, "--help"});
        EXPECT_EQ(help.exitCode, 0) << command;
        EXPECT_NE(help.out.find("Example"), std::string::npos) << command << "\n" << help.out;
        EXPECT_NE(help.out.find("winnow"), std::string::npos) << command;
        const auto viaHelp = run({"help", command});
        EXPECT_EQ(viaHelp.exitCode, 0) << command;
        EXPECT_EQ(viaHelp.out, help.out) << command;
    }
    EXPECT_EQ(run({"help", "frobnicate"}).exitCode, 2);
}

TEST_F(Cli, UsageErrorsExitWithTwoAndFailuresWithOne)
{
    EXPECT_EQ(run({"--db", db(), "frobnicate"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "ingest"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "ingest", "--format", "xml", "x"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "ingest", "--map", "nonsense", "x"}).exitCode, 2);
    // Numbers: not a number, negative, out of range: usage errors, never a silent default.
    EXPECT_EQ(run({"demo", "--interactions", "ten", "--out", path("x")}).exitCode, 2);
    EXPECT_EQ(run({"demo", "--interactions", "-5", "--out", path("x")}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "quarantine", "--limit", "0"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "quarantine", "--limit", "lots"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "ingest", "--batch", "-1", "x"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "serve", "--max-body-mb", "0"}).exitCode, 2);
    const auto reversed = run({"--db", db(), "metrics", "--from", "2026-11-10", "--to", "2026-11-01"});
    EXPECT_EQ(reversed.exitCode, 2);
    EXPECT_NE(reversed.err.find("before it starts"), std::string::npos) << reversed.err;
    // --db and --json may come after the command too.
    demo(10, 1);
    const auto after = run({"ingest", path("d.jsonl"), "--db", db(), "--json"});
    EXPECT_EQ(after.exitCode, 0) << after.err;
    EXPECT_EQ(after.json().value(QStringLiteral("ingested")).toInt(), 10);
}

// Commands that read never create a store: a path with no store is an error naming it.
TEST_F(Cli, ReadingCommandsNeverCreateAStore)
{
    const std::string missing = path("nothing-here.db");
    for (const std::vector<std::string>& args :
         std::vector<std::vector<std::string>>{{"stats"},
                                               {"sources"},
                                               {"quarantine"},
                                               {"metrics"},
                                               {"signals"},
                                               {"profile", "list"},
                                               {"index"},
                                               {"retention"},
                                               {"delete", "--before", "2026-01-01", "--dry-run"}}) {
        std::vector<std::string> full = {"--db", missing};
        full.insert(full.end(), args.begin(), args.end());
        const auto result = run(full);
        EXPECT_EQ(result.exitCode, 1) << args[0];
        EXPECT_NE(result.err.find(missing + " does not exist"), std::string::npos)
            << args[0] << ": " << result.err;
        EXPECT_FALSE(std::filesystem::exists(missing)) << args[0];
    }
}

// Plain words with the path, never a bare SQLite message.
TEST_F(Cli, AStoreItCannotUseIsNamedInPlainWords)
{
    std::ofstream(path("notes.db")) << "my notes\n";
    auto notes = run({"--db", path("notes.db"), "stats"});
    EXPECT_EQ(notes.exitCode, 1);
    EXPECT_EQ(notes.err, "winnow: " + path("notes.db") + " is not a Winnow store (not an SQLite database)\n");
    auto ingestInto = run({"--db", path("notes.db"), "ingest", path("notes.db")});
    EXPECT_EQ(ingestInto.exitCode, 1);
    EXPECT_NE(ingestInto.err.find("is not a Winnow store"), std::string::npos);
    EXPECT_EQ(test::slurp(path("notes.db")), "my notes\n");

    demoStore(20, 1);
    {
        sql::Connection raw(db());
        raw.exec("PRAGMA user_version = 42");
    }
    auto newer = run({"--db", db(), "stats"});
    EXPECT_EQ(newer.exitCode, 1);
    EXPECT_NE(newer.err.find("written by a newer Winnow (schema 42"), std::string::npos) << newer.err;
}

// A writer killed before its first commit leaves an SQLite file with no table at all (the schema is
// made in one transaction): a read says so in words, and the next write makes the store.
TEST_F(Cli, AStoreWhoseFirstWriteNeverFinishedIsMadeByTheNextWrite)
{
    {
        sql::Connection raw(db());
        raw.exec("PRAGMA journal_mode = WAL"); // what a writer does first, before its schema
    }
    auto read = run({"--db", db(), "stats"});
    EXPECT_EQ(read.exitCode, 1);
    EXPECT_EQ(read.err, "winnow: " + db() + " has nothing in it yet (its first write never finished); writing to it "
                                            "makes it a store\n");
    demo(20, 1);
    auto ingest = run({"--db", db(), "ingest", path("d.jsonl"), "--json"});
    ASSERT_EQ(ingest.exitCode, 0) << ingest.err;
    EXPECT_EQ(ingest.err.find("Upgrading"), std::string::npos) << ingest.err; // made, not upgraded
    EXPECT_EQ(interactions(), 20);
}

// A read-only store: every read command reads it, and a write says it is read-only. (As root the
// store is made read-only for another user, who runs the commands.)
TEST_F(Cli, AReadOnlyStoreIsReadByEveryReadCommand)
{
    const std::string folder = path("ro");
    std::filesystem::create_directory(folder);
    const std::string store = folder + "/s.db";
    demo(300, 2);
    ASSERT_EQ(run({"--db", store, "ingest", path("d.jsonl")}).exitCode, 0);
    chmod(store.c_str(), 0444);
    chmod(folder.c_str(), 0555);
    auto as = [&](const std::vector<std::string>& args) { return runAsAnotherUser(args); };
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{{"stats", "--json"},
                                                                                      {"sources"},
                                                                                      {"quarantine"},
                                                                                      {"metrics"},
                                                                                      {"signals"},
                                                                                      {"profile", "list"},
                                                                                      {"retention"}}) {
        std::vector<std::string> full = {"--db", store};
        full.insert(full.end(), args.begin(), args.end());
        const auto result = as(full);
        EXPECT_EQ(result.exitCode, 0) << args[0] << ": " << result.err;
    }
    const auto stats = as({"--db", store, "stats", "--json"});
    EXPECT_EQ(stats.json().value(QStringLiteral("interactions")).toInt(), 300);
    EXPECT_TRUE(stats.json().value(QStringLiteral("read_only")).toBool());
    const auto write = as({"--db", store, "retention", "--days", "3"});
    EXPECT_EQ(write.exitCode, 1);
    EXPECT_EQ(write.err, "winnow: " + store + " is read-only\n");
    chmod(folder.c_str(), 0755);
}

TEST_F(Cli, VersionSaysTheVersionAndTheStoreSchema)
{
    const auto plain = run({"--version"});
    EXPECT_EQ(plain.exitCode, 0);
    EXPECT_EQ(plain.out, versionLine() + "\n");
    EXPECT_NE(plain.out.find("store schema " + std::to_string(latestSchemaVersion())), std::string::npos);
    const auto json = run({"--json", "--version"});
    EXPECT_EQ(json.exitCode, 0);
    EXPECT_EQ(json.json().value(QStringLiteral("version")).toString().toStdString(), winnowVersion());
    EXPECT_EQ(json.json().value(QStringLiteral("schema")).toInt(), latestSchemaVersion());
}
