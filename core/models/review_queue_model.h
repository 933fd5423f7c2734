#pragma once
// A review queue's items as one reviewer works them: position, interaction, signals and where
// their label stands. A snapshot a job reads (ReviewStore::queueRows); a submit updates its row at
// once. GUI thread only.

#include "core/store/review_store.h"

#include <QAbstractTableModel>

#include <vector>

namespace winnow {

class ReviewQueueModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Position, Interaction, Status, Signals, ColumnCount };
    enum Role { InteractionIdRole = Qt::UserRole + 1, SignalMaskRole, DoneRole };
    using QAbstractTableModel::QAbstractTableModel;

    void setRows(std::vector<QueueRow> rows);
    const QueueRow* rowAt(int row) const;
    int rowOf(std::int64_t interactionId) const;
    void setMine(int row, std::optional<LabelStatus> status);
    // Items the reviewer has submitted.
    int doneCount() const;
    // The first row after `row` (wrapping) the reviewer has not submitted; -1 when none is left.
    int nextOpen(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<QueueRow> m_rows;
};

} // namespace winnow
