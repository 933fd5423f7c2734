#pragma once
// Detector settings kept in the store, and recomputing every stored interaction's signals after
// they change. Runs on the thread that owns the (writer) Store.

#include "core/signals/detectors.h"
#include "core/store/store.h"

#include <atomic>
#include <functional>

namespace winnow {

constexpr const char* detectorSettingsKey = "detectors";

// The store's detector settings, or the defaults when it has none; `error` names a bad setting.
DetectorSettings loadDetectorSettings(Store& store, std::string& error);
// Checks that every pattern compiles before saving; returns the error, or empty.
std::string saveDetectorSettings(Store& store, const DetectorSettings& settings);

struct RebuildSummary
{
    std::int64_t interactions = 0;
    std::int64_t withSignals = 0;
    bool cancelled = false;
};

// Recomputes the signals of every stored interaction, in time order, in batched transactions.
RebuildSummary rebuildSignals(Store& store, const DetectorSettings& settings,
                              const std::function<void(std::int64_t done)>& progress = {},
                              const std::atomic<bool>* cancel = nullptr);

} // namespace winnow
