#pragma once
// The model price table: USD per million input and output tokens, for logs that have tokens and
// no cost. Edited from the command line and the app; read at the start of each ingest.

#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;

struct ModelPrice
{
    std::string model; // a model name, or the start of one ("gpt-4o" prices "gpt-4o-2024-08-06")
    double inputUsdPerMtok = 0;
    double outputUsdPerMtok = 0;
    std::string asOf;   // the date the price was taken
    std::string source; // "default", or who set it
    bool operator==(const ModelPrice&) const = default;
};

class PriceStore
{
public:
    explicit PriceStore(Database& database);
    std::vector<ModelPrice> prices();  // by model
    void set(const ModelPrice& price); // adds or replaces the model's price
    bool remove(const std::string& model);

private:
    Database& m_database;
};

} // namespace winnow
