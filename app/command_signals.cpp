// winnow signals: the feedback signals found at ingest.

#include "app/command.h"
#include "app/render.h"

#include "core/signals/evaluation.h"
#include "core/signals/rebuild.h"
#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/signal_store.h"
#include "core/store/store_writer.h"
#include "core/util/text.h"

#include <QJsonArray>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

namespace winnow::cli {

namespace {
struct SignalsArguments
{
    std::string kind;
    bool list = false;
    std::int64_t limit = 50;
    bool rebuild = false;
    std::string evaluate;
};

// winnow signals --evaluate: the store's detector settings against a labelled file.
int printEvaluation(const Context& context, const std::string& path)
{
    DetectorSettings settings;
    if (std::filesystem::exists(context.storePath())) {
        const auto reader = openReader(context);
        auto stored = loadDetectorSettings(*reader);
        if (!stored)
            throw CommandFailed{stored.error()};
        settings = *stored;
    }
    auto evaluation = evaluateDetectors(path, settings);
    if (!evaluation)
        throw CommandFailed{evaluation.error()};
    if (context.json) {
        QJsonObject kinds;
        for (const auto& [kind, score] : evaluation->kinds)
            kinds.insert(
                QString::fromLatin1(signalKindName(kind)),
                QJsonObject{{QStringLiteral("true_positives"), static_cast<qint64>(score.truePositives)},
                            {QStringLiteral("false_positives"), static_cast<qint64>(score.falsePositives)},
                            {QStringLiteral("false_negatives"), static_cast<qint64>(score.falseNegatives)},
                            {QStringLiteral("precision"), score.precision()},
                            {QStringLiteral("recall"), score.recall()}});
        QJsonArray disagreements;
        for (const Disagreement& d : evaluation->disagreements)
            disagreements.append(
                QJsonObject{{QStringLiteral("id"), q(d.id)},
                            {QStringLiteral("line"), static_cast<qint64>(d.line)},
                            {QStringLiteral("kind"), QString::fromLatin1(signalKindName(d.kind))},
                            {QStringLiteral("missed"), d.missed},
                            {QStringLiteral("reason"), q(d.reason)}});
        printJson(QJsonObject{{QStringLiteral("records"), static_cast<qint64>(evaluation->records)},
                              {QStringLiteral("kinds"), kinds},
                              {QStringLiteral("disagreements"), disagreements}});
        return exitOk;
    }
    TextTable table({"signal", "expected", "found", "right", "precision", "recall"});
    auto percentOf = [](double value) {
        char text[16];
        std::snprintf(text, sizeof text, "%.1f%%", value * 100);
        return std::string(text);
    };
    for (const auto& [kind, score] : evaluation->kinds)
        table.add({signalKindName(kind), std::to_string(score.truePositives + score.falseNegatives),
                   std::to_string(score.truePositives + score.falsePositives),
                   std::to_string(score.truePositives), percentOf(score.precision()),
                   percentOf(score.recall())});
    std::cout << evaluation->records << " labelled records in " << path << "\n";
    table.print(std::cout);
    for (const Disagreement& d : evaluation->disagreements)
        std::cout << "  line " << d.line << " " << d.id << ": " << signalKindName(d.kind)
                  << (d.missed ? " expected, not found" : " found, not expected: " + d.reason) << "\n";
    return exitOk;
}

std::string kindList()
{
    std::string list;
    for (int k = 0; k < signalKindCount; ++k)
        list += (k ? ", " : "") + std::string(signalKindName(static_cast<SignalKind>(k)));
    return list;
}
} // namespace

Runner defineSignals(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<SignalsArguments>();
    command.description(
        "How many interactions have each feedback signal, or the interactions behind one kind; "
        "--rebuild recomputes every interaction's signals after a detector change.");
    command.add_option("--kind", a->kind, "One kind: " + kindList())->type_name("KIND");
    command.add_flag("--list", a->list, "List the interactions with --kind");
    command.add_option("--limit", a->limit, "At most this many listed (1 or more)")
        ->check(CLI::PositiveNumber);
    command.add_flag("--rebuild", a->rebuild, "Recompute every interaction's signals first");
    command
        .add_option("--evaluate", a->evaluate,
                    "Run the store's detector settings (the defaults without a store) over a JSONL file of "
                    "records labelled with metadata.expect: precision and recall per kind, and each "
                    "disagreement")
        ->type_name("FILE");
    setExamples(command, {"winnow --db agents.db signals --json",
                          "winnow signals --kind escalation --list --limit 20"});
    return [&context, a]() -> int {
        if (!a->evaluate.empty())
            return printEvaluation(context, a->evaluate);
        std::optional<SignalKind> only;
        if (!a->kind.empty()) {
            SignalKind kind;
            if (!parseSignalKind(a->kind, kind))
                throw UsageError{"unknown signal kind '" + a->kind + "' (" + kindList() + ")"};
            only = kind;
        }
        if (a->list && !only)
            throw UsageError{"signals --list needs --kind K"};
        QJsonObject result;
        if (a->rebuild) {
            auto writer = openWriter(context);
            const auto reader = openReader(context);
            auto settings = loadDetectorSettings(*reader);
            if (!settings)
                throw CommandFailed{settings.error()};
            stopOnInterrupt();
            const auto started = std::chrono::steady_clock::now();
            auto rebuilt = rebuildSignals(*reader, *writer, *settings, {}, &interrupted());
            if (!rebuilt)
                throw CommandFailed{rebuilt.error()};
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            result.insert(QStringLiteral("rebuilt"), static_cast<qint64>(rebuilt->interactions));
            result.insert(QStringLiteral("seconds"), seconds);
            result.insert(QStringLiteral("cancelled"), rebuilt->cancelled);
            if (!context.json)
                std::cout << "recomputed the signals of " << rebuilt->interactions << " interactions in "
                          << seconds << " s"
                          << (rebuilt->cancelled ? " (interrupted: run again to finish)" : "") << "\n";
        }
        const auto database = openReader(context);
        SignalStore signals(*database);
        if (a->list) {
            QJsonArray items;
            const std::vector<SignalEntry> entries = signals.ofKind(*only, a->limit);
            for (const SignalEntry& e : entries) {
                const QString when = e.startMs ? q(formatIsoTimestamp(*e.startMs)) : QString();
                items.append(QJsonObject{{QStringLiteral("interaction"), q(e.interactionKey)},
                                         {QStringLiteral("start_time"), when},
                                         {QStringLiteral("message"), e.signal.messageIndex},
                                         {QStringLiteral("confidence"), e.signal.confidence},
                                         {QStringLiteral("reason"), q(e.signal.reason)}});
                if (!context.json)
                    std::cout << e.interactionKey << "  " << when.toStdString() << "  message "
                              << e.signal.messageIndex << "  " << e.signal.reason << "\n";
            }
            if (context.json) {
                result.insert(QStringLiteral("kind"), QString::fromLatin1(signalKindName(*only)));
                result.insert(QStringLiteral("items"), items);
                printJson(result);
            } else if (entries.empty()) {
                printNothing(context,
                             std::string("no interaction has a ") + signalKindName(*only) + " signal");
            }
            return exitOk;
        }
        const std::int64_t total = InteractionStore(*database).stats().interactions;
        std::map<SignalKind, std::int64_t> counts;
        for (const auto& [kind, count] : signals.counts())
            counts[kind] = count;
        QJsonObject kinds;
        TextTable table({"signal", "interactions", "rate"});
        for (int k = 0; k < signalKindCount; ++k) {
            const SignalKind kind = static_cast<SignalKind>(k);
            if (only && *only != kind)
                continue;
            const std::int64_t n = counts[kind];
            const double rate = total ? static_cast<double>(n) / static_cast<double>(total) : 0.0;
            kinds.insert(QString::fromLatin1(signalKindName(kind)),
                         QJsonObject{{QStringLiteral("interactions"), static_cast<qint64>(n)},
                                     {QStringLiteral("rate"), rate}});
            char percent[32];
            std::snprintf(percent, sizeof percent, "%.2f%%", rate * 100);
            table.add({signalKindName(kind), std::to_string(n), percent});
        }
        if (context.json) {
            result.insert(QStringLiteral("interactions"), static_cast<qint64>(total));
            result.insert(QStringLiteral("signals"), kinds);
            printJson(result);
            return exitOk;
        }
        std::cout << "interactions  " << total << "\n\n";
        table.print(std::cout);
        return exitOk;
    };
}

} // namespace winnow::cli
