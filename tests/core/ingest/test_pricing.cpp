#include "../test_helpers.h"
#include "core/ingest/pricing.h"
#include "core/metrics/metrics.h"
#include "core/store/price_store.h"

#include <gtest/gtest.h>

using namespace winnow;

TEST(Pricing, FindsAModelItsVariantsAndNothingElse)
{
    const PriceTable table({{"gpt-4o", 2.5, 10, "2025-05-01", "default"},
                            {"gpt-4o-mini", 0.15, 0.6, "2025-05-01", "default"},
                            {"claude-3-5-sonnet", 3, 15, "2025-05-01", "default"},
                            {"gemini-1.5-pro", 1.25, 5, "2025-05-01", "default"}});
    auto priced = [&](const char* model) {
        const ModelPrice* price = table.find(model);
        return price ? price->model : std::string("(none)");
    };
    EXPECT_EQ(priced("gpt-4o"), "gpt-4o");
    EXPECT_EQ(priced("GPT-4o"), "gpt-4o");
    EXPECT_EQ(priced("gpt-4o-2024-08-06"), "gpt-4o");
    EXPECT_EQ(priced("gpt-4o-mini-2024-07-18"), "gpt-4o-mini"); // the longest name that fits
    EXPECT_EQ(priced("openai/gpt-4o-mini"), "gpt-4o-mini");
    EXPECT_EQ(priced("claude-3-5-sonnet-20241022"), "claude-3-5-sonnet");
    EXPECT_EQ(priced("us.anthropic.claude-3-5-sonnet-20241022-v2:0"), "claude-3-5-sonnet");
    EXPECT_EQ(priced("models/gemini-1.5-pro-002"), "gemini-1.5-pro");
    EXPECT_EQ(priced("gpt-4omega"), "(none)");
    EXPECT_EQ(priced("my-finetune"), "(none)");
    EXPECT_EQ(priced(""), "(none)");

    Interaction in;
    in.model = "gpt-4o-2024-08-06";
    in.inputTokens = 1'000'000;
    in.outputTokens = 500'000;
    table.estimate(in);
    ASSERT_TRUE(in.costUsd);
    EXPECT_DOUBLE_EQ(*in.costUsd, 2.5 + 5.0);
    EXPECT_TRUE(in.costEstimated);
    Interaction logged = in;
    logged.costUsd = 0.42;
    logged.costEstimated = false;
    table.estimate(logged); // a cost from the log stays
    EXPECT_DOUBLE_EQ(*logged.costUsd, 0.42);
    EXPECT_FALSE(logged.costEstimated);
    Interaction unknown;
    unknown.model = "my-finetune";
    unknown.inputTokens = 100;
    table.estimate(unknown); // unknown, not $0
    EXPECT_FALSE(unknown.costUsd);
    Interaction noTokens;
    noTokens.model = "gpt-4o";
    table.estimate(noTokens);
    EXPECT_FALSE(noTokens.costUsd);

    EXPECT_TRUE(checkedPrice("m", 1, 2, "2025-05-01", "user"));
    EXPECT_FALSE(checkedPrice("", 1, 2, "2025-05-01", "user"));
    EXPECT_FALSE(checkedPrice("m", -1, 2, "2025-05-01", "user"));
    EXPECT_FALSE(checkedPrice("m", 1, 2, "May 2025", "user"));
}

// Logs with tokens and no cost: priced at ingest from the store's table, marked estimated, and
// counted as such by the rollups and the scan alike; an unknown model's cost stays unknown.
TEST(Pricing, IngestEstimatesFromTheStoresTableAndTheFiguresSaySo)
{
    test::TestStore store;
    ASSERT_TRUE(store.writer->write(WritePriority::Interactive, [](WriteTransaction& tx) {
        PriceStore(tx.database()).set({"house-model", 1.0, 2.0, "2026-11-30", "user"});
    }));
    const std::string logs = store.dir().write(
        "l.jsonl",
        "{\"id\": \"a\", \"start_time\": \"2026-11-01T10:00:00Z\", \"model\": \"gpt-4o-mini-2024-07-18\", "
        "\"input_tokens\": 2000, \"output_tokens\": 1000, \"messages\": [{\"role\": \"user\", \"content\": "
        "\"hi\"}]}\n"
        "{\"id\": \"b\", \"start_time\": \"2026-11-01T10:01:00Z\", \"model\": \"house-model\", "
        "\"input_tokens\": 1000000, \"output_tokens\": 0, \"messages\": [{\"role\": \"user\", \"content\": "
        "\"hi\"}]}\n"
        "{\"id\": \"c\", \"start_time\": \"2026-11-01T10:02:00Z\", \"model\": \"mystery-7b\", "
        "\"input_tokens\": 10, \"output_tokens\": 10, \"messages\": [{\"role\": \"user\", \"content\": "
        "\"hi\"}]}\n"
        "{\"id\": \"d\", \"start_time\": \"2026-11-01T10:03:00Z\", \"model\": \"gpt-4o\", \"cost_usd\": 0.5, "
        "\"input_tokens\": 10, \"output_tokens\": 10, \"messages\": [{\"role\": \"user\", \"content\": "
        "\"hi\"}]}\n");
    store.ingest({logs});
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions WHERE cost_estimated = 1"), 2);
    EXPECT_EQ(store.queryInt("SELECT count(*) FROM interactions WHERE cost_usd IS NULL"), 1);
    EXPECT_EQ(store.queryInt("SELECT round(cost_usd * 1e6) FROM interactions WHERE key = 'a'"),
              900); // 0.0009
    MetricsQuery all;
    const MetricsReport fromRollups = computeMetrics(store.reader(), all);
    EXPECT_TRUE(fromRollups.fromRollups);
    EXPECT_EQ(fromRollups.summary.priced, 3);
    EXPECT_EQ(fromRollups.summary.costEstimated, 2);
    EXPECT_NEAR(fromRollups.summary.costUsd, 0.0009 + 1.0 + 0.5, 1e-9);
    const MetricsReport scanned = computeMetricsByScanning(store.reader(), all);
    EXPECT_EQ(scanned.summary.priced, 3);
    EXPECT_EQ(scanned.summary.costEstimated, 2);

    // An older store: upgraded with the default prices, and its totals count what has a cost.
    store.writer.reset();
    test::downgradeToSchema(store.path(), 4);
    store.writer = StoreWriter::open(store.path()).take();
    store.writer->drain();
    EXPECT_GT(store.queryInt("SELECT count(*) FROM model_prices WHERE source = 'default'"), 10);
    auto reopened = Database::openForReading(store.path()).take();
    const MetricsSummary upgraded = computeMetrics(*reopened, MetricsFilter{});
    EXPECT_EQ(upgraded.priced, 3);
    EXPECT_EQ(upgraded.costEstimated, 0); // the flag came with version 5: older estimates are not known
}
