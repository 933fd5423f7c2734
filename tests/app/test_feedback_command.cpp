#include "cli_test_helpers.h"

#include <QJsonArray>

#include <fstream>

using namespace winnow;
using test::Cli;

// CSAT from a survey tool, keyed by its own column names: joined by interaction id or session,
// figures and signals follow, twice is once, what matches nothing is listed with its line.
TEST_F(Cli, FeedbackImportJoinsSurveysToInteractions)
{
    demoStore(600, 2);
    auto before = run({"--db", db(), "metrics", "--json"});
    const int thumbsDownBefore = before.json()
                                     .value(QStringLiteral("rates"))
                                     .toObject()
                                     .value(QStringLiteral("thumbs_down"))
                                     .toObject()
                                     .value(QStringLiteral("hits"))
                                     .toInt();
    const std::string csv = path("csat.csv");
    std::ofstream(csv) << "conversation,session_id,vote,csat,note\n"
                          "demo-00000000,,down,1,\"Slow, and \"\"wrong\"\"\"\n"
                          ",s-does-not-exist,up,5,\n"
                          "nope,,down,2,\n"
                          "demo-00000002,,maybe,3,\n";
    const std::vector<std::string> maps = {"--map", "interaction_id=conversation",
                                           "--map", "session=session_id",
                                           "--map", "thumb=vote",
                                           "--map", "score.csat=csat",
                                           "--map", "comment=note"};
    std::vector<std::string> args = {"--db", db(), "feedback", "import", csv, "--json"};
    args.insert(args.end(), maps.begin(), maps.end());
    auto imported = run(args);
    ASSERT_EQ(imported.exitCode, 0) << imported.err;
    const QJsonObject summary = imported.json();
    EXPECT_EQ(summary.value(QStringLiteral("matched")).toInt(), 1);
    EXPECT_EQ(summary.value(QStringLiteral("changed")).toInt(), 1);
    const QJsonArray unmatched = summary.value(QStringLiteral("unmatched")).toArray();
    ASSERT_EQ(unmatched.size(), 2);
    EXPECT_EQ(unmatched.at(0).toObject().value(QStringLiteral("line")).toInt(), 3);
    EXPECT_EQ(summary.value(QStringLiteral("unreadable"))
                  .toArray()
                  .at(0)
                  .toObject()
                  .value(QStringLiteral("line"))
                  .toInt(),
              5);

    auto after = run({"--db", db(), "metrics", "--json"});
    const QJsonObject rates = after.json().value(QStringLiteral("rates")).toObject();
    const bool wasDown = query("SELECT count(*) FROM signals s JOIN interactions i ON i.id = "
                               "s.interaction_id WHERE i.key = 'demo-00000000' AND s.kind = "
                               "'negative_feedback'") == 1;
    EXPECT_TRUE(wasDown);
    EXPECT_GE(rates.value(QStringLiteral("thumbs_down")).toObject().value(QStringLiteral("hits")).toInt(),
              thumbsDownBefore);
    EXPECT_EQ(after.json()
                  .value(QStringLiteral("scores"))
                  .toObject()
                  .value(QStringLiteral("csat"))
                  .toObject()
                  .value(QStringLiteral("n"))
                  .toInt(),
              1);
    // The totals are what recomputing them from the interactions gives.
    auto rebuilt = run({"--db", db(), "metrics", "--rebuild-rollups", "--json"});
    EXPECT_EQ(rebuilt.json().value(QStringLiteral("rates")), after.json().value(QStringLiteral("rates")));
    EXPECT_EQ(queryText("SELECT feedback_comment FROM interactions WHERE key = 'demo-00000000'"),
              "Slow, and \"wrong\"");

    auto again = run(args);
    EXPECT_EQ(again.json().value(QStringLiteral("changed")).toInt(), 0);

    // JSONL, keyed by session: the session's latest interaction.
    const std::string session =
        queryText("SELECT session FROM interactions WHERE session IS NOT NULL LIMIT 1");
    const std::string jsonl = path("thumbs.jsonl");
    std::ofstream(jsonl) << "{\"session\": \"" << session
                         << "\", \"thumb\": \"up\", \"scores\": {\"nps\": 9}}\n"
                         << "not json\n";
    auto thumbs = run({"--db", db(), "feedback", "import", jsonl});
    ASSERT_EQ(thumbs.exitCode, 0) << thumbs.err;
    EXPECT_NE(thumbs.out.find("1 of 2 records matched"), std::string::npos) << thumbs.out;
    EXPECT_NE(thumbs.out.find("thumbs.jsonl:2: not a JSON object"), std::string::npos) << thumbs.out;
    EXPECT_EQ(query("SELECT thumb FROM interactions WHERE session = '" + session +
                    "' ORDER BY coalesce(start_ms, 0) DESC, id DESC LIMIT 1"),
              1);
    EXPECT_EQ(run({"--db", db(), "feedback", "import", jsonl, "--map", "colour=x"}).exitCode, 2);
}
