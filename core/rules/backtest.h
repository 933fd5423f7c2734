#pragma once
// A draft rule, or a whole draft version, run over a slice of the stored history: what it would
// have caught, over time, what changes against the hits the store holds (the applied version's),
// and how it agrees with reviewers (recall on the failures labelled in the rule's category,
// precision on its reviewed hits), each with its counts and a Wilson interval.

#include "core/metrics/metrics.h"
#include "core/rules/engine.h"

#include <atomic>
#include <functional>
#include <map>

namespace winnow {

class Database;

struct RuleBacktest
{
    std::string ruleId;
    std::string category;
    std::int64_t hits = 0;     // interactions it hits
    RateEstimate hitRate;      // of the scanned interactions
    std::int64_t newHits = 0;  // hit now, not by the stored version
    std::int64_t lostHits = 0; // hit by the stored version, not now
    RateEstimate recall;       // of the failures labelled in its category, those it hits
    RateEstimate precision;    // of its hits with a final label, those labelled fail
    std::map<std::int64_t, std::int64_t> hitsPerDay; // day start (UTC ms) → interactions hit
    std::vector<std::int64_t> examples;              // the first interactions it hits
};

struct BacktestReport
{
    std::int64_t scanned = 0;
    std::int64_t bytes = 0;                   // text scanned
    std::optional<std::int64_t> comparedWith; // the version whose stored hits new/lost compare with
    std::vector<RuleBacktest> rules;          // in the rules' order
    bool cancelled = false;
    double seconds = 0;
};

// How many interactions a backtest reads from the store before scanning them.
constexpr int backtestChunk = 500;

// Runs the rules (disabled ones too: a backtest asks what they would do) over the slice, in time
// order. `partial` is told the figures so far every `partialEvery` interactions (the editor shows
// first results while it runs).
Result<BacktestReport> backtest(Database& reader, const std::vector<Rule>& rules, const MetricsFilter& slice,
                                const std::function<void(const BacktestReport& partial)>& partial = {},
                                const std::atomic<bool>* cancel = nullptr, std::int64_t partialEvery = 5000);

// The report as JSON (what `winnow rules backtest --json` prints and a version keeps).
std::string backtestJson(const BacktestReport& report);

} // namespace winnow
