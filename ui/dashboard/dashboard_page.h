#pragma once
// The dashboard: KPI tiles against the previous period, and Qt Charts of rates, latency
// percentiles, volume by agent version and a breakdown. Everything it shows is computed by one
// job on a worker (loadDashboard); a newer request supersedes an older one.

#include "core/metrics/dashboard.h"
#include "core/metrics/scores.h"
#include "ui/page.h"

#include <functional>
#include <optional>
#include <set>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QGridLayout;
class QHBoxLayout;
class QStackedWidget;

class QBarSet;
class QChartView;
class QXYSeries;
class QChart;

namespace winnow {

class JobTracker;

class DashboardPage : public Page
{
    Q_OBJECT
public:
    explicit DashboardPage(QWidget* parent = nullptr);
    void setStore(const StoreContext& store) override;
    bool usesFilter() const override { return true; }
    unsigned readsChanges() const override { return StoreChange::Interactions | StoreChange::Signals | StoreChange::Monitors; }
    void setFilter(const MetricsFilter& filter) override;
    void setOutline(const StoreOutline& outline) override;
    // The breakdown by a grouping ("agent_version", "metadata.KEY"), if offered.
    void setBreakdown(const QString& grouping);
    // Success by a score at or above a threshold ("" for the outcome).
    void setSuccessByScore(const QString& score, double threshold);
    void refresh() override;
    // What the tiles show, for tests: title → value text.
    QString tileText(const QString& title) const;
    const DashboardData* data() const { return m_data ? &*m_data : nullptr; }
    bool empty() const;
    // The scores of the slice, computed by their own job (they read the interactions, not the rollups).
    const ScoreReport* scores() const { return m_scores ? &*m_scores : nullptr; }
    QString scoreTileText(const QString& name) const;
    // The charts' theme follows the palette (light or dark).
    int chartTheme() const;
    // "Review these…" on a point, bar or row: asks for a name and makes a queue of exactly the
    // interactions the slice selects (the Review page opens it).
    void reviewSlice(const MetricsFilter& slice);

Q_SIGNALS:
    void loadDemoRequested();
    void scoresLoaded();
    // A trigger's marker was clicked: the window opens it in Monitors.
    void showTrigger(qint64 id);
    void addSourceRequested();

protected:
    void changeEvent(QEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    // A point, bar or row stands for a slice (none where the click missed): a left click opens
    // its interactions; a right click offers them or a review queue of them.
    void sliceOnBars(QBarSet* set, std::function<std::optional<MetricsFilter>(int)> sliceOf);
    void sliceOnPoints(QXYSeries* series,
                       std::function<std::optional<MetricsFilter>(const QPointF&)> sliceOf);
    void offerSlice(const MetricsFilter& slice);
    QChartView* makeChartView(const QString& title, QWidget* parent);
    void show(DashboardData data);
    void buildCharts();
    void placeCharts(bool timed);
    void refreshScores();
    void showScores(ScoreReport report);
    void buildScoreCharts();
    QWidget* makeTile(const QString& title, const QString& tooltip);
    void setTile(const QString& title, const QString& value, const QString& change, int tone);
    JobTracker* m_jobs;
    JobTracker* m_scoreJobs;
    std::optional<ScoreReport> m_scores;
    QWidget* m_scoreStrip = nullptr;
    QHBoxLayout* m_scoreTiles = nullptr;
    std::map<QString, QLabel*> m_scoreTileValues;
    QComboBox* m_scoreChoice = nullptr;
    QChartView* m_scoreDistribution = nullptr;
    QChartView* m_scoreBreakdown = nullptr;
    MetricsFilter m_filter;
    std::shared_ptr<StoreWriter> m_writer;
    QString m_readOnlyReason;
    // The button of the last press on a chart: series say they were clicked, not with what.
    Qt::MouseButton m_pressedButton = Qt::LeftButton;
    std::optional<DashboardData> m_data;
    std::set<Rate> m_hiddenRates{Rate::Guardrail}; // rate lines clicked off in the legend
    QStackedWidget* m_stack = nullptr;
    QLabel* m_status = nullptr;
    QComboBox* m_breakdown = nullptr;
    int m_fixedBreakdowns = 0; // the dimensions and outcome; metadata keys follow
    QComboBox* m_success = nullptr;
    QDoubleSpinBox* m_threshold = nullptr;
    std::map<QString, std::pair<QLabel*, QLabel*>> m_tiles; // value, change
    QGridLayout* m_charts = nullptr;
    QChartView* m_rates = nullptr;
    QChartView* m_latency = nullptr;
    QChartView* m_volume = nullptr;
    QChartView* m_breakdownChart = nullptr;
};

} // namespace winnow
