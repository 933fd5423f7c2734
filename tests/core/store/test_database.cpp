#include "../test_helpers.h"
#include "core/store/database.h"
#include "core/store/schema.h"

#include <filesystem>

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace winnow;

TEST(Database, TheWriterCreatesTheSchemaWithWal)
{
    test::TestStore store;
    EXPECT_EQ(store.queryInt("PRAGMA user_version"), latestSchemaVersion());
    EXPECT_EQ(test::queryRow(store.path(), "PRAGMA journal_mode"), std::vector<std::string>{"wal"});
    EXPECT_EQ(store.stats().interactions, 0);
    EXPECT_TRUE(store.reader().isCurrent());
    EXPECT_GT(store.reader().storeId(), 0);
}

TEST(Database, ReopeningKeepsDataAndDoesNotMigrateTwice)
{
    test::TempDir dir;
    {
        test::TestStore store(dir.path("s.db"));
        Interaction in;
        in.key = "a";
        store.write({in});
    }
    test::TestStore again(dir.path("s.db"));
    EXPECT_EQ(again.stats().interactions, 1);
}

// Errors name the path and say what is wrong in plain words; nothing is created or rewritten.
TEST(Database, OpeningSaysPlainlyWhatIsWrong)
{
    test::TempDir dir;
    auto messageOf = [](const Result<std::unique_ptr<Database>>& opened) {
        return opened ? std::string("(opened)") : opened.error().text();
    };
    const std::string missing = dir.path("missing.db");
    EXPECT_EQ(messageOf(Database::openForReading(missing)),
              missing + " does not exist (no Winnow store there)");
    EXPECT_FALSE(std::filesystem::exists(missing)); // a reader never creates a store

    const std::string text = dir.write("notes.db", "these are my notes, not a database\n");
    EXPECT_EQ(messageOf(Database::openForReading(text)),
              text + " is not a Winnow store (not an SQLite database)");
    EXPECT_EQ(messageOf(Database::openForWriting(text)),
              text + " is not a Winnow store (not an SQLite database)");
    EXPECT_EQ(test::readFile(text), "these are my notes, not a database\n"); // untouched

    const std::string foreign = dir.path("foreign.db");
    {
        sql::Connection other(foreign);
        other.exec("CREATE TABLE recipes(name TEXT)");
    }
    EXPECT_EQ(messageOf(Database::openForReading(foreign)),
              foreign + " is not a Winnow store (an SQLite database without Winnow's tables)");
    EXPECT_EQ(messageOf(Database::openForWriting(foreign)),
              foreign + " is not a Winnow store (an SQLite database without Winnow's tables)");
    EXPECT_EQ(test::queryInt(foreign, "SELECT count(*) FROM sqlite_master"), 1);

    EXPECT_EQ(messageOf(Database::openForReading(dir.path(""))),
              dir.path("") + " is a folder, not a Winnow store");
    const std::string fifo = dir.path("fifo.db");
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_NE(messageOf(Database::openForReading(fifo)).find("is not a regular file"), std::string::npos);
    EXPECT_NE(messageOf(Database::openForWriting(fifo)).find("is not a regular file"), std::string::npos);
    const std::string vanished = dir.path("gone/away/s.db");
    EXPECT_EQ(messageOf(Database::openForWriting(vanished)),
              vanished + " cannot be created: its folder does not exist");

    const std::string empty = dir.write("empty.db", "");
    EXPECT_EQ(messageOf(Database::openForReading(empty)), empty + " is empty, not a Winnow store");
}

TEST(Database, RefusesAStoreFromANewerVersion)
{
    test::TempDir dir;
    {
        test::TestStore store(dir.path("s.db"));
    }
    {
        sql::Connection db(dir.path("s.db"));
        db.exec("PRAGMA user_version = 99");
    }
    for (const auto& opened :
         {Database::openForReading(dir.path("s.db")), Database::openForWriting(dir.path("s.db"))}) {
        ASSERT_FALSE(opened);
        EXPECT_NE(opened.error().message.find("written by a newer Winnow (schema 99"), std::string::npos);
    }
    EXPECT_EQ(test::queryInt(dir.path("s.db"), "PRAGMA user_version"), 99);
}

TEST(Database, AReaderReadsWhileTheWriterHoldsATransaction)
{
    test::TestStore store;
    Interaction in;
    in.key = "a";
    store.write({in});
    std::promise<void> holding, release;
    std::thread writer([&] {
        ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [&](WriteTransaction& tx) {
            tx.interactions().remove({1});
            holding.set_value();
            release.get_future().wait();
        }));
    });
    holding.get_future().wait();
    auto reader = Database::openForReading(store.path());
    ASSERT_TRUE(reader);
    EXPECT_EQ(InteractionStore(**reader).stats().interactions, 1); // the uncommitted delete is not seen
    release.set_value();
    writer.join();
    EXPECT_EQ(InteractionStore(**reader).stats().interactions, 0);
}

// A store that cannot be written is read all the same, and says it is read-only. As root every
// file is writable, so the test drops to another user for the reading process.
TEST(Database, AReadOnlyStoreIsReadAndSaysSo)
{
    test::TempDir dir;
    const std::string folder = dir.path("ro");
    std::filesystem::create_directory(folder);
    const std::string path = folder + "/s.db";
    {
        test::TestStore store(path);
        Interaction in;
        in.key = "a";
        store.write({in});
    }
    ASSERT_EQ(chmod(dir.path("").c_str(), 0755), 0); // another user may pass through
    ASSERT_EQ(chmod(path.c_str(), 0444), 0);
    ASSERT_EQ(chmod(folder.c_str(), 0555), 0);
    if (geteuid() == 0) {
        // Root may write anything: check from a child process that is not root.
        const pid_t child = fork();
        if (child == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(3);
            auto reader = Database::openForReading(path);
            if (!reader || (*reader)->readOnlyReason() != path + " is read-only")
                _exit(4);
            if (InteractionStore(**reader).stats().interactions != 1)
                _exit(5);
            auto writer = Database::openForWriting(path);
            if (writer || writer.error().text() != path + " is read-only")
                _exit(6);
            _exit(0);
        }
        int status = 0;
        waitpid(child, &status, 0);
        EXPECT_TRUE(WIFEXITED(status));
        EXPECT_EQ(WEXITSTATUS(status), 0);
    } else {
        auto reader = Database::openForReading(path);
        ASSERT_TRUE(reader) << reader.error().text();
        EXPECT_EQ((*reader)->readOnlyReason(), path + " is read-only");
        EXPECT_EQ(InteractionStore(**reader).stats().interactions, 1);
        auto writer = Database::openForWriting(path);
        ASSERT_FALSE(writer);
        EXPECT_EQ(writer.error().text(), path + " is read-only");
    }
    chmod(folder.c_str(), 0755);
}
