#pragma once
// The export batches written so far, newest first, as a table: what the Exports screen's history
// lists. A snapshot a job reads; data only (no colours). GUI thread only.

#include "core/store/export_store.h"

#include <QAbstractTableModel>

#include <vector>

namespace winnow {

class ExportBatchModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Batch, Format, Records, Created, Author, Folder, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;
    void setBatches(std::vector<ExportBatch> batches);
    const ExportBatch* batchAt(int row) const;
    int rowOf(std::int64_t batchId) const; // -1 when it is not listed

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<ExportBatch> m_batches;
};

} // namespace winnow
