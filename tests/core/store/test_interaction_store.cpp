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

namespace {
// A long system prompt, as every interaction of an agent repeats it.
const std::string prompt =
    "You are Acme's customer support assistant. Be concise and friendly. Use the tools to look up "
    "orders and process refunds. Transfer to a human when the customer asks.";
const std::string longAnswer =
    "Your refund for order A231405 is approved: 79.99 will be back on your card within five "
    "working days, and you will get an email with the details.";

Interaction withPrompt(const std::string& key, const std::string& answer)
{
    Interaction in = sample(key);
    Message system;
    system.role = "system";
    system.content = prompt;
    in.messages.insert(in.messages.begin(), system);
    for (ToolCall& call : in.toolCalls) {
        ++call.messageIndex;
        ++call.resultMessageIndex;
    }
    Message reply;
    reply.role = "assistant";
    reply.content = answer;
    in.messages.push_back(reply);
    return in;
}
} // namespace

// Each distinct long text is written once; every reader sees each message's own content.
TEST(InteractionStore, LongTextsAreStoredOnceAndReadBackWhole)
{
    test::TestStore store;
    store.write({withPrompt("a", longAnswer), withPrompt("b", longAnswer), withPrompt("c", "Done.")});
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM texts"), 2); // the prompt and the long answer
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM messages WHERE text_id IS NOT NULL"), 5);
    EXPECT_EQ(
        store.queryInt("SELECT count(*) FROM messages WHERE text_id IS NOT NULL AND content IS NOT NULL"), 0);
    EXPECT_EQ(store.queryInt("SELECT sum(length(content)) FROM messages WHERE text_id IS NULL"),
              3 * std::int64_t(std::string("where is my parcel{\"status\":\"shipped\"}").size()) + 5);
    for (std::int64_t id = 1; id <= 3; ++id) {
        const auto detail = InteractionStore(store.reader()).detail(id);
        ASSERT_TRUE(detail);
        const Interaction expected = withPrompt(detail->interaction.key, id == 3 ? "Done." : longAnswer);
        ASSERT_EQ(detail->interaction.messages.size(), expected.messages.size());
        for (size_t m = 0; m < expected.messages.size(); ++m) {
            EXPECT_EQ(detail->interaction.messages[m].content, expected.messages[m].content);
            EXPECT_EQ(detail->interaction.messages[m].contentIsNull, expected.messages[m].contentIsNull);
        }
    }
    // Another write (another operation, the writer's memory of the texts in use) adds none again.
    store.write({withPrompt("d", longAnswer)});
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM texts"), 2);
    // The search index reads the texts.
    auto index = test::openIndex(store.path());
    while (index->indexPending() > 0) {
    }
    EXPECT_EQ(index->searchInteractions("\"working days\"", 10).size(), 3u);
}

// A write that fails after adding texts takes them back; texts the writer remembers from it must
// not be pointed at afterwards.
TEST(InteractionStore, TextsOfAFailedOperationAreNotPointedAtLater)
{
    test::TestStore store;
    const Status failed = store.writer->write(WritePriority::Bulk, [](WriteTransaction& tx) {
        Batch batch;
        batch.interactions = {withPrompt("a", longAnswer)};
        writeBatch(tx, batch);
        throw Failure("after the texts were written");
    });
    ASSERT_FALSE(failed);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM texts"), 0);
    store.write(
        {withPrompt("b", "Something else entirely, and long enough to be stored once: more than a hundred "
                         "and twenty-eight bytes of text in one message.")});
    store.write({withPrompt("c", longAnswer)});
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM messages m LEFT JOIN texts t ON t.id = m.text_id "
                             "WHERE m.text_id IS NOT NULL AND t.id IS NULL"),
              0);
    EXPECT_EQ(test::conversation(store.path()).find(longAnswer) != std::string::npos, true);
    const auto detail = InteractionStore(store.reader()).detail(2);
    ASSERT_TRUE(detail);
    EXPECT_EQ(detail->interaction.messages.front().content, prompt);
    EXPECT_EQ(detail->interaction.messages.back().content, longAnswer);
}
