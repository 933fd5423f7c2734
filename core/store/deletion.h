#pragma once
// Taking interactions out of the store with everything derived from them (messages, tool calls,
// signals, scores, metadata, rollups, latencies, the search index's rows): the interactions of a
// slice, of one source, or those that started before a time. Runs as bulk write operations of a
// chunk each, so interactive writes pass in between and a crash leaves whole chunks done.

#include "core/store/filter.h"
#include "core/util/result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace winnow {

class Database;
class StoreWriter;

struct DeleteSelection
{
    enum class Kind { Slice, Source, Before } kind = Kind::Slice;
    MetricsFilter filter;      // Slice: FIELD=VALUE conditions and a time range
    std::string sourcePath;    // Source: everything read from it; the source itself is forgotten
    std::int64_t beforeMs = 0; // Before: interactions that started before this time
};

struct DeleteSummary
{
    std::int64_t deleted = 0;
    bool sourceForgotten = false;
    bool cancelled = false;
};

// What is deleted is chosen once, on the reader, when it starts: interactions that arrive while
// it runs stay.
Result<DeleteSummary> deleteInteractions(Database& reader, StoreWriter& writer,
                                         const DeleteSelection& selection,
                                         const std::function<void(std::int64_t deleted)>& progress = {},
                                         const std::atomic<bool>* cancel = nullptr);

// Deletes a source's interactions and quarantined records and rewinds it, so that the next ingest
// reads it again from the start (with whatever options it is given then). Returns how many
// interactions went.
Result<std::int64_t> resetSource(Database& reader, StoreWriter& writer, const std::string& sourcePath,
                                 const std::atomic<bool>* cancel = nullptr);

} // namespace winnow
