// winnow scores: the scores of a slice, each with its mean, 95% interval and spread; one score's
// distribution and its mean per value of a breakdown.

#include "app/command.h"
#include "app/render.h"

#include "core/metrics/scores.h"
#include "core/store/database.h"

#include <QJsonArray>

#include <cstdio>
#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct ScoresArguments
{
    std::string from, to, score, by;
    std::vector<std::string> where;
    int bins = 20;
};

std::string number(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", value);
    return text;
}

QJsonObject summaryJson(const ScoreSummary& s)
{
    return {{QStringLiteral("name"), q(s.name)}, {QStringLiteral("n"), static_cast<qint64>(s.n)},
            {QStringLiteral("mean"), s.mean},    {QStringLiteral("low"), s.low},
            {QStringLiteral("high"), s.high},    {QStringLiteral("sd"), s.sd},
            {QStringLiteral("min"), s.min},      {QStringLiteral("max"), s.max}};
}
} // namespace

Runner defineScores(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<ScoresArguments>();
    command.description("The scores of a slice (rewards, grades, ratings): per name the mean with its 95% "
                        "interval (Student's t), spread and range; for one score (--score, or the first) "
                        "its distribution and, with --by, its mean per value.");
    command.add_option("--from", a->from, "From this time (ISO 8601, inclusive)")->type_name("TIME");
    command.add_option("--to", a->to, "Up to this time (exclusive)")->type_name("TIME");
    repeatable(command.add_option("--where", a->where, "FIELD=VALUE (repeatable), as in winnow metrics"))
        ->type_name("FIELD=VALUE");
    command.add_option("--score", a->score, "The score to detail (default: the first by name)")
        ->type_name("NAME");
    command
        .add_option("--by", a->by,
                    "The score's mean per agent, agent_version, model, intent, channel, outcome, user, "
                    "session or metadata.KEY")
        ->type_name("FIELD");
    command
        .add_option("--bins", a->bins,
                    "Distribution bins (1 to 200; integer scores with few values get "
                    "one per value)")
        ->check(CLI::Range(1, 200));
    setExamples(command,
                {"winnow --db evals.db scores --json",
                 "winnow scores --score reward --by metadata.trial --where metadata.task_family=web"});
    return [&context, a]() -> int {
        ScoreQuery query;
        query.filter = parseFilterOptions(a->from, a->to, a->where);
        query.detail = a->score;
        query.bins = a->bins;
        if (!a->by.empty()) {
            auto grouping = parseGrouping(a->by);
            if (!grouping)
                throw UsageError{"--by: " + grouping.error().message};
            query.breakdown = *grouping;
        }
        const auto database = openReader(context);
        const ScoreReport report = computeScores(*database, query);
        if (!a->score.empty() && report.distribution.counts.empty())
            throw CommandFailed{Error{"no interaction in the slice has the score '" + a->score + "'", {}}};
        if (context.json) {
            QJsonArray scores, bins, groups;
            for (const ScoreSummary& s : report.scores)
                scores.append(summaryJson(s));
            const ScoreDistribution& d = report.distribution;
            for (size_t i = 0; i < d.counts.size(); ++i)
                bins.append(QJsonObject{{QStringLiteral("from"), d.edge(i)},
                                        {QStringLiteral("to"), d.perValue ? d.edge(i) : d.edge(i + 1)},
                                        {QStringLiteral("count"), static_cast<qint64>(d.counts[i])}});
            for (const ScoreGroup& g : report.groups) {
                QJsonObject entry = summaryJson(g.summary);
                entry.insert(QStringLiteral("value"), q(g.value));
                groups.append(entry);
            }
            QJsonObject result{{QStringLiteral("scores"), scores}};
            if (!report.detailed.empty()) {
                result.insert(QStringLiteral("score"), q(report.detailed));
                result.insert(
                    QStringLiteral("distribution"),
                    QJsonObject{{QStringLiteral("per_value"), d.perValue}, {QStringLiteral("bins"), bins}});
            }
            if (query.breakdown)
                result.insert(QStringLiteral("breakdown"),
                              QJsonObject{{QStringLiteral("by"), q(groupingText(*query.breakdown))},
                                          {QStringLiteral("rows"), groups}});
            printJson(result);
            return exitOk;
        }
        if (report.scores.empty()) {
            printNothing(context, "no interaction in the slice has a score");
            return exitOk;
        }
        TextTable table({"score", "n", "mean", "95% interval", "sd", "min", "max"});
        for (const ScoreSummary& s : report.scores)
            table.add({s.name, std::to_string(s.n), number(s.mean), number(s.low) + " – " + number(s.high),
                       number(s.sd), number(s.min), number(s.max)});
        table.print(std::cout);
        const ScoreDistribution& d = report.distribution;
        std::int64_t tallest = 1;
        for (std::int64_t c : d.counts)
            tallest = std::max(tallest, c);
        std::cout << "\n" << report.detailed << " distribution\n";
        for (size_t i = 0; i < d.counts.size(); ++i) {
            const std::string label = d.perValue ? number(d.edge(i))
                                                 : "[" + number(d.edge(i)) + ", " + number(d.edge(i + 1)) +
                                                       (i + 1 == d.counts.size() ? "]" : ")");
            std::printf("  %-20s %8lld %s\n", label.c_str(), static_cast<long long>(d.counts[i]),
                        std::string(static_cast<size_t>(40 * d.counts[i] / tallest), '#').c_str());
        }
        if (query.breakdown) {
            std::cout << "\n" << report.detailed << " by " << groupingText(*query.breakdown) << "\n";
            TextTable groups({groupingText(*query.breakdown), "n", "mean", "95% interval"});
            for (const ScoreGroup& g : report.groups)
                groups.add({g.value.empty() ? "(none)" : g.value, std::to_string(g.summary.n),
                            number(g.summary.mean), number(g.summary.low) + " – " + number(g.summary.high)});
            groups.print(std::cout);
        }
        return exitOk;
    };
}

} // namespace winnow::cli
