#include "core/store/search_index.h"
#include "core/store/store.h"

#include "test_helpers.h"
#include <filesystem>

#include <gtest/gtest.h>

using namespace winnow;

namespace {
Interaction sample(const std::string& key)
{
    Interaction in;
    in.key = key;
    in.agent = "support-bot";
    in.startMs = 1000;
    Message user;
    user.role = "user";
    user.content = "where is my parcel";
    Message call;
    call.role = "assistant";
    call.contentIsNull = true;
    Message result;
    result.role = "tool";
    result.content = "{\"status\":\"shipped\"}";
    result.toolCallId = "c1";
    in.messages = {user, call, result};
    ToolCall tc;
    tc.callId = "c1";
    tc.name = "lookup_order";
    tc.messageIndex = 1;
    tc.resultMessageIndex = 2;
    in.toolCalls = {tc};
    in.scores = {{"reward", 0.5}};
    in.metadataJson = "{\"a\":1}";
    return in;
}
} // namespace

TEST(Store, CreatesSchemaWithWalAndForeignKeys)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    EXPECT_EQ(store.connection().queryInt("PRAGMA user_version"), Store::schemaVersion);
    EXPECT_EQ(store.connection().queryInt("PRAGMA foreign_keys"), 1);
    sql::Statement mode(store.connection(), "PRAGMA journal_mode");
    ASSERT_TRUE(mode.step());
    EXPECT_EQ(mode.text(0), "wal");
    const StoreStats stats = store.stats();
    EXPECT_EQ(stats.interactions, 0);
}

TEST(Store, ReopeningKeepsDataAndDoesNotMigrateTwice)
{
    test::TempDir dir;
    {
        Store store(dir.path("s.db"));
        Batch batch;
        batch.interactions = {sample("a")};
        store.writeBatch(batch);
    }
    Store again(dir.path("s.db"));
    EXPECT_EQ(again.stats().interactions, 1);
}

TEST(Store, RefusesAStoreFromANewerVersion)
{
    test::TempDir dir;
    {
        Store store(dir.path("s.db"));
        store.connection().exec("PRAGMA user_version = 99");
    }
    EXPECT_THROW(Store(dir.path("s.db")), sql::Error);
}

TEST(Store, WritesInteractionsWithMessagesToolCallsScoresAndMetadata)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    Batch batch;
    batch.interactions = {sample("a"), sample("b")};
    const BatchResult result = store.writeBatch(batch);
    EXPECT_EQ(result.inserted, 2);
    const StoreStats stats = store.stats();
    EXPECT_EQ(stats.interactions, 2);
    EXPECT_EQ(stats.messages, 6);
    EXPECT_EQ(stats.toolCalls, 2);
    EXPECT_EQ(store.connection().queryInt("SELECT count(*) FROM scores"), 2);
    EXPECT_EQ(store.connection().queryInt("SELECT count(*) FROM interaction_metadata"), 2);
    // A null content stays null, not an empty string.
    EXPECT_EQ(store.connection().queryInt("SELECT count(*) FROM messages WHERE content IS NULL"), 2);
}

TEST(Store, SameKeyIsADuplicateAndAddsNothing)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    Batch batch;
    batch.interactions = {sample("a"), sample("a")};
    BatchResult result = store.writeBatch(batch);
    EXPECT_EQ(result.inserted, 1);
    EXPECT_EQ(result.duplicates, 1);
    result = store.writeBatch(batch);
    EXPECT_EQ(result.inserted, 0);
    EXPECT_EQ(result.duplicates, 2);
    EXPECT_EQ(store.stats().messages, 3);
}

TEST(Store, BatchAdvancesItsSourceInTheSameTransaction)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    const SourceState source = store.sourceFor("/logs/a.jsonl", "jsonl");
    Batch batch;
    batch.interactions = {sample("a")};
    batch.quarantined = {{3, 120, "invalid JSON", "{oops"}};
    batch.position = {source.id, 200, 3};
    store.writeBatch(batch);
    const SourceState after = store.sourceFor("/logs/a.jsonl", "jsonl");
    EXPECT_EQ(after.offset, 200);
    EXPECT_EQ(after.line, 3);
    EXPECT_EQ(after.ingested, 1);
    EXPECT_EQ(after.quarantined, 1);
    // The same bad record seen again (a re-read) is kept once.
    store.writeBatch(batch);
    EXPECT_EQ(store.stats().quarantined, 1);
    const auto entries = store.quarantine();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].sourcePath, "/logs/a.jsonl");
    EXPECT_EQ(entries[0].record.line, 3);
    EXPECT_EQ(entries[0].record.reason, "invalid JSON");
}

TEST(Store, FailedBatchLeavesNothingBehind)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    Batch batch;
    batch.interactions = {sample("a")};
    batch.quarantined = {{1, 0, "bad", "x"}};
    batch.position = {424242, 10, 1}; // no such source: the quarantine insert violates a foreign key
    EXPECT_THROW(store.writeBatch(batch), sql::Error);
    EXPECT_EQ(store.stats().interactions, 0);
    EXPECT_EQ(store.stats().messages, 0);
}

TEST(SearchIndex, FindsUserAssistantAndToolTextButNotSystemPrompts)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    Interaction in = sample("a");
    Message system;
    system.role = "system";
    system.content = "confidential instructions";
    in.messages.insert(in.messages.begin(), system);
    Batch batch;
    batch.interactions = {in, sample("b")};
    store.writeBatch(batch);
    SearchIndex index(store.path());
    EXPECT_EQ(index.pending(), 7);
    EXPECT_TRUE(index.searchInteractions("parcel", 10).empty()); // not indexed yet
    EXPECT_EQ(index.indexPending(3), 3);                         // in chunks of message ids
    EXPECT_EQ(index.indexPending(), 4);
    EXPECT_EQ(index.indexPending(), 0);
    EXPECT_EQ(index.pending(), 0);
    EXPECT_EQ(index.searchInteractions("parcel", 10).size(), 2u);
    EXPECT_TRUE(index.searchInteractions("confidential", 10).empty());
    EXPECT_EQ(index.searchInteractions("shipped", 10).size(), 2u);
    EXPECT_EQ(index.searchInteractions("\"where is my\"", 10).size(), 2u); // phrases
}

TEST(SearchIndex, AnIndexMadeForAnotherStoreIsRebuilt)
{
    test::TempDir dir;
    Batch batch;
    batch.interactions = {sample("a")};
    {
        Store other(dir.path("other.db"));
        other.writeBatch(batch);
        SearchIndex index(other.path());
        while (index.indexPending() > 0) {
        }
    }
    // The other store's index is copied next to a new store of the same name.
    std::filesystem::copy_file(SearchIndex::pathFor(dir.path("other.db")),
                               SearchIndex::pathFor(dir.path("s.db")));
    Store store(dir.path("s.db"));
    SearchIndex index(store.path());
    EXPECT_EQ(index.pending(), 0); // an empty store, and nothing of the other store's index left
    EXPECT_TRUE(index.searchInteractions("parcel", 10).empty());
    store.writeBatch(batch);
    EXPECT_EQ(index.pending(), 3);
}

TEST(SearchIndex, KeepsUpWithAnIngestOnItsOwnThread)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    BackgroundIndexer indexer(store.path());
    for (int i = 0; i < 20; ++i) {
        Batch batch;
        batch.interactions = {sample(std::to_string(i) + "k")};
        store.writeBatch(batch);
        indexer.notify();
    }
    EXPECT_EQ(indexer.finish(), "");
    SearchIndex index(store.path());
    EXPECT_EQ(index.pending(), 0);
    EXPECT_EQ(index.searchInteractions("parcel", 100).size(), 20u);
}

TEST(Store, AnInteractionsMessagesAndToolCallsAreOneIdRange)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    Batch batch;
    batch.interactions = {sample("a"), sample("a"), sample("b")};
    store.writeBatch(batch);
    batch.interactions = {sample("c")};
    store.writeBatch(batch);
    sql::Statement check(
        store.connection(),
        "SELECT i.key, (SELECT count(*) FROM messages m WHERE m.interaction_id = i.id AND "
        "m.id = i.first_message_id + m.seq), (SELECT count(*) FROM tool_calls t WHERE "
        "t.interaction_id = i.id AND t.id >= i.first_tool_call_id AND t.id < i.first_tool_call_id + "
        "i.tool_call_count) FROM interactions i ORDER BY i.id");
    int rows = 0;
    while (check.step()) {
        ++rows;
        EXPECT_EQ(check.int64(1), 3) << check.text(0);
        EXPECT_EQ(check.int64(2), 1) << check.text(0);
    }
    EXPECT_EQ(rows, 3);
}

TEST(Store, MappingProfilesRoundTrip)
{
    test::TempDir dir;
    Store store(dir.path("s.db"));
    store.saveProfile({"rl", "{\"messages\":\"traj\"}"});
    store.saveProfile({"rl", "{\"messages\":\"trajectory\"}"});
    ASSERT_TRUE(store.profile("rl"));
    EXPECT_EQ(store.profile("rl")->specJson, "{\"messages\":\"trajectory\"}");
    EXPECT_EQ(store.profiles().size(), 1u);
    EXPECT_TRUE(store.deleteProfile("rl"));
    EXPECT_FALSE(store.profile("rl"));
}

TEST(Store, ReadOnlyStoreReadsWhileTheWriterHoldsATransaction)
{
    test::TempDir dir;
    Store writer(dir.path("s.db"));
    Batch batch;
    batch.interactions = {sample("a")};
    writer.writeBatch(batch);
    sql::Transaction open(writer.connection());
    writer.connection().exec("INSERT INTO interactions(key) VALUES('uncommitted')");
    Store reader(dir.path("s.db"), Store::Mode::ReadOnly);
    EXPECT_EQ(reader.stats().interactions, 1);
}
