#pragma once
// Whether a store and its search index are whole: SQLite's own checks (quick_check, or the full
// integrity_check) and FTS5's integrity-check of the index. Reads every page, so it takes time on
// a large store (about a second per gigabyte in the page cache, tens of seconds from disk): a
// check that finds them whole is remembered with a stamp of their files, and a store whose files
// have not changed since is known whole without reading it again. The command line checks a store
// before a command uses it, the app in the background after every open, both unless it is known
// whole; `winnow check` on request.

#include <atomic>
#include <string>
#include <vector>

namespace winnow {

struct StoreCheck
{
    std::vector<std::string> storeProblems;  // empty when the store is whole
    std::vector<std::string> indexProblems;  // empty when the index is whole or missing
    bool indexChecked = false;
    // FTS5's check of the index did not run (SQLite's did): it needs the index's write lock, which
    // another process held past the wait (`winnow index`), or this user may not write the index.
    // Not damage; the check is not remembered.
    bool indexLocked = false;
    bool cancelled = false; // stopped before the end: what was found so far
    // Known whole from an earlier check of the same files (isKnownWhole): nothing was read.
    bool remembered = false;
    bool whole() const { return storeProblems.empty() && indexProblems.empty(); }
};

// `full`: integrity_check (also each index against its table) instead of quick_check. `cancel`,
// when set, stops the check within milliseconds. A check that ends with both whole (the index
// checked in full, or missing) is remembered for isKnownWhole.
StoreCheck checkStore(const std::string& storePath, bool full, const std::atomic<bool>* cancel = nullptr);

// A check found the store and its index whole, and none of their files (the store, its write-ahead
// log, the index and its log) has been written or replaced since: device, inode, size and
// modification time are as they were. Checks are remembered in the user's cache folder
// (~/.cache/winnow/checked), one small file per store.
bool isKnownWhole(const std::string& storePath);

// checkStore, unless the store is known whole: then a whole check, `remembered`, without reading.
StoreCheck checkStoreUnlessKnownWhole(const std::string& storePath,
                                      const std::atomic<bool>* cancel = nullptr);

} // namespace winnow
