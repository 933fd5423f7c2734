// Ingest micro-benchmarks: the store's ceiling (pre-parsed rows, no parsing at all) and the JSON
// parsers. Input: $WINNOW_BENCH_JSONL (Winnow JSONL), else 20,000 generated interactions.
// Ceiling size: $WINNOW_BENCH_ROWS interactions (default 200,000).

#include "core/demo/generator.h"
#include "core/ingest/batch.h"
#include "core/ingest/record_parser.h"
#include "core/signals/detectors.h"
#include "core/store/interaction_store.h"
#include "core/store/search_index.h"
#include "core/store/store_writer.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <simdjson.h>

using namespace winnow;

namespace {

std::int64_t envInt(const char* name, std::int64_t fallback)
{
    const char* value = std::getenv(name);
    return value ? std::atoll(value) : fallback;
}

const std::vector<std::string>& inputLines()
{
    static const std::vector<std::string> lines = [] {
        std::vector<std::string> result;
        std::string path = std::getenv("WINNOW_BENCH_JSONL") ? std::getenv("WINNOW_BENCH_JSONL") : "";
        static QTemporaryDir dir;
        if (path.empty()) {
            path = dir.filePath(QStringLiteral("input.jsonl")).toStdString();
            DemoOptions options;
            options.interactions = 20000;
            writeDemo(options, DemoFormat::Jsonl, path);
        }
        std::ifstream in(path);
        for (std::string line; std::getline(in, line) && result.size() < 200000;)
            result.push_back(std::move(line));
        return result;
    }();
    return lines;
}

std::int64_t totalBytes(const std::vector<std::string>& lines)
{
    std::int64_t bytes = 0;
    for (const auto& line : lines)
        bytes += static_cast<std::int64_t>(line.size() + 1);
    return bytes;
}

void BM_ParseSimdjsonDom(benchmark::State& state)
{
    const auto& lines = inputLines();
    simdjson::dom::parser parser;
    for (auto _ : state) {
        for (const auto& line : lines) {
            simdjson::dom::element element;
            auto error = parser.parse(line).get(element);
            benchmark::DoNotOptimize(error);
        }
    }
    state.SetBytesProcessed(state.iterations() * totalBytes(lines));
}
BENCHMARK(BM_ParseSimdjsonDom)->Unit(benchmark::kMillisecond);

void BM_ParseQJsonDocument(benchmark::State& state)
{
    const auto& lines = inputLines();
    for (auto _ : state) {
        for (const auto& line : lines) {
            auto document = QJsonDocument::fromJson(
                QByteArray::fromRawData(line.data(), static_cast<qsizetype>(line.size())));
            benchmark::DoNotOptimize(document);
        }
    }
    state.SetBytesProcessed(state.iterations() * totalBytes(lines));
}
BENCHMARK(BM_ParseQJsonDocument)->Unit(benchmark::kMillisecond);

// What the parser thread does per record: simdjson plus building the canonical Interaction.
void BM_ParseToInteractions(benchmark::State& state)
{
    const auto& lines = inputLines();
    simdjson::dom::parser parser;
    RecordParser records({});
    for (auto _ : state) {
        for (const auto& line : lines) {
            simdjson::dom::element element;
            if (parser.parse(line).get(element))
                continue;
            Interaction interaction;
            benchmark::DoNotOptimize(records.parse(element, line, interaction));
        }
    }
    state.SetBytesProcessed(state.iterations() * totalBytes(lines));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines.size()));
}
BENCHMARK(BM_ParseToInteractions)->Unit(benchmark::kMillisecond);

// The signal detectors on the parser thread, per interaction.
void BM_DetectSignals(benchmark::State& state)
{
    // The same interactions ingest sees: the input's records, parsed.
    std::vector<Interaction> interactions;
    simdjson::dom::parser parser;
    RecordParser records({});
    for (const auto& line : inputLines()) {
        simdjson::dom::element element;
        Interaction in;
        if (!parser.parse(line).get(element) && records.parse(element, line, in).empty())
            interactions.push_back(std::move(in));
    }
    for (auto _ : state) {
        SignalDetector detector;
        for (const Interaction& interaction : interactions)
            benchmark::DoNotOptimize(detector.detect(interaction));
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(interactions.size()));
}
BENCHMARK(BM_DetectSignals)->Unit(benchmark::kMillisecond);

// The store's ceiling: the same rows, already parsed (with their rollup totals, as the parser
// makes them), written in the same batches through the writer; with the text index (built after)
// and without it.
void BM_StoreCeiling(benchmark::State& state)
{
    const bool withText = state.range(0) != 0;
    const std::int64_t rows = envInt("WINNOW_BENCH_ROWS", 200000);
    std::vector<Batch> batches;
    {
        DemoOptions options;
        options.interactions = rows;
        options.seed = 1;
        DemoGenerator generator(options);
        Batch batch;
        Interaction in;
        while (generator.next(in)) {
            addToBatch(batch, std::move(in));
            if (batch.interactions.size() == 2000) {
                batches.push_back(std::move(batch));
                batch = {};
            }
        }
        if (!batch.interactions.empty())
            batches.push_back(std::move(batch));
    }
    for (auto _ : state) {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("ceiling.db")).toStdString();
        {
            auto writer = StoreWriter::open(path).take();
            for (const Batch& batch : batches)
                writer->submit(
                    WritePriority::Bulk, [&batch](WriteTransaction& tx) { writeBatch(tx, batch); }, {},
                    static_cast<std::int64_t>(batch.interactions.size()));
            writer->drain();
        }
        if (withText) {
            auto index = SearchIndex::open(path, SearchIndex::Mode::Index).take();
            while (index->indexPending() > 0) {
            }
        }
    }
    state.SetItemsProcessed(state.iterations() * rows);
}
BENCHMARK(BM_StoreCeiling)->Arg(1)->Arg(0)->Unit(benchmark::kSecond)->Iterations(1);

} // namespace

BENCHMARK_MAIN();
