// winnow quarantine: the records that could not be used, with where and why.

#include "app/command.h"
#include "app/render.h"

#include "core/store/database.h"
#include "core/store/source_store.h"
#include "core/util/text.h"

#include <QJsonArray>

#include <iostream>
#include <memory>

namespace winnow::cli {

Runner defineQuarantine(CLI::App& command, const Context& context)
{
    auto limit = std::make_shared<std::int64_t>(100);
    command.description("Quarantined records with their file, line, byte offset, reason and an excerpt.");
    command.add_option("--limit", *limit, "At most this many (1 or more)")->check(CLI::PositiveNumber);
    setExamples(command, {"winnow --db agents.db quarantine --limit 20"});
    return [&context, limit]() -> int {
        const auto database = openReader(context);
        const std::vector<QuarantineEntry> entries = SourceStore(*database).quarantine(*limit);
        if (context.json) {
            QJsonArray list;
            for (const QuarantineEntry& e : entries)
                list.append(
                    QJsonObject{{QStringLiteral("source"), q(e.sourcePath)},
                                {QStringLiteral("line"), static_cast<qint64>(e.record.line)},
                                {QStringLiteral("byte_offset"), static_cast<qint64>(e.record.byteOffset)},
                                {QStringLiteral("reason"), q(e.record.reason)},
                                {QStringLiteral("excerpt"), q(e.record.excerpt)}});
            printJson({{QStringLiteral("quarantined"), list}});
            return exitOk;
        }
        if (entries.empty()) {
            printNothing(context, "nothing is quarantined");
            return exitOk;
        }
        for (const QuarantineEntry& e : entries)
            std::cout << Error{e.record.reason, {e.sourcePath, e.record.line, e.record.byteOffset}}.text()
                      << "\n    " << excerptOf(e.record.excerpt, 160) << "\n";
        return exitOk;
    };
}

} // namespace winnow::cli
