#pragma once
// The interactions browser's table: every interaction of a slice (or of a full-text search) in
// time order, virtual over millions of rows. It lives on the GUI thread and never touches the
// store there: a count job lays out how many interactions start on each day (from the rollups),
// and page jobs find a page by seeking: day, then hour (rollups), then minute (a small count),
// then the rows from that minute's time key on. data() answers a placeholder for rows not loaded
// yet and asks for their page; pages arrive by signal and replace the placeholders.

#include "core/jobs/job_tracker.h"
#include "core/store/interaction_store.h"

#include <QAbstractTableModel>
#include <QStringList>

#include <functional>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <vector>

namespace winnow {

// The browser's order: by start time, or by agent then version (the two indexed orders), newest
// first inside each agent and version.
struct InteractionSort
{
    bool byAgent = false;
    bool descending = true; // newest first; or agents and versions from Z to A; or highest score first
    // By this score instead: the slice's first maxSearchResults interactions in the score's order,
    // those without the score last.
    std::string score;
};

class InteractionListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        Time,
        Agent,
        Version,
        Intent,
        Outcome,
        Signals,
        Latency,
        Cost,
        FirstUserMessage,
        ColumnCount // the score columns follow, one per setScoreColumns() name
    };
    enum Role {
        IdRole = Qt::UserRole + 1, // qint64, -1 while loading
        LoadingRole,               // bool
        SignalMaskRole,            // qint64: bit (1 << SignalKind) per kind found
        ValueRole,                 // the column's raw value (ms since epoch, ms, USD)
        MatchTermsRole,            // QStringList: the search's words, for highlighting
    };
    static constexpr int pageSize = 128;
    static constexpr int defaultCachedPages = 256;

    explicit InteractionListModel(QObject* parent = nullptr);
    ~InteractionListModel() override;

    void setStorePath(const std::string& path);
    void setFilter(const MetricsFilter& filter);
    const MetricsFilter& filter() const { return m_filter; }
    // Words to find in the messages (full-text index); empty for none. At most maxSearchResults.
    void setSearch(const QString& text);
    static constexpr std::int64_t maxSearchResults = 100000;
    const QStringList& searchTerms() const { return m_terms; }
    InteractionSort sortOrder() const { return m_sort; }
    // A column per score name, after the fixed columns; sortable by reading the slice's ids in the
    // score's order (at most maxSearchResults of them).
    void setScoreColumns(const std::vector<std::string>& names);
    const std::vector<std::string>& scoreColumns() const { return m_scoreColumns; }
    // Counts again and drops loaded pages (after new data arrived).
    void refresh();
    // Whether the count is still running.
    bool counting() const { return m_counting; }
    // The interaction shown at a row, -1 when it is not loaded.
    std::int64_t idAt(int row) const;
    // How many pages are kept; the least recently used goes when one more arrives.
    void setPageCacheCapacity(int pages) { m_capacity = pages; }
    bool isPageCached(std::int64_t page) const { return m_loaded.count(page) > 0; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    // The time column sorts newest or oldest first; the agent column by agent and version.
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

    // The layout a count job produces: days in display order with their counts, or the ids a
    // search found.
    // Consecutive rows that share extra conditions (an agent and version when sorting by them).
    struct Group
    {
        std::vector<Condition> where;
        std::vector<std::pair<std::int64_t, std::int64_t>> days; // day start → count, in display order
        std::int64_t dated = 0;                                  // interactions with a start time
        std::int64_t undated = 0;                                // without one, after the dated ones
    };
    struct Layout
    {
        std::vector<Group> groups;
        bool search = false;
        bool ranked = false;           // ids in a score's order
        std::vector<std::int64_t> ids; // search results or ranked ids in display order
        bool truncated = false;        // the search or ranking found more than maxSearchResults
        bool listed() const { return search || ranked; }
        std::int64_t total() const;
    };

    // What loads a page on the worker: loadInteractionRows, or a stand-in in tests.
    using PageLoader =
        std::function<std::vector<InteractionListRow>(Database&, const MetricsFilter&, InteractionSort,
                                                      const Layout&, std::int64_t first, std::int64_t count)>;
    void setPageLoader(PageLoader loader) { m_loader = std::move(loader); }

Q_SIGNALS:
    void countChanged(qint64 rows, bool truncated);
    void loadFailed(const QString& message);

private:
    void recount();
    void requestPage(std::int64_t page) const;
    void pageArrived(std::int64_t page, std::vector<InteractionListRow> rows);
    void pageFailed(std::int64_t page, const QString& message);
    const InteractionListRow* rowAt(int row) const;

    std::string m_storePath;
    MetricsFilter m_filter;
    QString m_search;
    QStringList m_terms;
    InteractionSort m_sort;
    std::vector<std::string> m_scoreColumns;
    std::shared_ptr<const Layout> m_layout = std::make_shared<Layout>();
    bool m_counting = false;
    JobTracker* m_countJobs;
    JobTracker* m_pageJobs;
    PageLoader m_loader;
    int m_capacity = defaultCachedPages;
    // Loaded pages with their place in m_recent (most recently used first).
    struct Page
    {
        std::vector<InteractionListRow> rows;
        std::list<std::int64_t>::iterator recent;
    };
    mutable std::unordered_map<std::int64_t, Page> m_loaded;
    mutable std::list<std::int64_t> m_recent;
    mutable std::set<std::int64_t> m_requested;
    // Pages that failed to load: asked for again after a pause that grows with each failure.
    std::map<std::int64_t, int> m_failures;
};

// The seeking a page job does, exposed for tests: the rows [first, first + count) of a layout.
std::vector<InteractionListRow> loadInteractionRows(Database& database, const MetricsFilter& filter,
                                                    InteractionSort sort,
                                                    const InteractionListModel::Layout& layout,
                                                    std::int64_t first, std::int64_t count);
InteractionListModel::Layout layoutInteractions(Database& database, const MetricsFilter& filter,
                                                InteractionSort sort, const std::string& search,
                                                const std::atomic<bool>* cancel);

} // namespace winnow
