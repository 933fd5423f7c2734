#include "../test_helpers.h"
#include "core/store/interaction_store.h"
#include "core/store/profile_store.h"
#include "core/store/settings_store.h"

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
    in.signals = {{SignalKind::Escalation, 1, 1.0, "handoff"}};
    return in;
}
} // namespace

TEST(InteractionStore, WritesInteractionsWithMessagesToolCallsScoresAndMetadata)
{
    test::TestStore store;
    const BatchResult result = store.write({sample("a"), sample("b")});
    EXPECT_EQ(result.inserted, 2);
    const StoreStats stats = store.stats();
    EXPECT_EQ(stats.interactions, 2);
    EXPECT_EQ(stats.messages, 6);
    EXPECT_EQ(stats.toolCalls, 2);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM scores"), 2);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interaction_metadata"), 2);
    // A null content stays null, not an empty string.
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM messages WHERE content IS NULL"), 2);
    const auto detail = InteractionStore(store.reader()).detail(1);
    ASSERT_TRUE(detail);
    EXPECT_EQ(detail->interaction.key, "a");
    EXPECT_EQ(detail->interaction.messages.size(), 3u);
    EXPECT_EQ(detail->interaction.toolCalls[0].name, "lookup_order");
    EXPECT_EQ(detail->interaction.signals.size(), 1u);
    EXPECT_EQ(detail->interaction.scores[0].value, 0.5);
}

TEST(InteractionStore, SameKeyIsADuplicateAndAddsNothing)
{
    test::TestStore store;
    BatchResult result = store.write({sample("a"), sample("a")});
    EXPECT_EQ(result.inserted, 1);
    EXPECT_EQ(result.duplicates, 1);
    result = store.write({sample("a"), sample("a")});
    EXPECT_EQ(result.inserted, 0);
    EXPECT_EQ(result.duplicates, 2);
    EXPECT_EQ(store.stats().messages, 3);
    // Duplicates add nothing to the rollups either, whoever made the batch's totals.
    EXPECT_EQ(store.queryInt("SELECT sum(value) FROM rollups r JOIN rollup_metrics m ON m.id = r.metric_id "
                             "WHERE m.name = 'interactions' AND granularity = 1 AND level = 0"),
              1);
}

TEST(InteractionStore, ABatchAdvancesItsSourceInTheSameTransaction)
{
    test::TestStore store;
    const SourceState source =
        store.writer
            ->write<SourceState>(WritePriority::Bulk,
                                 [](WriteTransaction& tx) {
                                     return SourceStore(tx.database()).sourceFor("/logs/a.jsonl", "jsonl");
                                 })
            .take();
    Batch batch;
    batch.interactions = {sample("a")};
    batch.quarantined = {{3, 120, "invalid JSON", "{oops"}};
    batch.position = {source.id, 200, 3};
    store.write(batch);
    const SourceState after = store.sources().at(0);
    EXPECT_EQ(after.offset, 200);
    EXPECT_EQ(after.line, 3);
    EXPECT_EQ(after.ingested, 1);
    EXPECT_EQ(after.quarantined, 1);
    // The same bad record seen again (a re-read) is kept once.
    store.write(batch);
    EXPECT_EQ(store.stats().quarantined, 1);
    const auto entries = store.quarantine();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].sourcePath, "/logs/a.jsonl");
    EXPECT_EQ(entries[0].record.line, 3);
    EXPECT_EQ(entries[0].record.reason, "invalid JSON");
}

TEST(InteractionStore, AFailedOperationLeavesNothingBehind)
{
    test::TestStore store;
    const Status failed = store.writer->write(WritePriority::Bulk, [](WriteTransaction& tx) {
        Batch batch;
        batch.interactions = {sample("a")};
        writeBatch(tx, batch);
        throw Failure("something went wrong after the rows were written");
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message, "something went wrong after the rows were written");
    EXPECT_EQ(store.stats().interactions, 0);
    EXPECT_EQ(store.stats().messages, 0);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM rollups"), 0);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM latencies"), 0);
    // The writer goes on; what it writes next has none of the failed operation's totals.
    Interaction later = sample("b");
    later.latencyMs = 100;
    store.write({later});
    EXPECT_EQ(store.queryInt("SELECT sum(value) FROM rollups r JOIN rollup_metrics m ON m.id = r.metric_id "
                             "WHERE m.name = 'interactions' AND granularity = 1 AND level = 0"),
              1);
}

TEST(InteractionStore, AnInteractionsMessagesAndToolCallsAreOneIdRange)
{
    test::TestStore store;
    store.write({sample("a"), sample("a"), sample("b")});
    store.write({sample("c")});
    sql::Connection db(store.path(), sql::Connection::Mode::ReadOnly);
    sql::Statement check(
        db, "SELECT i.key, (SELECT count(*) FROM messages m WHERE m.interaction_id = i.id AND "
            "m.id = i.first_message_id + m.seq), (SELECT count(*) FROM tool_calls t WHERE "
            "t.interaction_id = i.id AND t.id >= i.first_tool_call_id AND t.id < i.first_tool_call_id "
            "+ i.tool_call_count) FROM interactions i ORDER BY i.id");
    int rows = 0;
    while (check.step()) {
        ++rows;
        EXPECT_EQ(check.int64(1), 3) << check.text(0);
        EXPECT_EQ(check.int64(2), 1) << check.text(0);
    }
    EXPECT_EQ(rows, 3);
}

// A delete takes everything derived with the interaction, and ids are never used twice.
TEST(InteractionStore, RemovingTakesEverythingDerivedAndIdsAreNotReused)
{
    test::TestStore store;
    Interaction a = sample("a"), b = sample("b");
    a.latencyMs = 50;
    b.latencyMs = 70;
    store.write({a, b});
    const std::int64_t highestMessage = store.queryInt("SELECT max(id) FROM messages");
    const Status removed = store.writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
        EXPECT_EQ(tx.interactions().remove({2}), 1);
    });
    ASSERT_TRUE(removed);
    EXPECT_EQ(store.stats().interactions, 1);
    EXPECT_EQ(store.stats().messages, 3);
    EXPECT_EQ(store.stats().toolCalls, 1);
    for (const char* table : {"signals", "scores", "interaction_metadata", "latencies"})
        EXPECT_EQ(store.queryInt(std::string("SELECT count(*) FROM ") + table), 1) << table;
    EXPECT_EQ(store.queryInt("SELECT sum(value) FROM rollups r JOIN rollup_metrics m ON m.id = r.metric_id "
                             "WHERE m.name = 'interactions' AND granularity = 0 AND level = 0"),
              1);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM rollups WHERE value = 0"), 0); // emptied rows pruned
    // The texts of the deleted messages wait for the search index, which never saw them here.
    EXPECT_EQ(store.queryInt("PRAGMA foreign_key_check"), 0);
    const std::int64_t highestInteraction = store.queryInt("SELECT max(id) FROM interactions") + 1;
    store.write({sample("c")});
    EXPECT_GT(
        store.queryInt("SELECT min(m.id) FROM messages m JOIN interactions i ON i.id = m.interaction_id "
                       "WHERE i.key = 'c'"),
        highestMessage);
    EXPECT_GT(store.queryInt("SELECT id FROM interactions WHERE key = 'c'"), highestInteraction);
}

TEST(ProfileStore, MappingProfilesRoundTrip)
{
    test::TestStore store;
    auto save = [&](const MappingProfile& profile) {
        ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [&](WriteTransaction& tx) {
            ProfileStore(tx.database()).save(profile);
        }));
    };
    save({"rl", "{\"messages\":\"traj\"}"});
    save({"rl", "{\"messages\":\"trajectory\"}"});
    ProfileStore profiles(store.reader());
    ASSERT_TRUE(profiles.profile("rl"));
    EXPECT_EQ(profiles.profile("rl")->specJson, "{\"messages\":\"trajectory\"}");
    EXPECT_EQ(profiles.profiles().size(), 1u);
    const auto removed = store.writer->write<bool>(WritePriority::Interactive, [](WriteTransaction& tx) {
        return ProfileStore(tx.database()).remove("rl");
    });
    EXPECT_TRUE(*removed);
    EXPECT_FALSE(profiles.profile("rl"));
}

TEST(SettingsStore, TypedSettingsKeepTheirDefaultsUntilSet)
{
    test::TestStore store;
    SettingsStore settings(store.reader());
    EXPECT_EQ(settings.get(storeSettings::retentionDays), 0);
    EXPECT_EQ(settings.get(storeSettings::detectors), "");
    ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
        SettingsStore(tx.database()).set(storeSettings::retentionDays, 30);
    }));
    EXPECT_EQ(settings.get(storeSettings::retentionDays), 30);
}
