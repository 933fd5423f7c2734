#include "../test_helpers.h"
#include "core/demo/generator.h"
#include "core/ingest/canonical_json.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace winnow;

TEST(Demo, SameSeedSameBytes)
{
    test::TempDir dir;
    DemoOptions options;
    options.interactions = 500;
    options.seed = 42;
    for (DemoFormat format : {DemoFormat::Jsonl, DemoFormat::Otlp}) {
        ASSERT_EQ(writeDemo(options, format, dir.path("a")), "");
        ASSERT_EQ(writeDemo(options, format, dir.path("b")), "");
        const std::string a = test::readFile(dir.path("a"));
        EXPECT_GT(a.size(), 100000u);
        EXPECT_EQ(a, test::readFile(dir.path("b")));
    }
    options.seed = 43;
    ASSERT_EQ(writeDemo(options, DemoFormat::Jsonl, dir.path("c")), "");
    ASSERT_EQ(writeDemo({500, 42}, DemoFormat::Jsonl, dir.path("a")), "");
    EXPECT_NE(test::readFile(dir.path("a")), test::readFile(dir.path("c")));
}

TEST(Demo, LooksLikeProductionTraffic)
{
    DemoOptions options;
    options.interactions = 4000;
    options.seed = 9;
    DemoGenerator generator(options);
    Interaction in;
    std::map<std::string, int> truth;
    std::set<std::string> agents, versions, models, keys;
    std::map<std::string, int> outcomes;
    int withPii = 0, thumbsDown = 0, ratings = 0, toolErrors = 0, offers = 0;
    std::vector<double> latencies;
    std::int64_t previousStart = 0;
    int outOfOrder = 0;
    while (generator.next(in)) {
        keys.insert(in.key);
        agents.insert(in.agent);
        versions.insert(in.agent + "@" + in.agentVersion);
        models.insert(in.model);
        ++outcomes[in.outcome];
        latencies.push_back(*in.latencyMs);
        for (const char* kind :
             {"escalation", "correction", "repeat", "partial", "tool_error", "thumbs_down"})
            if (in.metadataJson.find(std::string("\"") + kind + "\"") != std::string::npos)
                ++truth[kind];
        withPii += in.metadataJson.find("\"pii\":true") != std::string::npos;
        thumbsDown += in.thumb && *in.thumb < 0;
        ratings += in.rating.has_value();
        for (const ToolCall& call : in.toolCalls)
            toolErrors += call.status == "error";
        for (const Message& m : in.messages)
            offers += m.content == "Would you like me to transfer you to a human agent?";
        outOfOrder += *in.startMs < previousStart - 3600'000;
        previousStart = *in.startMs;
    }
    EXPECT_EQ(keys.size(), 4000u);
    EXPECT_EQ(agents.size(), 3u);
    EXPECT_EQ(versions.size(), 6u); // one release per agent
    EXPECT_EQ(models.size(), 4u);
    for (const char* kind : {"escalation", "correction", "repeat", "partial", "tool_error", "thumbs_down"})
        EXPECT_GT(truth[kind], 40) << kind;
    EXPECT_GT(withPii, 200);
    EXPECT_GT(ratings, 150);
    EXPECT_GT(toolErrors, 100);
    EXPECT_GT(offers, 20); // offers of a handoff that are not escalations
    EXPECT_EQ(thumbsDown, truth["thumbs_down"]);
    EXPECT_GT(outcomes["escalated"], 100);
    EXPECT_EQ(outOfOrder, 0);
    // Long-tailed latency: the p99 is several times the median.
    std::sort(latencies.begin(), latencies.end());
    EXPECT_GT(latencies[latencies.size() * 99 / 100], 2.5 * latencies[latencies.size() / 2]);
}

TEST(Demo, TheReleaseRegressesOneIntent)
{
    DemoOptions options;
    options.interactions = 20000;
    DemoGenerator generator(options);
    Interaction in;
    int before = 0, beforeEscalated = 0, after = 0, afterEscalated = 0;
    while (generator.next(in)) {
        if (in.agent != "support-bot" || in.intent != "refund")
            continue;
        const bool escalated = in.outcome == "escalated";
        if (in.agentVersion == "3.1.0") {
            ++before;
            beforeEscalated += escalated;
        } else {
            ++after;
            afterEscalated += escalated;
        }
    }
    ASSERT_GT(before, 500);
    ASSERT_GT(after, 500);
    EXPECT_GT(static_cast<double>(afterEscalated) / after, 2.5 * beforeEscalated / before);
}
