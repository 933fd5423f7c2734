#include "core/store/text_store.h"

#include <xxhash.h>

#include <algorithm>

namespace winnow {

TextStore::TextStore(sql::Connection& db)
    : m_db(db), m_find(db, "SELECT id, content FROM texts WHERE hash = ?1"),
      m_insert(db, "INSERT INTO texts(hash, content) VALUES(?1, ?2)"),
      m_highest(db, "SELECT coalesce(max(id), 0) FROM texts")
{
}

void TextStore::beginWrite()
{
    // Ids are handed out above the highest; one that is gone was rolled back, and may be handed
    // out again for another text.
    m_highest.step();
    const std::int64_t highest = m_highest.int64(0);
    m_highest.reset();
    if (highest < m_highestKnown)
        m_known.clear();
    m_highestKnown = highest;
}

std::int64_t TextStore::idOf(std::string_view text)
{
    const XXH128_hash_t hash = XXH3_128bits(text.data(), text.size());
    const Digest digest{hash.low64, hash.high64};
    if (const auto known = m_known.find(digest); known != m_known.end())
        return known->second;
    if (m_known.size() >= maxRemembered)
        m_known.clear();
    // The stored hash is 64 bits: texts that share it are told apart by their content.
    const auto stored = static_cast<std::int64_t>(hash.low64);
    std::int64_t id = 0;
    m_find.bind(1, stored);
    while (m_find.step())
        if (m_find.textView(1) == text) {
            id = m_find.int64(0);
            break;
        }
    m_find.reset();
    if (id == 0) {
        m_insert.bind(1, stored).bind(2, text).run();
        id = m_db.lastInsertRowId();
    }
    m_known.emplace(digest, id);
    m_highestKnown = std::max(m_highestKnown, id);
    return id;
}

} // namespace winnow
