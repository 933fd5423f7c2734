#pragma once
// Monitors: what is watched (each monitor with its figure, condition and owner) and the retraining
// triggers raised, each with its figures, its evidence and where it stands in the loop (open, in
// review, exported, validated or not recovered, dismissed), one action from the next step: a
// review queue of the evidence, an export batch of it, a validation, a dismissal.

#include "core/monitors/monitors.h"
#include "ui/page.h"

class QLabel;
class QPushButton;
class QTableView;
class QTableWidget;
class QTextBrowser;

namespace winnow {

class JobContext;
class JobTracker;
class TriggerListModel;

class MonitorsPage : public Page
{
    Q_OBJECT
public:
    explicit MonitorsPage(QWidget* parent = nullptr);
    void setStore(const StoreContext& store) override;
    unsigned readsChanges() const override
    {
        return StoreChange::Monitors | StoreChange::Review | StoreChange::Exports;
    }
    void refresh() override;
    void prepareScreenshot() override;

    TriggerListModel* triggers() { return m_triggers; }
    void selectTrigger(std::int64_t id);
    std::optional<std::int64_t> selectedTrigger() const;
    QString detailText() const;
    QString statusText() const;
    // The actions, for tests as for the buttons.
    void checkNow();
    void reviewSelected();
    void validateSelected();
    void dismissSelected(const QString& reason);

Q_SIGNALS:
    // Asks the window to open the Exports screen on this slice.
    void exportInteractions(const MetricsFilter& filter);
    void checked();
    void actionDone();
    // The selected trigger's history and labels are shown.
    void detailLoaded();

private:
    struct Snapshot
    {
        std::vector<Monitor> monitors;
        std::vector<StoredTrigger> triggers;
    };
    // What the selected trigger's detail reads besides the trigger: its history and the labels its
    // evidence has now.
    struct Extras
    {
        std::int64_t trigger = 0;
        std::vector<TriggerEvent> events;
        LabelCounts labels;
    };
    void load();
    void showDetail();
    void updateButtons();
    void runAction(const QString& what, std::function<QString(JobContext&)> action);

    StoreContext m_store;
    JobTracker* m_loadJobs;
    JobTracker* m_detailJobs;
    JobTracker* m_actionJobs;
    QTableWidget* m_monitors = nullptr;
    QTableView* m_triggerView = nullptr;
    TriggerListModel* m_triggers = nullptr;
    QTextBrowser* m_detail = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_check = nullptr;
    QPushButton* m_showEvidence = nullptr;
    QPushButton* m_review = nullptr;
    QPushButton* m_export = nullptr;
    QPushButton* m_validate = nullptr;
    QPushButton* m_dismiss = nullptr;
    std::vector<Monitor> m_monitorList;
    std::optional<Extras> m_extras;
    std::int64_t m_select = 0;
};

} // namespace winnow
