#pragma once
// Re-deriving something of every stored interaction (its signals after the detectors changed, its
// rule hits after a publish): read a chunk, derive on the reader's thread, write it back in one
// transaction, short enough for an interactive write to pass between two.

#include "core/store/interaction_store.h"
#include "core/util/result.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace winnow {

class Database;
class StoreWriter;
class WriteTransaction;

// `derive` changes a chunk's interactions; `write` stores them (on the writer's thread, inside its
// transaction); `progress` hears how many are done. Stops at `cancel` after the last commit.
// Returns how many interactions were rewritten.
Result<std::int64_t>
rederiveStored(Database& reader, StoreWriter& writer, const std::function<void(std::vector<StoredInteraction>&)>& derive,
               const std::function<void(WriteTransaction&, const std::vector<StoredInteraction>&)>& write,
               const std::function<void(std::int64_t done)>& progress, const std::atomic<bool>* cancel);

} // namespace winnow
