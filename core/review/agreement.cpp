#include "core/review/agreement.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace winnow {

namespace {

// Krippendorff's alpha over units of value indices 0..valueCount-1 (ordinal: in rank order).
// Every unit holds two or more values. None when the data have no variation at all (nothing to
// disagree on: the caller decides what that means).
std::optional<double> alphaOfIndexed(const std::vector<const std::vector<int>*>& units, size_t valueCount,
                                     Scale scale)
{
    std::vector<double> coincidences(valueCount * valueCount, 0.0);
    for (const std::vector<int>* unit : units) {
        const double weight = 1.0 / static_cast<double>(unit->size() - 1);
        for (size_t i = 0; i < unit->size(); ++i)
            for (size_t j = 0; j < unit->size(); ++j)
                if (i != j)
                    coincidences[size_t((*unit)[i]) * valueCount + size_t((*unit)[j])] += weight;
    }
    std::vector<double> totals(valueCount, 0.0);
    double n = 0;
    for (size_t c = 0; c < valueCount; ++c) {
        for (size_t k = 0; k < valueCount; ++k)
            totals[c] += coincidences[c * valueCount + k];
        n += totals[c];
    }
    auto difference = [&](size_t c, size_t k) {
        if (c == k)
            return 0.0;
        if (scale == Scale::Nominal)
            return 1.0;
        double between = 0;
        for (size_t g = std::min(c, k); g <= std::max(c, k); ++g)
            between += totals[g];
        const double d = between - (totals[c] + totals[k]) / 2;
        return d * d;
    };
    double observed = 0, expected = 0;
    for (size_t c = 0; c < valueCount; ++c)
        for (size_t k = 0; k < valueCount; ++k) {
            const double delta = difference(c, k);
            observed += coincidences[c * valueCount + k] * delta;
            expected += totals[c] * totals[k] * delta;
        }
    if (expected <= 0)
        return std::nullopt;
    return 1.0 - (n - 1) * observed / expected;
}

} // namespace

std::optional<double> krippendorffAlpha(const std::vector<std::vector<int>>& units, Scale scale)
{
    std::set<int> values;
    for (const auto& unit : units)
        if (unit.size() >= 2)
            values.insert(unit.begin(), unit.end());
    const std::vector<int> ordered(values.begin(), values.end());
    std::vector<std::vector<int>> indexed;
    for (const auto& unit : units) {
        if (unit.size() < 2)
            continue;
        std::vector<int> one;
        for (int v : unit)
            one.push_back(int(std::lower_bound(ordered.begin(), ordered.end(), v) - ordered.begin()));
        indexed.push_back(std::move(one));
    }
    if (indexed.empty())
        return std::nullopt;
    std::vector<const std::vector<int>*> pointers;
    for (const auto& unit : indexed)
        pointers.push_back(&unit);
    // Every value the same: perfect agreement.
    return alphaOfIndexed(pointers, ordered.size(), scale).value_or(1.0);
}

Result<Agreement> measureAgreement(const std::vector<Rating>& ratings, AgreementOptions options)
{
    // Each item's ratings, one per reviewer (a reviewer's later rating of an item replaces theirs).
    std::map<std::int64_t, std::map<std::string, int>> byItem;
    for (const Rating& rating : ratings)
        byItem[rating.item][rating.reviewer] = rating.value;
    std::set<int> values;
    std::set<std::string> reviewers;
    std::vector<const std::map<std::string, int>*> pairable;
    for (const auto& [item, byReviewer] : byItem) {
        if (byReviewer.size() < 2)
            continue; // rated once: nothing to agree with
        pairable.push_back(&byReviewer);
        for (const auto& [reviewer, value] : byReviewer) {
            values.insert(value);
            reviewers.insert(reviewer);
        }
    }
    if (pairable.empty())
        return Error{"no item was labelled by two or more reviewers: agreement needs at least one", {}};

    const std::vector<int> ordered(values.begin(), values.end());
    auto indexOf = [&](int value) {
        return int(std::lower_bound(ordered.begin(), ordered.end(), value) - ordered.begin());
    };
    Agreement result;
    result.items = static_cast<std::int64_t>(pairable.size());
    std::vector<std::vector<int>> units;
    double percentSum = 0;
    for (const auto* byReviewer : pairable) {
        std::vector<int> unit;
        for (const auto& [reviewer, value] : *byReviewer)
            unit.push_back(indexOf(value));
        result.pairable += static_cast<std::int64_t>(unit.size());
        double agreeing = 0, pairs = 0;
        for (size_t i = 0; i < unit.size(); ++i)
            for (size_t j = i + 1; j < unit.size(); ++j) {
                pairs += 1;
                agreeing += unit[i] == unit[j] ? 1 : 0;
            }
        percentSum += agreeing / pairs;
        units.push_back(std::move(unit));
    }
    result.percent = percentSum / static_cast<double>(units.size());

    const size_t valueCount = ordered.size();
    if (reviewers.size() == 2) {
        // Cohen: the two reviewers' marginals give the agreement expected by chance.
        const std::string& first = *reviewers.begin();
        const std::string& second = *std::next(reviewers.begin());
        std::vector<double> firstShare(valueCount, 0), secondShare(valueCount, 0);
        double agree = 0;
        for (const auto* byReviewer : pairable) {
            const int a = indexOf(byReviewer->at(first));
            const int b = indexOf(byReviewer->at(second));
            firstShare[size_t(a)] += 1;
            secondShare[size_t(b)] += 1;
            agree += a == b ? 1 : 0;
        }
        const double count = static_cast<double>(pairable.size());
        const double observed = agree / count;
        double chance = 0;
        for (size_t v = 0; v < valueCount; ++v)
            chance += (firstShare[v] / count) * (secondShare[v] / count);
        result.cohenKappa = chance >= 1 ? 1.0 : (observed - chance) / (1 - chance);
    }
    const size_t perItem = units.front().size();
    if (std::all_of(units.begin(), units.end(), [&](const auto& unit) { return unit.size() == perItem; })) {
        // Fleiss: per item, the share of agreeing ordered pairs; by chance, from the overall shares.
        std::vector<double> shares(valueCount, 0);
        double meanAgreement = 0;
        for (const auto& unit : units) {
            std::vector<double> counts(valueCount, 0);
            for (int v : unit)
                counts[size_t(v)] += 1;
            double sum = 0;
            for (size_t v = 0; v < valueCount; ++v) {
                sum += counts[v] * (counts[v] - 1);
                shares[v] += counts[v];
            }
            meanAgreement += sum / (double(perItem) * double(perItem - 1));
        }
        meanAgreement /= double(units.size());
        double chance = 0;
        for (double share : shares) {
            const double p = share / (double(units.size()) * double(perItem));
            chance += p * p;
        }
        result.fleissKappa = chance >= 1 ? 1.0 : (meanAgreement - chance) / (1 - chance);
    }

    std::vector<const std::vector<int>*> all;
    for (const auto& unit : units)
        all.push_back(&unit);
    result.alpha = alphaOfIndexed(all, valueCount, options.scale).value_or(1.0); // no variation: perfect
    // The interval: alpha over items drawn with replacement, seeded so that it is reproducible.
    std::mt19937_64 random(options.seed);
    std::vector<double> samples;
    samples.reserve(size_t(std::max(options.bootstrapSamples, 0)));
    std::vector<const std::vector<int>*> drawn(units.size());
    for (int b = 0; b < options.bootstrapSamples; ++b) {
        for (auto& unit : drawn)
            unit = &units[size_t(random() % units.size())];
        // A draw with no variation says nothing about disagreement: left out, not counted as 1.
        if (const auto alpha = alphaOfIndexed(drawn, valueCount, options.scale))
            samples.push_back(*alpha);
    }
    if (samples.empty()) {
        result.alphaLow = result.alphaHigh = result.alpha;
    } else {
        std::sort(samples.begin(), samples.end());
        auto quantile = [&](double q) {
            return samples[std::min(samples.size() - 1, size_t(q * double(samples.size() - 1) + 0.5))];
        };
        result.alphaLow = quantile(0.025);
        result.alphaHigh = quantile(0.975);
    }
    return result;
}

} // namespace winnow
