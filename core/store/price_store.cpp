#include "core/store/price_store.h"

#include "core/store/database.h"

namespace winnow {

PriceStore::PriceStore(Database& database) : m_database(database) {}

std::vector<ModelPrice> PriceStore::prices()
{
    std::vector<ModelPrice> prices;
    sql::Statement select(
        m_database.connection(),
        "SELECT model, input_usd_per_mtok, output_usd_per_mtok, as_of, source FROM model_prices "
        "ORDER BY model");
    while (select.step())
        prices.push_back({select.text(0), select.real(1), select.real(2), select.text(3), select.text(4)});
    return prices;
}

void PriceStore::set(const ModelPrice& price)
{
    sql::Statement upsert(
        m_database.connection(),
        "INSERT INTO model_prices(model, input_usd_per_mtok, output_usd_per_mtok, as_of, source) "
        "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(model) DO UPDATE SET "
        "input_usd_per_mtok = excluded.input_usd_per_mtok, "
        "output_usd_per_mtok = excluded.output_usd_per_mtok, as_of = excluded.as_of, "
        "source = excluded.source");
    upsert.bind(1, std::string_view(price.model))
        .bind(2, price.inputUsdPerMtok)
        .bind(3, price.outputUsdPerMtok)
        .bind(4, std::string_view(price.asOf))
        .bind(5, std::string_view(price.source))
        .run();
}

bool PriceStore::remove(const std::string& model)
{
    sql::Statement remove(m_database.connection(), "DELETE FROM model_prices WHERE model = ?1");
    remove.bind(1, std::string_view(model)).run();
    return m_database.connection().changes() > 0;
}

} // namespace winnow
