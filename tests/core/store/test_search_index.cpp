#include "../test_helpers.h"
#include "core/store/search_index.h"

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

using namespace winnow;

namespace {
Interaction said(const std::string& key, const std::string& text)
{
    Interaction in;
    in.key = key;
    in.startMs = 1000;
    Message user;
    user.role = "user";
    user.content = text;
    Message tool;
    tool.role = "tool";
    tool.content = "{\"status\":\"shipped\"}";
    in.messages = {user, tool};
    return in;
}

void indexAll(SearchIndex& index)
{
    while (index.indexPending() > 0) {
    }
}
} // namespace

TEST(SearchIndex, FindsUserAssistantAndToolTextButNotSystemPrompts)
{
    test::TestStore store;
    Interaction in = said("a", "where is my parcel");
    Message system;
    system.role = "system";
    system.content = "confidential instructions";
    in.messages.insert(in.messages.begin(), system);
    store.write({in, said("b", "where is my parcel")});
    auto index = test::openIndex(store.path());
    EXPECT_EQ(index->pending(), 5);
    EXPECT_TRUE(index->searchInteractions("parcel", 10).empty()); // not indexed yet
    EXPECT_EQ(index->indexPending(3), 3);                         // in chunks of message ids
    EXPECT_EQ(index->indexPending(), 2);
    EXPECT_EQ(index->indexPending(), 0);
    EXPECT_EQ(index->pending(), 0);
    EXPECT_EQ(index->searchInteractions("parcel", 10).size(), 2u);
    EXPECT_TRUE(index->searchInteractions("confidential", 10).empty());
    EXPECT_EQ(index->searchInteractions("shipped", 10).size(), 2u);
    EXPECT_EQ(index->searchInteractions("\"where is my\"", 10).size(), 2u); // phrases
}

TEST(SearchIndex, AnIndexMadeForAnotherStoreIsRebuilt)
{
    test::TempDir dir;
    {
        test::TestStore other(dir.path("other.db"));
        other.write({said("a", "where is my parcel")});
        indexAll(*test::openIndex(other.path()));
    }
    // The other store's index is copied next to a new store of the same name.
    std::filesystem::copy_file(SearchIndex::pathFor(dir.path("other.db")),
                               SearchIndex::pathFor(dir.path("s.db")));
    test::TestStore store(dir.path("s.db"));
    // Searching refuses it rather than answering with another store's messages.
    auto searching = SearchIndex::open(store.path(), SearchIndex::Mode::Search);
    ASSERT_FALSE(searching);
    EXPECT_NE(searching.error().message.find("another store"), std::string::npos);
    auto index = test::openIndex(store.path());
    EXPECT_EQ(index->pending(), 0); // an empty store, and nothing of the other store's index left
    EXPECT_TRUE(index->searchInteractions("parcel", 10).empty());
    store.write({said("a", "where is my parcel")});
    EXPECT_EQ(index->pending(), 2);
}

TEST(SearchIndex, KeepsUpWithAnIngestOnItsOwnThread)
{
    test::TestStore store;
    BackgroundIndexer indexer(store.path());
    for (int i = 0; i < 20; ++i) {
        store.write({said(std::to_string(i) + "k", "where is my parcel")});
        indexer.notify();
    }
    EXPECT_EQ(indexer.finish(), "");
    auto index = test::openIndex(store.path(), SearchIndex::Mode::Search);
    EXPECT_EQ(index->pending(), 0);
    EXPECT_EQ(index->searchInteractions("parcel", 100).size(), 20u);
}

// Deleting interactions takes their rows out of the search index too (a contentless FTS5 table
// forgets a row only given its text: the store keeps it for the index until it is applied).
TEST(SearchIndex, DeletedMessagesLeaveTheIndex)
{
    test::TestStore store;
    store.write({said("a", "alpha parcel"), said("b", "beta parcel"), said("c", "gamma parcel")});
    auto index = test::openIndex(store.path());
    indexAll(*index);
    ASSERT_EQ(index->searchInteractions("parcel", 10).size(), 3u);
    // One deleted after it was indexed, one written and deleted before the index saw it.
    store.write({said("d", "delta parcel")});
    ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
        tx.interactions().remove({2, 4});
    }));
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM search_deletions"), 4);
    indexAll(*index);
    EXPECT_EQ(index->searchInteractions("parcel", 10).size(), 2u);
    EXPECT_TRUE(index->searchInteractions("beta", 10).empty());
    EXPECT_TRUE(index->searchInteractions("delta", 10).empty());
    // The index's rows say so too: "beta" and "delta" are gone from its vocabulary, not hidden.
    sql::Connection raw(SearchIndex::pathFor(store.path()), sql::Connection::Mode::ReadOnly);
    EXPECT_EQ(raw.queryInt("SELECT count(*) FROM message_fts WHERE message_fts MATCH 'beta OR delta'"), 0);
    EXPECT_EQ(raw.queryInt("SELECT count(*) FROM message_fts WHERE message_fts MATCH 'parcel'"), 2);
    // The next delete forgets the deletions the index has applied.
    store.write({said("e", "epsilon parcel")});
    const std::int64_t e = store.queryInt("SELECT id FROM interactions WHERE key = 'e'");
    ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [e](WriteTransaction& tx) {
        EXPECT_EQ(tx.interactions().remove({e}), 1);
    }));
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM search_deletions"), 2); // only the new one's two messages
    indexAll(*index);
    EXPECT_EQ(index->searchInteractions("parcel", 10).size(), 2u);
}

// A check of the index holds its write lock for about 1.5 s per million interactions: on a large
// store, past SQLite's timed wait (10 s). An ingest's indexer waits for it as long as it takes,
// instead of failing with "database is locked" (which an ingest would report).
TEST(SearchIndex, AnIndexerWaitsForTheIndexAsLongAsAnotherProcessHoldsIt)
{
    test::TestStore store;
    indexAll(*test::openIndex(store.path()));
    sql::Connection check(SearchIndex::pathFor(store.path()));
    check.exec("BEGIN IMMEDIATE");
    std::thread release([&check] {
        std::this_thread::sleep_for(std::chrono::milliseconds(10500));
        check.exec("COMMIT");
    });
    {
        BackgroundIndexer indexer(store.path());
        store.write({said("a", "where is my parcel")});
        indexer.notify();
        EXPECT_EQ(indexer.finish(), "");
    }
    release.join();
    auto index = test::openIndex(store.path(), SearchIndex::Mode::Search);
    EXPECT_EQ(index->pending(), 0);
    EXPECT_EQ(index->searchInteractions("parcel", 10).size(), 1u);
}

// An indexer told to stop (an ingest cancelled) does not wait for an index another process holds.
TEST(SearchIndex, AStoppedIndexerDoesNotWaitForTheIndex)
{
    test::TestStore store;
    indexAll(*test::openIndex(store.path()));
    sql::Connection check(SearchIndex::pathFor(store.path()));
    check.exec("BEGIN IMMEDIATE");
    {
        BackgroundIndexer indexer(store.path());
        store.write({said("a", "where is my parcel")});
        indexer.notify();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } // returns, though the index is still held
    check.exec("COMMIT");
    EXPECT_EQ(test::openIndex(store.path(), SearchIndex::Mode::Search)->pending(), 2); // neither message indexed
}
