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

TEST_F(Cli, SignalsEvaluateALabelledFile)
{
    const std::string corpus = std::string(WINNOW_TEST_DATA) + "/signal_corpus.jsonl";
    auto evaluated = run({"--db", db(), "signals", "--evaluate", corpus, "--json"});
    ASSERT_EQ(evaluated.exitCode, 0) << evaluated.err;
    const QJsonObject result = evaluated.json();
    EXPECT_EQ(result.value(QStringLiteral("records")).toInt(), 302);
    const QJsonObject offered =
        result.value(QStringLiteral("kinds")).toObject().value(QStringLiteral("handoff_offered")).toObject();
    EXPECT_GE(offered.value(QStringLiteral("recall")).toDouble(), 0.95);
    auto text = run({"--db", db(), "signals", "--evaluate", corpus});
    EXPECT_NE(text.out.find("precision"), std::string::npos);
    auto missing = run({"--db", db(), "signals", "--evaluate", "/nonexistent.jsonl"});
    EXPECT_EQ(missing.exitCode, 1);
    EXPECT_NE(missing.err.find("/nonexistent.jsonl"), std::string::npos);
}
