// winnow queue: review queues made from a slice, and where they stand.

#include "app/command.h"
#include "app/render.h"

#include "core/review/review.h"
#include "core/store/database.h"
#include "core/store/store_writer.h"

#include <QJsonArray>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

namespace winnow::cli {

namespace {
struct QueueArguments
{
    std::string name, from, to, guidelines;
    std::vector<std::string> where;
    std::int64_t sample = 0;
    std::uint64_t seed = 1;
    bool priority = false;
    int overlap = 1;
    bool open = false;
};

QJsonObject rateJson(const RateEstimate& rate)
{
    return {{QStringLiteral("value"), rate.value},
            {QStringLiteral("low"), rate.low},
            {QStringLiteral("high"), rate.high},
            {QStringLiteral("fail"), static_cast<qint64>(rate.hits)},
            {QStringLiteral("reviewed"), static_cast<qint64>(rate.n)}};
}

// A Markdown file, or standard input for "-".
std::string readGuidelines(const std::string& path)
{
    if (path == "-")
        return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw UsageError{"cannot read the guidelines " + path};
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string percent(double value)
{
    char text[16];
    std::snprintf(text, sizeof text, "%.1f%%", value * 100);
    return text;
}
} // namespace

Runner defineQueue(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<QueueArguments>();
    command.description(
        "Review queues. A queue holds the interactions of a slice (the filter of winnow metrics), in "
        "priority "
        "order (signal weights: escalation and thumbs down 5, correction 4, tool error 3, repeat, partial "
        "and "
        "handoff offered 2; then the most recent) or as a random sample of N (seeded: the same seed draws "
        "the "
        "same items, for an unbiased failure rate). With --overlap K each item goes to K reviewers.");
    CLI::App* create = command.add_subcommand("create", "Make a queue from a slice");
    create->add_option("name", a->name, "The queue's name")->required();
    repeatable(create->add_option("--where", a->where, "FIELD=VALUE (repeatable), as in winnow metrics"))
        ->type_name("FIELD=VALUE");
    create->add_option("--from", a->from, "From this time")->type_name("TIME");
    create->add_option("--to", a->to, "Up to this time")->type_name("TIME");
    auto* sample = create->add_option("--sample", a->sample, "A random sample of this many")->type_name("N");
    create->add_option("--seed", a->seed, "The sample's seed (default 1)")->needs(sample);
    create->add_flag("--priority", a->priority, "Priority order (the default)")->excludes(sample);
    create->add_option("--overlap", a->overlap, "Reviewers per item (default 1)")->type_name("K");
    create->add_flag("--open", a->open, "Reviewers see each other's labels before submitting theirs");
    create->add_option("--guidelines", a->guidelines, "A Markdown file with the queue's guidelines")
        ->type_name("FILE");
    CLI::App* guidelines =
        command.add_subcommand("guidelines", "Replace a queue's guidelines (what the Review screen shows)");
    guidelines->add_option("name", a->name, "The queue's name")->required();
    guidelines->add_option("file", a->guidelines, "A Markdown file, or - for standard input")
        ->required()
        ->type_name("FILE");
    CLI::App* list = command.add_subcommand("list", "Every queue with its progress (the default)");
    for (CLI::App* sub : {create, guidelines, list})
        sub->fallthrough();
    setExamples(command, {"winnow queue create escalations --where signal=escalation --from 2026-11-01",
                          "winnow queue create weekly-sample --sample 200 --seed 7 --overlap 2",
                          "winnow queue guidelines escalations escalation-guidelines.md",
                          "winnow --reviewer ana --json queue list"});
    return [&context, a, create, guidelines]() -> int {
        if (guidelines->parsed()) {
            const std::string markdown = readGuidelines(a->guidelines);
            auto writer = openWriter(context);
            const std::optional<std::int64_t> queueId = queueOption(*openReader(context), a->name);
            if (Status set = setQueueGuidelines(*writer, *queueId, markdown); !set)
                throw CommandFailed{set.error()};
            if (context.json)
                printJson({{QStringLiteral("name"), q(a->name)},
                           {QStringLiteral("guidelines_bytes"), static_cast<qint64>(markdown.size())}});
            else
                std::cout << "queue " << a->name << ": guidelines replaced (" << markdown.size()
                          << " bytes)\n";
            return exitOk;
        }
        if (create->parsed()) {
            QueueRequest request;
            request.name = a->name;
            request.owner = context.reviewerName();
            request.filter = parseFilterOptions(a->from, a->to, a->where);
            if (a->sample > 0) {
                request.order = QueueOrder::Sample;
                request.sampleSize = a->sample;
                request.seed = a->seed;
            }
            request.overlap = a->overlap;
            request.blind = !a->open;
            if (!a->guidelines.empty())
                request.guidelines = readGuidelines(a->guidelines);
            auto writer = openWriter(context);
            const auto reader = openReader(context);
            auto queue = createQueue(*reader, *writer, request);
            if (!queue)
                throw CommandFailed{queue.error()};
            if (context.json)
                printJson({{QStringLiteral("name"), q(queue->name)},
                           {QStringLiteral("items"), static_cast<qint64>(queue->items)},
                           {QStringLiteral("slice"), static_cast<qint64>(queue->sliceSize)},
                           {QStringLiteral("order"), QString::fromLatin1(queueOrderName(queue->order))},
                           {QStringLiteral("overlap"), queue->overlap}});
            else
                std::cout << "queue " << queue->name << ": " << queue->items << " interactions ("
                          << queueOrderName(queue->order) << ", of " << queue->sliceSize << " in the slice), "
                          << queue->overlap << " reviewer(s) each\n";
            return exitOk;
        }
        const auto reader = openReader(context);
        const std::vector<QueueStatus> statuses = queueStatuses(*reader, context.reviewer);
        if (context.json) {
            QJsonArray queues;
            for (const QueueStatus& s : statuses) {
                QJsonObject pending;
                for (const auto& [reviewer, count] : s.pending)
                    pending.insert(q(reviewer), static_cast<qint64>(count));
                QJsonObject entry{
                    {QStringLiteral("name"), q(s.queue.name)},
                    {QStringLiteral("owner"), q(s.queue.owner)},
                    {QStringLiteral("order"), QString::fromLatin1(queueOrderName(s.queue.order))},
                    {QStringLiteral("items"), static_cast<qint64>(s.queue.items)},
                    {QStringLiteral("labeled"), static_cast<qint64>(s.labeled)},
                    {QStringLiteral("reviewed"), static_cast<qint64>(s.reviewed)},
                    {QStringLiteral("awaiting_adjudication"), static_cast<qint64>(s.awaitingAdjudication)},
                    {QStringLiteral("overlap"), s.queue.overlap},
                    {QStringLiteral("pending"), pending}};
                if (s.failureRate) {
                    QJsonObject rate = rateJson(*s.failureRate);
                    QJsonObject categories;
                    for (const auto& [name, categoryRate] : s.categoryRates)
                        categories.insert(q(name), rateJson(categoryRate));
                    rate.insert(QStringLiteral("categories"), categories);
                    entry.insert(QStringLiteral("failure_rate"), rate);
                }
                queues.append(entry);
            }
            printJson({{QStringLiteral("queues"), queues}});
            return exitOk;
        }
        TextTable table({"queue", "order", "items", "labelled", "pending", "failure rate (95%)"});
        for (const QueueStatus& s : statuses) {
            std::string pending;
            for (const auto& [reviewer, count] : s.pending)
                pending += (pending.empty() ? "" : ", ") + reviewer + " " + std::to_string(count);
            std::string rate = "-";
            if (s.failureRate && s.failureRate->n > 0)
                rate = percent(s.failureRate->value) + " (" + percent(s.failureRate->low) + "-" +
                       percent(s.failureRate->high) + ", n=" + std::to_string(s.failureRate->n) + ")";
            table.add({s.queue.name, queueOrderName(s.queue.order), std::to_string(s.queue.items),
                       std::to_string(s.labeled), pending.empty() ? "-" : pending, rate});
        }
        if (table.empty())
            printNothing(context, "no review queues: winnow queue create NAME --where ... makes one");
        else
            table.print(std::cout);
        return exitOk;
    };
}

} // namespace winnow::cli
