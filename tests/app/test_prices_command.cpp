#include "cli_test_helpers.h"

#include <QJsonArray>

#include <fstream>

using namespace winnow;
using test::Cli;

TEST_F(Cli, PricesListSetDeleteAndEstimateAtIngest)
{
    ASSERT_EQ(run({"--db", db(), "prices", "set", "house-llm", "--input", "4", "--output", "8", "--as-of",
                   "2026-11-30"})
                  .exitCode,
              0);
    auto listed = run({"--db", db(), "prices", "--json"});
    ASSERT_EQ(listed.exitCode, 0) << listed.err;
    const QJsonArray defaults = listed.json().value(QStringLiteral("prices")).toArray();
    EXPECT_GT(defaults.size(), 10);
    for (const QJsonValue price : defaults)
        EXPECT_FALSE(price.toObject().value(QStringLiteral("as_of")).toString().isEmpty());

    EXPECT_EQ(run({"--db", db(), "prices", "set", "x", "--input", "abc", "--output", "1"}).exitCode, 2);
    const std::string logs = path("l.jsonl");
    std::ofstream(logs)
        << "{\"id\": \"a\", \"model\": \"house-llm-v2\", \"input_tokens\": 500000, "
           "\"output_tokens\": 250000, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n"
           "{\"id\": \"b\", \"model\": \"unknown-llm\", \"input_tokens\": 5, \"output_tokens\": 5, "
           "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n";
    ASSERT_EQ(run({"--db", db(), "ingest", logs}).exitCode, 0);
    const QJsonObject metrics = run({"--db", db(), "metrics", "--json"}).json();
    EXPECT_DOUBLE_EQ(
        metrics.value(QStringLiteral("cost_usd")).toObject().value(QStringLiteral("total")).toDouble(), 4.0);
    EXPECT_EQ(metrics.value(QStringLiteral("cost_usd")).toObject().value(QStringLiteral("priced")).toInt(),
              1);
    EXPECT_EQ(metrics.value(QStringLiteral("cost_usd")).toObject().value(QStringLiteral("estimated")).toInt(),
              1);
    EXPECT_EQ(query("SELECT count(*) FROM interactions WHERE cost_usd IS NULL"), 1);

    EXPECT_EQ(run({"--db", db(), "prices", "delete", "house-llm"}).exitCode, 0);
    auto again = run({"--db", db(), "prices", "delete", "house-llm"});
    EXPECT_EQ(again.exitCode, 1);
    EXPECT_NE(again.err.find("no price for 'house-llm'"), std::string::npos);
}
