#pragma once
// Near-duplicate removal for export batches: a MinHash signature of each text's word shingles (one
// hash per shingle spread over the signature's bins, empty bins filled from their neighbours),
// locality-sensitive bands to find the texts worth comparing, the signatures' estimate to narrow
// them, and the exact Jaccard similarity of the two shingle sets to decide: on short texts the
// estimate alone errs high. Texts are taken in order: the first of a cluster stays.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace winnow {

constexpr int minHashBins = 60;
using MinHashSignature = std::array<std::uint64_t, minHashBins>;

// The hashes of the lower-cased word 3-shingles of the text (its words, when it has fewer than
// three), sorted, each once.
std::vector<std::uint64_t> shingleHashes(std::string_view text);
MinHashSignature minHashSignature(const std::vector<std::uint64_t>& shingles);
MinHashSignature minHashSignature(std::string_view text);
// |a ∩ b| / |a ∪ b| of two sorted sets.
double jaccard(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b);
// The share of bins two signatures agree on: an estimate of the texts' Jaccard similarity.
double estimatedSimilarity(const MinHashSignature& a, const MinHashSignature& b);

class NearDuplicateFilter
{
public:
    // Texts at least `threshold` similar (0 < threshold <= 1) to one kept are duplicates.
    explicit NearDuplicateFilter(double threshold);

    // The item kept before that this text nearly repeats; none when it is new (it is then kept,
    // under `item`).
    std::optional<std::int64_t> add(std::int64_t item, std::string_view text);

private:
    double m_threshold;
    // Kept signatures, 16 bits a bin: four times as many stay in the cache, and two different
    // values agree by chance once in 65,536.
    using CompactSignature = std::array<std::uint16_t, minHashBins>;
    std::vector<CompactSignature> m_kept;
    std::vector<std::vector<std::uint64_t>> m_keptShingles;
    std::vector<std::int64_t> m_keptItems;
    std::unordered_map<std::uint64_t, std::uint32_t> m_exact;    // whole signature → kept
    std::unordered_map<std::uint64_t, std::uint32_t> m_bandHead; // band key → last kept entry
    std::vector<std::uint32_t> m_bandNext;                      // per (kept, band): the one before
    std::vector<std::uint32_t> m_comparedAt;                    // per kept: the text it was last compared with
    std::uint32_t m_texts = 0;
};

} // namespace winnow
