#pragma once
// The interactions browser: a virtual table over the slice (InteractionListModel), full-text
// search with the matches highlighted, and a detail pane that renders the selected conversation
// as a reviewer reads it. Detail loads run on a worker; the newest selection wins.

#include "core/models/interaction_list_model.h"
#include "ui/page.h"

#include <set>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTextBrowser;

namespace winnow {

class InteractionsPage : public Page
{
    Q_OBJECT
public:
    explicit InteractionsPage(QWidget* parent = nullptr);
    void setStore(const StoreContext& store) override;
    void setOutline(const StoreOutline& outline) override;
    bool usesFilter() const override { return true; }
    unsigned readsChanges() const override { return StoreChange::Interactions | StoreChange::Signals; }
    void setFilter(const MetricsFilter& filter) override;
    void refresh() override;
    // Opens a conversation with a signal (else the first) in the detail pane.
    void prepareScreenshot() override;
    InteractionListModel* model() { return m_model; }
    QPushButton* reviewButton() { return m_review; }
    QTableView* table() { return m_table; }
    QString detailText() const;
    QString countText() const;
    // The detail pane's interaction as canonical JSON (what "Copy as JSON" copies).
    const QString& detailJson() const { return m_json; }

Q_SIGNALS:
    void detailLoaded();

private:
    void showSortIndicator();
    void showDetail(std::int64_t id);
    // "Review these…": a queue of the selected rows, or of the slice.
    void reviewThese();
    void render();
    JobTracker* m_details;
    InteractionListModel* m_model = nullptr;
    QTableView* m_table = nullptr;
    QLineEdit* m_search = nullptr;
    QLabel* m_count = nullptr;
    QTextBrowser* m_detail = nullptr;
    QPushButton* m_copy = nullptr;
    QPushButton* m_review = nullptr;
    std::shared_ptr<StoreWriter> m_writer;
    std::optional<InteractionDetail> m_shown;
    std::set<int> m_expanded; // tool calls whose arguments and results are shown
    QString m_json;
};

} // namespace winnow
