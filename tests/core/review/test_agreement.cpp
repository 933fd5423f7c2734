// Agreement statistics against published worked examples and their edge cases.

#include "core/review/agreement.h"

#include <gtest/gtest.h>

using namespace winnow;

namespace {

// Ratings from a table of counts per item and value (Fleiss' layout): invented reviewer names,
// one per rating.
std::vector<Rating> fromCounts(const std::vector<std::vector<int>>& counts)
{
    std::vector<Rating> ratings;
    for (size_t item = 0; item < counts.size(); ++item) {
        int reviewer = 0;
        for (size_t value = 0; value < counts[item].size(); ++value)
            for (int n = 0; n < counts[item][value]; ++n)
                ratings.push_back({std::int64_t(item), "r" + std::to_string(reviewer++), int(value)});
    }
    return ratings;
}

} // namespace

// Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): four observers, twelve units,
// values 1-5 with missing ones. Published: nominal 0.743, ordinal 0.815.
TEST(Agreement, KrippendorffsWorkedExample)
{
    const int x = -1; // missing
    const std::vector<std::vector<int>> byObserver = {
        {1, 2, 3, 3, 2, 1, 4, 1, 2, x, x, x},
        {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, x, 3},
        {x, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, x},
        {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, x},
    };
    std::vector<Rating> ratings;
    std::vector<std::vector<int>> units(12);
    for (size_t observer = 0; observer < byObserver.size(); ++observer)
        for (size_t unit = 0; unit < 12; ++unit)
            if (byObserver[observer][unit] != x) {
                ratings.push_back(
                    {std::int64_t(unit), "o" + std::to_string(observer), byObserver[observer][unit]});
                units[unit].push_back(byObserver[observer][unit]);
            }
    EXPECT_NEAR(*krippendorffAlpha(units, Scale::Nominal), 0.743, 0.0005);
    EXPECT_NEAR(*krippendorffAlpha(units, Scale::Ordinal), 0.815, 0.0005);

    auto nominal = measureAgreement(ratings);
    ASSERT_TRUE(nominal);
    EXPECT_EQ(nominal->items, 11); // unit 12 was rated once: ignored
    EXPECT_EQ(nominal->pairable, 40);
    EXPECT_NEAR(nominal->alpha, 0.743, 0.0005);
    EXPECT_LT(nominal->alphaLow, nominal->alpha);
    EXPECT_GT(nominal->alphaHigh, nominal->alpha);
    EXPECT_FALSE(nominal->cohenKappa);  // four observers
    EXPECT_FALSE(nominal->fleissKappa); // units with 2, 3 and 4 values
    // The interval is reproducible: the same seed gives the same bounds.
    auto again = measureAgreement(ratings);
    EXPECT_EQ(again->alphaLow, nominal->alphaLow);
    EXPECT_EQ(again->alphaHigh, nominal->alphaHigh);
    auto ordinal = measureAgreement(ratings, {Scale::Ordinal, 1, 1000});
    ASSERT_TRUE(ordinal);
    EXPECT_NEAR(ordinal->alpha, 0.815, 0.0005);
}

// Fleiss (1971) as worked in the literature (ten subjects, fourteen raters, five categories):
// P-bar 0.378, P-bar-e 0.213, kappa 0.210.
TEST(Agreement, FleisssWorkedExample)
{
    const auto ratings = fromCounts({{0, 0, 0, 0, 14},
                                     {0, 2, 6, 4, 2},
                                     {0, 0, 3, 5, 6},
                                     {0, 3, 9, 2, 0},
                                     {2, 2, 8, 1, 1},
                                     {7, 7, 0, 0, 0},
                                     {3, 2, 6, 3, 0},
                                     {2, 5, 3, 2, 2},
                                     {6, 5, 2, 1, 0},
                                     {0, 2, 2, 3, 7}});
    auto agreement = measureAgreement(ratings);
    ASSERT_TRUE(agreement);
    ASSERT_TRUE(agreement->fleissKappa);
    EXPECT_NEAR(*agreement->fleissKappa, 0.210, 0.0005);
    EXPECT_EQ(agreement->items, 10);
    EXPECT_EQ(agreement->pairable, 140);
}

// Cohen (two readers of fifty grant proposals): 20 both yes, 15 both no, 5 and 10 split; the
// observed agreement 0.70, by chance 0.50, kappa 0.40.
TEST(Agreement, CohensWorkedExample)
{
    std::vector<Rating> ratings;
    std::int64_t item = 0;
    auto add = [&](int count, int a, int b) {
        for (int i = 0; i < count; ++i, ++item) {
            ratings.push_back({item, "A", a});
            ratings.push_back({item, "B", b});
        }
    };
    add(20, 1, 1);
    add(5, 1, 0);
    add(10, 0, 1);
    add(15, 0, 0);
    auto agreement = measureAgreement(ratings);
    ASSERT_TRUE(agreement);
    ASSERT_TRUE(agreement->cohenKappa);
    EXPECT_NEAR(*agreement->cohenKappa, 0.40, 1e-9);
    EXPECT_NEAR(agreement->percent, 0.70, 1e-9);
    ASSERT_TRUE(agreement->fleissKappa); // two ratings on every item
}

TEST(Agreement, EdgeCases)
{
    // Perfect agreement gives 1 on every measure, also when everyone says the same value.
    for (const std::vector<int>& values : {std::vector<int>{1, 2, 1, 3}, std::vector<int>{2, 2, 2, 2}}) {
        std::vector<Rating> ratings;
        for (size_t i = 0; i < values.size(); ++i) {
            ratings.push_back({std::int64_t(i), "a", values[i]});
            ratings.push_back({std::int64_t(i), "b", values[i]});
        }
        auto agreement = measureAgreement(ratings, {Scale::Ordinal, 7, 200});
        ASSERT_TRUE(agreement);
        EXPECT_DOUBLE_EQ(agreement->percent, 1);
        EXPECT_DOUBLE_EQ(*agreement->cohenKappa, 1);
        EXPECT_DOUBLE_EQ(*agreement->fleissKappa, 1);
        EXPECT_DOUBLE_EQ(agreement->alpha, 1);
        EXPECT_DOUBLE_EQ(agreement->alphaLow, 1);
    }
    // Items rated by one reviewer only: nothing to measure, said plainly.
    auto none = measureAgreement({{1, "a", 1}, {2, "b", 1}, {2, "b", 0}});
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("two or more reviewers"), std::string::npos);
    EXPECT_FALSE(measureAgreement({}));
}
