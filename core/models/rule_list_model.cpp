#include "core/models/rule_list_model.h"

#include <QString>
#include <QVariantList>

namespace winnow {

namespace {
constexpr std::int64_t dayMs = 86'400'000;

} // namespace

void RuleListModel::setRules(std::vector<Rule> rules)
{
    beginResetModel();
    m_rules = std::move(rules);
    endResetModel();
}

void RuleListModel::setHits(std::map<std::string, std::map<std::int64_t, std::int64_t>> perDay,
                            std::int64_t fromDay, std::int64_t toDay)
{
    m_perDay = std::move(perDay);
    m_fromDay = fromDay;
    m_toDay = toDay;
    if (!m_rules.empty())
        Q_EMIT dataChanged(index(0, Hits), index(rowCount() - 1, Trend));
}

void RuleListModel::setProblems(std::map<std::string, std::string> problems)
{
    m_problems = std::move(problems);
    if (!m_rules.empty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

const Rule* RuleListModel::ruleAt(int row) const
{
    return row >= 0 && row < static_cast<int>(m_rules.size()) ? &m_rules[size_t(row)] : nullptr;
}

int RuleListModel::rowOf(const std::string& id) const
{
    for (size_t i = 0; i < m_rules.size(); ++i)
        if (m_rules[i].id == id)
            return static_cast<int>(i);
    return -1;
}

int RuleListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rules.size());
}

int RuleListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RuleListModel::data(const QModelIndex& index, int role) const
{
    const Rule* rule = index.isValid() ? ruleAt(index.row()) : nullptr;
    if (!rule)
        return {};
    const auto problem = m_problems.find(rule->id);
    if (role == ProblemRole)
        return problem == m_problems.end() ? QString() : QString::fromStdString(problem->second);
    if (role == TrendRole) {
        QVariantList days;
        const auto found = m_perDay.find(rule->id);
        for (std::int64_t day = m_fromDay; day < m_toDay && m_toDay - m_fromDay <= 400 * dayMs;
             day += dayMs) {
            qlonglong n = 0;
            if (found != m_perDay.end())
                if (const auto d = found->second.find(day); d != found->second.end())
                    n = d->second;
            days.append(n);
        }
        return days;
    }
    if (role == Qt::ToolTipRole) {
        if (problem != m_problems.end())
            return tr("Cannot be saved: %1").arg(QString::fromStdString(problem->second));
        return QString::fromStdString(rule->description);
    }
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    switch (index.column()) {
    case Id:
        return QString::fromStdString(rule->id);
    case Title:
        return QString::fromStdString(rule->title);
    case Kind:
        return QString::fromStdString(detectorSummary(*rule));
    case Status:
        return QString::fromLatin1(ruleStatusName(rule->status));
    case Severity:
        return QString::fromLatin1(ruleSeverityName(rule->severity));
    case Action:
        return QString::fromLatin1(ruleActionName(rule->action));
    case Hits: {
        qlonglong total = 0;
        if (const auto found = m_perDay.find(rule->id); found != m_perDay.end())
            for (const auto& [day, n] : found->second)
                if (day >= m_fromDay && day < m_toDay)
                    total += n;
        return total;
    }
    case Trend:
        return {};
    }
    return {};
}

QVariant RuleListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Id:
        return tr("Rule");
    case Title:
        return tr("Title");
    case Kind:
        return tr("Detects");
    case Status:
        return tr("Status");
    case Severity:
        return tr("Severity");
    case Action:
        return tr("Action");
    case Hits:
        return tr("Hits");
    case Trend:
        return tr("Trend");
    }
    return {};
}

} // namespace winnow
