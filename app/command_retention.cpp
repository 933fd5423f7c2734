// winnow retention [--days N]: how long interactions are kept.

#include "app/command.h"
#include "app/render.h"

#include "core/store/database.h"
#include "core/store/settings_store.h"
#include "core/store/store_writer.h"

#include <iostream>
#include <memory>

namespace winnow::cli {

Runner defineRetention(CLI::App& command, const Context& context)
{
    auto days = std::make_shared<std::int64_t>(-1);
    command.description(
        "Show or set how many days interactions are kept after they started (0: forever). The "
        "store's writer applies it as data arrives, and at once when it is set.");
    command.add_option("--days", *days, "Keep this many days (0 to 36500; 0 keeps everything)")
        ->check(CLI::Range(0, 36500));
    setExamples(command, {"winnow --db agents.db retention --days 90", "winnow retention --json"});
    return [&context, days]() -> int {
        std::int64_t current = 0;
        if (*days >= 0) {
            auto writer = openWriter(context);
            Status set = writer->write(WritePriority::Interactive, [value = *days](WriteTransaction& tx) {
                SettingsStore(tx.database()).set(storeSettings::retentionDays, value);
                tx.changed(StoreChange::Settings);
            });
            if (!set)
                throw CommandFailed{set.error()};
            writer->applyRetention();
            writer->drain();
            current = *days;
        } else {
            const auto reader = openReader(context);
            current = SettingsStore(*reader).get(storeSettings::retentionDays);
        }
        if (context.json)
            printJson({{QStringLiteral("retention_days"), static_cast<qint64>(current)}});
        else if (current == 0)
            std::cout << "interactions are kept forever\n";
        else
            std::cout << "interactions are kept " << current << " days after they started\n";
        return exitOk;
    };
}

} // namespace winnow::cli
