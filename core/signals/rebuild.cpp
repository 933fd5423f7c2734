#include "core/signals/rebuild.h"

#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/rederive.h"
#include "core/store/settings_store.h"
#include "core/store/signal_store.h"
#include "core/store/store_writer.h"

namespace winnow {

Result<DetectorSettings> loadDetectorSettings(Database& database)
{
    const std::string json = SettingsStore(database).get(storeSettings::detectors);
    if (json.empty())
        return DetectorSettings{};
    std::string error;
    DetectorSettings settings = DetectorSettings::fromJson(json, error);
    if (!error.empty())
        return Error{"the store's detector settings: " + error, {}};
    return settings;
}

Status saveDetectorSettings(StoreWriter& writer, const DetectorSettings& settings)
{
    SignalDetector check(settings);
    if (!check.error().empty())
        return Error{check.error(), {}};
    const std::string json = settings.toJson();
    return writer.write(WritePriority::Interactive, [json](WriteTransaction& tx) {
        SettingsStore(tx.database()).set(storeSettings::detectors, json);
        tx.changed(StoreChange::Settings);
    });
}

SignalDetector::EarlierInteractions storedInteractions(const std::string& storePath)
{
    return [storePath](std::int64_t fromMs, std::int64_t toMs) {
        std::vector<Interaction> found;
        auto reader = Database::openForReading(storePath);
        if (!reader || !(*reader)->isCurrent())
            return found;
        try {
            InteractionStore interactions(**reader);
            InteractionCursor cursor{fromMs - 1, INT64_MAX}; // from fromMs on
            while (true) {
                std::vector<StoredInteraction> chunk = interactions.after(cursor, 500);
                if (chunk.empty())
                    return found;
                for (StoredInteraction& stored : chunk) {
                    if (stored.interaction.startMs && *stored.interaction.startMs > toMs)
                        return found;
                    found.push_back(std::move(stored.interaction));
                }
            }
        } catch (const std::exception&) {
            // Without them a repeat across runs may be missed, never a wrong one found.
        }
        return found;
    };
}

Result<RebuildSummary> rebuildSignals(Database& reader, StoreWriter& writer, const DetectorSettings& settings,
                                      const std::function<void(std::int64_t)>& progress,
                                      const std::atomic<bool>* cancel)
{
    RebuildSummary summary;
    SignalDetector detector(settings);
    if (!detector.error().empty())
        return Error{detector.error(), {}};
    auto rewritten = rederiveStored(
        reader, writer,
        [&summary, &detector](std::vector<StoredInteraction>& batch) {
            for (StoredInteraction& stored : batch) {
                stored.interaction.signals = detector.detect(stored.interaction);
                summary.withSignals += !stored.interaction.signals.empty();
            }
        },
        [](WriteTransaction& tx, const std::vector<StoredInteraction>& batch) {
            SignalStore(tx.database()).replace(batch, tx.rollups());
            tx.changed(StoreChange::Signals | StoreChange::Interactions);
        },
        progress, cancel);
    if (!rewritten)
        return rewritten.error();
    summary.interactions = *rewritten;
    summary.cancelled = cancel && cancel->load();
    return summary;
}

} // namespace winnow
