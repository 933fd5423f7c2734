#pragma once
// Sources: the log files and folders in the store with their counts and last activity, adding
// and watching sources (the ingest runs on the IngestRunner's thread), and the quarantined
// records, each openable with its reason and raw excerpt.

#include "core/jobs/job_runner.h"
#include "core/models/source_models.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QTableView;

namespace winnow {

class SourcesPage : public QWidget
{
    Q_OBJECT
public:
    explicit SourcesPage(QWidget* parent = nullptr);
    void setStorePath(const std::string& path);
    void refresh();
    SourceListModel* sources() { return m_sources; }
    QuarantineModel* quarantine() { return m_quarantine; }
    QString quarantineDetail() const;
    void openQuarantined(int row);

    // The receiver's switch and what it says (the window owns the receiver).
    void setReceiverState(bool on, const QString& text);

Q_SIGNALS:
    void receiverToggled(bool on);
    void addFilesRequested(bool watch);
    void addFolderRequested(bool watch);
    void loaded();

private:
    struct Snapshot
    {
        std::vector<SourceState> sources;
        std::vector<QuarantineEntry> quarantine;
    };
    JobRunner m_jobs{JobRunner::Policy::LatestWins};
    SourceListModel* m_sources = nullptr;
    QuarantineModel* m_quarantine = nullptr;
    QTableView* m_sourceTable = nullptr;
    QTableView* m_quarantineTable = nullptr;
    QPlainTextEdit* m_detail = nullptr;
    QCheckBox* m_receiver = nullptr;
    QLabel* m_receiverStatus = nullptr;
};

} // namespace winnow
