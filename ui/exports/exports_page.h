#pragma once
// Exports: define a batch (the filter bar's slice, a format, what to take, how to curate it) with a
// live count of what it would take and the first records exactly as they will be written; write
// it to a folder with progress and cancel; and the history of batches with their manifests.

#include "core/export/export.h"
#include "ui/page.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;
class QTimer;

namespace winnow {

class ExportBatchModel;
class JobTracker;

class ExportsPage : public Page
{
    Q_OBJECT
public:
    explicit ExportsPage(QWidget* parent = nullptr);
    void setStore(const StoreContext& store) override;
    bool usesFilter() const override { return true; }
    void setFilter(const MetricsFilter& filter) override;
    unsigned readsChanges() const override
    {
        return StoreChange::Exports | StoreChange::Review | StoreChange::Rules;
    }
    void refresh() override;
    void prepareScreenshot() override;

    // The batch as the form defines it (the filter bar's slice with the form's choices).
    ExportDefinition definition() const;
    void setFormat(ExportFormat format);
    void setOutDir(const QString& path);
    void setRedact(bool on);
    void setSplit(std::optional<double> trainFraction);
    // Starts writing the batch (or cancels the one being written).
    void startExport();
    QString countText() const;
    QString previewText() const;
    QString statusText() const;
    QString manifestText() const;
    ExportBatchModel* history() { return m_history; }
    void selectBatch(std::int64_t id);

Q_SIGNALS:
    void counted();
    void previewed();
    void exportFinished(bool ok);
    void historyLoaded();

private:
    void definitionChanged();
    void count();
    void loadHistory();
    void showManifest();
    QString suggestedFolder() const;

    StoreContext m_store;
    MetricsFilter m_filter;
    JobTracker* m_countJobs;
    JobTracker* m_previewJobs;
    JobTracker* m_exportJobs;
    JobTracker* m_historyJobs;
    QTimer* m_recount;
    QComboBox* m_format = nullptr;
    QLabel* m_formatHelp = nullptr;
    QLabel* m_slice = nullptr;
    QCheckBox* m_unreviewed = nullptr;
    QCheckBox* m_adjudicated = nullptr;
    QCheckBox* m_redact = nullptr;
    QCheckBox* m_dedupe = nullptr;
    QDoubleSpinBox* m_dedupeThreshold = nullptr;
    QCheckBox* m_split = nullptr;
    QSpinBox* m_trainPercent = nullptr;
    QCheckBox* m_cap = nullptr;
    QSpinBox* m_capCount = nullptr;
    QSpinBox* m_seed = nullptr;
    QComboBox* m_arguments = nullptr;
    QCheckBox* m_weights = nullptr;
    QLineEdit* m_folder = nullptr;
    bool m_folderEdited = false;
    QLabel* m_count = nullptr;
    QPushButton* m_export = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QPlainTextEdit* m_preview = nullptr;
    QTableView* m_batches = nullptr;
    ExportBatchModel* m_history = nullptr;
    QPlainTextEdit* m_manifest = nullptr;
    QPushButton* m_openFolder = nullptr;
    std::int64_t m_selectBatch = 0; // to select once the history has it
};

} // namespace winnow
