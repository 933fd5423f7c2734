#include "../test_helpers.h"
#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/models/interaction_list_model.h"
#include "core/store/search_index.h"

#include <QAbstractItemModelTester>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

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
    test::TestStore store(path);
    store.ingest({dir.path("d.jsonl")});
    Batch undated;
    for (int i = 0; i < 3; ++i) {
        Interaction in;
        in.key = "undated" + std::to_string(i);
        in.agent = "support-bot";
        in.messages.push_back({"user", "where is my refund, undated " + std::to_string(i)});
        undated.interactions.push_back(in);
    }
    store.write(undated);
    return path;
}

// The reference order, straight from SQL.
std::vector<std::int64_t> idsInOrder(const std::string& path, const std::string& where, TimeOrder order)
{
    const std::string direction = order == TimeOrder::NewestFirst ? "DESC" : "ASC";
    std::vector<std::int64_t> ids;
    sql::Connection db(path, sql::Connection::Mode::ReadOnly);
    sql::Statement dated(db, "SELECT id FROM interactions WHERE start_ms IS NOT NULL" + where +
                                 " ORDER BY start_ms " + direction + ", id " + direction);
    while (dated.step())
        ids.push_back(dated.int64(0));
    return ids;
}

std::unique_ptr<Database> reader(const std::string& path)
{
    return Database::openForReading(path).take();
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

// The page seeking against the SQL order, at many positions, both orders, with filters.
TEST(InteractionList, SeekingFindsTheSameRowsAsOneOrderedQuery)
{
    test::TempDir dir;
    const std::string path = demoStore(dir);
    const auto database = reader(path);
    Database& store = *database;
    std::mt19937 random(3);
    struct Case
    {
        MetricsFilter filter;
        std::string where;
    };
    std::vector<Case> cases(3);
    cases[1].filter.with(FilterField::Agent, "support-bot");
    cases[1].where = " AND agent = 'support-bot'";
    const std::int64_t first = test::queryInt(path, "SELECT min(start_ms) FROM interactions");
    cases[2].filter.fromMs = first + 3 * 86'400'000 + 1234;
    cases[2].filter.toMs = first + 9 * 86'400'000 + 77'777;
    cases[2].filter.with(FilterField::Model, "gpt-4o");
    cases[2].where = " AND model = 'gpt-4o' AND start_ms >= " + std::to_string(*cases[2].filter.fromMs) +
                     " AND start_ms < " + std::to_string(*cases[2].filter.toMs);
    for (const Case& c : cases)
        for (TimeOrder order : {TimeOrder::NewestFirst, TimeOrder::OldestFirst}) {
            const InteractionSort sort{false, order == TimeOrder::NewestFirst};
            const auto layout = layoutInteractions(store, c.filter, sort, {}, nullptr);
            std::vector<std::int64_t> expected = idsInOrder(path, c.where, order);
            ASSERT_EQ(layout.groups.size(), 1u);
            ASSERT_EQ(layout.groups[0].dated, static_cast<std::int64_t>(expected.size())) << c.where;
            if (!c.filter.fromMs) {
                EXPECT_EQ(layout.groups[0].undated,
                          c.filter.where.empty() || c.filter.where[0].value == "support-bot" ? 3 : 0);
                for (int i = 0; i < layout.groups[0].undated; ++i)
                    expected.push_back(test::queryInt(path, "SELECT max(id) FROM interactions") - 2 + i);
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
        test::TestStore writer(path);
        Batch noAgent; // interactions without an agent form their own group, first in A to Z
        for (int i = 0; i < 4; ++i) {
            Interaction in;
            in.key = "anonymous" + std::to_string(i);
            in.startMs = writer.queryInt("SELECT min(start_ms) FROM interactions") + i * 1000;
            noAgent.interactions.push_back(in);
        }
        writer.write(noAgent);
    }
    const auto database = reader(path);
    Database& store = *database;
    struct Row
    {
        std::string agent, version;
        std::optional<std::int64_t> start;
        std::int64_t id;
    };
    std::vector<Row> all;
    sql::Connection raw(path, sql::Connection::Mode::ReadOnly);
    sql::Statement select(
        raw, "SELECT coalesce(agent, ''), coalesce(agent_version, ''), start_ms, id FROM interactions");
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

    std::vector<std::int64_t> expected = idsInOrder(path, "", TimeOrder::NewestFirst);
    for (int i = 0; i < 3; ++i)
        expected.push_back(test::queryInt(path, "SELECT max(id) FROM interactions") - 2 + i);
    EXPECT_EQ(allIds(model), expected);
    const QModelIndex firstRow = model.index(0, InteractionListModel::Agent);
    EXPECT_FALSE(model.data(firstRow).toString().isEmpty());
    EXPECT_EQ(model.data(model.index(1502, InteractionListModel::Time)).toString(),
              QStringLiteral("(no time)"));

    // Oldest first, then a filter: each is a new count.
    counted.clear();
    model.sort(InteractionListModel::Time, Qt::AscendingOrder);
    ASSERT_TRUE(counted.wait(10000));
    std::vector<std::int64_t> oldest = idsInOrder(path, "", TimeOrder::OldestFirst);
    const auto ids = allIds(model);
    ASSERT_EQ(ids.size(), 1503u);
    EXPECT_EQ(std::vector<std::int64_t>(ids.begin(), ids.begin() + 1500), oldest);

    counted.clear();
    MetricsFilter filter;
    filter.with(FilterField::Agent, "it-helpdesk");
    model.setFilter(filter);
    ASSERT_TRUE(counted.wait(10000));
    EXPECT_EQ(allIds(model), idsInOrder(path, " AND agent = 'it-helpdesk'", TimeOrder::OldestFirst));
    for (int row = 0; row < model.rowCount(); row += 97)
        EXPECT_EQ(model.data(model.index(row, InteractionListModel::Agent)).toString(),
                  QStringLiteral("it-helpdesk"));
}

TEST(InteractionList, SearchFindsMessagesAndOffersTheWordsToHighlight)
{
    test::TempDir dir;
    const std::string path = demoStore(dir, 1500);
    {
        auto index = test::openIndex(path);
        while (index->indexPending() > 0) {
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
    const std::int64_t withRefund = test::queryInt(
        path,
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

namespace {
// The rows a page shows, read straight from the model (after waiting for it).
std::int64_t firstIdOfPage(InteractionListModel& model, int page)
{
    const QModelIndex index = model.index(page * InteractionListModel::pageSize, 0);
    EXPECT_TRUE(waitFor([&] { return !model.data(index, InteractionListModel::LoadingRole).toBool(); }));
    return model.data(index, InteractionListModel::IdRole).toLongLong();
}
} // namespace

// The cache keeps the pages used most recently: reading a page again keeps it over one read once.
TEST(InteractionList, ThePageCacheEvictsTheLeastRecentlyUsedPage)
{
    test::TempDir dir;
    const std::string path = demoStore(dir, 1200); // ten pages
    InteractionListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setPageCacheCapacity(3);
    QSignalSpy counted(&model, &InteractionListModel::countChanged);
    model.setStorePath(path);
    ASSERT_TRUE(counted.wait(10000));
    firstIdOfPage(model, 0);
    firstIdOfPage(model, 1);
    firstIdOfPage(model, 2);
    firstIdOfPage(model, 0); // used again: now page 1 is the least recently used
    firstIdOfPage(model, 3);
    EXPECT_TRUE(model.isPageCached(0));
    EXPECT_FALSE(model.isPageCached(1));
    EXPECT_TRUE(model.isPageCached(2));
    EXPECT_TRUE(model.isPageCached(3));
    firstIdOfPage(model, 4);
    EXPECT_TRUE(model.isPageCached(0)); // still more recent than 2
    EXPECT_FALSE(model.isPageCached(2));
}

// After a new slice is counted, no row of the old one is served, even from a page that was on its
// way when the filter changed.
TEST(InteractionList, ARecountThrowsAwayThePagesOfTheOldSlice)
{
    test::TempDir dir;
    const std::string path = demoStore(dir, 1500);
    InteractionListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    std::atomic<bool> slow{false};
    model.setPageLoader([&slow](Database& database, const MetricsFilter& filter, InteractionSort sort,
                                const InteractionListModel::Layout& layout, std::int64_t first,
                                std::int64_t count) {
        if (slow)
            QThread::msleep(400); // a page of the old slice still being read
        return loadInteractionRows(database, filter, sort, layout, first, count);
    });
    QSignalSpy counted(&model, &InteractionListModel::countChanged);
    model.setStorePath(path);
    ASSERT_TRUE(counted.wait(10000));
    const std::int64_t allFirst = firstIdOfPage(model, 0);
    slow = true;
    model.data(model.index(5 * InteractionListModel::pageSize, 0)); // asks for page 5 of the whole store
    counted.clear();
    MetricsFilter helpdesk;
    helpdesk.with(FilterField::Agent, "it-helpdesk");
    model.setFilter(helpdesk);
    ASSERT_TRUE(counted.wait(10000));
    slow = false;
    EXPECT_FALSE(model.isPageCached(0));
    QTest::qWait(600); // the old page's job ends meanwhile: it must not be kept
    EXPECT_FALSE(model.isPageCached(5));
    const auto expected = idsInOrder(path, " AND agent = 'it-helpdesk'", TimeOrder::NewestFirst);
    ASSERT_FALSE(expected.empty());
    EXPECT_NE(allFirst, expected.front());
    EXPECT_EQ(firstIdOfPage(model, 0), expected.front());
    EXPECT_EQ(allIds(model), expected);
}

// A page whose read failed is asked for again, not left "Loading…" for good.
TEST(InteractionList, APageThatFailedToLoadIsAskedForAgain)
{
    test::TempDir dir;
    const std::string path = demoStore(dir, 600);
    InteractionListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    std::atomic<int> calls{0};
    model.setPageLoader([&calls](Database& database, const MetricsFilter& filter, InteractionSort sort,
                                 const InteractionListModel::Layout& layout, std::int64_t first,
                                 std::int64_t count) {
        if (calls++ == 0)
            throw Failure("the disk hiccupped");
        return loadInteractionRows(database, filter, sort, layout, first, count);
    });
    QSignalSpy counted(&model, &InteractionListModel::countChanged);
    QSignalSpy failed(&model, &InteractionListModel::loadFailed);
    model.setStorePath(path);
    ASSERT_TRUE(counted.wait(10000));
    const QModelIndex first = model.index(0, 0);
    EXPECT_TRUE(model.data(first, InteractionListModel::LoadingRole).toBool());
    ASSERT_TRUE(failed.wait(10000));
    EXPECT_EQ(failed.at(0).at(0).toString(), QStringLiteral("the disk hiccupped"));
    // Nothing but the model's own retry asks for the page again (a view would repaint on dataChanged).
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    ASSERT_TRUE(changed.wait(5000));
    EXPECT_TRUE(waitFor([&] { return !model.data(first, InteractionListModel::LoadingRole).toBool(); }));
    EXPECT_GE(calls.load(), 2);
    EXPECT_EQ(model.data(first, InteractionListModel::IdRole).toLongLong(),
              idsInOrder(path, "", TimeOrder::NewestFirst).front());
}

// Score columns show each row's score; sorting by one reads the slice's ids in the score's order
// (those without it last), with a filter, and with a search.
TEST(InteractionList, ScoreColumnsShowAndSortTheSlice)
{
    test::TempDir dir;
    const std::string path = demoStore(dir, 1500);
    {
        auto index = test::openIndex(path);
        while (index->indexPending() > 0) {
        }
    }
    InteractionListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy counted(&model, &InteractionListModel::countChanged);
    model.setStorePath(path);
    ASSERT_TRUE(counted.wait(10000));
    model.setScoreColumns({"reward"});
    const int reward = InteractionListModel::ColumnCount;
    EXPECT_EQ(model.columnCount(), reward + 1);
    EXPECT_EQ(model.headerData(reward, Qt::Horizontal).toString(), QStringLiteral("reward"));

    // The reference: by reward, highest first; unscored last, newest first among equals.
    auto expectedOrder = [&](const std::string& where, bool descending) {
        std::vector<std::int64_t> ids;
        sql::Connection db(path, sql::Connection::Mode::ReadOnly);
        sql::Statement select(
            db, "SELECT i.id FROM interactions i LEFT JOIN scores s ON s.interaction_id = i.id "
                "AND s.name = 'reward' WHERE 1" +
                    where + " ORDER BY s.value IS NULL, s.value " + (descending ? "DESC" : "ASC") +
                    ", coalesce(i.start_ms, -9223372036854775808) DESC, i.id DESC");
        while (select.step())
            ids.push_back(select.int64(0));
        return ids;
    };
    counted.clear();
    model.sort(reward, Qt::DescendingOrder);
    ASSERT_TRUE(counted.wait(10000));
    EXPECT_EQ(model.sortOrder().score, "reward");
    EXPECT_EQ(allIds(model), expectedOrder("", true));
    double previous = 2;
    int scored = 0;
    for (int row = 0; row < model.rowCount(); ++row) {
        const QVariant value = model.data(model.index(row, reward), InteractionListModel::ValueRole);
        if (!value.isValid())
            continue;
        ++scored;
        EXPECT_LE(value.toDouble(), previous) << row;
        previous = value.toDouble();
    }
    EXPECT_EQ(scored, test::queryInt(path, "SELECT count(*) FROM scores WHERE name = 'reward'"));

    counted.clear();
    MetricsFilter filter;
    filter.with(FilterField::Agent, "it-helpdesk");
    model.setFilter(filter);
    ASSERT_TRUE(counted.wait(10000));
    counted.clear();
    model.sort(reward, Qt::AscendingOrder);
    ASSERT_TRUE(counted.wait(10000));
    EXPECT_EQ(allIds(model), expectedOrder(" AND i.agent = 'it-helpdesk'", false));

    // A search keeps the score's order among what it found.
    counted.clear();
    model.setFilter({});
    ASSERT_TRUE(counted.wait(10000));
    counted.clear();
    model.setSearch(QStringLiteral("refund"));
    ASSERT_TRUE(counted.wait(10000));
    EXPECT_GT(model.rowCount(), 20);
    std::vector<double> values;
    for (int row = 0; row < model.rowCount(); ++row) {
        ASSERT_TRUE(waitFor(
            [&] { return !model.data(model.index(row, 0), InteractionListModel::LoadingRole).toBool(); }));
        const QVariant value = model.data(model.index(row, reward), InteractionListModel::ValueRole);
        if (value.isValid())
            values.push_back(value.toDouble());
    }
    EXPECT_FALSE(values.empty());
    EXPECT_TRUE(std::is_sorted(values.begin(), values.end()));

    // The score disappears from the store: its column goes, the order goes back to time.
    counted.clear();
    model.setScoreColumns({});
    EXPECT_EQ(model.columnCount(), InteractionListModel::ColumnCount);
    EXPECT_TRUE(model.sortOrder().score.empty());
}
