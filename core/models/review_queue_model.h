#pragma once
// A review queue's items as one reviewer works them: position, interaction, signals and where
// their label stands. A snapshot a job reads (ReviewStore::queueRows); a submit updates its row at
// once. Rows may be filtered by where the reviewer's label stands; row numbers are the shown ones.
// GUI thread only.

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
    // Which items are shown, by the reviewer's own label: none or a draft (to do), a draft, a
    // submitted one (done). An item submitted while shown stays until the rows are set again.
    enum class Show { All, ToDo, Drafts, Done };
    using QAbstractTableModel::QAbstractTableModel;

    void setRows(std::vector<QueueRow> rows);
    void setShow(Show show);
    Show show() const { return m_show; }
    // Every item of the queue, shown or not.
    int totalCount() const { return static_cast<int>(m_rows.size()); }
    const QueueRow* rowAt(int row) const;
    int rowOf(std::int64_t interactionId) const;
    void setMine(int row, std::optional<LabelStatus> status);
    // Items of the queue the reviewer has submitted (shown or not).
    int doneCount() const;
    // The first row after `row` (wrapping) the reviewer has not submitted; -1 when none is left.
    int nextOpen(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    void choose();
    std::vector<QueueRow> m_rows;
    std::vector<size_t> m_shown; // indexes into m_rows, in queue order
    Show m_show = Show::All;
};

} // namespace winnow
