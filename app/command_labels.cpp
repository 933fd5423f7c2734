// winnow labels: exchange review labels with other reviewers' machines and other tools.

#include "app/command.h"
#include "app/render.h"

#include "core/review/review.h"
#include "core/store/database.h"
#include "core/store/store_writer.h"

#include <QJsonArray>

#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct LabelsArguments
{
    std::string file, out, queue;
    std::vector<std::string> maps;
};
} // namespace

Runner defineLabels(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<LabelsArguments>();
    command.description(
        "Review labels as files: one label per line (JSONL) or row (CSV with a header): interaction_id (the "
        "interaction's key), reviewer, verdict (pass, fail, unsure) are required; categories (names, any "
        "case, or ids; in CSV separated by ';'), severity (1-4), note, corrected, turn (the judged message's "
        "index), created_at are optional. An import checks every row first: one bad row and nothing is "
        "imported. The same file twice adds nothing; a reviewer's newer label supersedes theirs, which stays "
        "in its history.");
    CLI::App* import = command.add_subcommand("import", "Add the labels of a file");
    import->add_option("file", a->file, "FILE.jsonl or FILE.csv")->required();
    repeatable(import->add_option("--map", a->maps,
                                  "TARGET=SOURCE: read a label field from a column or key of another name "
                                  "(repeatable), e.g. --map interaction_id=conversation --map verdict=label"))
        ->type_name("TARGET=SOURCE");
    CLI::App* exported = command.add_subcommand("export", "Write the submitted labels to a file");
    exported->add_option("--queue", a->queue, "Only the labels of this queue's items")->type_name("NAME");
    exported->add_option("--out", a->out, "FILE.jsonl")->required()->type_name("FILE");
    command.require_subcommand(1);
    for (CLI::App* sub : {import, exported})
        sub->fallthrough();
    setExamples(command,
                {"winnow labels export --queue escalations --out ana.jsonl",
                 "winnow --db team.db labels import ana.jsonl",
                 "winnow labels import tool.csv --map interaction_id=conversation --map reviewer=annotator"});
    return [&context, a, import]() -> int {
        const auto reader = openReader(context);
        if (import->parsed()) {
            ColumnMapping mapping;
            for (const std::string& spec : a->maps)
                if (Status added = addLabelMapping(mapping, spec); !added)
                    throw UsageError{added.error().message};
            const LabelImport read = readLabelFile(*reader, a->file, mapping);
            if (!read.problems.empty()) {
                for (const LabelFileProblem& problem : read.problems)
                    std::cerr << "winnow: " << a->file
                              << (problem.line ? ":" + std::to_string(problem.line) : "") << ": "
                              << problem.message << "\n";
                throw CommandFailed{Error{"nothing imported: " + std::to_string(read.problems.size()) +
                                              " row(s) of " + a->file + " cannot be taken as labels",
                                          {}}};
            }
            auto writer = openWriter(context);
            auto imported = importLabels(*writer, read.labels);
            if (!imported)
                throw CommandFailed{imported.error()};
            if (context.json)
                printJson({{QStringLiteral("added"), static_cast<qint64>(imported->added)},
                           {QStringLiteral("unchanged"), static_cast<qint64>(imported->unchanged)}});
            else
                std::cout << "added " << imported->added << " label(s), " << imported->unchanged
                          << " unchanged\n";
            return exitOk;
        }
        const std::optional<std::int64_t> queueId = queueOption(*reader, a->queue);
        auto written = exportLabels(*reader, queueId, a->out);
        if (!written)
            throw CommandFailed{written.error()};
        if (context.json)
            printJson({{QStringLiteral("labels"), static_cast<qint64>(*written)},
                       {QStringLiteral("out"), q(a->out)}});
        else
            std::cout << "wrote " << *written << " label(s) to " << a->out << "\n";
        return exitOk;
    };
}

} // namespace winnow::cli
