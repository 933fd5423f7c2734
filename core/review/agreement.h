#pragma once
// How far reviewers agree on one variable of their labels (a verdict, a primary category, a
// severity, a category present or absent): percent agreement, Cohen's kappa (two reviewers),
// Fleiss' kappa (the same number of ratings per item) and Krippendorff's alpha (nominal or
// ordinal) with a bootstrap 95% interval over items. Items rated once are ignored; data with no
// item rated twice is an error, never NaN.

#include "core/util/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

// One reviewer's value for one item. Values are codes: a category id, a verdict's index, a
// severity; for an ordinal scale their order is their rank.
struct Rating
{
    std::int64_t item = 0;
    std::string reviewer;
    int value = 0;
};

enum class Scale { Nominal, Ordinal };

struct Agreement
{
    std::int64_t items = 0;            // rated by two or more reviewers
    std::int64_t pairable = 0;         // the values in those items
    double percent = 0;                // the share of agreeing pairs, averaged over items
    std::optional<double> cohenKappa;  // exactly two reviewers
    std::optional<double> fleissKappa; // every item with the same number of ratings
    double alpha = 0;
    double alphaLow = 0; // bootstrap 95% interval over items
    double alphaHigh = 0;
};

struct AgreementOptions
{
    Scale scale = Scale::Nominal;
    std::uint64_t seed = 1;
    int bootstrapSamples = 1000;
};

[[nodiscard]] Result<Agreement> measureAgreement(const std::vector<Rating>& ratings,
                                                 AgreementOptions options = {});

// Krippendorff's alpha alone, for the worked examples: `units` are the values each item got.
std::optional<double> krippendorffAlpha(const std::vector<std::vector<int>>& units, Scale scale);

} // namespace winnow
