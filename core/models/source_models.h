#pragma once
// The Sources screen's tables: log sources with their position and counts, and the quarantined
// records with file, line and reason. Snapshots: a job reads the store and hands the rows over
// (GUI thread only).

#include "core/store/source_store.h"

#include <QAbstractTableModel>

#include <vector>

namespace winnow {

class SourceListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Path, Format, Ingested, Duplicates, Quarantined, LastActivity, Position, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;
    void setSources(std::vector<SourceState> sources);
    const SourceState* sourceAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<SourceState> m_sources;
};

class QuarantineModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { File, Line, Offset, Reason, Excerpt, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;
    void setEntries(std::vector<QuarantineEntry> entries);
    const QuarantineEntry* entryAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<QuarantineEntry> m_entries;
};

} // namespace winnow
