#pragma once
// The rules of a pack (the draft being edited, or a version) as a table: what each detects, its
// status, severity and action, its hits in the period and their trend (a value per day, for a
// sparkline), and whether it can be saved as it stands. A snapshot; the page sets it again after
// each edit. GUI thread only.

#include "core/rules/rule.h"

#include <QAbstractTableModel>

#include <map>
#include <vector>

namespace winnow {

class RuleListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Id, Title, Kind, Status, Severity, Action, Hits, Trend, ColumnCount };
    enum Role {
        TrendRole = Qt::UserRole + 1, // QVariantList of hits per day, oldest first
        ProblemRole,                  // why the rule cannot be saved ("" when it can)
    };
    using QAbstractTableModel::QAbstractTableModel;

    void setRules(std::vector<Rule> rules);
    // Hits per rule and day over the period's days (fromDay, fromDay + day, ... < toDay).
    void setHits(std::map<std::string, std::map<std::int64_t, std::int64_t>> perDay, std::int64_t fromDay,
                 std::int64_t toDay);
    void setProblems(std::map<std::string, std::string> problems);
    // Rule id → why it cannot be saved.
    const std::map<std::string, std::string>& problems() const { return m_problems; }
    const std::vector<Rule>& rules() const { return m_rules; }
    const Rule* ruleAt(int row) const;
    int rowOf(const std::string& id) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<Rule> m_rules;
    std::map<std::string, std::map<std::int64_t, std::int64_t>> m_perDay;
    std::int64_t m_fromDay = 0, m_toDay = 0;
    std::map<std::string, std::string> m_problems;
};

} // namespace winnow
