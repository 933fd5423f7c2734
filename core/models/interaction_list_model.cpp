#include "core/models/interaction_list_model.h"

#include "core/metrics/metrics.h"
#include "core/store/rollups.h"
#include "core/store/search_index.h"

#include <QDateTime>
#include <QLocale>
#include <QTimer>

#include <algorithm>

namespace winnow {

namespace {

constexpr std::int64_t hourMs = 3'600'000;
constexpr std::int64_t minuteMs = 60'000;

MetricsFilter narrowed(const MetricsFilter& filter, std::int64_t from, std::int64_t to)
{
    MetricsFilter result = filter;
    result.fromMs = filter.fromMs ? std::max(*filter.fromMs, from) : from;
    result.toMs = filter.toMs ? std::min(*filter.toMs, to) : to;
    return result;
}

// The bucket (in display order) that holds the row at `rank`, and the rank inside it.
template <typename Buckets>
std::pair<std::int64_t, std::int64_t> locate(const Buckets& ordered, std::int64_t rank)
{
    for (const auto& [start, count] : ordered) {
        if (rank < count)
            return {start, rank};
        rank -= count;
    }
    return {noStartBucket, -1};
}

std::vector<std::pair<std::int64_t, std::int64_t>> inOrder(const std::map<std::int64_t, std::int64_t>& counts,
                                                           TimeOrder order)
{
    std::vector<std::pair<std::int64_t, std::int64_t>> result;
    for (const auto& entry : counts)
        if (entry.first != noStartBucket && entry.second > 0)
            result.push_back(entry);
    if (order == TimeOrder::NewestFirst)
        std::reverse(result.begin(), result.end());
    return result;
}

QString signalNames(std::int64_t mask)
{
    QStringList names;
    for (int k = 0; k < signalKindCount; ++k)
        if ((mask >> k) & 1)
            names << QString::fromLatin1(signalKindName(static_cast<SignalKind>(k)));
    return names.join(QStringLiteral(", "));
}

QString text(const std::string& s)
{
    return QString::fromStdString(s);
}

} // namespace

namespace {

// The time order inside one group: the whole table's for the time sort, newest first otherwise.
TimeOrder groupOrder(const InteractionSort& sort)
{
    return !sort.byAgent && !sort.descending ? TimeOrder::OldestFirst : TimeOrder::NewestFirst;
}

MetricsFilter groupFilter(const MetricsFilter& filter, const InteractionListModel::Group& group)
{
    MetricsFilter result = filter;
    result.where.insert(result.where.end(), group.where.begin(), group.where.end());
    return result;
}

InteractionListModel::Group groupOf(Database& database, const MetricsFilter& filter, TimeOrder order,
                                    std::vector<Condition> where)
{
    InteractionListModel::Group group;
    group.where = std::move(where);
    const auto days = interactionCounts(database, groupFilter(filter, group), Bucket::Day);
    group.days = inOrder(days, order);
    for (const auto& [start, count] : group.days)
        group.dated += count;
    const auto undated = days.find(noStartBucket);
    group.undated = undated == days.end() ? 0 : undated->second;
    return group;
}

// Rows [first, first + count) of one group: seek by time key (the day from the layout, its hour
// from the rollups, then the minute), then the rows without a start time.
std::vector<InteractionListRow> rowsOfGroup(Database& database, const MetricsFilter& filter, TimeOrder order,
                                            const InteractionListModel::Group& group, std::int64_t first,
                                            std::int64_t count)
{
    InteractionStore store(database);
    std::vector<InteractionListRow> rows;
    if (first < group.dated) {
        const auto [day, inDay] = locate(group.days, first);
        const auto hours = inOrder(
            interactionCounts(database, narrowed(filter, day, day + 86'400'000), Bucket::Hour), order);
        const auto [hour, inHour] = locate(hours, inDay);
        const auto minutes =
            inOrder(store.countsByTime(narrowed(filter, hour, hour + hourMs), minuteMs), order);
        const auto [minute, inMinute] = locate(minutes, inHour);
        if (inMinute >= 0) {
            const std::int64_t boundary = order == TimeOrder::NewestFirst ? minute + minuteMs : minute;
            rows = store.rowsInTimeOrder(filter, order, boundary, inMinute,
                                         std::min(count, group.dated - first));
        }
    }
    const std::int64_t stillWanted = count - static_cast<std::int64_t>(rows.size());
    if (stillWanted > 0 && first + count > group.dated && group.undated > 0) {
        const std::int64_t skip = std::max<std::int64_t>(0, first - group.dated);
        for (InteractionListRow& row : store.rowsWithoutStart(filter, skip, stillWanted))
            rows.push_back(std::move(row));
    }
    return rows;
}

} // namespace

std::int64_t InteractionListModel::Layout::total() const
{
    if (listed())
        return static_cast<std::int64_t>(ids.size());
    std::int64_t sum = 0;
    for (const Group& group : groups)
        sum += group.dated + group.undated;
    return sum;
}

InteractionListModel::Layout layoutInteractions(Database& database, const MetricsFilter& filter,
                                                InteractionSort sort, const std::string& search,
                                                const std::atomic<bool>* cancel)
{
    InteractionListModel::Layout layout;
    const TimeOrder order = groupOrder(sort);
    if (!SearchIndex::searchWords(search).empty()) {
        layout.search = true;
        auto index = SearchIndex::open(database.path(), SearchIndex::Mode::Search);
        if (!index)
            throw Failure(index.error());
        std::vector<std::int64_t> found = (*index)->searchInteractions(
            SearchIndex::queryFor(search), InteractionListModel::maxSearchResults + 1);
        layout.truncated = static_cast<std::int64_t>(found.size()) > InteractionListModel::maxSearchResults;
        if (layout.truncated)
            found.resize(InteractionListModel::maxSearchResults);
        if (cancel && cancel->load())
            return layout;
        layout.ids = InteractionStore(database).idsInSlice(found, filter, order);
        if (!sort.score.empty())
            layout.ids = InteractionStore(database).orderByScore(layout.ids, sort.score, sort.descending);
        return layout;
    }
    if (!sort.score.empty()) {
        layout.ranked = true;
        layout.ids = InteractionStore(database).idsByScore(filter, sort.score, sort.descending,
                                                           InteractionListModel::maxSearchResults + 1);
        layout.truncated =
            static_cast<std::int64_t>(layout.ids.size()) > InteractionListModel::maxSearchResults;
        if (layout.truncated)
            layout.ids.resize(InteractionListModel::maxSearchResults);
        return layout;
    }
    if (!sort.byAgent) {
        layout.groups.push_back(groupOf(database, filter, order, {}));
        return layout;
    }
    // By agent, then version (the index's order), newest first inside each: one group per pair.
    std::vector<std::pair<std::string, std::string>> pairs;
    for (const auto& [agent, unused] :
         interactionCountsBy(database, filter, Bucket::Week, Dimension::Agent)) {
        MetricsFilter oneAgent = filter;
        oneAgent.with(FilterField::Agent, agent);
        for (const auto& [version, counts] :
             interactionCountsBy(database, oneAgent, Bucket::Week, Dimension::AgentVersion))
            pairs.emplace_back(agent, version);
    }
    if (sort.descending)
        std::reverse(pairs.begin(), pairs.end());
    for (const auto& [agent, version] : pairs) {
        if (cancel && cancel->load())
            break;
        InteractionListModel::Group group = groupOf(
            database, filter, order, {{FilterField::Agent, agent}, {FilterField::AgentVersion, version}});
        if (group.dated + group.undated > 0)
            layout.groups.push_back(std::move(group));
    }
    return layout;
}

std::vector<InteractionListRow> loadInteractionRows(Database& database, const MetricsFilter& filter,
                                                    InteractionSort sort,
                                                    const InteractionListModel::Layout& layout,
                                                    std::int64_t first, std::int64_t count)
{
    std::vector<InteractionListRow> rows;
    if (layout.listed()) {
        const auto begin = std::min<size_t>(static_cast<size_t>(first), layout.ids.size());
        const auto end = std::min<size_t>(static_cast<size_t>(first + count), layout.ids.size());
        rows = InteractionStore(database).rowsByIds(
            std::vector<std::int64_t>(layout.ids.begin() + static_cast<std::ptrdiff_t>(begin),
                                      layout.ids.begin() + static_cast<std::ptrdiff_t>(end)));
        InteractionStore(database).attachScores(rows);
        return rows;
    }
    std::int64_t groupStart = 0;
    for (const InteractionListModel::Group& group : layout.groups) {
        const std::int64_t size = group.dated + group.undated;
        const std::int64_t wanted = count - static_cast<std::int64_t>(rows.size());
        if (wanted <= 0)
            break;
        const std::int64_t at = first + static_cast<std::int64_t>(rows.size()) - groupStart;
        if (at < size)
            for (InteractionListRow& row : rowsOfGroup(database, groupFilter(filter, group), groupOrder(sort),
                                                       group, at, std::min(wanted, size - at)))
                rows.push_back(std::move(row));
        groupStart += size;
    }
    InteractionStore(database).attachScores(rows);
    return rows;
}

InteractionListModel::InteractionListModel(QObject* parent)
    : QAbstractTableModel(parent), m_countJobs(new JobTracker(this)), m_pageJobs(new JobTracker(this)),
      m_loader(loadInteractionRows)
{
}

InteractionListModel::~InteractionListModel() = default;

void InteractionListModel::setStorePath(const std::string& path)
{
    m_storePath = path;
    m_countJobs->setStorePath(path);
    m_pageJobs->setStorePath(path);
    recount();
}

void InteractionListModel::setFilter(const MetricsFilter& filter)
{
    m_filter = filter;
    recount();
}

void InteractionListModel::setSearch(const QString& text)
{
    m_search = text;
    m_terms.clear();
    for (const std::string& word : SearchIndex::searchWords(text.toStdString()))
        m_terms << QString::fromStdString(word);
    recount();
}

void InteractionListModel::refresh()
{
    recount();
}

void InteractionListModel::setScoreColumns(const std::vector<std::string>& names)
{
    if (names == m_scoreColumns)
        return;
    beginResetModel();
    m_scoreColumns = names;
    endResetModel();
    // Sorted by a score that is gone: back to time.
    if (!m_sort.score.empty() &&
        std::find(m_scoreColumns.begin(), m_scoreColumns.end(), m_sort.score) == m_scoreColumns.end()) {
        m_sort = {};
        recount();
    }
}

void InteractionListModel::sort(int column, Qt::SortOrder order)
{
    const bool byScore = column >= ColumnCount && column < columnCount();
    if (column != Time && column != Agent && !byScore)
        return;
    InteractionSort wanted{column == Agent, order == Qt::DescendingOrder, {}};
    if (byScore)
        wanted.score = m_scoreColumns[static_cast<size_t>(column - ColumnCount)];
    if (wanted.byAgent == m_sort.byAgent && wanted.descending == m_sort.descending &&
        wanted.score == m_sort.score)
        return;
    m_sort = wanted;
    recount();
}

void InteractionListModel::recount()
{
    // Pages asked for until now belong to the old slice: none of them may arrive.
    m_pageJobs->reset();
    m_requested.clear();
    m_failures.clear();
    if (m_storePath.empty())
        return;
    m_counting = true;
    const MetricsFilter filter = m_filter;
    const InteractionSort sort = m_sort;
    const std::string search = m_search.toStdString();
    m_countJobs->start<Layout>(
        [filter, sort, search](JobContext& context) {
            return layoutInteractions(context.database(), filter, sort, search, &context.cancelFlag());
        },
        [this](Layout layout) {
            beginResetModel();
            m_layout = std::make_shared<const Layout>(std::move(layout));
            m_loaded.clear();
            m_recent.clear();
            m_requested.clear();
            m_failures.clear();
            m_pageJobs->reset();
            m_counting = false;
            endResetModel();
            Q_EMIT countChanged(m_layout->total(), m_layout->truncated);
        },
        [this](const Error& error) {
            m_counting = false;
            Q_EMIT loadFailed(QString::fromStdString(error.text()));
        });
}

void InteractionListModel::requestPage(std::int64_t page) const
{
    // While a new slice is counted, the old layout would place rows of the new filter wrongly.
    if (m_counting || !m_requested.insert(page).second)
        return;
    const MetricsFilter filter = m_filter;
    const InteractionSort sort = m_sort;
    const std::shared_ptr<const Layout> layout = m_layout;
    auto* self = const_cast<InteractionListModel*>(this);
    m_pageJobs->add<std::vector<InteractionListRow>>(
        [loader = m_loader, filter, sort, layout, page](JobContext& context) {
            return loader(context.database(), filter, sort, *layout, page * pageSize, pageSize);
        },
        [self, page, layout](std::vector<InteractionListRow> rows) {
            if (layout == self->m_layout) // a page of the layout shown, nothing older
                self->pageArrived(page, std::move(rows));
        },
        [self, page](const Error& error) { self->pageFailed(page, QString::fromStdString(error.text())); });
}

void InteractionListModel::pageArrived(std::int64_t page, std::vector<InteractionListRow> rows)
{
    m_requested.erase(page);
    m_failures.erase(page);
    if (const auto old = m_loaded.find(page); old != m_loaded.end()) {
        m_recent.erase(old->second.recent);
        m_loaded.erase(old);
    }
    m_recent.push_front(page);
    m_loaded[page] = {std::move(rows), m_recent.begin()};
    // Scrolling through millions of rows must not keep them all: the least recently used goes.
    while (m_recent.size() > static_cast<size_t>(std::max(1, m_capacity))) {
        m_loaded.erase(m_recent.back());
        m_recent.pop_back();
    }
    const int first = static_cast<int>(page * pageSize);
    const int last = std::min(rowCount() - 1, first + pageSize - 1);
    if (first <= last)
        Q_EMIT dataChanged(index(first, 0), index(last, columnCount() - 1));
}

void InteractionListModel::pageFailed(std::int64_t page, const QString& message)
{
    m_requested.erase(page);
    const int failures = ++m_failures[page];
    Q_EMIT loadFailed(message);
    // Ask again after a pause (0.25 s, doubling to 8 s): the views re-read the rows, which asks for
    // the page; a page that failed once is never left showing "Loading…" for good.
    const int delayMs = 250 << std::min(failures - 1, 5);
    const std::shared_ptr<const Layout> layout = m_layout;
    QTimer::singleShot(delayMs, this, [this, page, layout] {
        if (layout != m_layout || m_loaded.count(page))
            return;
        const int first = static_cast<int>(page * pageSize);
        const int last = std::min(rowCount() - 1, first + pageSize - 1);
        if (first <= last)
            Q_EMIT dataChanged(index(first, 0), index(last, columnCount() - 1));
    });
}

const InteractionListRow* InteractionListModel::rowAt(int row) const
{
    const std::int64_t page = row / pageSize;
    const auto found = m_loaded.find(page);
    if (found == m_loaded.end()) {
        requestPage(page);
        return nullptr;
    }
    // Used: most recent again.
    m_recent.splice(m_recent.begin(), m_recent, found->second.recent);
    const auto offset = static_cast<size_t>(row % pageSize);
    // A page shorter than asked (the store changed under the layout) leaves rows empty.
    return offset < found->second.rows.size() ? &found->second.rows[offset] : nullptr;
}

std::int64_t InteractionListModel::idAt(int row) const
{
    const InteractionListRow* r = row >= 0 && row < rowCount() ? rowAt(row) : nullptr;
    return r ? r->id : -1;
}

int InteractionListModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid())
        return 0;
    return static_cast<int>(std::min<std::int64_t>(m_layout->total(), INT_MAX));
}

int InteractionListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount + static_cast<int>(m_scoreColumns.size());
}

QVariant InteractionListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const InteractionListRow* row = rowAt(index.row());
    if (!row) {
        if (role == LoadingRole)
            return true;
        if (role == IdRole)
            return qint64(-1);
        if (role == Qt::DisplayRole && index.column() == Time)
            return tr("Loading…");
        return {};
    }
    if (index.column() >= ColumnCount) {
        const std::string& name = m_scoreColumns[static_cast<size_t>(index.column() - ColumnCount)];
        const auto score = std::find_if(row->scores.begin(), row->scores.end(),
                                        [&](const Score& s) { return s.name == name; });
        const bool has = score != row->scores.end();
        switch (role) {
        case LoadingRole:
            return false;
        case IdRole:
            return qint64(row->id);
        case ValueRole:
            return has ? QVariant(score->value) : QVariant();
        case Qt::DisplayRole:
            return has ? QLocale().toString(score->value, 'g', 4) : QString();
        case Qt::TextAlignmentRole:
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return {};
        }
    }
    switch (role) {
    case LoadingRole:
        return false;
    case IdRole:
        return qint64(row->id);
    case SignalMaskRole:
        return qint64(row->signalMask);
    case MatchTermsRole:
        return m_terms;
    case Qt::ToolTipRole:
        if (index.column() == FirstUserMessage)
            return text(row->firstUserMessage);
        if (index.column() == Signals)
            return signalNames(row->signalMask);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Latency || index.column() == Cost)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case ValueRole:
        switch (index.column()) {
        case Time:
            return row->startMs ? QVariant(qint64(*row->startMs)) : QVariant();
        case Latency:
            return row->latencyMs ? QVariant(*row->latencyMs) : QVariant();
        case Cost:
            return row->costUsd ? QVariant(*row->costUsd) : QVariant();
        default:
            return {};
        }
    case Qt::DisplayRole:
        switch (index.column()) {
        case Time:
            return row->startMs ? QDateTime::fromMSecsSinceEpoch(*row->startMs, Qt::UTC)
                                      .toLocalTime()
                                      .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                                : tr("(no time)");
        case Agent:
            return text(row->agent);
        case Version:
            return text(row->agentVersion);
        case Intent:
            return text(row->intent);
        case Outcome:
            return text(row->outcome);
        case Signals:
            return signalNames(row->signalMask);
        case Latency:
            return row->latencyMs ? tr("%1 ms").arg(QLocale().toString(*row->latencyMs, 'f', 0)) : QString();
        case Cost:
            // Estimated from the price table: marked, so it is never read as billed.
            return row->costUsd ? (row->costEstimated ? QStringLiteral("≈$%1") : QStringLiteral("$%1"))
                                      .arg(*row->costUsd, 0, 'f', 4)
                                : QString();
        case FirstUserMessage:
            return text(row->firstUserMessage).simplified();
        default:
            return {};
        }
    default:
        return {};
    }
}

QVariant InteractionListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= columnCount())
        return {};
    if (section >= ColumnCount) {
        const QString name =
            QString::fromStdString(m_scoreColumns[static_cast<size_t>(section - ColumnCount)]);
        if (role == Qt::ToolTipRole)
            return tr("The score %1; sorts the slice's first %2 interactions by it, those without it last")
                .arg(name, QLocale().toString(qint64(maxSearchResults)));
        return role == Qt::DisplayRole ? QVariant(name) : QVariant();
    }
    if (role == Qt::ToolTipRole && section == Time)
        return tr("Sorts newest or oldest first");
    if (role == Qt::ToolTipRole && section == Agent)
        return tr("Sorts by agent, then version, newest first within each; other columns do not sort "
                  "(they are not indexed)");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Time:
        return tr("Time");
    case Agent:
        return tr("Agent");
    case Version:
        return tr("Version");
    case Intent:
        return tr("Intent");
    case Outcome:
        return tr("Outcome");
    case Signals:
        return tr("Signals");
    case Latency:
        return tr("Latency");
    case Cost:
        return tr("Cost");
    case FirstUserMessage:
        return tr("First user message");
    }
    return {};
}

} // namespace winnow
