#pragma once
// Adaptive guardrails: rules proposed from what reviewers labelled. For one category's labelled
// failures against the interactions that did not fail (labelled pass, else the rest of the
// slice), phrases far more frequent in the failures (lift, with a minimum support), tools that
// come with them, and a figure (cost, latency, tokens, turns, tool errors) whose threshold
// separates them. Each suggestion carries its evidence and its backtest. New error types:
// phrases frequent among the recent failures and rare before.

#include "core/metrics/metrics.h"
#include "core/rules/backtest.h"

namespace winnow {

class Database;

struct RuleSuggestion
{
    Rule rule;                    // a draft rule, monitoring, guarding against the category
    std::string why;              // "in 14 of 40 failures (35%), 3 of 900 others (0.3%): lift 105"
    std::int64_t failuresHit = 0; // of the category's labelled failures
    std::int64_t othersHit = 0;   // of the interactions that did not fail
    double lift = 0;
    std::optional<RuleBacktest> backtest; // over the slice
};

struct NewErrorType
{
    std::string phrase;
    std::int64_t recent = 0, before = 0;    // failures with it in the recent period, and before
    std::vector<std::int64_t> interactions; // the recent ones
};

struct Suggestions
{
    std::string category;
    std::int64_t failures = 0; // labelled in the category
    std::int64_t others = 0;   // compared with
    std::vector<RuleSuggestion> rules;
    std::vector<NewErrorType> newErrorTypes;
};

// `recentDays`: the period new error types are looked for in, ending at the newest failure.
Result<Suggestions> suggestRules(Database& reader, const std::string& category, const MetricsFilter& slice,
                                 int recentDays = 7);

} // namespace winnow
