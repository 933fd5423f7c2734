#include "../test_helpers.h"
#include "core/store/filter.h"
#include "core/store/otlp_source_store.h"
#include "core/store/schema.h"
#include "core/store/store_writer.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

using namespace winnow;

TEST(Schema, TheRegistryRunsVersionByVersionEachEntryNamingItsDomain)
{
    const auto& registry = migrations();
    ASSERT_FALSE(registry.empty());
    int previous = 1;
    std::set<std::string> domains;
    for (const Migration& migration : registry) {
        EXPECT_GE(migration.version, previous);     // in order
        EXPECT_LE(migration.version, previous + 1); // no gap
        previous = migration.version;
        EXPECT_NE(std::string(migration.domain), "");
        EXPECT_NE(std::string(migration.sql), "");
        domains.insert(migration.domain);
    }
    EXPECT_EQ(latestSchemaVersion(), previous);
    for (const char* domain :
         {"interactions", "sources", "signals", "rollups", "profiles", "settings", "search"})
        EXPECT_TRUE(domains.count(domain)) << domain;
}

TEST(Schema, AMigrationThatFailsLeavesTheStoreAtItsVersion)
{
    test::TempDir dir;
    const std::string path = dir.path("s.db");
    {
        sql::Connection db(path);
        db.exec("PRAGMA user_version = 0");
        // A table in the way of version 1's: that version fails as a whole.
        db.exec("CREATE TABLE sources(x)");
        EXPECT_THROW(migrate(db), sql::Error);
        EXPECT_EQ(db.queryInt("PRAGMA user_version"), 0);
        EXPECT_EQ(db.queryInt("SELECT count(*) FROM sqlite_master WHERE name = 'interactions'"), 0);
    }
}

// The OTLP sources that wait (for their trace's root, or to be assembled) are listed apart, so that
// committing a trace does not rewrite its sources and the receiver's start reads only those that
// wait; a store from before keeps which of its sources wait.
TEST(Schema, WaitingOtlpSourcesAreListedApartAndKeptThroughTheUpgrade)
{
    test::TempDir dir;
    const std::string path = dir.path("s.db");
    auto source = [](const std::string& trace, int n) {
        return "{\"resourceSpans\":[{\"trace\":\"" + trace + "\",\"n\":" + std::to_string(n) + "}]}";
    };
    auto inStore = [&](const std::function<void(OtlpSourceStore&)>& work) {
        auto writer = StoreWriter::open(path).take();
        ASSERT_TRUE(writer->write<bool>(WritePriority::Interactive, [&](WriteTransaction& tx) {
            OtlpSourceStore otlp(tx.database());
            work(otlp);
            return true;
        }));
    };
    auto waitingTraces = [&] {
        std::vector<std::string> traces;
        inStore([&](OtlpSourceStore& otlp) {
            for (const OtlpSource& waiting : otlp.waiting())
                traces.push_back(waiting.traceId);
        });
        return traces;
    };
    inStore([&](OtlpSourceStore& otlp) {
        EXPECT_FALSE(otlp.hasCommitted());
        otlp.addWaiting({{"a", 1, source("a", 1)}, {"b", 2, source("b", 1)}, {"a", 3, source("a", 2)}});
        otlp.commitTraces({{"c", {source("c", 1)}}}, 4);
        otlp.markCommitted({"a"});
        // A retry of a's first span, stored before the answer: a repeat, gone when marked, and its
        // place in the list with it (SQLite gives its seq to the next source).
        otlp.addWaiting({{"b", 5, source("b", 2)}, {"a", 6, source("a", 1)}});
        otlp.markCommitted({"a"});
        otlp.addWaiting({{"d", 7, source("d", 1)}});
        otlp.removeTraces({"d"});
        EXPECT_TRUE(otlp.hasCommitted());
        EXPECT_EQ(otlp.committedSources("a"), (std::vector<std::string>{source("a", 1), source("a", 2)}));
        EXPECT_EQ(otlp.committedSources("b"), std::vector<std::string>{});
        EXPECT_EQ(otlp.committedSources("c"), std::vector<std::string>{source("c", 1)});
    });
    EXPECT_EQ(waitingTraces(), (std::vector<std::string>{"b", "b"}));
    EXPECT_EQ(test::queryInt(path, "SELECT count(*) FROM otlp_sources"), 5);
    EXPECT_EQ(test::queryInt(path, "SELECT count(*) FROM otlp_waiting"), 2);
    // From a store of version 11, whose sources said themselves whether they waited.
    test::downgradeToSchema(path, 11);
    EXPECT_EQ(test::queryInt(path, "SELECT count(*) FROM otlp_sources WHERE committed = 0"), 2);
    EXPECT_EQ(waitingTraces(), (std::vector<std::string>{"b", "b"}));
    inStore([&](OtlpSourceStore& otlp) {
        EXPECT_EQ(otlp.committedSources("a"), (std::vector<std::string>{source("a", 1), source("a", 2)}));
        otlp.removeTraces({"b"});
    });
    EXPECT_EQ(waitingTraces(), std::vector<std::string>{});
    EXPECT_EQ(test::queryInt(path, "SELECT count(*) FROM otlp_waiting"), 0);
}

TEST(Filter, ConditionsAreReadByCoresOwnParser)
{
    auto condition = parseCondition("agent=support-bot");
    ASSERT_TRUE(condition);
    EXPECT_EQ(condition->field, FilterField::Agent);
    EXPECT_EQ(condition->value, "support-bot");
    EXPECT_EQ(parseCondition("agent=")->value, ""); // the field's absence
    EXPECT_EQ(parseCondition("signal=escalation")->field, FilterField::Signal);
    EXPECT_NE(parseCondition("colour=red").error().message.find("unknown field 'colour'"), std::string::npos);
    EXPECT_NE(parseCondition("agent").error().message.find("FIELD=VALUE"), std::string::npos);
    EXPECT_NE(parseCondition("signal=grumpy").error().message.find("unknown signal kind"), std::string::npos);
    EXPECT_NE(parseCondition("thumb=sideways").error().message.find("down, up or none"), std::string::npos);
    EXPECT_TRUE(checkTimeRange(1, 2));
    EXPECT_FALSE(checkTimeRange(2, 2));
    EXPECT_FALSE(checkTimeRange(3, 2));
    for (int f = 0; f < filterFieldCount; ++f) {
        const auto field = static_cast<FilterField>(f);
        EXPECT_EQ(parseFilterField(filterFieldName(field)), field);
        if (const auto dimension = dimensionOf(field)) {
            EXPECT_EQ(fieldOf(*dimension), field);
        }
    }
}
