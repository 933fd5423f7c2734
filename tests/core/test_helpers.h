#pragma once
// Shared by the core tests: a temporary folder, file helpers, and a store with its writer and a
// reader. Tests may look at the tables with SQL (test_helpers' query functions); product code
// outside core/store never does.

#include "core/ingest/batch.h"
#include "core/ingest/ingestor.h"
#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/search_index.h"
#include "core/store/source_store.h"
#include "core/store/sqlite.h"
#include "core/store/store_writer.h"

#include <QTemporaryDir>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace winnow::test {

// Overwrites two pages in the middle of a file, as a failing disk or a stray write would; true
// when it could.
inline bool overwriteMiddlePages(const std::string& file)
{
    std::fstream stream(file, std::ios::binary | std::ios::in | std::ios::out);
    stream.seekg(0, std::ios::end);
    const auto size = static_cast<std::int64_t>(stream.tellg());
    if (!stream || size < 3 * 4096)
        return false;
    stream.seekp(size / 2 / 4096 * 4096);
    const std::string garbage(8192, '\x5a');
    stream.write(garbage.data(), std::streamsize(garbage.size()));
    return bool(stream.flush());
}

class TempDir
{
public:
    std::string path(const std::string& name) const
    {
        return m_dir.filePath(QString::fromStdString(name)).toStdString();
    }
    std::string write(const std::string& name, const std::string& content,
                      std::ios::openmode mode = std::ios::trunc) const
    {
        const std::string file = path(name);
        std::ofstream out(file, std::ios::binary | std::ios::out | mode);
        out << content;
        return file;
    }
    std::string append(const std::string& name, const std::string& content) const
    {
        return write(name, content, std::ios::app);
    }

private:
    QTemporaryDir m_dir;
};

inline std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string dataFile(const std::string& name)
{
    return std::string(WINNOW_TEST_DATA) + "/" + name;
}

// One integer from SQL on the store at `path`, through a connection of the test's own.
inline std::int64_t queryInt(const std::string& path, const std::string& sql)
{
    sql::Connection db(path, sql::Connection::Mode::ReadOnly);
    return db.queryInt(sql);
}

// The first row of SQL on the store at `path`, as text.
inline std::vector<std::string> queryRow(const std::string& path, const std::string& sql)
{
    sql::Connection db(path, sql::Connection::Mode::ReadOnly);
    sql::Statement statement(db, sql);
    std::vector<std::string> row;
    if (statement.step())
        for (int c = 0; c < statement.columnCount(); ++c)
            row.push_back(statement.text(c));
    return row;
}

// Makes the closed store at `path` look as an older Winnow left it: schema 2 (no rollups),
// schema 3 (wide rollup tables) or schema 4 (no prices), with the interactions it holds. Its
// writer upgrades it again.
inline void downgradeToSchema(const std::string& path, int version)
{
    sql::Connection db(path);
    // Version 12: waiting sources listed in otlp_waiting, not marked in otlp_sources.
    db.exec(
        "DROP INDEX otlp_sources_by_trace; ALTER TABLE otlp_sources ADD COLUMN committed INTEGER NOT NULL "
        "DEFAULT 0; UPDATE otlp_sources SET committed = 1 WHERE seq NOT IN (SELECT seq FROM "
        "otlp_waiting); DROP TABLE otlp_waiting; CREATE INDEX otlp_sources_by_trace ON "
        "otlp_sources(trace_id, committed); CREATE INDEX otlp_sources_waiting ON otlp_sources(committed) "
        "WHERE committed = 0");
    if (version == 11) {
        db.exec("PRAGMA user_version = 11");
        return;
    }
    // Version 11: the receiver's waiting spans indexed.
    db.exec("DROP INDEX otlp_sources_waiting");
    if (version == 10) {
        db.exec("PRAGMA user_version = 10");
        return;
    }
    // Version 10: monitors and triggers.
    db.exec("DROP TABLE trigger_evidence; DROP TABLE trigger_events; DROP TABLE triggers; DROP TABLE monitors");
    if (version == 9) {
        db.exec("PRAGMA user_version = 9");
        return;
    }
    // Version 9: export batches.
    db.exec("DROP TABLE export_items; DROP TABLE export_batches");
    if (version == 8) {
        db.exec("PRAGMA user_version = 8");
        return;
    }
    // Version 8: rules.
    db.exec("DROP TABLE rule_versions; DROP TABLE rule_draft; DROP TABLE rule_events; DROP TABLE rule_hits; "
            "ALTER TABLE interactions DROP COLUMN rule_hits; DELETE FROM store_state WHERE key = "
            "'rules_scanned_version'; DELETE FROM rollups WHERE metric_id IN (SELECT id FROM rollup_metrics "
            "WHERE name = 'guardrail')");
    if (version == 7) {
        db.exec("PRAGMA user_version = 7");
        return;
    }
    // Version 7: review.
    db.exec("DROP VIEW current_labels; DROP TABLE label_categories; DROP TABLE labels; DROP TABLE "
            "review_queue_items; DROP TABLE review_queues; DROP TABLE review_category_events; DROP TABLE "
            "review_categories");
    if (version == 6) {
        db.exec("PRAGMA user_version = 6");
        return;
    }
    // Version 6: the receiver's waiting spans become every OTLP trace's sources.
    db.exec("DROP VIEW message_texts; ALTER TABLE messages DROP COLUMN text_id; DROP TABLE texts;");
    db.exec("DROP TABLE otlp_runs; DROP INDEX otlp_sources_by_trace; ALTER TABLE otlp_sources DROP COLUMN "
            "committed; "
            "ALTER TABLE otlp_sources RENAME TO otlp_pending; "
            "CREATE INDEX otlp_pending_by_trace ON otlp_pending(trace_id)");
    if (version == 5) {
        db.exec("PRAGMA user_version = 5");
        return;
    }
    // Version 5: the price table and the estimated-cost flag.
    db.exec("DROP TABLE model_prices; ALTER TABLE interactions DROP COLUMN cost_estimated; DROP TABLE "
            "otlp_pending; DROP TABLE spans");
    if (version == 4) {
        db.exec("PRAGMA user_version = 4");
        return;
    }
    db.exec(
        "DROP TABLE rollup_dimensions; DROP TABLE rollups; DROP TABLE rollup_metrics; DROP TABLE latencies; "
        "DROP TABLE search_deletions; ALTER TABLE sources DROP COLUMN options; "
        "DELETE FROM store_state WHERE key != 'store_id'");
    if (version == 3)
        db.exec("CREATE TABLE rollup_dimensions(id INTEGER PRIMARY KEY, agent TEXT, agent_version TEXT, "
                "model TEXT, intent TEXT, channel TEXT); CREATE TABLE rollups_hourly(bucket_ms, "
                "dimensions_id, interactions); CREATE TABLE rollups_daily(bucket_ms, dimensions_id); "
                "CREATE TABLE rollup_scores_hourly(bucket_ms); CREATE TABLE rollup_scores_daily(bucket_ms); "
                "CREATE TABLE latencies(day_ms, bin, start_ms, interaction_id);");
    db.exec("PRAGMA user_version = " + std::to_string(version));
}

// Every stored message, "role: content" a line, in conversation order.
inline std::string conversation(const std::string& path)
{
    sql::Connection db(path, sql::Connection::Mode::ReadOnly);
    sql::Statement select(
        db, "SELECT role, coalesce(content, '') FROM message_texts ORDER BY interaction_id, seq");
    std::string text;
    while (select.step())
        text += select.text(0) + ": " + select.text(1) + "\n";
    return text;
}

inline std::unique_ptr<SearchIndex> openIndex(const std::string& storePath,
                                              SearchIndex::Mode mode = SearchIndex::Mode::Index)
{
    return SearchIndex::open(storePath, mode).take();
}

// A store in a temporary folder (or at a given path), its writer, and a reader.
class TestStore
{
public:
    explicit TestStore(const std::string& path = {})
        : m_path(path.empty() ? m_dir.path("store.db") : path), writer(StoreWriter::open(m_path).take())
    {
    }
    const std::string& path() const { return m_path; }
    const TempDir& dir() const { return m_dir; }

    Database& reader()
    {
        if (!m_reader)
            m_reader = Database::openForReading(m_path).take();
        return *m_reader;
    }
    StoreStats stats() { return InteractionStore(reader()).stats(); }
    std::vector<SourceState> sources() { return SourceStore(reader()).sources(); }
    std::vector<QuarantineEntry> quarantine() { return SourceStore(reader()).quarantine(); }
    std::int64_t queryInt(const std::string& sql) const { return test::queryInt(m_path, sql); }

    BatchResult write(const Batch& batch)
    {
        return writer
            ->write<BatchResult>(WritePriority::Bulk,
                                 [&batch](WriteTransaction& tx) { return writeBatch(tx, batch); })
            .take();
    }
    BatchResult write(std::vector<Interaction> interactions)
    {
        Batch batch;
        batch.interactions = std::move(interactions);
        return write(batch);
    }
    IngestSummary ingest(const std::vector<std::string>& paths, IngestOptions options = {})
    {
        Ingestor ingestor(*writer, options);
        return ingestor.ingest(paths);
    }

private:
    TempDir m_dir;
    std::string m_path;
    std::unique_ptr<Database> m_reader;

public:
    std::shared_ptr<StoreWriter> writer;
};

} // namespace winnow::test
