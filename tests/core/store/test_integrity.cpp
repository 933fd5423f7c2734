#include "../test_helpers.h"
#include "core/store/integrity.h"
#include "core/store/search_index.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

using namespace winnow;

namespace {

Interaction asked(const std::string& key)
{
    Interaction in;
    in.key = key;
    in.startMs = 1000;
    Message user;
    user.role = "user";
    user.content = "where is my parcel";
    in.messages = {user};
    return in;
}

// A store with one interaction and its search index.
void fill(test::TestStore& store, const std::string& key)
{
    store.write({asked(key)});
    auto index = test::openIndex(store.path());
    while (index->indexPending() > 0) {
    }
}

// File times come from a coarse clock: a check remembers only files left alone for longer than
// its coarsest tick (two seconds).
void leaveAlone()
{
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
}

} // namespace

// A check that finds a store and its index whole is remembered until any of their files changes:
// a command need not read a large store again to know it is whole.
TEST(StoreCheck, AStoreFoundWholeIsKnownWholeUntilItsFilesChange)
{
    test::TestStore store;
    fill(store, "a");
    leaveAlone();
    EXPECT_FALSE(isKnownWhole(store.path())); // never checked
    const StoreCheck check = checkStore(store.path(), false);
    EXPECT_TRUE(check.whole());
    EXPECT_TRUE(check.indexChecked);
    EXPECT_FALSE(check.indexLocked);
    EXPECT_TRUE(isKnownWhole(store.path()));
    EXPECT_TRUE(isKnownWhole(store.path())); // reading does not change it

    store.write({asked("b")}); // the store's write-ahead log grows
    EXPECT_FALSE(isKnownWhole(store.path()));
    leaveAlone();
    checkStore(store.path(), false);
    EXPECT_TRUE(isKnownWhole(store.path()));

    auto index = test::openIndex(store.path()); // the index alone changes
    while (index->indexPending() > 0) {
    }
    EXPECT_FALSE(isKnownWhole(store.path()));
}

// A write in the same tick of the file clock as the stamp would leave the stamp as it was: a store
// written a moment ago is checked, and not remembered.
TEST(StoreCheck, AStoreWrittenAMomentAgoIsCheckedButNotRemembered)
{
    test::TestStore store;
    fill(store, "a");
    EXPECT_TRUE(checkStore(store.path(), false).whole());
    EXPECT_FALSE(isKnownWhole(store.path()));
}

// A damaged store is never known whole, and a check that finds it damaged says so.
TEST(StoreCheck, ADamagedStoreIsNeverKnownWhole)
{
    test::TestStore store;
    for (int i = 0; i < 40; ++i)
        store.write({asked(std::to_string(i))});
    store.writer.reset();
    leaveAlone();
    ASSERT_TRUE(checkStore(store.path(), false).whole());
    ASSERT_TRUE(isKnownWhole(store.path()));
    ASSERT_TRUE(test::overwriteMiddlePages(store.path()));
    EXPECT_FALSE(isKnownWhole(store.path()));
    leaveAlone();
    EXPECT_FALSE(checkStore(store.path(), false).storeProblems.empty());
    EXPECT_FALSE(isKnownWhole(store.path()));
}

// FTS5's check of the index writes (in a transaction rolled back), so it needs the index's write
// lock. While `winnow index` or an ingest's indexer holds it, the check waits for it: before, it
// read first and failed at once on the lock, and a busy index was reported as damaged.
TEST(StoreCheck, AnIndexBeingWrittenIsWaitedForNotCalledDamaged)
{
    test::TestStore store;
    fill(store, "a");
    sql::Connection indexer(SearchIndex::pathFor(store.path()));
    indexer.exec("BEGIN IMMEDIATE");
    std::thread release([&indexer] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        indexer.exec("COMMIT");
    });
    const StoreCheck check = checkStore(store.path(), false);
    release.join();
    EXPECT_TRUE(check.indexProblems.empty()) << check.indexProblems.front();
    EXPECT_TRUE(check.indexChecked);
    EXPECT_FALSE(check.indexLocked);
}
