#pragma once
// Long texts written once each (the texts table): a system prompt, tool schema or tool result that
// a million messages repeat is stored once and pointed at. Lives on the writer's thread, inside
// its write operations.

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "core/store/sqlite.h"

namespace winnow {

class TextStore
{
public:
    // Texts shorter than this stay in their message: a pointer would not save their bytes.
    static constexpr size_t sharedFromBytes = 128;

    explicit TextStore(sql::Connection& db);
    // At the start of each write: what a rolled-back operation added is forgotten.
    void beginWrite();
    // The text's id in the texts table, added if it is not there.
    std::int64_t idOf(std::string_view text);

private:
    struct Digest
    {
        std::uint64_t low, high;
        bool operator==(const Digest&) const = default;
    };
    struct DigestHash
    {
        size_t operator()(const Digest& d) const { return d.low; }
    };
    static constexpr size_t maxRemembered = 200'000;
    sql::Connection& m_db;
    sql::Statement m_find, m_insert, m_highest;
    // Texts written or found in this writer's life, by their 128-bit hash.
    std::unordered_map<Digest, std::int64_t, DigestHash> m_known;
    std::int64_t m_highestKnown = 0;
};

} // namespace winnow
