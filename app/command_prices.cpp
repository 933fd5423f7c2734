// winnow prices: the model price table that estimates cost for logs with tokens and no cost.

#include "app/command.h"
#include "app/render.h"

#include "core/ingest/pricing.h"
#include "core/store/database.h"
#include "core/store/price_store.h"
#include "core/store/store_writer.h"

#include <QDate>
#include <QJsonArray>

#include <cstdio>
#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct PricesArguments
{
    std::string model, asOf;
    double input = -1, output = -1;
};

QJsonObject priceJson(const ModelPrice& p)
{
    return {{QStringLiteral("model"), q(p.model)},
            {QStringLiteral("input_usd_per_mtok"), p.inputUsdPerMtok},
            {QStringLiteral("output_usd_per_mtok"), p.outputUsdPerMtok},
            {QStringLiteral("as_of"), q(p.asOf)},
            {QStringLiteral("source"), q(p.source)}};
}

std::string usd(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "$%.3f", value);
    return text;
}
} // namespace

Runner definePrices(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<PricesArguments>();
    command.description(
        "The model price table (USD per million tokens): logs with tokens and a model but no cost get an "
        "estimated cost at ingest, marked as estimated; a model not in the table keeps no cost (unknown, not "
        "$0). A name also prices its dated variants (gpt-4o prices gpt-4o-2024-08-06). Prices apply to what "
        "is ingested after they change.");
    CLI::App* list = command.add_subcommand("list", "Every price (the default)");
    CLI::App* set = command.add_subcommand("set", "Add or change a model's price");
    set->add_option("model", a->model, "The model name (or the start of its dated names)")->required();
    set->add_option("--input", a->input, "USD per million input tokens")->required();
    set->add_option("--output", a->output, "USD per million output tokens")->required();
    set->add_option("--as-of", a->asOf, "The date the price was taken (YYYY-MM-DD; default today)")
        ->type_name("DATE");
    CLI::App* remove = command.add_subcommand("delete", "Forget a model's price");
    remove->add_option("model", a->model, "The model")->required();
    for (CLI::App* sub : {list, set, remove})
        sub->fallthrough();
    setExamples(command, {"winnow --db agents.db prices",
                          "winnow prices set gpt-4o --input 2.5 --output 10 --as-of 2025-05-01",
                          "winnow prices delete my-finetune"});
    return [&context, a, set, remove]() -> int {
        if (set->parsed() || remove->parsed()) {
            auto writer = openWriter(context);
            if (set->parsed()) {
                const std::string asOf =
                    a->asOf.empty() ? QDate::currentDate().toString(Qt::ISODate).toStdString() : a->asOf;
                auto price = checkedPrice(a->model, a->input, a->output, asOf, "user");
                if (!price)
                    throw UsageError{price.error().message};
                Status saved = writer->write(WritePriority::Interactive, [&](WriteTransaction& tx) {
                    PriceStore(tx.database()).set(*price);
                    tx.changed(StoreChange::Settings);
                });
                if (!saved)
                    throw CommandFailed{saved.error()};
                if (context.json)
                    printJson(priceJson(*price));
                else
                    std::cout << "priced " << price->model << ": " << usd(price->inputUsdPerMtok) << " in, "
                              << usd(price->outputUsdPerMtok) << " out per million tokens\n";
                return exitOk;
            }
            auto removed =
                writer->write<bool>(WritePriority::Interactive, [model = a->model](WriteTransaction& tx) {
                    tx.changed(StoreChange::Settings);
                    return PriceStore(tx.database()).remove(model);
                });
            if (!removed)
                throw CommandFailed{removed.error()};
            if (!*removed)
                throw CommandFailed{Error{"no price for '" + a->model + "'", {}}};
            if (context.json)
                printJson({{QStringLiteral("deleted"), q(a->model)}});
            else
                std::cout << "deleted the price of " << a->model << "\n";
            return exitOk;
        }
        const auto database = openReader(context);
        const std::vector<ModelPrice> prices = PriceStore(*database).prices();
        if (context.json) {
            QJsonArray items;
            for (const ModelPrice& p : prices)
                items.append(priceJson(p));
            printJson({{QStringLiteral("prices"), items}});
            return exitOk;
        }
        TextTable table({"model", "input / Mtok", "output / Mtok", "as of", "source"});
        for (const ModelPrice& p : prices)
            table.add({p.model, usd(p.inputUsdPerMtok), usd(p.outputUsdPerMtok), p.asOf, p.source});
        if (table.empty())
            printNothing(context, "no prices: winnow prices set MODEL --input X --output Y adds one");
        else
            table.print(std::cout);
        return exitOk;
    };
}

} // namespace winnow::cli
