#include "core/signals/rebuild.h"

namespace winnow {

DetectorSettings loadDetectorSettings(Store& store, std::string& error)
{
    const auto json = store.setting(detectorSettingsKey);
    if (!json)
        return {};
    return DetectorSettings::fromJson(*json, error);
}

std::string saveDetectorSettings(Store& store, const DetectorSettings& settings)
{
    SignalDetector check(settings);
    if (!check.error().empty())
        return check.error();
    store.setSetting(detectorSettingsKey, settings.toJson());
    return {};
}

RebuildSummary rebuildSignals(Store& store, const DetectorSettings& settings,
                              const std::function<void(std::int64_t)>& progress,
                              const std::atomic<bool>* cancel)
{
    RebuildSummary summary;
    SignalDetector detector(settings);
    InteractionCursor cursor;
    while (!(cancel && cancel->load())) {
        std::vector<StoredInteraction> batch = store.interactionsAfter(cursor, 5000);
        if (batch.empty())
            break;
        for (StoredInteraction& stored : batch) {
            stored.interaction.signals = detector.detect(stored.interaction);
            summary.withSignals += !stored.interaction.signals.empty();
        }
        store.replaceSignals(batch);
        summary.interactions += static_cast<std::int64_t>(batch.size());
        if (progress)
            progress(summary.interactions);
    }
    summary.cancelled = cancel && cancel->load();
    return summary;
}

} // namespace winnow
