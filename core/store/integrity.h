#pragma once
// Whether a store and its search index are whole: SQLite's own checks (quick_check, or the full
// integrity_check) and FTS5's integrity-check of the index. Reads every page, so it takes time on
// a large store: `winnow check` runs it on request, not every open.

#include <string>
#include <vector>

namespace winnow {

struct StoreCheck
{
    std::vector<std::string> storeProblems;  // empty when the store is whole
    std::vector<std::string> indexProblems;  // empty when the index is whole or missing
    bool indexChecked = false;
    bool whole() const { return storeProblems.empty() && indexProblems.empty(); }
};

// `full`: integrity_check (also each index against its table) instead of quick_check.
StoreCheck checkStore(const std::string& storePath, bool full);

} // namespace winnow
