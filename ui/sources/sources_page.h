#pragma once
// Sources: the log files and folders in the store with their counts and last activity; adding
// and watching sources, removing one with everything read from it, reading one again (the window
// runs that work); and the quarantined records, each openable with its reason and raw excerpt.

#include "core/models/source_models.h"
#include "ui/page.h"

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace winnow {

class JobTracker;

class SourcesPage : public Page
{
    Q_OBJECT
public:
    explicit SourcesPage(QWidget* parent = nullptr);
    void setStore(const StoreContext& store) override;
    // Source positions and counts, and the quarantine: what ingests and removals change.
    unsigned readsChanges() const override { return StoreChange::Sources; }
    void refresh() override;
    SourceListModel* sources() { return m_sources; }
    QuarantineModel* quarantine() { return m_quarantine; }
    QString quarantineDetail() const;
    void openQuarantined(int row);

    // The receiver's switch and what it says (the window owns the receiver).
    void setReceiverState(bool on, const QString& text);
    // The selected source (empty when none).
    QString selectedSource() const;
    void selectSource(int row);

Q_SIGNALS:
    void receiverToggled(bool on);
    void addFilesRequested(bool watch);
    void addFolderRequested(bool watch);
    // Delete everything read from the source and forget it.
    void removeSourceRequested(const QString& path);
    // Take back what was read from the source and read it again, with the options it was read with.
    void reingestSourceRequested(const QString& path);

private:
    struct Snapshot
    {
        std::vector<SourceState> sources;
        std::vector<QuarantineEntry> quarantine;
    };
    void updateButtons();
    JobTracker* m_jobs;
    bool m_writable = false;
    QPushButton* m_remove = nullptr;
    QPushButton* m_reingest = nullptr;
    QList<QWidget*> m_writeControls;
    SourceListModel* m_sources = nullptr;
    QuarantineModel* m_quarantine = nullptr;
    QTableView* m_sourceTable = nullptr;
    QTableView* m_quarantineTable = nullptr;
    QPlainTextEdit* m_detail = nullptr;
    QCheckBox* m_receiver = nullptr;
    QLabel* m_receiverStatus = nullptr;
};

} // namespace winnow
