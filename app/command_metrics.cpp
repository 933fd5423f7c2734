// winnow metrics: evaluation figures for any slice of the store.

#include "app/command.h"
#include "app/render.h"

#include "core/review/review.h"

#include "core/metrics/metrics.h"
#include "core/store/database.h"
#include "core/store/store_writer.h"
#include "core/util/text.h"

#include <QJsonArray>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {

QJsonObject rateJson(const RateEstimate& rate)
{
    return {{QStringLiteral("value"), rate.value},
            {QStringLiteral("low"), rate.low},
            {QStringLiteral("high"), rate.high},
            {QStringLiteral("n"), static_cast<qint64>(rate.n)}};
}

QJsonObject summaryJson(const MetricsSummary& m)
{
    const double n = static_cast<double>(std::max<std::int64_t>(m.interactions, 1));
    QJsonObject rates;
    for (Rate rate : allRates)
        rates.insert(QString::fromLatin1(rateName(rate)), rateJson(m.rate(rate)));
    QJsonObject latency;
    for (const auto& [name, value] :
         {std::pair{"p50", m.latencyP50}, {"p90", m.latencyP90}, {"p99", m.latencyP99}})
        latency.insert(QString::fromLatin1(name), value ? QJsonValue(*value) : QJsonValue());
    QJsonObject scores;
    for (const auto& [name, score] : m.scores)
        scores.insert(q(name), QJsonObject{{QStringLiteral("mean"), score.first},
                                           {QStringLiteral("n"), static_cast<qint64>(score.second)}});
    return {
        {QStringLiteral("interactions"), static_cast<qint64>(m.interactions)},
        {QStringLiteral("rates"), rates},
        {QStringLiteral("latency_ms"), latency},
        {QStringLiteral("tokens"),
         QJsonObject{{QStringLiteral("input"), static_cast<qint64>(m.inputTokens)},
                     {QStringLiteral("output"), static_cast<qint64>(m.outputTokens)},
                     {QStringLiteral("input_per_interaction"), static_cast<double>(m.inputTokens) / n},
                     {QStringLiteral("output_per_interaction"), static_cast<double>(m.outputTokens) / n}}},
        // Unknown (null) when no interaction has a cost, never 0; per interaction that has one.
        {QStringLiteral("cost_usd"),
         QJsonObject{{QStringLiteral("total"), m.priced ? QJsonValue(m.costUsd) : QJsonValue()},
                     {QStringLiteral("per_interaction"),
                      m.priced ? QJsonValue(m.costUsd / static_cast<double>(m.priced)) : QJsonValue()},
                     {QStringLiteral("priced"), static_cast<qint64>(m.priced)},
                     {QStringLiteral("estimated"), static_cast<qint64>(m.costEstimated)}}},
        {QStringLiteral("scores"), scores}};
}

std::string percent(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.2f%%", value * 100);
    return text;
}

void printSummary(const MetricsSummary& m)
{
    const double n = static_cast<double>(std::max<std::int64_t>(m.interactions, 1));
    std::cout << "interactions   " << m.interactions << "\n\n";
    TextTable rates({"rate", "value", "95% interval", "of"});
    for (Rate rate : allRates) {
        const RateEstimate& r = m.rate(rate);
        rates.add({rateName(rate), percent(r.value), percent(r.low) + " – " + percent(r.high),
                   std::to_string(r.n)});
    }
    rates.print(std::cout);
    auto ms = [](std::optional<double> v) {
        return v ? std::to_string(static_cast<long long>(std::llround(*v))) + " ms" : std::string("–");
    };
    char line[200];
    std::cout << "\nlatency        p50 " << ms(m.latencyP50) << ", p90 " << ms(m.latencyP90) << ", p99 "
              << ms(m.latencyP99) << "\n";
    std::snprintf(line, sizeof line, "tokens         %lld in, %lld out (%.0f / %.0f per interaction)\n",
                  static_cast<long long>(m.inputTokens), static_cast<long long>(m.outputTokens),
                  static_cast<double>(m.inputTokens) / n, static_cast<double>(m.outputTokens) / n);
    std::cout << line;
    if (m.priced == 0)
        std::snprintf(line, sizeof line,
                      "cost           unknown (no interaction has a logged or priced cost)\n");
    else
        std::snprintf(
            line, sizeof line,
            "cost           %s$%.2f ($%.5f per priced interaction; %lld of %lld priced, %lld estimated)\n",
            m.costEstimated ? "~" : "", m.costUsd, m.costUsd / static_cast<double>(m.priced),
            static_cast<long long>(m.priced), static_cast<long long>(m.interactions),
            static_cast<long long>(m.costEstimated));
    std::cout << line;
    for (const auto& [name, score] : m.scores) {
        std::snprintf(line, sizeof line, "score %-8s mean %.3f over %lld\n", name.c_str(), score.first,
                      static_cast<long long>(score.second));
        std::cout << line;
    }
}

struct MetricsArguments
{
    std::string from, to;
    std::vector<std::string> where;
    std::string bucket, by, impact = "escalation", compareTo, successScore;
    bool rebuildRollups = false;
};

MetricsQuery parseQuery(const MetricsArguments& a)
{
    MetricsQuery query;
    query.filter = parseFilterOptions(a.from, a.to, a.where);
    if (!a.bucket.empty())
        query.bucket = *parseBucket(a.bucket);
    if (!a.by.empty()) {
        auto grouping = parseGrouping(a.by);
        if (!grouping)
            throw UsageError{"--by: " + grouping.error().message};
        query.breakdown = *grouping;
    }
    const auto impact = parseRate(a.impact);
    if (!impact)
        throw UsageError{"--impact is a rate: " + rateList()};
    query.impactRate = *impact;
    if (!a.successScore.empty()) {
        const auto at = a.successScore.find(">=");
        char* end = nullptr;
        const double threshold =
            at == std::string::npos ? 0 : std::strtod(a.successScore.c_str() + at + 2, &end);
        if (at == std::string::npos || at == 0 || end == a.successScore.c_str() + at + 2 || *end != '\0' ||
            !std::isfinite(threshold))
            throw UsageError{"--success-score needs NAME>=THRESHOLD, e.g. reward>=0.7"};
        query.successScore = a.successScore.substr(0, at);
        query.successThreshold = threshold;
    }
    if (!a.compareTo.empty()) {
        const auto dots = a.compareTo.find("..");
        if (dots == std::string::npos)
            throw UsageError{"--compare-to needs FROM..TO (ISO 8601 times)"};
        query.compareFromMs = parseTimeOption("--compare-to", a.compareTo.substr(0, dots));
        query.compareToMs = parseTimeOption("--compare-to", a.compareTo.substr(dots + 2));
    }
    if (Status checked = checkQuery(query); !checked)
        throw UsageError{checked.error().text()};
    return query;
}

} // namespace

Runner defineMetrics(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<MetricsArguments>();
    command.description(
        "Rates with Wilson 95% intervals, exact latency percentiles, tokens, cost and score means "
        "for any slice; a series per bucket, a breakdown sorted by impact, and a comparison with "
        "another period (two-proportion z-test, significant at p < 0.01).");
    command.add_option("--from", a->from, "From this time (ISO 8601, inclusive)")->type_name("TIME");
    command.add_option("--to", a->to, "Up to this time (exclusive)")->type_name("TIME");
    repeatable(
        command.add_option("--where", a->where,
                           "FIELD=VALUE (repeatable; an empty VALUE selects interactions without the field), "
                           "metadata.KEY=VALUE (a top-level key), score.NAME>=X (or <, <=, >, =). Fields: " +
                               filterFieldList()))
        ->type_name("FIELD=VALUE");
    command.add_option("--bucket", a->bucket, "A series per hour, day or week")
        ->check(CLI::IsMember({"hour", "day", "week"}));
    command
        .add_option("--by", a->by,
                    "Break down by agent, agent_version, model, intent, channel, outcome, user, session or "
                    "metadata.KEY (sorted by --impact × volume)")
        ->type_name("FIELD");
    command.add_option("--impact", a->impact, "The rate the breakdown is sorted by: " + rateList())
        ->type_name("RATE");
    command.add_option("--compare-to", a->compareTo, "Another period, FROM..TO")->type_name("FROM..TO");
    command
        .add_option("--success-score", a->successScore, "Success by a score instead of the outcome: NAME>=X")
        ->type_name("NAME>=X");
    command.add_flag("--rebuild-rollups", a->rebuildRollups, "Recompute the stored totals first (repair)");
    setExamples(command, {"winnow --db agents.db metrics --from 2026-11-01 --where agent=support-bot --json",
                          "winnow metrics --from 2026-11-05 --bucket day --by agent_version --compare-to "
                          "2026-10-22..2026-11-05",
                          "winnow metrics --where 'score.reward>=0.5' --by metadata.task_family"});
    return [&context, a]() -> int {
        const MetricsQuery query = parseQuery(*a);
        if (a->rebuildRollups) {
            auto writer = openWriter(context);
            if (Status rebuilt = rebuildRollups(*writer); !rebuilt)
                throw CommandFailed{rebuilt.error()};
        }
        const auto database = openReader(context);
        const MetricsReport report = computeMetrics(*database, query);
        if (context.json) {
            QJsonObject result = summaryJson(report.summary);
            // The slice's final labels (adjudicated, or agreed), counted.
            const LabelCounts labels = labelCounts(*database, query.filter);
            QJsonObject categories;
            for (const auto& [name, count] : labels.categories)
                categories.insert(q(name), static_cast<qint64>(count));
            result.insert(QStringLiteral("labels"),
                          QJsonObject{{QStringLiteral("reviewed"), static_cast<qint64>(labels.reviewed)},
                                      {QStringLiteral("pass"), static_cast<qint64>(labels.pass)},
                                      {QStringLiteral("fail"), static_cast<qint64>(labels.fail)},
                                      {QStringLiteral("unsure"), static_cast<qint64>(labels.unsure)},
                                      {QStringLiteral("categories"), categories}});
            // Rollups answer dimension filters, breakdowns and one signal; the rest scans.
            result.insert(QStringLiteral("computed_from"), q(report.fromRollups ? "rollups" : "scan"));
            if (query.bucket) {
                QJsonArray series;
                for (const auto& [start, summary] : report.series) {
                    QJsonObject bucket = summaryJson(summary);
                    bucket.insert(QStringLiteral("start"), q(formatIsoTimestamp(start)));
                    bucket.remove(QStringLiteral("scores"));
                    series.append(bucket);
                }
                result.insert(QStringLiteral("series"), series);
            }
            if (query.breakdown) {
                QJsonArray rows;
                for (const BreakdownRow& row : report.breakdown) {
                    QJsonObject entry = summaryJson(row.summary);
                    entry.remove(QStringLiteral("scores"));
                    entry.insert(QStringLiteral("value"), q(row.value));
                    entry.insert(QStringLiteral("impact"), static_cast<qint64>(row.impact));
                    rows.append(entry);
                }
                result.insert(QStringLiteral("breakdown"),
                              QJsonObject{{QStringLiteral("dimension"), q(groupingText(*query.breakdown))},
                                          {QStringLiteral("impact_rate"),
                                           QString::fromLatin1(rateName(query.impactRate))},
                                          {QStringLiteral("rows"), rows}});
            }
            if (report.previous) {
                QJsonObject rates;
                for (Rate rate : allRates) {
                    const RateComparison& c = report.comparison[static_cast<size_t>(rate)];
                    rates.insert(QString::fromLatin1(rateName(rate)),
                                 QJsonObject{{QStringLiteral("value"), report.summary.rate(rate).value},
                                             {QStringLiteral("other"), report.previous->rate(rate).value},
                                             {QStringLiteral("difference"), c.difference},
                                             {QStringLiteral("z"), c.z},
                                             {QStringLiteral("p_value"), c.pValue},
                                             {QStringLiteral("significant"), c.significant}});
                }
                QJsonObject comparison = summaryJson(*report.previous);
                comparison.remove(QStringLiteral("scores"));
                comparison.insert(QStringLiteral("from"), q(formatIsoTimestamp(*query.compareFromMs)));
                comparison.insert(QStringLiteral("to"), q(formatIsoTimestamp(*query.compareToMs)));
                comparison.insert(QStringLiteral("rates"), rates);
                result.insert(QStringLiteral("comparison"), comparison);
            }
            printJson(result);
            return exitOk;
        }
        if (report.summary.interactions == 0)
            std::cout << "no interactions in this slice\n\n";
        printSummary(report.summary);
        if (query.bucket) {
            std::cout << "\n";
            TextTable series(
                {"bucket", "interactions", "success", "escalation", "correction", "p90 latency"});
            for (const auto& [start, m] : report.series)
                series.add({formatIsoTimestamp(start), std::to_string(m.interactions),
                            percent(m.rate(Rate::Success).value), percent(m.rate(Rate::Escalation).value),
                            percent(m.rate(Rate::Correction).value),
                            m.latencyP90 ? std::to_string(std::llround(*m.latencyP90)) + " ms" : "–"});
            series.print(std::cout);
        }
        if (query.breakdown) {
            std::cout << "\nby " << groupingText(*query.breakdown) << " (sorted by "
                      << rateName(query.impactRate) << " × volume)\n";
            TextTable rows(
                {groupingText(*query.breakdown), "interactions", rateName(query.impactRate), "impact"});
            for (const BreakdownRow& row : report.breakdown)
                rows.add({row.value.empty() ? "(none)" : row.value, std::to_string(row.summary.interactions),
                          percent(row.summary.rate(query.impactRate).value), std::to_string(row.impact)});
            rows.print(std::cout);
        }
        if (report.previous) {
            std::cout << "\ncompared with " << formatIsoTimestamp(*query.compareFromMs) << " .. "
                      << formatIsoTimestamp(*query.compareToMs) << " (" << report.previous->interactions
                      << " interactions)\n";
            TextTable rows({"rate", "now", "then", "change", "p", ""});
            for (Rate rate : allRates) {
                const RateComparison& c = report.comparison[static_cast<size_t>(rate)];
                char change[32], p[32];
                std::snprintf(change, sizeof change, "%+.2f pts", c.difference * 100);
                std::snprintf(p, sizeof p, "%.4f", c.pValue);
                rows.add({rateName(rate), percent(report.summary.rate(rate).value),
                          percent(report.previous->rate(rate).value), change, p,
                          c.significant ? "significant" : ""});
            }
            rows.print(std::cout);
        }
        return exitOk;
    };
}

} // namespace winnow::cli
