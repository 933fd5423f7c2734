// winnow index: bring the full-text index up to date.

#include "app/command.h"
#include "app/render.h"

#include "core/store/database.h"
#include "core/store/search_index.h"

#include <chrono>
#include <exception>
#include <iostream>

namespace winnow::cli {

Runner defineIndex(CLI::App& command, const Context& context)
{
    command.description("Bring the full-text index (a file beside the store) up to date, e.g. after ingest "
                        "--no-index. Builds it again when it is missing or belongs to another store.");
    setExamples(command, {"winnow --db agents.db index"});
    return [&context]() -> int {
        const auto database = openReader(context); // the store must exist; it is not created
        const std::string path = database->path();
        stopOnInterrupt(); // Ctrl-C also ends a wait for the index held by another process
        const CommandFailed stopped{
            Error{"interrupted: the index is up to date to its last batch; winnow index "
                  "goes on from there",
                  {}}};
        auto index = SearchIndex::open(path, SearchIndex::Mode::Index, &interrupted());
        if (!index)
            throw interrupted() ? stopped : CommandFailed{index.error()};
        const auto started = std::chrono::steady_clock::now();
        std::int64_t indexed = 0;
        try {
            while (const std::int64_t step = (*index)->indexPending()) {
                indexed += step;
                if (interrupted())
                    throw stopped;
            }
        } catch (const std::exception&) {
            if (interrupted())
                throw stopped; // while it waited for the index
            throw;
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (context.json)
            printJson({{QStringLiteral("indexed_messages"), static_cast<qint64>(indexed)},
                       {QStringLiteral("seconds"), seconds}});
        else
            std::cout << "indexed " << indexed << " messages in " << seconds << " s\n";
        return exitOk;
    };
}

} // namespace winnow::cli
