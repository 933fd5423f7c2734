#include "../core/test_helpers.h"
#include "cli_test_helpers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <fstream>

using namespace winnow;
using test::Cli;

// Every input line is listed with its hits (offsets in code points); one ad-hoc pattern is tried as
// the editor's test box tries it.
TEST_F(Cli, RulesTestListsEveryLineWithItsHits)
{
    demoStore(10, 4);
    std::ofstream(path("texts.txt")) << "card 4111 1111 1111 1111\nnothing here\nmail é@x.io\n";
    auto tested =
        run({"--db", db(), "--json", "rules", "test", "--version", "1", "--input", path("texts.txt")});
    ASSERT_EQ(tested.exitCode, 0) << tested.err;
    const QJsonArray results = tested.json().value(QStringLiteral("results")).toArray();
    ASSERT_EQ(results.size(), 3);
    const QJsonObject card =
        results.at(0).toObject().value(QStringLiteral("hits")).toArray().at(0).toObject();
    EXPECT_EQ(card.value(QStringLiteral("rule")).toString(), QStringLiteral("pii.card"));
    EXPECT_EQ(card.value(QStringLiteral("start")).toInt(), 5);
    EXPECT_EQ(card.value(QStringLiteral("end")).toInt(), 24);
    EXPECT_TRUE(results.at(1).toObject().value(QStringLiteral("hits")).toArray().isEmpty());
    EXPECT_EQ(results.at(2).toObject().value(QStringLiteral("line")).toInt(), 3);
    const QJsonObject email =
        results.at(2).toObject().value(QStringLiteral("hits")).toArray().at(0).toObject();
    EXPECT_EQ(email.value(QStringLiteral("start")).toInt(), 5);
    EXPECT_EQ(email.value(QStringLiteral("end")).toInt(), 11) << "é is one character";

    auto pattern = run({"--json", "rules", "test", "--pattern", "refund(ed)?", "--whole-word", "--text",
                        "we refunded you, not refundable"});
    ASSERT_EQ(pattern.exitCode, 0) << pattern.err;
    EXPECT_EQ(pattern.json()
                  .value(QStringLiteral("results"))
                  .toArray()
                  .at(0)
                  .toObject()
                  .value(QStringLiteral("hits"))
                  .toArray()
                  .size(),
              1);
    auto bad = run({"rules", "test", "--pattern", "ab(c", "--text", "x"});
    EXPECT_EQ(bad.exitCode, 2);
    EXPECT_NE(bad.err.find("at character 3"), std::string::npos) << bad.err;
}

// A version exported, edited, imported, published by one reviewer and approved by another when the
// store asks for it; a broken pack is refused whole; the versions differ where they were edited.
TEST_F(Cli, RulePacksAreExportedImportedPublishedAndApproved)
{
    demoStore(60, 4);
    ASSERT_EQ(run({"--db", db(), "rules", "export", "--out", path("v1.json")}).exitCode, 0);
    std::string pack = test::slurp(path("v1.json"));
    ASSERT_NE(pack.find("\"schema\": \"winnow.rule-pack\""), std::string::npos);
    // Edited by hand: the checksum no longer matches, and says so.
    std::string edited = pack;
    edited.replace(edited.find("\"monitor\""), 9, "\"enforce\"");
    std::ofstream(path("edited.json")) << edited;
    auto tampered = run({"--db", db(), "rules", "import", path("edited.json")});
    EXPECT_EQ(tampered.exitCode, 1);
    EXPECT_NE(tampered.err.find("sha256"), std::string::npos) << tampered.err;
    // Without the checksum it is a hand-written pack, checked field by field.
    QJsonObject handmade = QJsonDocument::fromJson(QByteArray::fromStdString(pack)).object();
    handmade.remove(QStringLiteral("sha256"));
    QJsonArray rules = handmade.value(QStringLiteral("rules")).toArray();
    QJsonObject first = rules.at(0).toObject();
    first.insert(QStringLiteral("status"), QStringLiteral("enforce"));
    rules.replace(0, first);
    handmade.insert(QStringLiteral("rules"), rules);
    std::ofstream(path("handmade.json")) << QJsonDocument(handmade).toJson().toStdString();
    std::ofstream(path("broken.json")) << R"({"schema":"winnow.rule-pack","schema_version":1,"rules":[
        {"id":"x","title":"x","detector":{"kind":"pattern","pattern":"ab(c"}}]})";
    auto broken = run({"--db", db(), "rules", "import", path("broken.json")});
    EXPECT_EQ(broken.exitCode, 1);
    EXPECT_NE(broken.err.find("x.pattern: missing )"), std::string::npos) << broken.err;
    EXPECT_EQ(query("SELECT count(*) FROM rule_draft"), 0) << "nothing of a refused pack";

    auto imported = run({"--db", db(), "--reviewer", "ana", "rules", "import", path("handmade.json")});
    ASSERT_EQ(imported.exitCode, 0) << imported.err;
    ASSERT_EQ(
        run({"--db", db(), "--reviewer", "ana", "rules", "publish", "--comment", "enforce email"}).exitCode,
        0);
    auto listed = run({"--db", db(), "--json", "rules", "list"});
    ASSERT_EQ(listed.exitCode, 0);
    EXPECT_EQ(listed.json().value(QStringLiteral("applied")).toInt(), 2);
    EXPECT_EQ(listed.json()
                  .value(QStringLiteral("rules"))
                  .toArray()
                  .at(0)
                  .toObject()
                  .value(QStringLiteral("status")),
              QStringLiteral("enforce"));
    auto diff = run({"--db", db(), "--json", "rules", "diff", "1", "2"});
    ASSERT_EQ(diff.exitCode, 0);
    const QJsonArray changes = diff.json().value(QStringLiteral("changes")).toArray();
    ASSERT_EQ(changes.size(), 1);
    EXPECT_EQ(changes.at(0).toObject().value(QStringLiteral("rule")).toString(), QStringLiteral("pii.email"));

    // The store asks for approval: ana's next version waits; she cannot approve it, ben can.
    auto policy = run({"--db", db(), "--json", "rules", "policy", "--need-approval", "yes"});
    ASSERT_EQ(policy.exitCode, 0) << policy.err;
    EXPECT_TRUE(policy.json().value(QStringLiteral("need_approval")).toBool());
    auto pending =
        run({"--db", db(), "--json", "--reviewer", "ana", "rules", "publish", "--pack", path("v1.json")});
    ASSERT_EQ(pending.exitCode, 0) << pending.err;
    EXPECT_EQ(pending.json().value(QStringLiteral("state")).toString(), QStringLiteral("pending"));
    EXPECT_EQ(run({"--db", db(), "--reviewer", "ana", "rules", "approve", "3"}).exitCode, 1);
    ASSERT_EQ(run({"--db", db(), "--reviewer", "ben", "rules", "approve", "3"}).exitCode, 0);
    EXPECT_EQ(
        query("SELECT number FROM rule_versions WHERE state = 'published' ORDER BY number DESC LIMIT 1"), 3);
    EXPECT_EQ(
        query("SELECT count(*) FROM rule_events WHERE version = 3 AND actor = 'ben' AND action = 'approved'"),
        1);

    // Published over stored interactions: they keep the old hits until a run.
    auto runOver = run({"--db", db(), "--json", "rules", "run"});
    ASSERT_EQ(runOver.exitCode, 0) << runOver.err;
    EXPECT_EQ(runOver.json().value(QStringLiteral("interactions")).toInt(), 60);
    EXPECT_EQ(query("SELECT count(*) FROM rule_hits WHERE version != 3"), 0);
    EXPECT_EQ(query("SELECT value FROM store_state WHERE key = 'rules_scanned_version'"), 3);
}

// Suggestions from a category's labelled failures, each with its backtest; one is added to the
// draft by its id.
TEST_F(Cli, RulesAreSuggestedFromLabelledFailures)
{
    demoStore(400, 4);
    std::ofstream labels(path("labels.csv"));
    labels << "interaction_id,reviewer,verdict,categories\n";
    for (int i = 0; i < 12; ++i)
        labels << queryText("SELECT key FROM interactions WHERE signal_mask & 1 ORDER BY id LIMIT 1 OFFSET " +
                            std::to_string(i))
               << ",ana,fail,missed escalation\n";
    labels.close();
    ASSERT_EQ(run({"--db", db(), "labels", "import", path("labels.csv")}).exitCode, 0);
    auto suggested = run({"--db", db(), "--json", "rules", "suggest", "--category", "missed escalation"});
    ASSERT_EQ(suggested.exitCode, 0) << suggested.err;
    EXPECT_EQ(suggested.json().value(QStringLiteral("failures")).toInt(), 12);
    const QJsonArray list = suggested.json().value(QStringLiteral("suggestions")).toArray();
    ASSERT_FALSE(list.isEmpty()) << suggested.out;
    const QJsonObject first = list.at(0).toObject();
    EXPECT_TRUE(first.contains(QStringLiteral("backtest")));
    EXPECT_EQ(first.value(QStringLiteral("failures_hit")).toInt(), first.value(QStringLiteral("backtest"))
                                                                       .toObject()
                                                                       .value(QStringLiteral("recall"))
                                                                       .toObject()
                                                                       .value(QStringLiteral("hits"))
                                                                       .toInt());
    const QString id = first.value(QStringLiteral("id")).toString();
    ASSERT_EQ(
        run({"--db", db(), "rules", "suggest", "--category", "missed escalation", "--add", id.toStdString()})
            .exitCode,
        0);
    EXPECT_NE(queryText("SELECT pack_json FROM rule_draft").find(id.toStdString()), std::string::npos);
    EXPECT_EQ(run({"--db", db(), "rules", "suggest", "--category", "nope"}).exitCode, 1);
}
