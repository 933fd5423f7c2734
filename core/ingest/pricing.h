#pragma once
// Estimated cost: an interaction with tokens and a model but no cost from its log gets one from
// the price table, marked as estimated. A model the table does not know keeps no cost (unknown,
// never $0). Read once per ingest; used on the parser thread.

#include "core/store/price_store.h"
#include "core/store/records.h"
#include "core/util/result.h"

#include <vector>

namespace winnow {

class PriceTable
{
public:
    PriceTable() = default;
    explicit PriceTable(std::vector<ModelPrice> prices);
    // The price of a model: the entry named exactly so, else the longest entry the name starts
    // with followed by "-", ":", "@" or "." (a dated or tagged variant); a provider prefix
    // ("openai/gpt-4o", "us.anthropic.claude-3-5-sonnet") is looked through. Case-insensitive.
    const ModelPrice* find(const std::string& model) const;
    // Sets an estimated cost when the interaction has none, has tokens and a priced model.
    void estimate(Interaction& interaction) const;
    bool empty() const { return m_prices.empty(); }

private:
    std::vector<ModelPrice> m_prices; // lowercase model names
};

// "MODEL", input and output USD per million tokens, "YYYY-MM-DD": checked.
Result<ModelPrice> checkedPrice(const std::string& model, double input, double output,
                                const std::string& asOf, const std::string& source);

} // namespace winnow
