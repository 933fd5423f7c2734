// winnow feedback import: feedback from other systems (surveys, tickets, front-end thumbs) joined
// to stored interactions.

#include "app/command.h"
#include "app/render.h"

#include "core/ingest/feedback_import.h"
#include "core/signals/rebuild.h"
#include "core/store/database.h"
#include "core/store/store_writer.h"

#include <QJsonArray>

#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct FeedbackArguments
{
    std::string file;
    std::vector<std::string> maps;
};

QJsonArray problemsJson(const std::vector<FeedbackProblem>& problems)
{
    QJsonArray items;
    for (const FeedbackProblem& p : problems)
        items.append(QJsonObject{{QStringLiteral("line"), static_cast<qint64>(p.line)},
                                 {QStringLiteral("reason"), q(p.reason)}});
    return items;
}
} // namespace

Runner defineFeedback(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<FeedbackArguments>();
    command.description("Feedback that arrived later and elsewhere, joined to stored interactions.");
    command.require_subcommand(1);
    CLI::App* import = command.add_subcommand(
        "import",
        "Read FILE (.csv with a header row, or JSONL): each record names its interaction by interaction_id, "
        "trace_id or session (the session's latest interaction), then any of thumb (up or down), rating, "
        "comment, outcome, score.NAME. Signals and the dashboards' totals follow; importing the same "
        "feedback twice changes nothing; records that match nothing are listed with their line.");
    import->add_option("file", a->file, "The CSV or JSONL file")->required();
    repeatable(import->add_option("--map", a->maps,
                                  "TARGET=SOURCE: read a target from another column or key "
                                  "(repeatable), e.g. --map interaction_id=conversation "
                                  "--map score.csat=csat_score"))
        ->type_name("TARGET=SOURCE");
    import->fallthrough();
    setExamples(command, {"winnow --db agents.db feedback import csat.csv --map session=conversation_id "
                          "--map score.csat=score",
                          "winnow feedback import thumbs.jsonl --json"});
    return [&context, a]() -> int {
        FeedbackMapping mapping;
        for (const std::string& spec : a->maps)
            if (Status added = addFeedbackMapping(mapping, spec); !added)
                throw UsageError{added.error().message};
        std::vector<FeedbackProblem> unreadable;
        auto records = readFeedbackFile(a->file, mapping, unreadable);
        if (!records)
            throw CommandFailed{records.error()};
        auto writer = openWriter(context);
        const auto reader = openReader(context);
        auto settings = loadDetectorSettings(*reader);
        if (!settings)
            throw CommandFailed{settings.error()};
        auto summary = importFeedback(*writer, *records, *settings);
        if (!summary)
            throw CommandFailed{summary.error()};
        if (context.json) {
            printJson({{QStringLiteral("records"),
                        static_cast<qint64>(summary->records + qint64(unreadable.size()))},
                       {QStringLiteral("matched"), static_cast<qint64>(summary->matched)},
                       {QStringLiteral("changed"), static_cast<qint64>(summary->changed)},
                       {QStringLiteral("unmatched"), problemsJson(summary->unmatched)},
                       {QStringLiteral("unreadable"), problemsJson(unreadable)}});
            return exitOk;
        }
        std::cout << summary->matched << " of " << summary->records + std::int64_t(unreadable.size())
                  << " records matched an interaction, " << summary->changed << " changed what was stored\n";
        for (const FeedbackProblem& p : summary->unmatched)
            std::cout << "  " << a->file << ":" << p.line << ": " << p.reason << "\n";
        for (const FeedbackProblem& p : unreadable)
            std::cout << "  " << a->file << ":" << p.line << ": " << p.reason << "\n";
        return exitOk;
    };
}

} // namespace winnow::cli
