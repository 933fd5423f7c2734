#pragma once
// Whether a store and its search index are whole: SQLite's own checks (quick_check, or the full
// integrity_check) and FTS5's integrity-check of the index. Reads every page, so it takes time on
// a large store: `winnow check` runs it on request; the app runs the quick one in the background
// after every open, and says so when the store is damaged.

#include <atomic>
#include <string>
#include <vector>

namespace winnow {

struct StoreCheck
{
    std::vector<std::string> storeProblems;  // empty when the store is whole
    std::vector<std::string> indexProblems;  // empty when the index is whole or missing
    bool indexChecked = false;
    bool cancelled = false; // stopped before the end: what was found so far
    bool whole() const { return storeProblems.empty() && indexProblems.empty(); }
};

// `full`: integrity_check (also each index against its table) instead of quick_check. `cancel`,
// when set, stops the check within milliseconds.
StoreCheck checkStore(const std::string& storePath, bool full, const std::atomic<bool>* cancel = nullptr);

} // namespace winnow
