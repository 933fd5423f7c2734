// The dashboard query set on a real store ($WINNOW_BENCH_STORE, e.g. 1M demo interactions): the
// last 30 days with every rate per daily bucket, latency percentiles, a breakdown by agent version,
// and the KPI comparison (the last 7 days against the 7 before). Three ways to the same figures:
// the rollups, the scan of narrow rows, and plain SQL GROUP BY queries over the raw tables (the
// baseline of issue #3). The *Cold variants open the store anew for each query and, with
// WINNOW_BENCH_DROP_CACHES=1 and the right to write /proc/sys/vm/drop_caches, empty the OS cache.

#include "core/metrics/metrics.h"
#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/rollups.h"
#include "core/store/sqlite.h"

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <unistd.h>

using namespace winnow;

namespace {

constexpr std::int64_t dayMs = 86'400'000;

std::string storePath()
{
    const char* path = std::getenv("WINNOW_BENCH_STORE");
    if (!path)
        throw std::runtime_error("set WINNOW_BENCH_STORE to a Winnow store (e.g. bench/out/winnow.db)");
    return path;
}

struct DashboardQueries
{
    MetricsQuery month;   // 30 daily buckets, breakdown by agent version
    MetricsQuery compare; // the last 7 days against the 7 before
};

// The store as Winnow reads it, and a plain connection for the SQL baseline (a benchmark may
// speak SQL; the product outside core/store does not).
struct BenchStore
{
    std::unique_ptr<Database> database = Database::openForReading(storePath()).take();
    sql::Connection raw{storePath(), sql::Connection::Mode::ReadOnly};
    BenchStore() { raw.exec("PRAGMA cache_size = -65536"); }
};

DashboardQueries dashboardQueries(BenchStore& store)
{
    const std::int64_t last = InteractionStore(*store.database).startTimeRange()->second;
    const std::int64_t end = bucketStart(last, Bucket::Day) + dayMs;
    DashboardQueries q;
    q.month.filter.fromMs = end - 30 * dayMs;
    q.month.filter.toMs = end;
    q.month.bucket = Bucket::Day;
    q.month.breakdown = FilterField::AgentVersion;
    q.compare.filter.fromMs = end - 7 * dayMs;
    q.compare.filter.toMs = end;
    q.compare.compareFromMs = end - 14 * dayMs;
    q.compare.compareToMs = end - 7 * dayMs;
    return q;
}

std::int64_t runRollups(BenchStore& store, const DashboardQueries& q)
{
    const MetricsReport month = computeMetrics(*store.database, q.month);
    const MetricsReport compare = computeMetrics(*store.database, q.compare);
    if (!month.fromRollups || !compare.fromRollups)
        throw std::runtime_error("the rollups did not answer");
    return month.summary.interactions + static_cast<std::int64_t>(month.series.size());
}

std::int64_t runScan(BenchStore& store, const DashboardQueries& q)
{
    const MetricsReport month = computeMetricsByScanning(*store.database, q.month);
    const MetricsReport compare = computeMetricsByScanning(*store.database, q.compare);
    return month.summary.interactions + compare.summary.interactions;
}

// The same figures as plain SQL: GROUP BY for counts and sums, window functions for the exact
// nearest-rank percentiles, straight over the interactions table.
std::int64_t runPlainSql(BenchStore& store, const DashboardQueries& q)
{
    sql::Connection& db = store.raw;
    const std::string counts =
        "count(*), sum(" + successOutcomeSql("outcome") +
        "), sum(coalesce(thumb, 0) < 0), sum((signal_mask & 1) != 0), sum((signal_mask & 2) != 0), "
        "sum((signal_mask & 4) != 0), sum((signal_mask & 8) != 0), sum((signal_mask & 32) != 0), "
        "sum(input_tokens), sum(output_tokens), sum(cost_usd)";
    auto percentiles = [](const std::string& partition) {
        return "SELECT g, latency_ms FROM (SELECT " + partition +
               " AS g, latency_ms, row_number() OVER (PARTITION BY " + partition +
               " ORDER BY latency_ms) AS r, count(*) OVER (PARTITION BY " + partition +
               ") AS n FROM interactions WHERE start_ms >= ?1 AND start_ms < ?2 AND latency_ms IS NOT NULL) "
               "WHERE r IN ((n * 50 + 99) / 100, (n * 90 + 99) / 100, (n * 99 + 99) / 100)";
    };
    const std::string range = " FROM interactions WHERE start_ms >= ?1 AND start_ms < ?2";
    const std::vector<std::string> monthQueries = {
        "SELECT " + counts + range,
        "SELECT start_ms / 86400000, " + counts + range + " GROUP BY start_ms / 86400000",
        "SELECT agent_version, " + counts + range + " GROUP BY agent_version",
        percentiles("0"),
        percentiles("start_ms / 86400000"),
        percentiles("agent_version"),
        "SELECT s.name, avg(s.value), count(*) FROM scores s JOIN interactions i ON i.id = s.interaction_id "
        "WHERE i.start_ms >= ?1 AND i.start_ms < ?2 GROUP BY s.name",
    };
    std::int64_t rows = 0;
    auto run = [&](const std::string& text, std::int64_t from, std::int64_t to) {
        sql::Statement statement(db, text);
        statement.bind(1, from).bind(2, to);
        while (statement.step())
            ++rows;
    };
    for (const std::string& text : monthQueries)
        run(text, *q.month.filter.fromMs, *q.month.filter.toMs);
    for (const auto& [from, to] : {std::pair(*q.compare.filter.fromMs, *q.compare.filter.toMs),
                                   std::pair(*q.compare.compareFromMs, *q.compare.compareToMs)}) {
        run("SELECT " + counts + range, from, to);
        run(percentiles("0"), from, to);
    }
    return rows;
}

void dropCaches()
{
    const char* wanted = std::getenv("WINNOW_BENCH_DROP_CACHES");
    if (!wanted || std::string(wanted) != "1")
        return;
    ::sync();
    std::ofstream("/proc/sys/vm/drop_caches") << "3\n";
}

template <std::int64_t (*Run)(BenchStore&, const DashboardQueries&)> void warm(benchmark::State& state)
{
    BenchStore store;
    const DashboardQueries q = dashboardQueries(store);
    benchmark::DoNotOptimize(Run(store, q)); // warms the caches
    for (auto _ : state)
        benchmark::DoNotOptimize(Run(store, q));
}

template <std::int64_t (*Run)(BenchStore&, const DashboardQueries&)> void cold(benchmark::State& state)
{
    for (auto _ : state) {
        state.PauseTiming();
        dropCaches();
        state.ResumeTiming();
        BenchStore store;
        const DashboardQueries q = dashboardQueries(store);
        benchmark::DoNotOptimize(Run(store, q));
    }
}

} // namespace

BENCHMARK(warm<runRollups>)->Name("BM_DashboardRollups")->Unit(benchmark::kMillisecond);
BENCHMARK(warm<runScan>)->Name("BM_DashboardScan")->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(warm<runPlainSql>)->Name("BM_DashboardPlainSql")->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(cold<runRollups>)->Name("BM_DashboardRollupsCold")->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(cold<runPlainSql>)->Name("BM_DashboardPlainSqlCold")->Unit(benchmark::kMillisecond)->Iterations(2);

BENCHMARK_MAIN();
