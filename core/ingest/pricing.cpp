#include "core/ingest/pricing.h"

#include "core/util/text.h"

#include <cmath>

namespace winnow {

PriceTable::PriceTable(std::vector<ModelPrice> prices) : m_prices(std::move(prices))
{
    for (ModelPrice& price : m_prices)
        price.model = toLowerAscii(price.model);
}

const ModelPrice* PriceTable::find(const std::string& model) const
{
    std::string name = toLowerAscii(model);
    auto lookup = [this](const std::string& wanted) -> const ModelPrice* {
        const ModelPrice* best = nullptr;
        for (const ModelPrice& price : m_prices) {
            if (wanted == price.model)
                return &price;
            const bool variant =
                wanted.size() > price.model.size() &&
                wanted.compare(0, price.model.size(), price.model) == 0 &&
                std::string_view("-:@.").find(wanted[price.model.size()]) != std::string_view::npos;
            if (variant && (!best || price.model.size() > best->model.size()))
                best = &price;
        }
        return best;
    };
    if (const ModelPrice* price = lookup(name))
        return price;
    // "openai/gpt-4o", "models/gemini-1.5-pro", "us.anthropic.claude-3-5-sonnet-20241022-v2:0".
    for (const char* separator : {"/", "anthropic.", "openai.", "meta.", "mistral."}) {
        const size_t at = name.rfind(separator);
        if (at != std::string::npos)
            if (const ModelPrice* price = lookup(name.substr(at + std::string_view(separator).size())))
                return price;
    }
    return nullptr;
}

void PriceTable::estimate(Interaction& in) const
{
    if (in.costUsd || in.model.empty() || (!in.inputTokens && !in.outputTokens))
        return;
    const ModelPrice* price = find(in.model);
    if (!price)
        return;
    in.costUsd = (static_cast<double>(in.inputTokens.value_or(0)) * price->inputUsdPerMtok +
                  static_cast<double>(in.outputTokens.value_or(0)) * price->outputUsdPerMtok) /
                 1e6;
    in.costEstimated = true;
}

Result<ModelPrice> checkedPrice(const std::string& model, double input, double output,
                                const std::string& asOf, const std::string& source)
{
    if (model.empty())
        return Error{"a price needs a model name", {}};
    for (double value : {input, output})
        if (!std::isfinite(value) || value < 0 || value > 1e6)
            return Error{"a price is USD per million tokens, from 0 to 1,000,000", {}};
    std::int64_t ms = 0;
    if (asOf.size() != 10 || !parseIsoTimestamp(asOf, ms))
        return Error{"--as-of is a date, YYYY-MM-DD, not '" + asOf + "'", {}};
    return ModelPrice{model, input, output, asOf, source};
}

} // namespace winnow
