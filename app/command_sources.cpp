// winnow sources: every log source with where reading stands.

#include "app/command.h"
#include "app/render.h"

#include "core/store/database.h"
#include "core/store/source_store.h"
#include "core/util/text.h"

#include <QJsonArray>

#include <iostream>

namespace winnow::cli {

Runner defineSources(CLI::App& command, const Context& context)
{
    command.description("Every log source with its format, position and counts.");
    setExamples(command, {"winnow --db agents.db sources", "winnow sources --json"});
    return [&context]() -> int {
        const auto database = openReader(context);
        const std::vector<SourceState> sources = SourceStore(*database).sources();
        if (context.json) {
            QJsonArray list;
            for (const SourceState& s : sources)
                list.append(
                    QJsonObject{{QStringLiteral("path"), q(s.path)},
                                {QStringLiteral("format"), q(s.format)},
                                {QStringLiteral("offset"), static_cast<qint64>(s.offset)},
                                {QStringLiteral("line"), static_cast<qint64>(s.line)},
                                {QStringLiteral("ingested"), static_cast<qint64>(s.ingested)},
                                {QStringLiteral("duplicates"), static_cast<qint64>(s.duplicates)},
                                {QStringLiteral("quarantined"), static_cast<qint64>(s.quarantined)},
                                {QStringLiteral("last_activity"),
                                 s.lastActivityMs ? q(formatIsoTimestamp(s.lastActivityMs)) : QString()}});
            printJson({{QStringLiteral("sources"), list}});
            return exitOk;
        }
        if (sources.empty()) {
            printNothing(context, "no sources yet: winnow ingest PATH reads one");
            return exitOk;
        }
        TextTable table(
            {"source", "format", "ingested", "duplicates", "quarantined", "line", "offset", "last activity"});
        for (const SourceState& s : sources)
            table.add({s.path, s.format, std::to_string(s.ingested), std::to_string(s.duplicates),
                       std::to_string(s.quarantined), std::to_string(s.line), std::to_string(s.offset),
                       s.lastActivityMs ? formatIsoTimestamp(s.lastActivityMs) : std::string()});
        table.print(std::cout);
        return exitOk;
    };
}

} // namespace winnow::cli
