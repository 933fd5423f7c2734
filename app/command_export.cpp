// winnow export: a curated batch of a slice in a training or evaluation format, written to a
// folder with its manifest; winnow batches: the batches written so far.

#include "app/command.h"
#include "app/render.h"

#include "core/export/export.h"
#include "core/store/database.h"
#include "core/store/export_store.h"
#include "core/store/store_writer.h"
#include "core/util/json.h"
#include "core/util/text.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct ExportArguments
{
    std::string format, from, to, out, arguments;
    std::vector<std::string> where;
    bool redact = false, includeUnreviewed = false, adjudicatedOnly = false, weights = false, count = false;
    std::optional<double> dedupe, split;
    std::optional<std::int64_t> maxPerCategory;
    std::vector<std::int64_t> triggers;
    std::uint64_t seed = 1;
    int preview = 0;
};

ExportDefinition definitionOf(const ExportArguments& a)
{
    ExportDefinition d;
    const auto format = parseExportFormat(a.format);
    if (!format)
        throw UsageError{"unknown format '" + a.format + "' (" + exportFormatList() + ")"};
    d.format = *format;
    d.slice = parseFilterOptions(a.from, a.to, a.where);
    for (const std::int64_t trigger : a.triggers)
        d.slice.with(FilterField::Trigger, std::to_string(trigger));
    d.redact = a.redact;
    d.includeUnreviewed = a.includeUnreviewed;
    d.adjudicatedOnly = a.adjudicatedOnly;
    d.dedupeThreshold = a.dedupe;
    d.trainFraction = a.split;
    d.maxPerCategory = a.maxPerCategory;
    d.seed = a.seed;
    d.weights = a.weights;
    if (a.arguments == "object")
        d.arguments = ArgumentsStyle::Object;
    else if (a.arguments == "string")
        d.arguments = ArgumentsStyle::String;
    else if (!a.arguments.empty())
        throw UsageError{"--arguments is string or object, not '" + a.arguments + "'"};
    if (Status status = checkExportDefinition(d); !status)
        throw UsageError{status.error().text()};
    return d;
}

} // namespace

Runner defineExport(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<ExportArguments>();
    command.description(
        "Write a batch for training or evaluation: the reviewed interactions of a slice (the filter of winnow "
        "metrics) in a format, curated, to a new folder with manifest.json. Formats: " +
        exportFormatList() +
        ". Without --include-unreviewed a training format takes only interactions with a final label "
        "that fits it (passes as they are, failures with their corrected answer); jsonl and csv take the "
        "whole slice. Every written line is checked against its format before the batch is recorded; the "
        "same store and options write byte-identical files.");
    command.add_option("--format", a->format, "The target format")->required()->type_name("FORMAT");
    command.add_option("--out", a->out, "A new (or empty) folder to write to")->type_name("DIR");
    repeatable(command.add_option("--where", a->where, "FIELD=VALUE (repeatable), as in winnow metrics"))
        ->type_name("FIELD=VALUE");
    repeatable(command.add_option("--trigger", a->triggers,
                                  "The evidence of this retraining trigger (the same as --where trigger=ID); the "
                                  "batch moves the trigger on to exported"))
        ->type_name("ID");
    command.add_option("--from", a->from, "From this time")->type_name("TIME");
    command.add_option("--to", a->to, "Up to this time")->type_name("TIME");
    command.add_flag("--redact", a->redact,
                     "Replace what the applied rule version's redacting rules find with their tokens "
                     "(<EMAIL>, <CARD>, ...), then check the written files with the same rules");
    command.add_option("--dedupe", a->dedupe, "Remove near-duplicates at least this similar (MinHash, 0.85)")
        ->type_name("SIMILARITY");
    command.add_option("--split", a->split,
                       "This share to train.jsonl, the rest to validation.jsonl: stratified by category, "
                       "sessions kept whole (0.9)")
        ->type_name("SHARE");
    command.add_option("--max-per-category", a->maxPerCategory, "At most N records per category (balance)")
        ->type_name("N");
    command.add_option("--seed", a->seed, "The seed of balancing and splitting (default 1)");
    command.add_flag("--include-unreviewed", a->includeUnreviewed,
                     "Take interactions without a label as they are (as passes)");
    command.add_flag("--adjudicated-only", a->adjudicatedOnly, "Only interactions with an adjudicated label");
    command.add_option("--arguments", a->arguments,
                       "Tool-call arguments as a JSON string or an object (default: string for OpenAI, "
                       "object for TRL)")
        ->type_name("string|object");
    command.add_flag("--weights", a->weights,
                     "openai-chat: weight 0 on the assistant turns kept as context, 1 on the corrected one");
    command.add_flag("--count", a->count, "Only count what the batch would take (no folder is written)");
    command.add_option("--preview", a->preview, "Print the first N records as they would be written")
        ->type_name("N");
    setExamples(command,
                {"winnow export --format openai-chat --redact --dedupe 0.85 --split 0.9 --out batches/2026-11",
                 "winnow export --format trl-dpo --where agent_version=2.4.0 --where category=\"wrong answer\" "
                 "--out dpo",
                 "winnow export --format eval --where verdict=fail --where exported=no --out regressions",
                 "winnow export --format trl-dpo --trigger 3 --redact --out batches/trigger-3",
                 "winnow --json export --format trl-kto --count"});
    return [&context, a]() -> int {
        const ExportDefinition definition = definitionOf(*a);
        stopOnInterrupt();
        if (a->count) {
            const auto reader = openReader(context);
            auto count = countExport(*reader, definition, &interrupted());
            if (!count)
                throw CommandFailed{count.error()};
            if (context.json) {
                printJson({{QStringLiteral("slice"), static_cast<qint64>(count->slice)},
                           {QStringLiteral("interactions"), static_cast<qint64>(count->fitting)},
                           {QStringLiteral("records"), static_cast<qint64>(count->records)},
                           {QStringLiteral("left_out"), countsJson(count->leftOut)}});
            } else {
                std::cout << count->fitting << " of " << count->slice << " interactions fit "
                          << exportFormatName(definition.format) << " (" << count->records
                          << " records before curation)\n";
                for (const auto& [reason, n] : count->leftOut)
                    std::cout << "  left out, " << reason << ": " << n << "\n";
            }
            return exitOk;
        }
        if (a->preview > 0) {
            const auto reader = openReader(context);
            auto lines = previewExport(*reader, definition, a->preview, &interrupted());
            if (!lines)
                throw CommandFailed{lines.error()};
            for (const std::string& line : *lines)
                std::cout << line << "\n";
            return exitOk;
        }
        if (a->out.empty())
            throw UsageError{"--out DIR is required (or --count, --preview N)"};
        auto writer = openWriter(context);
        const auto reader = openReader(context);
        auto result = runExport(*reader, *writer, definition, a->out, context.reviewerName(), {}, &interrupted());
        if (!result)
            throw CommandFailed{result.error()};
        if (context.json) {
            QJsonObject json = jsonObject(result->manifestJson);
            json.insert(QStringLiteral("batch"), static_cast<qint64>(result->batchId));
            json.insert(QStringLiteral("out"), q(result->outDir));
            printJson(json);
        } else {
            const QJsonObject manifest = jsonObject(result->manifestJson);
            std::cout << "batch " << result->batchId << ": " << result->records << " records of "
                      << result->interactions << " interactions (" << exportFormatName(definition.format)
                      << ") in " << result->outDir << "\n";
            for (const QJsonValue file : manifest.value(QStringLiteral("files")).toArray())
                std::cout << "  " << file[QStringLiteral("name")].toString().toStdString() << ": "
                          << file[QStringLiteral("records")].toInteger() << " records\n";
            const QJsonObject leftOut = manifest.value(QStringLiteral("left_out")).toObject();
            for (auto it = leftOut.begin(); it != leftOut.end(); ++it)
                std::cout << "  left out, " << it.key().toStdString() << ": " << it.value().toInteger() << "\n";
            const QJsonValue duplicates = manifest.value(QStringLiteral("duplicates"));
            if (duplicates.isObject())
                std::cout << "  near-duplicates removed: " << duplicates[QStringLiteral("removed")].toInteger()
                          << "\n";
            const QJsonValue redaction = manifest.value(QStringLiteral("redaction"));
            if (redaction.isObject()) {
                std::int64_t redactions = 0;
                for (const QJsonValue n : redaction[QStringLiteral("redactions")].toObject())
                    redactions += n.toInteger();
                std::cout << "  redactions: " << redactions << " (rule version "
                          << redaction[QStringLiteral("rules_version")].toInteger() << "), post-check passed\n";
            }
        }
        return exitOk;
    };
}

Runner defineBatches(CLI::App& command, const Context& context)
{
    auto id = std::make_shared<std::int64_t>(0);
    command.description("The export batches written so far, newest first, or one batch's manifest.");
    CLI::App* show = command.add_subcommand("show", "A batch's manifest");
    show->add_option("id", *id, "The batch")->required();
    command.add_subcommand("list", "Every batch (the default)");
    for (CLI::App* sub : command.get_subcommands())
        sub->fallthrough();
    setExamples(command, {"winnow batches", "winnow --json batches show 3"});
    return [&context, id, show]() -> int {
        const auto reader = openReader(context);
        ExportStore store(*reader);
        if (show->parsed()) {
            const std::optional<ExportBatch> batch = store.batch(*id);
            if (!batch)
                throw CommandFailed{Error{"no batch " + std::to_string(*id), {}}};
            if (context.json) {
                QJsonObject json = jsonObject(batch->manifestJson);
                json.insert(QStringLiteral("batch"), static_cast<qint64>(batch->id));
                json.insert(QStringLiteral("out"), q(batch->outDir));
                json.insert(QStringLiteral("author"), q(batch->author));
                json.insert(QStringLiteral("created"), q(formatIsoTimestamp(batch->createdMs)));
                printJson(json);
            } else {
                std::cout << "batch " << batch->id << " (" << batch->format << ") by " << batch->author << " at "
                          << formatIsoTimestamp(batch->createdMs) << " in " << batch->outDir << "\n"
                          << batch->manifestJson;
            }
            return exitOk;
        }
        const std::vector<ExportBatch> batches = store.batches();
        if (context.json) {
            QJsonArray list;
            for (const ExportBatch& b : batches)
                list.append(QJsonObject{{QStringLiteral("id"), static_cast<qint64>(b.id)},
                                        {QStringLiteral("format"), q(b.format)},
                                        {QStringLiteral("records"), static_cast<qint64>(b.examples)},
                                        {QStringLiteral("out"), q(b.outDir)},
                                        {QStringLiteral("author"), q(b.author)},
                                        {QStringLiteral("created"), q(formatIsoTimestamp(b.createdMs))}});
            printJson({{QStringLiteral("batches"), list}});
            return exitOk;
        }
        if (batches.empty()) {
            printNothing(context, "export batches");
            return exitOk;
        }
        TextTable table({"batch", "format", "records", "created", "author", "folder"});
        for (const ExportBatch& b : batches)
            table.add({std::to_string(b.id), b.format, std::to_string(b.examples), formatIsoTimestamp(b.createdMs),
                       b.author, b.outDir});
        table.print(std::cout);
        return exitOk;
    };
}

} // namespace winnow::cli
