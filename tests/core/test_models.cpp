#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/jobs/job_runner.h"
#include "core/models/interaction_list_model.h"
#include "core/models/source_models.h"
#include "core/store/search_index.h"
#include "test_helpers.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <tuple>

using namespace winnow;

namespace {

// A demo store with a few interactions that have no start time.
std::string demoStore(const test::TempDir& dir, int interactions = 4000)
{
    DemoOptions options;
    options.interactions = interactions;
    options.seed = 9;
    EXPECT_EQ(writeDemo(options, DemoFormat::Jsonl, dir.path("d.jsonl")), "");
    const std::string path = dir.path("s.db");
    Store store(path);
    Ingestor(store, {}).ingest({dir.path("d.jsonl")});
    Batch undated;
    for (int i = 0; i < 3; ++i) {
        Interaction in;
        in.key = "undated" + std::to_string(i);
        in.agent = "support-bot";
        in.messages.push_back({"user", "where is my refund, undated " + std::to_string(i)});
        undated.interactions.push_back(in);
    }
    store.writeBatch(undated);
    return path;
}

// The reference order, straight from SQL.
std::vector<std::int64_t> idsInOrder(Store& store, const std::string& where, TimeOrder order)
{
    const std::string direction = order == TimeOrder::NewestFirst ? "DESC" : "ASC";
    std::vector<std::int64_t> ids;
    sql::Statement dated(store.connection(), "SELECT id FROM interactions WHERE start_ms IS NOT NULL" +
                                                 where + " ORDER BY start_ms " + direction + ", id " +
                                                 direction);
    while (dated.step())
        ids.push_back(dated.int64(0));
    return ids;
}

bool waitFor(const std::function<bool()>& condition, int timeoutMs = 20000)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QTest::qWait(5);
    }
    return true;
}

// Reads every row of the model, waiting for pages as a view would.
std::vector<std::int64_t> allIds(InteractionListModel& model)
{
    std::vector<std::int64_t> ids;
    for (int row = 0; row < model.rowCount(); ++row) {
        const QModelIndex index = model.index(row, 0);
        EXPECT_TRUE(waitFor([&] { return !model.data(index, InteractionListModel::LoadingRole).toBool(); }))
            << "row " << row;
        ids.push_back(model.data(index, InteractionListModel::IdRole).toLongLong());
    }
    return ids;
}

} // namespace

TEST(JobRunner, LatestWinsDropsSupersededResults)
{
    JobRunner runner(JobRunner::Policy::LatestWins);
    std::vector<int> delivered;
    for (int i = 0; i < 5; ++i)
        runner.run<int>(
            [i](JobContext& context) {
                for (int wait = 0; wait < 20 && !context.cancelled(); ++wait)
                    QThread::msleep(5);
                return i;
            },
            [&](int value) { delivered.push_back(value); });
    ASSERT_TRUE(waitFor([&] { return !runner.busy(); }));
    ASSERT_EQ(delivered, std::vector<int>{4});
}

TEST(JobRunner, QueueDeliversInOrderUntilReset)
{
    JobRunner runner(JobRunner::Policy::Queue);
    QSignalSpy failures(&runner, &JobRunner::failed);
    std::vector<int> delivered;
    for (int i = 0; i < 5; ++i)
        runner.run<int>([i](JobContext&) { return i; }, [&](int value) { delivered.push_back(value); });
    runner.run<int>([](JobContext&) -> int { throw std::runtime_error("no such table"); }, [](int) {});
    ASSERT_TRUE(waitFor([&] { return !runner.busy(); }));
    EXPECT_EQ(delivered, (std::vector<int>{0, 1, 2, 3, 4}));
    ASSERT_EQ(failures.count(), 1);
    EXPECT_EQ(failures.at(0).at(0).toString(), QStringLiteral("no such table"));

    delivered.clear();
    runner.run<int>(
        [](JobContext&) {
            QThread::msleep(50);
            return 1;
        },
        [&](int value) { delivered.push_back(value); });
    runner.reset();
    ASSERT_TRUE(waitFor([&] { return !runner.busy(); }));
    EXPECT_TRUE(delivered.empty());
}

TEST(JobRunner, ReportsAStoreThatCannotBeOpened)
{
    test::TempDir dir;
    JobRunner runner(JobRunner::Policy::LatestWins);
    runner.setStorePath(dir.path("missing/none.db"));
    QSignalSpy failures(&runner, &JobRunner::failed);
    runner.run<std::int64_t>([](JobContext& context) { return context.store().stats().interactions; },
                             [](std::int64_t) {});
    ASSERT_TRUE(failures.wait(10000));
}

// The page seeking against the SQL order, at many positions, both orders, with filters.
TEST(InteractionList, SeekingFindsTheSameRowsAsOneOrderedQuery)
{
    test::TempDir dir;
    const std::string path = demoStore(dir);
    Store store(path, Store::Mode::ReadOnly);
    std::mt19937 random(3);
    struct Case
    {
        MetricsFilter filter;
        std::string where;
    };
    std::vector<Case> cases(3);
    cases[1].filter.where = {{"agent", "support-bot"}};
    cases[1].where = " AND agent = 'support-bot'";
    const std::int64_t first = store.connection().queryInt("SELECT min(start_ms) FROM interactions");
    cases[2].filter.fromMs = first + 3 * 86'400'000 + 1234;
    cases[2].filter.toMs = first + 9 * 86'400'000 + 77'777;
    cases[2].filter.where = {{"model", "gpt-4o"}};
    cases[2].where = " AND model = 'gpt-4o' AND start_ms >= " + std::to_string(*cases[2].filter.fromMs) +
                     " AND start_ms < " + std::to_string(*cases[2].filter.toMs);
    for (const Case& c : cases)
        for (TimeOrder order : {TimeOrder::NewestFirst, TimeOrder::OldestFirst}) {
            const InteractionSort sort{false, order == TimeOrder::NewestFirst};
            const auto layout = layoutInteractions(store, c.filter, sort, {}, nullptr);
            std::vector<std::int64_t> expected = idsInOrder(store, c.where, order);
            ASSERT_EQ(layout.groups.size(), 1u);
            ASSERT_EQ(layout.groups[0].dated, static_cast<std::int64_t>(expected.size())) << c.where;
            if (!c.filter.fromMs) {
                EXPECT_EQ(layout.groups[0].undated,
                          c.filter.where.empty() || c.filter.where[0].second == "support-bot" ? 3 : 0);
                for (int i = 0; i < layout.groups[0].undated; ++i)
                    expected.push_back(store.connection().queryInt("SELECT max(id) FROM interactions") - 2 +
                                       i);
            }
            const auto total = static_cast<std::int64_t>(expected.size());
            for (int probe = 0; probe < 40; ++probe) {
                const std::int64_t at = probe == 0 ? 0 : probe == 1 ? total - 5 : random() % total;
                const auto rows = loadInteractionRows(store, c.filter, sort, layout, at, 50);
                ASSERT_EQ(static_cast<std::int64_t>(rows.size()), std::min<std::int64_t>(50, total - at))
                    << c.where << " at " << at;
                for (size_t i = 0; i < rows.size(); ++i)
                    ASSERT_EQ(rows[i].id, expected[static_cast<size_t>(at) + i])
                        << c.where << " at " << at + i;
            }
        }
}

// By agent, then version, newest first inside each (undated interactions last, by id), against
// the same order computed here from every row.
TEST(InteractionList, SortingByAgentSeeksTheSameRowsAsASortedReference)
{
    test::TempDir dir;
    const std::string path = demoStore(dir, 3000);
    {
        Store writer(path);
        Batch noAgent; // interactions without an agent form their own group, first in A to Z
        for (int i = 0; i < 4; ++i) {
            Interaction in;
            in.key = "anonymous" + std::to_string(i);
            in.startMs = writer.connection().queryInt("SELECT min(start_ms) FROM interactions") + i * 1000;
            noAgent.interactions.push_back(in);
        }
        writer.writeBatch(noAgent);
    }
    Store store(path, Store::Mode::ReadOnly);
    struct Row
    {
        std::string agent, version;
        std::optional<std::int64_t> start;
        std::int64_t id;
    };
    std::vector<Row> all;
    sql::Statement select(
        store.connection(),
        "SELECT coalesce(agent, ''), coalesce(agent_version, ''), start_ms, id FROM interactions");
    while (select.step())
        all.push_back({select.text(0), select.text(1), select.optionalInt64(2), select.int64(3)});
    for (bool descending : {false, true}) {
        std::vector<Row> expected = all;
        std::sort(expected.begin(), expected.end(), [&](const Row& a, const Row& b) {
            if (a.agent != b.agent || a.version != b.version)
                return descending ? std::tie(a.agent, a.version) > std::tie(b.agent, b.version)
                                  : std::tie(a.agent, a.version) < std::tie(b.agent, b.version);
            if (a.start.has_value() != b.start.has_value())
                return a.start.has_value(); // undated last
            if (a.start)
                return std::tie(*a.start, a.id) > std::tie(*b.start, b.id); // newest first
            return a.id < b.id;
        });
        const InteractionSort sort{true, descending};
        const auto layout = layoutInteractions(store, {}, sort, {}, nullptr);
        ASSERT_EQ(layout.total(), static_cast<std::int64_t>(expected.size()));
        std::mt19937 random(descending ? 1 : 2);
        for (int probe = 0; probe < 40; ++probe) {
            const std::int64_t at = probe == 0   ? 0
                                    : probe == 1 ? layout.total() - 7
                                                 : random() % layout.total();
            const auto rows = loadInteractionRows(store, {}, sort, layout, at, 60);
            ASSERT_EQ(static_cast<std::int64_t>(rows.size()),
                      std::min<std::int64_t>(60, layout.total() - at));
            for (size_t i = 0; i < rows.size(); ++i)
                ASSERT_EQ(rows[i].id, expected[size_t(at) + i].id) << "at " << at + std::int64_t(i);
        }
    }
}

TEST(InteractionList, ModelServesEveryRowInOrderUnderTheTester)
{
    test::TempDir dir;
    const std::string path = demoStore(dir, 1500);
    InteractionListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy counted(&model, &InteractionListModel::countChanged);
    model.setStorePath(path);
    ASSERT_TRUE(counted.wait(10000));
    EXPECT_EQ(model.rowCount(), 1503);
    EXPECT_EQ(model.columnCount(), InteractionListModel::ColumnCount);
    EXPECT_EQ(model.rowCount(model.index(0, 0)), 0);
    EXPECT_EQ(model.data(model.index(0, 0), InteractionListModel::LoadingRole).toBool(), true);

    Store store(path, Store::Mode::ReadOnly);
    std::vector<std::int64_t> expected = idsInOrder(store, "", TimeOrder::NewestFirst);
    for (int i = 0; i < 3; ++i)
        expected.push_back(store.connection().queryInt("SELECT max(id) FROM interactions") - 2 + i);
    EXPECT_EQ(allIds(model), expected);
    const QModelIndex firstRow = model.index(0, InteractionListModel::Agent);
    EXPECT_FALSE(model.data(firstRow).toString().isEmpty());
    EXPECT_EQ(model.data(model.index(1502, InteractionListModel::Time)).toString(),
              QStringLiteral("(no time)"));

    // Oldest first, then a filter: each is a new count.
    counted.clear();
    model.sort(InteractionListModel::Time, Qt::AscendingOrder);
    ASSERT_TRUE(counted.wait(10000));
    std::vector<std::int64_t> oldest = idsInOrder(store, "", TimeOrder::OldestFirst);
    const auto ids = allIds(model);
    ASSERT_EQ(ids.size(), 1503u);
    EXPECT_EQ(std::vector<std::int64_t>(ids.begin(), ids.begin() + 1500), oldest);

    counted.clear();
    MetricsFilter filter;
    filter.where = {{"agent", "it-helpdesk"}};
    model.setFilter(filter);
    ASSERT_TRUE(counted.wait(10000));
    EXPECT_EQ(allIds(model), idsInOrder(store, " AND agent = 'it-helpdesk'", TimeOrder::OldestFirst));
    for (int row = 0; row < model.rowCount(); row += 97)
        EXPECT_EQ(model.data(model.index(row, InteractionListModel::Agent)).toString(),
                  QStringLiteral("it-helpdesk"));
}

TEST(InteractionList, SearchFindsMessagesAndOffersTheWordsToHighlight)
{
    test::TempDir dir;
    const std::string path = demoStore(dir, 1500);
    {
        SearchIndex index(path);
        while (index.indexPending() > 0) {
        }
    }
    InteractionListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy counted(&model, &InteractionListModel::countChanged);
    model.setStorePath(path);
    ASSERT_TRUE(counted.wait(10000));
    counted.clear();
    model.setSearch(QStringLiteral("Refund"));
    ASSERT_TRUE(counted.wait(10000));
    Store store(path, Store::Mode::ReadOnly);
    const std::int64_t withRefund = store.connection().queryInt(
        "SELECT count(DISTINCT interaction_id) FROM messages WHERE role IN ('user', 'assistant', 'tool') "
        "AND (content LIKE '%refund%')");
    ASSERT_GT(withRefund, 20);
    // FTS5 finds "refund" and words that start with it ("refunds", "refunded") too.
    EXPECT_GE(model.rowCount(), withRefund);
    const auto ids = allIds(model);
    EXPECT_EQ(model.data(model.index(0, 0), InteractionListModel::MatchTermsRole).toStringList(),
              QStringList{QStringLiteral("Refund")});
    EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), ids.size());
    EXPECT_EQ(SearchIndex::queryFor("where's my \"refund\" (order #12)"),
              "\"where\" \"s\" \"my\" \"refund\" \"order\" \"12\"*");
}

TEST(SourceModels, PassTheTesterWithRowsAndWithout)
{
    SourceListModel sources;
    QuarantineModel quarantine;
    QAbstractItemModelTester sourcesTester(&sources, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester quarantineTester(&quarantine,
                                              QAbstractItemModelTester::FailureReportingMode::Fatal);
    SourceState source;
    source.path = "/logs/a.jsonl";
    source.ingested = 1200;
    source.line = 1201;
    sources.setSources({source});
    EXPECT_EQ(sources.rowCount(), 1);
    EXPECT_EQ(sources.data(sources.index(0, SourceListModel::Path)).toString(),
              QStringLiteral("/logs/a.jsonl"));
    QuarantineEntry entry;
    entry.sourcePath = "/logs/a.jsonl";
    entry.record = {7, 512, "invalid JSON at byte 3", "{\"id\": nope"};
    quarantine.setEntries({entry, entry});
    EXPECT_EQ(quarantine.rowCount(), 2);
    EXPECT_EQ(quarantine.data(quarantine.index(1, QuarantineModel::Reason)).toString(),
              QStringLiteral("invalid JSON at byte 3"));
    sources.setSources({});
    EXPECT_EQ(sources.rowCount(), 0);
}
