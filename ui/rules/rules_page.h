#pragma once
// The Rules screen: the working draft's rules (status, severity, hits in the period and their
// trend), an editor that checks a rule as it is typed (the pattern's error with its position, the
// examples), a test box that highlights what each rule finds and what a validator turned down, the
// backtest of the draft over the filter's slice (agreement with reviewers included), and the
// versions with their diffs, approvals and rejections. Every edit of the draft is an undoable
// command; the draft is saved once every rule in it can be.

#include "core/models/rule_list_model.h"
#include "core/rules/backtest.h"
#include "core/rules/suggest.h"
#include "core/store/rule_store.h"
#include "ui/page.h"

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QTableWidget;
class QTextBrowser;
class QUndoStack;
class QChartView;

namespace winnow {

class JobTracker;

class RulesPage : public Page
{
    Q_OBJECT
public:
    explicit RulesPage(QWidget* parent = nullptr);
    void setStore(const StoreContext& store) override;
    bool usesFilter() const override { return true; }
    void setFilter(const MetricsFilter& filter) override;
    unsigned readsChanges() const override { return StoreChange::Rules | StoreChange::Review; }
    void refresh() override;
    bool setScreenshotView(const QString& view) override; // test, backtest, versions
    void prepareScreenshot() override;

    // The draft as edited: what the undo commands change.
    const std::vector<Rule>& draftRules() const { return m_draft; }
    void setDraftRules(std::vector<Rule> rules, const std::string& select);
    RuleListModel* model() { return m_model; }
    QUndoStack* undoStack() { return m_undo; }

    // What the screen's controls do, for tests.
    void selectRule(const QString& id);
    std::optional<Rule> selectedRule() const;
    // Changes the selected rule as an undoable edit.
    void editSelected(const std::function<void(Rule&)>& change, const QString& what);
    void addRule();
    void removeSelected();
    // The selected rule's hits as a slice (the filter's, narrowed to them); a review queue of them.
    std::optional<MetricsFilter> hitsOfSelected() const;
    void reviewHitsOfSelected();
    QString problemsText() const;
    QString statusText() const;
    void setTestText(const QString& text);
    QString testResult() const;
    void runBacktest();
    const std::optional<BacktestReport>& backtestReport() const { return m_backtest; }
    void publishDraft(const QString& comment);
    // The applied version over every stored interaction, as a job with progress and cancel.
    void runOverStore();
    const std::vector<RuleVersion>& versions() const { return m_versions; }
    void showVersion(std::int64_t number);
    QString versionText() const;
    // Suggestions from a category's labelled failures (over the filter's slice).
    void suggestFor(const QString& category);
    const std::optional<Suggestions>& suggestions() const { return m_suggestions; }
    void addSuggestion(int index);
    void reviewNewErrorType(int index);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

Q_SIGNALS:
    void draftSaved();
    void backtestFinished();
    void published(std::int64_t version);
    void suggested();
    void ranOverStore();

private:
    void load();
    void showSelected();
    void showRuleInForm(const Rule& rule);
    Rule ruleFromForm() const;
    void formEdited();    // as typed: the problems
    void formCommitted(); // a field left or chosen: an undoable edit
    void draftChanged();
    void updateTest();
    void showBacktest(const BacktestReport& report, bool final);
    void drawHitsPerDay();
    void approveShown(bool approve);

    JobTracker* m_loadJobs;
    JobTracker* m_saveJobs;
    JobTracker* m_backtestJobs;
    JobTracker* m_runJobs;
    StoreContext m_store;
    MetricsFilter m_filter;
    RuleListModel* m_model;
    QUndoStack* m_undo;
    std::vector<Rule> m_draft;
    std::vector<std::string> m_categories;
    std::vector<RuleVersion> m_versions;
    std::optional<std::int64_t> m_shownVersion;
    std::optional<BacktestReport> m_backtest;
    std::optional<Suggestions> m_suggestions;
    bool m_filling = false;
    std::shared_ptr<std::atomic<int>> m_draftGeneration = std::make_shared<std::atomic<int>>(0);
    QString m_screenshotView;

    QLabel* m_status;
    QTableView* m_table;
    QTabWidget* m_tabs;
    // The rule form.
    QLineEdit* m_id;
    QLineEdit* m_title;
    QLineEdit* m_description;
    QComboBox* m_kind;
    QStackedWidget* m_detector;
    QLineEdit* m_pattern;
    QCheckBox* m_caseSensitive;
    QCheckBox* m_wholeWord;
    QPlainTextEdit* m_terms;
    QComboBox* m_entity;
    QPlainTextEdit* m_denied;
    QPlainTextEdit* m_allowed;
    QLineEdit* m_argument;
    QLineEdit* m_argumentPattern;
    QComboBox* m_metric;
    QDoubleSpinBox* m_above;
    QPlainTextEdit* m_shape;
    QCheckBox* m_scope[4];
    QComboBox* m_ruleStatus;
    QComboBox* m_severity;
    QComboBox* m_action;
    QLineEdit* m_redactToken;
    QComboBox* m_category;
    QPlainTextEdit* m_mustMatch;
    QPlainTextEdit* m_mustNotMatch;
    QLabel* m_problems;
    // Test, backtest, versions.
    QPlainTextEdit* m_testInput;
    QTextBrowser* m_testResult;
    QPushButton* m_runBacktest;
    QPushButton* m_runOverStore;
    QLabel* m_backtestStatus;
    QTableWidget* m_backtestTable;
    QChartView* m_hitsChart;
    QComboBox* m_suggestCategory;
    QLabel* m_suggestStatus;
    QTableWidget* m_suggestTable;
    QTableWidget* m_errorTypes;
    QTableWidget* m_versionTable;
    QTextBrowser* m_versionDetail;
    QPushButton* m_approve;
    QPushButton* m_reject;
    QPushButton* m_rollBack;
};

} // namespace winnow
