#pragma once
// The main window: a navigation rail of screens, the filter bar Dashboard and Interactions
// share, the ingest runner's progress in the status bar, and the File and View menus. It owns
// nothing that touches the store on the GUI thread: every screen reads through its own job
// runner, and writes go through the IngestRunner.

#include "core/jobs/ingest_runner.h"
#include "core/jobs/job_runner.h"

#include <QMainWindow>

#include <memory>

class QLabel;
class QListWidget;
class QMenu;
class QProgressBar;
class QPushButton;
class QStackedWidget;

namespace winnow {

class DashboardPage;
class FilterBar;
class InteractionsPage;
class SourcesPage;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    enum Screen { Dashboard, Interactions, Review, Rules, Monitors, Exports, Sources, ScreenCount };
    explicit MainWindow(const QString& storePath, QWidget* parent = nullptr);
    ~MainWindow() override;

    // dashboard, interactions, review, rules, monitors, exports, sources
    static QStringList screenNames();
    bool showScreen(const QString& name);
    void showScreen(int screen);
    int currentScreen() const;

    QString storePath() const { return m_storePath; }
    DashboardPage* dashboard() const { return m_dashboard; }
    InteractionsPage* interactions() const { return m_interactions; }
    SourcesPage* sources() const { return m_sources; }
    FilterBar* filterBar() const { return m_filterBar; }
    IngestRunner* ingestRunner() { return &m_ingest; }
    // Switches the OTLP/HTTP receiver on or off (port 0: any free port, for tests).
    bool setReceiverOn(bool on, quint16 port = 4318);
    class OtlpReceiver* receiver() const { return m_receiver.get(); }

Q_SIGNALS:
    // The store is open and the filter bar knows its values.
    void storeReady();

public Q_SLOTS:
    void openStore(const QString& path);
    void loadDemoData();
    void refresh();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void applyFilter();
    void readChoices();
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    void addSource(bool folder, bool watch);

    QString m_storePath;
    JobRunner m_storeJobs{JobRunner::Policy::LatestWins};
    IngestRunner m_ingest;
    std::unique_ptr<class OtlpReceiver> m_receiver;
    QListWidget* m_rail = nullptr;
    QStackedWidget* m_stack = nullptr;
    FilterBar* m_filterBar = nullptr;
    DashboardPage* m_dashboard = nullptr;
    InteractionsPage* m_interactions = nullptr;
    SourcesPage* m_sources = nullptr;
    QMenu* m_recent = nullptr;
    QLabel* m_ingestLabel = nullptr;
    QProgressBar* m_ingestProgress = nullptr;
    QPushButton* m_ingestCancel = nullptr;
    bool m_storeChanged = false; // a commit since the last live refresh
    bool m_restoredFilter = false;
};

} // namespace winnow
