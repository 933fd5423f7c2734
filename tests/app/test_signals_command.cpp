#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, SignalsCountsListsAndRebuilds)
{
    demoStore(2000, 8);
    auto counts = run({"--db", db(), "signals", "--json"});
    ASSERT_EQ(counts.exitCode, 0) << counts.err;
    const QJsonObject signalsObject = counts.json().value(QStringLiteral("signals")).toObject();
    for (const char* kind :
         {"escalation", "correction", "repeat", "partial", "negative_feedback", "tool_error"}) {
        const QJsonObject entry = signalsObject.value(QString::fromLatin1(kind)).toObject();
        EXPECT_GT(entry.value(QStringLiteral("interactions")).toInt(), 0) << kind;
        EXPECT_GT(entry.value(QStringLiteral("rate")).toDouble(), 0.0) << kind;
    }
    auto list = run({"--db", db(), "signals", "--kind", "escalation", "--list", "--limit", "5", "--json"});
    ASSERT_EQ(list.exitCode, 0) << list.err;
    EXPECT_EQ(list.json().value(QStringLiteral("items")).toArray().size(), 5);
    auto rebuild = run({"--db", db(), "signals", "--rebuild", "--json"});
    ASSERT_EQ(rebuild.exitCode, 0) << rebuild.err;
    EXPECT_EQ(rebuild.json().value(QStringLiteral("rebuilt")).toInt(), 2000);
    EXPECT_EQ(rebuild.json().value(QStringLiteral("signals")).toObject(), signalsObject);
    EXPECT_EQ(run({"--db", db(), "signals", "--list"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "signals", "--kind", "vibes"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "signals", "--list", "--kind", "repeat", "--limit", "-3"}).exitCode, 2);
}
