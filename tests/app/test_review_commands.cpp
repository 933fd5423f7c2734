#include "cli_test_helpers.h"

#include <QJsonArray>

#include <fstream>

using namespace winnow;
using test::Cli;

// A sample queue, two reviewers' label files (one JSONL, one CSV), the queue's progress and failure
// rate, agreement, and the labels exported back: the review loop from a terminal.
TEST_F(Cli, QueuesLabelsAndAgreementFromTheCommandLine)
{
    demoStore(400, 4);
    auto created = run({"--db", db(), "--reviewer", "lead", "queue", "create", "weekly", "--sample", "20",
                        "--seed", "3", "--overlap", "2", "--json"});
    ASSERT_EQ(created.exitCode, 0) << created.err;
    EXPECT_EQ(created.json().value(QStringLiteral("items")).toInt(), 20);
    EXPECT_EQ(run({"--db", db(), "queue", "create", "weekly"}).exitCode, 1); // the name is taken
    EXPECT_EQ(run({"--db", db(), "queue", "create", "bad", "--where", "nope=1"}).exitCode, 2);

    // The keys of the queue's items, in its order.
    std::vector<std::string> keys;
    for (int position = 0; position < 20; ++position)
        keys.push_back(
            queryText("SELECT key FROM interactions i JOIN review_queue_items q ON q.interaction_id = "
                      "i.id WHERE q.position = " +
                      std::to_string(position)));
    std::ofstream ana(path("ana.jsonl")), ben(path("ben.csv"));
    ben << "interaction_id,reviewer,verdict,categories,severity\n";
    for (int i = 0; i < 20; ++i) {
        const bool fails = i % 4 == 0;
        ana << R"({"interaction_id":")" << keys[size_t(i)] << R"(","reviewer":"ana","verdict":")"
            << (fails ? "fail" : "pass") << R"(","categories":[)" << (fails ? R"("tone")" : "") << "]}\n";
        const bool benFails = fails || i == 1;
        ben << keys[size_t(i)] << ",ben," << (benFails ? "fail" : "pass") << "," << (benFails ? "Tone" : "")
            << ",2\n";
    }
    ana.close();
    ben.close();
    for (const char* file : {"ana.jsonl", "ben.csv"}) {
        auto imported = run({"--db", db(), "--json", "labels", "import", path(file)});
        ASSERT_EQ(imported.exitCode, 0) << imported.err;
        EXPECT_EQ(imported.json().value(QStringLiteral("added")).toInt(), 20);
    }
    EXPECT_EQ(run({"--db", db(), "--json", "labels", "import", path("ana.jsonl")})
                  .json()
                  .value(QStringLiteral("unchanged"))
                  .toInt(),
              20);

    auto listed = run({"--db", db(), "--json", "queue", "list"});
    ASSERT_EQ(listed.exitCode, 0) << listed.err;
    const QJsonObject queue = listed.json().value(QStringLiteral("queues")).toArray().at(0).toObject();
    EXPECT_EQ(queue.value(QStringLiteral("name")).toString(), QStringLiteral("weekly"));
    EXPECT_EQ(queue.value(QStringLiteral("owner")).toString(), QStringLiteral("lead"));
    EXPECT_EQ(queue.value(QStringLiteral("labeled")).toInt(), 20);
    EXPECT_EQ(queue.value(QStringLiteral("pending")).toObject().value(QStringLiteral("ana")).toInt(), 0);
    EXPECT_EQ(queue.value(QStringLiteral("awaiting_adjudication")).toInt(), 1); // item 1
    const QJsonObject rate = queue.value(QStringLiteral("failure_rate")).toObject();
    EXPECT_EQ(rate.value(QStringLiteral("reviewed")).toInt(), 19);
    EXPECT_EQ(rate.value(QStringLiteral("fail")).toInt(), 5);
    EXPECT_LT(rate.value(QStringLiteral("low")).toDouble(), 5.0 / 19);
    EXPECT_GT(rate.value(QStringLiteral("high")).toDouble(), 5.0 / 19);

    auto agreement = run({"--db", db(), "--json", "agreement", "--queue", "weekly"});
    ASSERT_EQ(agreement.exitCode, 0) << agreement.err;
    const QJsonObject verdict = agreement.json().value(QStringLiteral("verdict")).toObject();
    EXPECT_EQ(verdict.value(QStringLiteral("items")).toInt(), 20);
    EXPECT_NEAR(verdict.value(QStringLiteral("percent")).toDouble(), 0.95, 1e-9);
    EXPECT_TRUE(verdict.contains(QStringLiteral("cohen_kappa")));
    EXPECT_TRUE(verdict.contains(QStringLiteral("krippendorff_alpha")));
    EXPECT_TRUE(
        agreement.json().value(QStringLiteral("categories")).toObject().contains(QStringLiteral("tone")));

    // The one disagreement (item 1) waits for adjudication; the adjudicator takes ben's label.
    auto waiting = run({"--db", db(), "--json", "adjudicate", "list", "--queue", "weekly"});
    ASSERT_EQ(waiting.exitCode, 0) << waiting.err;
    const QJsonArray items = waiting.json().value(QStringLiteral("items")).toArray();
    ASSERT_EQ(items.size(), 1);
    EXPECT_EQ(items.at(0).toObject().value(QStringLiteral("interaction_id")).toString().toStdString(),
              keys[1]);
    auto metricsBefore = run({"--db", db(), "--json", "metrics"});
    EXPECT_EQ(metricsBefore.json()
                  .value(QStringLiteral("labels"))
                  .toObject()
                  .value(QStringLiteral("reviewed"))
                  .toInt(),
              19);
    ASSERT_EQ(
        run({"--db", db(), "--reviewer", "lead", "adjudicate", "resolve", keys[1], "--pick", "ben"}).exitCode,
        0);
    EXPECT_EQ(run({"--db", db(), "--json", "adjudicate", "list"})
                  .json()
                  .value(QStringLiteral("items"))
                  .toArray()
                  .size(),
              0);
    EXPECT_EQ(queryText("SELECT author FROM labels WHERE status = 'final'"), "lead");
    const QJsonObject labels =
        run({"--db", db(), "--json", "metrics"}).json().value(QStringLiteral("labels")).toObject();
    EXPECT_EQ(labels.value(QStringLiteral("reviewed")).toInt(), 20);
    EXPECT_EQ(labels.value(QStringLiteral("fail")).toInt(), 6);
    EXPECT_EQ(labels.value(QStringLiteral("pass")).toInt(), 14);
    EXPECT_EQ(labels.value(QStringLiteral("categories")).toObject().value(QStringLiteral("tone")).toInt(), 6);
    // A slice counts the final labels of its own interactions only.
    EXPECT_EQ(run({"--db", db(), "--json", "metrics", "--where", "agent=nobody"})
                  .json()
                  .value(QStringLiteral("labels"))
                  .toObject()
                  .value(QStringLiteral("reviewed"))
                  .toInt(),
              0);

    auto exported = run({"--db", db(), "labels", "export", "--queue", "weekly", "--out", path("all.jsonl")});
    ASSERT_EQ(exported.exitCode, 0) << exported.err;
    EXPECT_EQ(test::slurp(path("all.jsonl")).find("\"reviewer\":\"ben\"") != std::string::npos, true);

    // A file with a bad row: the line is named, nothing is imported.
    std::ofstream(path("bad.jsonl"))
        << R"({"interaction_id":"demo-00000001","reviewer":"cy","verdict":"pass"})"
        << "\n"
        << R"({"interaction_id":"demo-00000002","reviewer":"cy","verdict":"meh"})"
        << "\n";
    auto bad = run({"--db", db(), "labels", "import", path("bad.jsonl")});
    EXPECT_EQ(bad.exitCode, 1);
    EXPECT_NE(bad.err.find("bad.jsonl:2: verdict 'meh'"), std::string::npos) << bad.err;
    EXPECT_EQ(query("SELECT count(*) FROM labels WHERE reviewer = 'cy'"), 0);
}

// A queue's guidelines are given at creation and replaced later, from a file or standard input.
TEST_F(Cli, AQueuesGuidelinesAreReplaced)
{
    demoStore(100, 4);
    std::ofstream(path("first.md")) << "# First\n";
    ASSERT_EQ(run({"--db", db(), "queue", "create", "escalations", "--where", "signal=escalation",
                   "--guidelines", path("first.md")})
                  .exitCode,
              0);
    EXPECT_EQ(queryText("SELECT guidelines FROM review_queues WHERE name = 'escalations'"), "# First\n");
    std::ofstream(path("second.md")) << "# Second\n\n- fail when the bot could answer\n";
    auto replaced = run({"--db", db(), "--json", "queue", "guidelines", "escalations", path("second.md")});
    ASSERT_EQ(replaced.exitCode, 0) << replaced.err;
    EXPECT_EQ(replaced.json().value(QStringLiteral("guidelines_bytes")).toInt(), 43);
    EXPECT_EQ(queryText("SELECT guidelines FROM review_queues WHERE name = 'escalations'"),
              "# Second\n\n- fail when the bot could answer\n");
    auto unknown = run({"--db", db(), "queue", "guidelines", "nope", path("second.md")});
    EXPECT_EQ(unknown.exitCode, 1);
    EXPECT_NE(unknown.err.find("no queue 'nope'"), std::string::npos) << unknown.err;
    EXPECT_EQ(run({"--db", db(), "queue", "guidelines", "escalations", path("missing.md")}).exitCode, 2);
    ASSERT_EQ(run({"--db", db(), "queue", "guidelines", "escalations", "-"}, path("first.md")).exitCode, 0);
    EXPECT_EQ(queryText("SELECT guidelines FROM review_queues WHERE name = 'escalations'"), "# First\n");
}

// Labels from another tool's export, whose columns are named otherwise, come in through --map.
TEST_F(Cli, LabelsOfAnotherToolAreMappedOnImport)
{
    demoStore(50, 4);
    const std::string first = queryText("SELECT key FROM interactions ORDER BY id LIMIT 1");
    const std::string second = queryText("SELECT key FROM interactions ORDER BY id LIMIT 1 OFFSET 1");
    std::ofstream(path("tool.csv")) << "conversation,annotator,label,tags,comment\n"
                                    << first << ",kim,fail,tone;incomplete task,rude\n"
                                    << second << ",kim,pass,,\n";
    auto unmapped = run({"--db", db(), "labels", "import", path("tool.csv")});
    EXPECT_EQ(unmapped.exitCode, 1);
    EXPECT_NE(unmapped.err.find("tool.csv:2: interaction_id, reviewer and verdict are required"),
              std::string::npos)
        << unmapped.err;
    auto mapped = run({"--db", db(), "--json", "labels", "import", path("tool.csv"), "--map",
                       "interaction_id=conversation", "--map", "reviewer=annotator", "--map", "verdict=label",
                       "--map", "categories=tags", "--map", "note=comment"});
    ASSERT_EQ(mapped.exitCode, 0) << mapped.err;
    EXPECT_EQ(mapped.json().value(QStringLiteral("added")).toInt(), 2);
    EXPECT_EQ(query("SELECT count(*) FROM current_labels WHERE reviewer = 'kim' AND verdict = 'fail' AND note = "
                    "'rude'"),
              1);
    EXPECT_EQ(query("SELECT count(*) FROM label_categories"), 2);
    auto bad = run({"--db", db(), "labels", "import", path("tool.csv"), "--map", "annotator=reviewer"});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(bad.err.find("a target among interaction_id, reviewer, verdict"), std::string::npos) << bad.err;
}

TEST_F(Cli, TheTaxonomyIsEditedFromTheCommandLineWithItsHistory)
{
    demoStore(10, 1);
    auto added = run({"--db", db(), "--reviewer", "lead", "--json", "taxonomy", "add", "leaked secret",
                      "--description", "A credential in the output"});
    ASSERT_EQ(added.exitCode, 0) << added.err;
    EXPECT_EQ(added.json().value(QStringLiteral("categories")).toArray().size(), 11);
    EXPECT_EQ(run({"--db", db(), "taxonomy", "add", "Tone"}).exitCode, 1); // taken, whatever the case
    EXPECT_EQ(run({"--db", db(), "taxonomy", "rename", "tone", "tone or manner"}).exitCode, 0);
    EXPECT_EQ(run({"--db", db(), "taxonomy", "retire", "tone or manner"}).exitCode, 0);
    EXPECT_EQ(run({"--db", db(), "taxonomy", "move", "leaked secret", "1"}).exitCode, 0);
    EXPECT_EQ(run({"--db", db(), "taxonomy", "retire", "nope"}).exitCode, 1);
    EXPECT_EQ(queryText("SELECT name FROM review_categories ORDER BY position LIMIT 1"), "leaked secret");
    EXPECT_EQ(query("SELECT retired FROM review_categories WHERE name = 'tone or manner'"), 1);
    EXPECT_EQ(query("SELECT count(*) FROM review_category_events"), 4);
    EXPECT_EQ(queryText("SELECT author FROM review_category_events ORDER BY id LIMIT 1"), "lead");
}
