#pragma once
// Detector settings kept in the store, and recomputing every stored interaction's signals after
// they change: read in time order on a reader's connection, detected on the calling thread,
// written back a chunk per write operation.

#include "core/signals/detectors.h"
#include "core/util/result.h"

#include <atomic>
#include <functional>

namespace winnow {

class Database;
class StoreWriter;

// The store's detector settings, or the defaults when it has none; an Error names a bad setting.
Result<DetectorSettings> loadDetectorSettings(Database& database);
// Checks that every pattern compiles, then saves them (an interactive write).
Status saveDetectorSettings(StoreWriter& writer, const DetectorSettings& settings);

// The interactions already in the store at `storePath`, for a detector's repeat memory (see
// SignalDetector::setEarlierInteractions): none when the store cannot be read.
SignalDetector::EarlierInteractions storedInteractions(const std::string& storePath);

struct RebuildSummary
{
    std::int64_t interactions = 0;
    std::int64_t withSignals = 0;
    bool cancelled = false;
};

// Recomputes the signals of every stored interaction, in time order, a chunk per transaction.
Result<RebuildSummary> rebuildSignals(Database& reader, StoreWriter& writer, const DetectorSettings& settings,
                                      const std::function<void(std::int64_t done)>& progress = {},
                                      const std::atomic<bool>* cancel = nullptr);

} // namespace winnow
