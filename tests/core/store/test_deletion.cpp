#include "../test_helpers.h"
#include "core/store/deletion.h"
#include "core/util/text.h"

#include <gtest/gtest.h>

using namespace winnow;

namespace {
std::string record(int i, const std::string& agent, const std::string& time)
{
    return R"({"id":"r-)" + std::to_string(i) + R"(","agent":")" + agent + R"(","start_time":")" + time +
           R"(","latency_ms":)" + std::to_string(100 + i) +
           R"(,"messages":[{"role":"user","content":"where is my parcel"},{"role":"assistant","content":"on its way"}]})" +
           "\n";
}

struct Fixture
{
    test::TestStore store;
    std::string a, b;
    Fixture()
    {
        std::string first, second;
        for (int i = 0; i < 30; ++i)
            first += record(i, i % 3 ? "support-bot" : "sales-bot",
                            "2026-11-0" + std::to_string(1 + i % 5) + "T10:00:00Z");
        for (int i = 100; i < 110; ++i)
            second += record(i, "support-bot", "2026-11-09T10:00:00Z");
        a = store.dir().write("a.jsonl", first);
        b = store.dir().write("b.jsonl", second);
        store.ingest({a, b});
    }
    DeleteSummary remove(const DeleteSelection& selection)
    {
        return deleteInteractions(store.reader(), *store.writer, selection).take();
    }
};
} // namespace

TEST(Deletion, ASourceGoesWithEverythingReadFromIt)
{
    Fixture f;
    DeleteSelection selection;
    selection.kind = DeleteSelection::Kind::Source;
    selection.sourcePath = f.a;
    const DeleteSummary summary = f.remove(selection);
    EXPECT_EQ(summary.deleted, 30);
    EXPECT_TRUE(summary.sourceForgotten);
    EXPECT_EQ(f.store.stats().interactions, 10);
    EXPECT_EQ(f.store.stats().messages, 20);
    ASSERT_EQ(f.store.sources().size(), 1u);
    EXPECT_EQ(f.store.sources()[0].path, f.b);
    EXPECT_EQ(f.store.queryInt("SELECT count(*) FROM latencies"), 10);
    // Read again later, it is a new source and nothing is a duplicate.
    EXPECT_EQ(f.store.ingest({f.a}).ingested, 30);

    selection.sourcePath = f.store.dir().path("never-read.jsonl");
    auto missing = deleteInteractions(f.store.reader(), *f.store.writer, selection);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("no source"), std::string::npos);
}

TEST(Deletion, ASliceOrWhatStartedBeforeATime)
{
    Fixture f;
    DeleteSelection slice;
    slice.filter.with(FilterField::Agent, "sales-bot");
    EXPECT_EQ(f.remove(slice).deleted, 10);
    EXPECT_EQ(f.store.queryInt("SELECT count(*) FROM interactions WHERE agent = 'sales-bot'"), 0);
    DeleteSelection before;
    before.kind = DeleteSelection::Kind::Before;
    ASSERT_TRUE(parseIsoTimestamp("2026-11-03", before.beforeMs));
    EXPECT_EQ(f.remove(before).deleted, 8); // support-bot on 11-01 and 11-02: 4 each
    EXPECT_EQ(f.store.stats().interactions, 22);
    // The sources stay: only their interactions went.
    EXPECT_EQ(f.store.sources().size(), 2u);
    DeleteSelection reversed;
    reversed.filter.fromMs = 2000;
    reversed.filter.toMs = 1000;
    EXPECT_FALSE(deleteInteractions(f.store.reader(), *f.store.writer, reversed));
}

TEST(Deletion, ResettingASourceMakesTheNextIngestReadItAgain)
{
    Fixture f;
    ASSERT_EQ(f.store.ingest({f.a}).bytes, 0); // nothing new
    EXPECT_EQ(resetSource(f.store.reader(), *f.store.writer, f.a).take(), 30);
    EXPECT_EQ(f.store.sources()[0].offset, 0);
    const auto again = f.store.ingest({f.a});
    EXPECT_EQ(again.ingested, 30);
    EXPECT_EQ(again.duplicates, 0);
    EXPECT_EQ(f.store.stats().interactions, 40);
}
