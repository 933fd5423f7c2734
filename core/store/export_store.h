#pragma once
// Export batches' SQL: each batch written (its format, its definition, where its files went, its
// manifest) and the lineage of the interactions it holds. Plain values in and out; core/export
// makes the batches.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;

struct ExportBatch
{
    std::int64_t id = 0;
    std::string format;
    std::string definitionJson; // what makes the batch again (exportDefinitionJson)
    std::string outDir;
    std::string author;
    std::int64_t createdMs = 0;
    std::int64_t examples = 0;
    std::string manifestJson;
};

// An interaction's place in a batch: the split it went to ("train", "validation", or "all").
struct ExportedItem
{
    std::int64_t interactionId = 0;
    std::string split;
};

// A batch an interaction went into.
struct ItemBatch
{
    std::int64_t batchId = 0;
    std::string format;
    std::string split;
    std::int64_t createdMs = 0;
};

class ExportStore
{
public:
    explicit ExportStore(Database& database);

    std::vector<ExportBatch> batches(); // newest first
    std::optional<ExportBatch> batch(std::int64_t id);
    std::vector<ExportedItem> items(std::int64_t batchId);
    // The batches an interaction went into, oldest first.
    std::vector<ItemBatch> batchesOf(std::int64_t interactionId);

    // Writing: the batch with its items; returns its id.
    std::int64_t addBatch(const ExportBatch& batch, const std::vector<ExportedItem>& items);

private:
    Database& m_database;
};

} // namespace winnow
