#pragma once
// A small store the store-reading fuzz targets share: made once per process, in a temporary
// folder, with a few demo interactions so that ids in fuzzed input can match.

#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/store/database.h"
#include "core/store/store_writer.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

namespace winnow::fuzz {

inline std::string scratchFolder()
{
    static const std::string folder = [] {
        std::string pattern = (std::filesystem::temp_directory_path() / "winnow-fuzz-XXXXXX").string();
        if (!mkdtemp(pattern.data()))
            std::abort();
        return pattern;
    }();
    return folder;
}

inline Database& fuzzStore()
{
    static std::unique_ptr<Database> reader = [] {
        const std::string store = scratchFolder() + "/store.db";
        const std::string demo = scratchFolder() + "/demo.jsonl";
        DemoOptions options;
        options.interactions = 20;
        options.seed = 1;
        if (!writeDemo(options, DemoFormat::Jsonl, demo).empty())
            std::abort();
        {
            auto opened = StoreWriter::open(store);
            if (!opened)
                std::abort();
            std::shared_ptr<StoreWriter> writer = std::move(opened).take();
            Ingestor(*writer, IngestOptions{}).ingest({demo});
        }
        auto opened = Database::openForReading(store);
        if (!opened)
            std::abort();
        return std::move(opened).take();
    }();
    return *reader;
}

} // namespace winnow::fuzz
