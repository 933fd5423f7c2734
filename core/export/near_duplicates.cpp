#include "core/export/near_duplicates.h"

#include "core/util/text.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace winnow {

namespace {

constexpr int bands = 10;
constexpr int rowsPerBand = minHashBins / bands;
constexpr std::uint64_t empty = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
// Kept texts compared with one new text at most: bounds the time on templated conversations whose
// bands collide often without being near-duplicates.
constexpr size_t maxComparisons = 256;

bool wordByte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

} // namespace

std::vector<std::uint64_t> shingleHashes(std::string_view text)
{
    std::vector<std::uint64_t> shingles;
    std::string word;
    std::uint64_t previous[2] = {0, 0};
    int words = 0;
    auto endWord = [&] {
        if (word.empty())
            return;
        const std::uint64_t h = hash64(word);
        word.clear();
        if (words >= 2)
            shingles.push_back(mix64(previous[0] * 0x9E3779B97F4A7C15ULL + previous[1] * 31 + h));
        previous[0] = previous[1];
        previous[1] = h;
        ++words;
    };
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (wordByte(byte))
            word += (byte >= 'A' && byte <= 'Z') ? char(byte - 'A' + 'a') : c;
        else
            endWord();
    }
    endWord();
    if (words == 1)
        shingles.push_back(mix64(previous[1]));
    else if (words == 2)
        shingles.push_back(mix64(previous[0] * 0x9E3779B97F4A7C15ULL + previous[1]));
    std::sort(shingles.begin(), shingles.end());
    shingles.erase(std::unique(shingles.begin(), shingles.end()), shingles.end());
    return shingles;
}

MinHashSignature minHashSignature(const std::vector<std::uint64_t>& shingles)
{
    MinHashSignature signature;
    signature.fill(empty);
    for (const std::uint64_t h : shingles) {
        const size_t bin = size_t(h % minHashBins);
        signature[bin] = std::min(signature[bin], h / minHashBins);
    }
    // Empty bins take the nearest filled bin to their right, marked by the distance, so that two
    // short texts compare on what they have rather than on agreeing emptiness.
    for (int b = 0; b < minHashBins; ++b) {
        if (signature[size_t(b)] != empty)
            continue;
        for (int d = 1; d < minHashBins; ++d) {
            const std::uint64_t v = signature[size_t((b + d) % minHashBins)];
            if (v != empty && v < empty / 2) {
                signature[size_t(b)] = mix64(v + std::uint64_t(d)) | (empty / 2 + 1);
                break;
            }
        }
    }
    return signature;
}

MinHashSignature minHashSignature(std::string_view text)
{
    return minHashSignature(shingleHashes(text));
}

double jaccard(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b)
{
    if (a.empty() && b.empty())
        return 1;
    size_t i = 0, j = 0, common = 0;
    while (i < a.size() && j < b.size()) {
        if (a[i] == b[j]) {
            ++common;
            ++i;
            ++j;
        } else if (a[i] < b[j]) {
            ++i;
        } else {
            ++j;
        }
    }
    return double(common) / double(a.size() + b.size() - common);
}

double estimatedSimilarity(const MinHashSignature& a, const MinHashSignature& b)
{
    int same = 0;
    for (int i = 0; i < minHashBins; ++i)
        same += a[size_t(i)] == b[size_t(i)];
    return double(same) / minHashBins;
}

NearDuplicateFilter::NearDuplicateFilter(double threshold) : m_threshold(threshold) {}

std::optional<std::int64_t> NearDuplicateFilter::add(std::int64_t item, std::string_view text)
{
    std::vector<std::uint64_t> shingles = shingleHashes(text);
    const MinHashSignature signature = minHashSignature(shingles);
    ++m_texts;
    // The same signature (most duplicates are exact copies): one lookup, then the sets compared.
    std::uint64_t whole = 0;
    for (const std::uint64_t bin : signature)
        whole = mix64(whole ^ bin);
    if (const auto same = m_exact.find(whole);
        same != m_exact.end() && jaccard(shingles, m_keptShingles[same->second]) >= m_threshold)
        return m_keptItems[same->second];
    std::array<std::uint64_t, bands> keys;
    for (int band = 0; band < bands; ++band) {
        std::uint64_t key = mix64(std::uint64_t(band) + 1);
        for (int r = 0; r < rowsPerBand; ++r)
            key = mix64(key ^ signature[size_t(band * rowsPerBand + r)]);
        keys[size_t(band)] = key;
    }
    // Each kept text sharing a band is compared once, the most recent first: the estimate first,
    // with room for its error (0.15 below the threshold), then the exact similarity.
    const int allowedDifferent =
        minHashBins - int(std::ceil(std::max(0.0, m_threshold - 0.15) * minHashBins - 1e-9));
    CompactSignature compact;
    for (int b = 0; b < minHashBins; ++b)
        compact[size_t(b)] = std::uint16_t(signature[size_t(b)] ^ (signature[size_t(b)] >> 16) ^ (signature[size_t(b)] >> 32));
    size_t comparisons = 0;
    for (int band = 0; band < bands && comparisons < maxComparisons; ++band) {
        const auto head = m_bandHead.find(keys[size_t(band)]);
        if (head == m_bandHead.end())
            continue;
        for (std::uint32_t entry = head->second; entry != none && comparisons < maxComparisons;
             entry = m_bandNext[entry]) {
            const std::uint32_t kept = entry / bands;
            if (m_comparedAt[kept] == m_texts)
                continue;
            m_comparedAt[kept] = m_texts;
            ++comparisons;
            const CompactSignature& other = m_kept[kept];
            int different = 0;
            for (int b = 0; b < minHashBins; ++b)
                different += compact[size_t(b)] != other[size_t(b)];
            if (different <= allowedDifferent && jaccard(shingles, m_keptShingles[kept]) >= m_threshold)
                return m_keptItems[kept];
        }
    }
    const auto kept = static_cast<std::uint32_t>(m_kept.size());
    m_kept.push_back(compact);
    m_keptShingles.push_back(std::move(shingles));
    m_keptItems.push_back(item);
    m_comparedAt.push_back(0);
    m_exact.try_emplace(whole, kept);
    for (int band = 0; band < bands; ++band) {
        const std::uint32_t entry = kept * bands + std::uint32_t(band);
        auto [head, added] = m_bandHead.try_emplace(keys[size_t(band)], entry);
        m_bandNext.push_back(added ? none : head->second);
        head->second = entry;
    }
    return std::nullopt;
}

} // namespace winnow
