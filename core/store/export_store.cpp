#include "core/store/export_store.h"

#include "core/store/database.h"
#include "core/store/sqlite.h"

namespace winnow {

namespace {
constexpr const char* batchColumns = "SELECT id, format, definition_json, out_dir, author, created_ms, examples, "
                                     "manifest_json FROM export_batches ";

ExportBatch readBatch(const sql::Statement& s)
{
    return {s.int64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.int64(5), s.int64(6), s.text(7)};
}
} // namespace

ExportStore::ExportStore(Database& database) : m_database(database) {}

std::vector<ExportBatch> ExportStore::batches()
{
    sql::Statement select(m_database.connection(), std::string(batchColumns) + "ORDER BY id DESC");
    std::vector<ExportBatch> list;
    while (select.step())
        list.push_back(readBatch(select));
    return list;
}

std::optional<ExportBatch> ExportStore::batch(std::int64_t id)
{
    sql::Statement select(m_database.connection(), std::string(batchColumns) + "WHERE id = ?1");
    select.bind(1, id);
    if (!select.step())
        return std::nullopt;
    return readBatch(select);
}

std::vector<ExportedItem> ExportStore::items(std::int64_t batchId)
{
    sql::Statement select(m_database.connection(),
                          "SELECT interaction_id, split FROM export_items WHERE batch_id = ?1 ORDER BY "
                          "interaction_id");
    select.bind(1, batchId);
    std::vector<ExportedItem> list;
    while (select.step())
        list.push_back({select.int64(0), select.text(1)});
    return list;
}

std::vector<ItemBatch> ExportStore::batchesOf(std::int64_t interactionId)
{
    sql::Statement select(m_database.connection(),
                          "SELECT b.id, b.format, e.split, b.created_ms FROM export_items e JOIN export_batches b "
                          "ON b.id = e.batch_id WHERE e.interaction_id = ?1 ORDER BY b.id");
    select.bind(1, interactionId);
    std::vector<ItemBatch> list;
    while (select.step())
        list.push_back({select.int64(0), select.text(1), select.text(2), select.int64(3)});
    return list;
}

std::int64_t ExportStore::addBatch(const ExportBatch& batch, const std::vector<ExportedItem>& items)
{
    sql::Connection& db = m_database.connection();
    sql::Statement insert(db, "INSERT INTO export_batches(format, definition_json, out_dir, author, created_ms, "
                              "examples, manifest_json) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    insert.bind(1, std::string_view(batch.format))
        .bind(2, std::string_view(batch.definitionJson))
        .bind(3, std::string_view(batch.outDir))
        .bind(4, std::string_view(batch.author))
        .bind(5, batch.createdMs)
        .bind(6, batch.examples)
        .bind(7, std::string_view(batch.manifestJson))
        .run();
    const std::int64_t id = db.lastInsertRowId();
    sql::Statement item(db, "INSERT OR IGNORE INTO export_items(interaction_id, batch_id, split) VALUES(?1, ?2, ?3)");
    for (const ExportedItem& exported : items)
        item.bind(1, exported.interactionId).bind(2, id).bind(3, std::string_view(exported.split)).run();
    return id;
}

} // namespace winnow
