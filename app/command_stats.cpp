// winnow stats: what the store holds.

#include "app/command.h"
#include "app/render.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"

#include <iostream>

namespace winnow::cli {

Runner defineStats(CLI::App& command, const Context& context)
{
    command.description("Counts of interactions, messages, tool calls, sources and quarantined records.");
    setExamples(command, {"winnow --db agents.db stats --json"});
    return [&context]() -> int {
        const auto database = openReader(context);
        const StoreStats s = InteractionStore(*database).stats();
        if (context.json) {
            QJsonObject result{{QStringLiteral("interactions"), static_cast<qint64>(s.interactions)},
                               {QStringLiteral("messages"), static_cast<qint64>(s.messages)},
                               {QStringLiteral("tool_calls"), static_cast<qint64>(s.toolCalls)},
                               {QStringLiteral("sources"), static_cast<qint64>(s.sources)},
                               {QStringLiteral("quarantined"), static_cast<qint64>(s.quarantined)},
                               {QStringLiteral("store"), q(database->path())}};
            if (!database->readOnlyReason().empty())
                result.insert(QStringLiteral("read_only"), true);
            printJson(result);
            return exitOk;
        }
        std::cout << "store         " << database->path()
                  << (database->readOnlyReason().empty() ? "" : "  (read-only)") << "\n"
                  << "interactions  " << s.interactions << "\n"
                  << "messages      " << s.messages << "\n"
                  << "tool calls    " << s.toolCalls << "\n"
                  << "sources       " << s.sources << "\n"
                  << "quarantined   " << s.quarantined << "\n";
        return exitOk;
    };
}

} // namespace winnow::cli
