#include "../test_helpers.h"
#include "core/store/filter.h"
#include "core/store/schema.h"
#include "core/store/store_writer.h"

#include <gtest/gtest.h>

#include <set>

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

// The receiver reads its waiting spans at every start: through their index, not by reading every
// committed trace's sources; an older store gets the index on upgrade.
TEST(Schema, WaitingOtlpSourcesAreFoundWithoutReadingTheCommittedOnes)
{
    test::TempDir dir;
    const std::string path = dir.path("s.db");
    auto planOfWaiting = [&] {
        sql::Connection db(path);
        std::string plan;
        sql::Statement explain(db,
                               "EXPLAIN QUERY PLAN SELECT trace_id, received_ms, request FROM otlp_sources "
                               "WHERE committed = 0 ORDER BY seq");
        while (explain.step())
            plan += explain.text(3) + "\n";
        return plan;
    };
    {
        auto writer = StoreWriter::open(path).take();
    }
    EXPECT_NE(planOfWaiting().find("USING INDEX otlp_sources_waiting"), std::string::npos) << planOfWaiting();
    EXPECT_EQ(planOfWaiting().find("TEMP B-TREE"), std::string::npos) << planOfWaiting(); // in order already
    test::downgradeToSchema(path, 10);
    EXPECT_NE(planOfWaiting().find("SCAN otlp_sources"), std::string::npos) << planOfWaiting();
    {
        auto writer = StoreWriter::open(path).take();
    }
    EXPECT_NE(planOfWaiting().find("USING INDEX otlp_sources_waiting"), std::string::npos) << planOfWaiting();
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
