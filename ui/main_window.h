#pragma once
// The main window: a navigation rail of the pages (pages.h), the filter bar the slice pages share,
// long work (ingests, watched sources, demo data, removing a source) with its progress and Cancel
// in the status bar, and the File and View menus. It opens the store's writer once (creating or
// upgrading the store) and hands pages the store; it never touches the store on the GUI thread.
// A store that cannot be written opens read-only, and says why; one that cannot be read at all
// is an error, shown, never waited on. After every open a quick integrity check runs in the
// background (unless a check found the same files whole): a damaged store is said to be damaged
// and is no longer written to.

#include "core/ingest/ingestor.h"
#include "ui/page.h"

#include <QMainWindow>

#include <memory>
#include <vector>

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
class JobContext;
class JobTracker;
class OtlpReceiver;
class ReviewPage;
class SourcesPage;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(const QString& initialStore, QWidget* parent = nullptr);
    ~MainWindow() override;

    bool showScreen(const QString& name);
    void showScreen(int screen);
    int currentScreen() const;
    Page* page(const QString& name) const;

    QString storePath() const { return QString::fromStdString(m_store.path); }
    const StoreContext& store() const { return m_store; }
    DashboardPage* dashboard() const;
    InteractionsPage* interactions() const;
    SourcesPage* sources() const;
    ReviewPage* review() const;
    FilterBar* filterBar() const { return m_filterBar; }
    // Switches the OTLP/HTTP receiver on or off (port 0: any free port, for tests).
    bool setReceiverOn(bool on, quint16 port = 4318);
    OtlpReceiver* receiver() const { return m_receiver.get(); }
    // Long work the window runs (ingest, demo, remove, read again): whether one runs.
    bool working() const;
    QString statusText() const;

Q_SIGNALS:
    // The store is open (perhaps read-only) and the filter bar knows its values.
    void storeReady();
    // The store cannot be opened at all; the window says why.
    void storeFailed(const QString& message);
    // Long work ended, with what it says.
    void workFinished(const QString& message, bool ok);
    // The monitors ran on what arrived.
    void monitorsChecked();
    // The background integrity check of the store just opened ended (not when it was cancelled);
    // `remembered`: known whole from an earlier check of the same files, not read again.
    void storeChecked(bool whole, bool remembered);

public Q_SLOTS:
    void openStore(const QString& path);
    // Evaluates the monitors on what arrived (a worker job); says what they raised.
    void checkMonitorsNow();
    void loadDemoData();
    void ingestPaths(const QStringList& paths, bool watch);
    void removeSource(const QString& path);
    void reingestSource(const QString& path);
    void refresh();
    void cancelWork();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void applyFilter();
    // Reads the filter bar's choices again when interactions changed, then every page that reads
    // what changed.
    void readAgain(unsigned changes);
    void refreshPages(unsigned changes);
    // The pages in view again (after the damaged store's panel), the filter bar as the page wants.
    void showPages();
    void storeOpened(StoreContext store);
    void checkStoreIntegrity();
    void storeFoundDamaged(const std::vector<std::string>& storeProblems,
                           const std::vector<std::string>& indexProblems);
    void addRecent(const QString& path);
    void rebuildRecentMenu();
    void addSource(bool folder, bool watch);
    // Runs `work` as the window's one long job, with progress and Cancel in the status bar.
    bool startWork(const QString& what, std::function<QString(JobContext&)> work);
    void setStatus(const QString& text);

    StoreContext m_store;
    JobTracker* m_storeJobs;
    JobTracker* m_work;
    JobTracker* m_monitorJobs;
    JobTracker* m_integrityJobs;
    bool m_monitorsDue = false; // interactions arrived since the monitors last ran
    std::unique_ptr<OtlpReceiver> m_receiver;
    QListWidget* m_rail = nullptr;
    QStackedWidget* m_stack = nullptr;
    std::vector<Page*> m_pages;
    FilterBar* m_filterBar = nullptr;
    QLabel* m_banner = nullptr;
    // In place of the pages while the store is damaged: what is wrong, what to do, and a way to
    // read it anyway.
    QWidget* m_damaged = nullptr;
    QLabel* m_damagedText = nullptr;
    QPushButton* m_damagedOpen = nullptr;
    QMenu* m_recent = nullptr;
    QLabel* m_statusLabel = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
    unsigned m_storeChanges = 0; // what commits since the last live refresh changed (StoreChange bits)
    Inbox m_storeChangesInbox;   // where the store's writer tells of them
    bool m_restoredFilter = false;
};

} // namespace winnow
