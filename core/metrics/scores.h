#pragma once
// Scores as figures of their own: per score name the mean with its 95% interval, and for one
// score its distribution and its mean per value of a breakdown. Evaluation runs and graders
// write scores (rewards, grades, ratings); these are what an owner compares trials and versions by.

#include "core/store/filter.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;

struct ScoreSummary
{
    std::string name;
    std::int64_t n = 0;
    double mean = 0;
    double low = 0, high = 0; // the mean's 95% interval (Student's t), equal to the mean for n = 1
    double sd = 0;            // sample standard deviation
    double min = 0, max = 0;
};

// Equal-width bins from the lowest score to the highest; integer scores with few values get one
// bin per value. Bin i holds [edge(i), edge(i + 1)), the last one its upper edge too.
struct ScoreDistribution
{
    double from = 0, to = 0; // the lowest and highest score
    double width = 1;
    bool perValue = false; // one bin per integer value (ratings): bin i is the value from + i
    std::vector<std::int64_t> counts;
    double edge(size_t i) const
    {
        if (perValue)
            return from + static_cast<double>(i);
        return i >= counts.size() ? to : from + width * static_cast<double>(i);
    }
};

struct ScoreGroup
{
    std::string value;
    ScoreSummary summary;
};

struct ScoreReport
{
    std::vector<ScoreSummary> scores; // every score in the slice, by name
    std::string detailed;             // the score the distribution and groups are of ("" for none)
    ScoreDistribution distribution;
    std::vector<ScoreGroup> groups; // per value of the breakdown, most scored first
};

struct ScoreQuery
{
    MetricsFilter filter;
    std::string detail; // a score name; empty: the first score of the slice
    std::optional<Grouping> breakdown;
    int bins = 20;
};

// The t quantile for a two-sided 95% interval with these degrees of freedom.
double studentT975(std::int64_t degreesOfFreedom);

// One pass over the slice's scores (reading the interactions, not the rollups).
ScoreReport computeScores(Database& database, const ScoreQuery& query);

} // namespace winnow
