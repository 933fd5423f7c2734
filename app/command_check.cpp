// winnow check: whether the store and its search index are whole (SQLite's and FTS5's own checks).

#include "app/command.h"
#include "app/render.h"

#include "core/store/database.h"
#include "core/store/integrity.h"

#include <QJsonArray>

#include <iostream>

namespace winnow::cli {

Runner defineCheck(CLI::App& command, const Context& context)
{
    auto full = std::make_shared<bool>(false);
    command.description("Check that the store and its search index are whole (SQLite's quick_check and "
                        "FTS5's integrity-check; reads every page). Exit status 1 when something is damaged: "
                        "restore the store from a backup, or rebuild the index (delete it, then winnow index).");
    command.add_flag("--full", *full, "SQLite's full integrity_check (slower: also each index against its table)");
    setExamples(command, {"winnow --db agents.db check", "winnow --db agents.db check --full --json"});
    return [&context, full]() -> int {
        // Refuses what is not a store; a damaged one is this command's to describe.
        const std::string path = openReader(context, CheckFirst::No)->path();
        const StoreCheck check = checkStore(path, *full);
        auto list = [](const std::vector<std::string>& problems) {
            QJsonArray array;
            for (const std::string& p : problems)
                array.append(q(p));
            return array;
        };
        if (context.json) {
            printJson({{QStringLiteral("whole"), check.whole()},
                       {QStringLiteral("store_problems"), list(check.storeProblems)},
                       {QStringLiteral("index_checked"), check.indexChecked},
                       {QStringLiteral("index_problems"), list(check.indexProblems)}});
        } else {
            std::cout << "store         " << (check.storeProblems.empty() ? "whole" : "DAMAGED") << "\n";
            for (const std::string& p : check.storeProblems)
                std::cout << "  " << p << "\n";
            std::cout << "search index  "
                      << (!check.indexChecked ? "none" : check.indexProblems.empty() ? "whole" : "DAMAGED") << "\n";
            for (const std::string& p : check.indexProblems)
                std::cout << "  " << p << "\n";
        }
        return check.whole() ? exitOk : exitFailed;
    };
}

} // namespace winnow::cli
