#pragma once
// Log sources (files, streams, the OTLP receiver) with where reading stands in each, and the
// records quarantined from them. Writes happen on the writer's database inside a write operation.

#include "core/store/records.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace winnow {

class Database;

struct SourceState
{
    std::int64_t id = 0;
    std::string path;
    std::string format;
    std::int64_t offset = 0;
    std::int64_t line = 0;
    std::int64_t size = 0;
    std::int64_t inode = 0;
    std::string fingerprint;
    std::int64_t ingested = 0;
    std::int64_t duplicates = 0;
    std::int64_t quarantined = 0;
    std::int64_t lastActivityMs = 0;
    std::string optionsJson; // how it was read ({"format":..., "map":{...}}), for reading it again
};

struct QuarantineEntry
{
    std::int64_t id = 0;
    std::string sourcePath;
    QuarantinedRecord record;
};

class SourceStore
{
public:
    explicit SourceStore(Database& database);

    std::vector<SourceState> sources();
    std::optional<SourceState> source(const std::string& path);
    std::vector<QuarantineEntry> quarantine(std::int64_t limit = 100);

    // Writing.
    // Registers the path on first use.
    SourceState sourceFor(const std::string& path, const std::string& format);
    // Records what the source's file looks like now. With `restart` (first sight, rotation,
    // truncation) reading starts over from the beginning.
    void updateIdentity(std::int64_t sourceId, std::int64_t size, std::int64_t inode,
                        const std::string& fingerprint, bool restart);
    void setFormat(std::int64_t sourceId, const std::string& format);
    void setOptions(std::int64_t sourceId, const std::string& optionsJson);
    // Quarantines records; returns how many were new (a record quarantined before is not again).
    std::int64_t addQuarantined(std::int64_t sourceId, const std::vector<QuarantinedRecord>& records);
    // Where the source stands after a batch, with the batch's counts.
    void advance(const SourcePosition& position, std::int64_t ingested, std::int64_t duplicates,
                 std::int64_t quarantined);
    // Forgets what was read: the next ingest reads the source from the start. Its quarantined
    // records go (the interactions are deleted by the caller first).
    void reset(std::int64_t sourceId);
    // Forgets the source entirely (its interactions are deleted by the caller first).
    void remove(std::int64_t sourceId);

private:
    Database& m_database;
};

} // namespace winnow
