#include "cli_test_helpers.h"

#include <QJsonArray>

#include <filesystem>
#include <fstream>

using namespace winnow;
using test::Cli;


// A batch from a terminal: counted, previewed, written with its manifest, listed, and its
// interactions then a slice of their own.
TEST_F(Cli, ExportWritesACheckedBatchWithItsManifestAndLineage)
{
    demoStore(300, 5);
    // Labels for the first 90 interactions: every third a corrected failure, the others passes.
    {
        std::ofstream out(path("labels.jsonl"));
        for (int id = 1; id <= 90; ++id) {
            const std::string key = queryText("SELECT key FROM interactions WHERE id = " + std::to_string(id));
            if (id % 3 == 0)
                out << R"({"interaction_id":")" << key
                    << R"(","reviewer":"ana","verdict":"fail","categories":["incomplete task"],"corrected":"Done: )"
                    << id << R"(. Write to help@example.com if anything is missing."})" << "\n";
            else
                out << R"({"interaction_id":")" << key << R"(","reviewer":"ana","verdict":"pass"})" << "\n";
        }
    }
    ASSERT_EQ(run({"--db", db(), "labels", "import", path("labels.jsonl")}).exitCode, 0);

    auto count = run({"--db", db(), "--json", "export", "--format", "openai-preference", "--count"});
    ASSERT_EQ(count.exitCode, 0) << count.err;
    EXPECT_EQ(count.json().value(QStringLiteral("interactions")).toInt(), 30); // the corrected failures
    EXPECT_EQ(count.json()[QStringLiteral("left_out")][QStringLiteral("pass_not_used")].toInt(), 60);
    EXPECT_EQ(count.json()[QStringLiteral("left_out")][QStringLiteral("no_label")].toInt(), 210);

    auto preview = run({"--db", db(), "export", "--format", "trl-sft", "--redact", "--preview", "2"});
    ASSERT_EQ(preview.exitCode, 0) << preview.err;
    EXPECT_EQ(std::count(preview.out.begin(), preview.out.end(), '\n'), 2);
    EXPECT_NE(preview.out.find("\"messages\""), std::string::npos);

    auto exported = run({"--db", db(), "--json", "--reviewer", "trainer", "export", "--format", "openai-chat",
                         "--redact", "--split", "0.8", "--weights", "--out", path("batch")});
    ASSERT_EQ(exported.exitCode, 0) << exported.err;
    const QJsonObject manifest = exported.json();
    EXPECT_EQ(manifest.value(QStringLiteral("batch")).toInt(), 1);
    EXPECT_EQ(manifest.value(QStringLiteral("interactions")).toInt(), 90);
    const QJsonArray files = manifest.value(QStringLiteral("files")).toArray();
    ASSERT_EQ(files.size(), 2);
    for (const QJsonValue file : files) {
        const std::string bytes = test::slurp(path("batch/" + file[QStringLiteral("name")].toString().toStdString()));
        EXPECT_FALSE(bytes.empty());
        EXPECT_EQ(bytes.find("help@example.com"), std::string::npos);
    }
    EXPECT_TRUE(std::filesystem::exists(path("batch/manifest.json")));
    EXPECT_EQ(manifest[QStringLiteral("redaction")][QStringLiteral("post_check")].toString(), QStringLiteral("passed"));

    auto batches = run({"--db", db(), "--json", "batches"});
    ASSERT_EQ(batches.exitCode, 0) << batches.err;
    const QJsonArray list = batches.json().value(QStringLiteral("batches")).toArray();
    ASSERT_EQ(list.size(), 1);
    EXPECT_EQ(list[0][QStringLiteral("author")].toString(), QStringLiteral("trainer"));
    EXPECT_EQ(list[0][QStringLiteral("records")].toInt(), 90);
    auto shown = run({"--db", db(), "--json", "batches", "show", "1"});
    EXPECT_EQ(shown.json().value(QStringLiteral("format")).toString(), QStringLiteral("openai-chat"));
    EXPECT_EQ(run({"--db", db(), "batches", "show", "7"}).exitCode, 1);

    auto exportedSlice = run({"--db", db(), "--json", "metrics", "--where", "exported=yes"});
    EXPECT_EQ(exportedSlice.json().value(QStringLiteral("interactions")).toInt(), 90) << exportedSlice.out;
    auto rest = run({"--db", db(), "--json", "export", "--format", "openai-chat", "--where", "exported=no", "--count"});
    EXPECT_EQ(rest.json().value(QStringLiteral("interactions")).toInt(), 0);

    // Mistakes: a format, a folder already holding a batch, a share out of range, a field value.
    EXPECT_EQ(run({"--db", db(), "export", "--format", "alpaca", "--out", path("x")}).exitCode, 2);
    auto again = run({"--db", db(), "export", "--format", "openai-chat", "--out", path("batch")});
    EXPECT_EQ(again.exitCode, 1);
    EXPECT_NE(again.err.find("not empty"), std::string::npos);
    EXPECT_EQ(run({"--db", db(), "export", "--format", "openai-chat", "--split", "1.5", "--out", path("y")}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "export", "--format", "openai-chat", "--where", "exported=maybe", "--count"}).exitCode,
              2);
    EXPECT_EQ(run({"--db", db(), "export", "--format", "openai-chat"}).exitCode, 2); // no --out
}
