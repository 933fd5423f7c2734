// winnow delete: take interactions out with everything derived from them.

#include "app/command.h"
#include "app/render.h"

#include "core/store/database.h"
#include "core/store/deletion.h"
#include "core/store/interaction_store.h"
#include "core/store/source_store.h"
#include "core/store/store_writer.h"
#include "core/util/text.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct DeleteArguments
{
    std::string source;
    std::vector<std::string> where;
    std::string from, to, before;
    bool dryRun = false;
};
} // namespace

Runner defineDelete(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<DeleteArguments>();
    command.description(
        "Remove interactions with everything derived from them (messages, tool calls, signals, "
        "scores, search rows, rollups): those read from one source (which is then forgotten), "
        "those of a slice, or those that started before a time. A chunk per transaction; Ctrl-C "
        "stops at the last one.");
    auto* source =
        command.add_option("--source", a->source, "Everything read from this source (winnow sources)")
            ->type_name("PATH");
    auto* where =
        repeatable(command.add_option("--where", a->where, "FIELD=VALUE (repeatable), as in winnow metrics"))
            ->type_name("FIELD=VALUE");
    command.add_option("--from", a->from, "With --where: from this time")->type_name("TIME");
    command.add_option("--to", a->to, "With --where: up to this time")->type_name("TIME");
    auto* before = command.add_option("--before", a->before, "Interactions that started before this time")
                       ->type_name("TIME");
    command.add_flag("--dry-run", a->dryRun, "Count what would go, delete nothing");
    source->excludes(where)->excludes(before);
    where->excludes(before);
    setExamples(command, {"winnow --db agents.db delete --source /var/log/agent/old.jsonl",
                          "winnow delete --where agent=test-bot --from 2026-11-01",
                          "winnow delete --before 2026-10-01 --dry-run"});
    return [&context, a]() -> int {
        DeleteSelection selection;
        if (!a->source.empty()) {
            selection.kind = DeleteSelection::Kind::Source;
            selection.sourcePath = a->source == "otlp-http" || a->source.rfind("stdin@", 0) == 0
                                       ? a->source
                                       : std::filesystem::absolute(a->source).lexically_normal().string();
        } else if (!a->before.empty()) {
            selection.kind = DeleteSelection::Kind::Before;
            selection.beforeMs = parseTimeOption("--before", a->before);
        } else if (!a->where.empty() || !a->from.empty() || !a->to.empty()) {
            selection.kind = DeleteSelection::Kind::Slice;
            selection.filter = parseFilterOptions(a->from, a->to, a->where);
        } else {
            throw UsageError{
                "delete needs --source PATH, --where FIELD=VALUE (with --from/--to), or --before TIME"};
        }
        if (a->dryRun) {
            const auto reader = openReader(context);
            std::int64_t count = 0;
            InteractionStore interactions(*reader);
            if (selection.kind == DeleteSelection::Kind::Source) {
                const auto found = SourceStore(*reader).source(selection.sourcePath);
                if (!found)
                    throw CommandFailed{Error{"no source " + selection.sourcePath + " in the store", {}}};
                for (std::int64_t after = INT64_MIN;;) {
                    const auto ids = interactions.idsOfSource(found->id, after, 100'000);
                    if (ids.empty())
                        break;
                    count += static_cast<std::int64_t>(ids.size());
                    after = ids.back();
                }
            } else {
                MetricsFilter filter = selection.filter;
                if (selection.kind == DeleteSelection::Kind::Before)
                    filter.toMs = selection.beforeMs;
                for (std::int64_t after = INT64_MIN;;) {
                    const auto ids = interactions.idsOf(filter, after, 100'000);
                    if (ids.empty())
                        break;
                    count += static_cast<std::int64_t>(ids.size());
                    after = ids.back();
                }
            }
            if (context.json)
                printJson({{QStringLiteral("would_delete"), static_cast<qint64>(count)}});
            else
                std::cout << "would delete " << count << " interactions\n";
            return exitOk;
        }
        auto writer = openWriter(context);
        const auto reader = openReader(context);
        stopOnInterrupt();
        auto deleted = deleteInteractions(*reader, *writer, selection, {}, &interrupted());
        if (!deleted)
            throw CommandFailed{deleted.error()};
        if (context.json) {
            printJson({{QStringLiteral("deleted"), static_cast<qint64>(deleted->deleted)},
                       {QStringLiteral("source_forgotten"), deleted->sourceForgotten},
                       {QStringLiteral("cancelled"), deleted->cancelled}});
            return exitOk;
        }
        std::cout << "deleted " << deleted->deleted << " interactions";
        if (deleted->sourceForgotten)
            std::cout << " and forgot the source " << selection.sourcePath;
        std::cout << "\n";
        if (deleted->cancelled)
            std::cout << "interrupted: whole chunks were deleted; run again to finish\n";
        return exitOk;
    };
}

} // namespace winnow::cli
