#include "cli_test_helpers.h"

#include <QJsonArray>

using namespace winnow;
using test::Cli;

// The loop from a terminal: an ingest runs the default monitors, a trigger is listed with its
// figures, reviewed, exported and validated on the release that fixed it; a monitor is added and a
// trigger dismissed.
TEST_F(Cli, MonitorsRaiseTriggersThatWalkTheLoop)
{
    ASSERT_EQ(run({"demo", "--interactions", "30000", "--seed", "11", "--fix-at", "0.75", "--out", path("d.jsonl")})
                  .exitCode,
              0);
    auto ingested = run({"--db", db(), "--json", "ingest", path("d.jsonl")});
    ASSERT_EQ(ingested.exitCode, 0) << ingested.err;
    EXPECT_FALSE(ingested.json().value(QStringLiteral("triggers_raised")).toArray().isEmpty()) << ingested.out;

    auto listed = run({"--db", db(), "--json", "triggers", "list"});
    ASSERT_EQ(listed.exitCode, 0) << listed.err;
    const QJsonArray triggers = listed.json().value(QStringLiteral("triggers")).toArray();
    ASSERT_FALSE(triggers.isEmpty());
    qint64 id = 0;
    for (const QJsonValue trigger : triggers) {
        EXPECT_TRUE(trigger[QStringLiteral("figures")][QStringLiteral("current")].isObject());
        EXPECT_EQ(trigger[QStringLiteral("state")].toString(), QStringLiteral("open"));
        EXPECT_EQ(trigger[QStringLiteral("owner")].toString(), QStringLiteral("winnow"));
        if (trigger[QStringLiteral("monitor")].toString() == QStringLiteral("escalation per agent") &&
            trigger[QStringLiteral("group")].toString() == QStringLiteral("support-bot"))
            id = trigger[QStringLiteral("id")].toInteger();
    }
    ASSERT_GT(id, 0);
    const std::string trigger = std::to_string(id);

    auto reviewed = run({"--db", db(), "--reviewer", "lead", "--json", "triggers", "review", trigger});
    ASSERT_EQ(reviewed.exitCode, 0) << reviewed.err;
    EXPECT_GT(reviewed.json().value(QStringLiteral("items")).toInt(), 0);
    // Every evidence item labelled a failure with its correction.
    {
        std::ofstream labels(path("labels.jsonl"));
        for (const std::string& key : [&] {
                 std::vector<std::string> keys;
                 const std::int64_t n = query("SELECT count(*) FROM trigger_evidence WHERE trigger_id = " + trigger);
                 for (std::int64_t i = 0; i < std::min<std::int64_t>(n, 25); ++i)
                     keys.push_back(queryText("SELECT i.key FROM trigger_evidence t JOIN interactions i ON i.id = "
                                              "t.interaction_id WHERE t.trigger_id = " +
                                              trigger + " ORDER BY i.id LIMIT 1 OFFSET " + std::to_string(i)));
                 return keys;
             }())
            labels << R"({"interaction_id":")" << key
                   << R"(","reviewer":"ana","verdict":"fail","categories":["missed escalation"],)"
                   << R"("corrected":"I am transferring you to a person now."})" << "\n";
    }
    ASSERT_EQ(run({"--db", db(), "labels", "import", path("labels.jsonl")}).exitCode, 0);
    auto exported = run({"--db", db(), "--json", "export", "--format", "openai-chat", "--trigger", trigger,
                         "--out", path("batch")});
    ASSERT_EQ(exported.exitCode, 0) << exported.err;
    EXPECT_EQ(exported.json().value(QStringLiteral("records")).toInt(), 25);
    EXPECT_EQ(exported.json().value(QStringLiteral("triggers")).toArray().at(0).toInteger(), id);

    auto validated = run({"--db", db(), "--json", "triggers", "validate", trigger});
    ASSERT_EQ(validated.exitCode, 0) << validated.err << validated.out;
    EXPECT_EQ(validated.json().value(QStringLiteral("state")).toString(), QStringLiteral("validated"));
    auto shown = run({"--db", db(), "--json", "triggers", "show", trigger});
    const QJsonObject detail = shown.json();
    EXPECT_EQ(detail[QStringLiteral("validation")][QStringLiteral("version")].toString(), QStringLiteral("3.3.0"));
    EXPECT_EQ(detail[QStringLiteral("history")].toArray().size(), 4);
    EXPECT_EQ(detail[QStringLiteral("batch")].toInteger(), 1);

    // Another trigger dismissed, with its reason; without one it is refused.
    const qint64 other = triggers.at(0)[QStringLiteral("id")].toInteger() == id
                             ? triggers.at(1)[QStringLiteral("id")].toInteger()
                             : triggers.at(0)[QStringLiteral("id")].toInteger();
    EXPECT_EQ(run({"--db", db(), "triggers", "dismiss", std::to_string(other)}).exitCode, 2);
    ASSERT_EQ(run({"--db", db(), "triggers", "dismiss", std::to_string(other), "--reason", "known"}).exitCode, 0);
    EXPECT_EQ(run({"--db", db(), "--json", "triggers", "show", std::to_string(other)})
                  .json()
                  .value(QStringLiteral("state"))
                  .toString(),
              QStringLiteral("dismissed"));

    // A monitor of one's own, and the list.
    auto added = run({"--db", db(), "--json", "--reviewer", "ana", "monitors", "add", "slow answers", "--figure",
                      "latency_p90", "--condition", "above", "--threshold", "60000"});
    ASSERT_EQ(added.exitCode, 0) << added.err;
    EXPECT_EQ(added.json().value(QStringLiteral("owner")).toString(), QStringLiteral("ana"));
    EXPECT_EQ(run({"--db", db(), "monitors", "add", "bad", "--figure", "latency_p90"}).exitCode, 2); // no test
    auto monitors = run({"--db", db(), "--json", "monitors"});
    EXPECT_EQ(monitors.json().value(QStringLiteral("monitors")).toArray().size(), 5);
    // Handed over, switched off: a disabled monitor is not evaluated.
    ASSERT_EQ(run({"--db", db(), "monitors", "owner", "escalation per agent", "ana"}).exitCode, 0);
    EXPECT_EQ(run({"--db", db(), "--json", "triggers", "show", trigger}).json().value(QStringLiteral("owner")).toString(),
              QStringLiteral("ana"));
    EXPECT_EQ(run({"--db", db(), "monitors", "disable", "nope"}).exitCode, 1);
    for (const char* name : {"success per agent", "escalation per agent", "correction per agent", "tool_error per agent"})
        ASSERT_EQ(run({"--db", db(), "monitors", "disable", name}).exitCode, 0);
    auto check = run({"--db", db(), "--json", "monitors", "check"});
    ASSERT_EQ(check.exitCode, 0) << check.err;
    EXPECT_GT(check.json().value(QStringLiteral("windows")).toInt(), 0); // the new monitor's windows
    // A monitor disabled before its first check evaluates nothing.
    ASSERT_EQ(run({"--db", db(), "monitors", "add", "later", "--rate", "repeat"}).exitCode, 0);
    ASSERT_EQ(run({"--db", db(), "monitors", "disable", "later"}).exitCode, 0);
    EXPECT_EQ(run({"--db", db(), "--json", "monitors", "check"}).json().value(QStringLiteral("windows")).toInt(), 0);
    ASSERT_EQ(run({"--db", db(), "monitors", "enable", "later"}).exitCode, 0);
    EXPECT_GT(run({"--db", db(), "--json", "monitors", "check"}).json().value(QStringLiteral("windows")).toInt(), 0);
}
