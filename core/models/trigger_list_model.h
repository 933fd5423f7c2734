#pragma once
// Retraining triggers, newest first, as a table: what the Monitors screen lists (the state, the
// monitor and its owner, the window, the change). A snapshot a job reads; data only. GUI thread.

#include "core/store/monitor_store.h"

#include <QAbstractTableModel>

#include <vector>

namespace winnow {

class TriggerListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Id, State, Monitor, Group, Owner, Window, Change, Evidence, ColumnCount };
    enum Role { StateRole = Qt::UserRole + 1 }; // TriggerState as an int
    using QAbstractTableModel::QAbstractTableModel;
    void setTriggers(std::vector<StoredTrigger> triggers);
    const StoredTrigger* triggerAt(int row) const;
    int rowOf(std::int64_t triggerId) const; // -1 when it is not listed

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<StoredTrigger> m_triggers;
};

// "6.6% from 4.6%" (a rate), "9,200 ms" (latency), "0.61" (a score): a trigger's figure and the one
// it was compared with.
QString triggerChangeText(const StoredTrigger& trigger);
// "in review", "not recovered".
QString triggerStateText(TriggerState state);

} // namespace winnow
