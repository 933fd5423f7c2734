#include "core/models/trigger_list_model.h"

#include "core/util/json.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

namespace winnow {

namespace {
QString day(std::int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd"));
}
} // namespace

QString triggerStateText(TriggerState state)
{
    return QString::fromLatin1(triggerStateName(state)).replace(QLatin1Char('_'), QLatin1Char(' '));
}

QString triggerChangeText(const StoredTrigger& trigger)
{
    const QJsonObject figures = jsonObject(trigger.figuresJson);
    const QString figure = figures.value(QStringLiteral("figure")).toString();
    const bool rate = figure.endsWith(QLatin1String(" rate")) || figure.startsWith(QLatin1String("failure rate"));
    const bool latency = figure.startsWith(QLatin1String("latency"));
    auto text = [rate, latency](const QJsonValue& value) {
        const double v = value.toDouble();
        if (rate)
            return QLocale().toString(v * 100, 'f', 1) + QLatin1Char('%');
        if (latency)
            return QLocale().toString(v, 'f', 0) + QStringLiteral(" ms");
        return QLocale().toString(v, 'f', 3);
    };
    QString change = text(figures.value(QStringLiteral("current"))[QStringLiteral("value")]);
    if (figures.contains(QStringLiteral("baseline")))
        change += QObject::tr(" from %1").arg(text(figures.value(QStringLiteral("baseline"))[QStringLiteral("value")]));
    else if (figures.contains(QStringLiteral("threshold")))
        change += QObject::tr(" (threshold %1)").arg(text(figures.value(QStringLiteral("threshold"))));
    return change;
}

void TriggerListModel::setTriggers(std::vector<StoredTrigger> triggers)
{
    beginResetModel();
    m_triggers = std::move(triggers);
    endResetModel();
}

const StoredTrigger* TriggerListModel::triggerAt(int row) const
{
    return row >= 0 && row < int(m_triggers.size()) ? &m_triggers[size_t(row)] : nullptr;
}

int TriggerListModel::rowOf(std::int64_t triggerId) const
{
    for (size_t row = 0; row < m_triggers.size(); ++row)
        if (m_triggers[row].id == triggerId)
            return int(row);
    return -1;
}

int TriggerListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_triggers.size());
}

int TriggerListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TriggerListModel::data(const QModelIndex& index, int role) const
{
    const StoredTrigger* t = index.isValid() ? triggerAt(index.row()) : nullptr;
    if (!t)
        return {};
    if (role == StateRole)
        return int(t->state);
    if (role == Qt::TextAlignmentRole)
        return index.column() == Id || index.column() == Evidence ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                                                  : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == State && !t->reason.empty())
        return QString::fromStdString(t->reason);
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    switch (index.column()) {
    case Id:
        return qint64(t->id);
    case State:
        return triggerStateText(t->state);
    case Monitor:
        return QString::fromStdString(t->monitorName);
    case Group:
        return QString::fromStdString(t->group);
    case Owner:
        return QString::fromStdString(t->owner);
    case Window:
        return role == Qt::EditRole ? QVariant(qint64(t->windowToMs))
                                    : QVariant(day(t->windowFromMs) + QStringLiteral(" – ") + day(t->windowToMs));
    case Change:
        return triggerChangeText(*t);
    case Evidence:
        return role == Qt::EditRole ? QVariant(qint64(t->evidenceCount)) : QVariant(QLocale().toString(qint64(t->evidenceCount)));
    default:
        return {};
    }
}

QVariant TriggerListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Id:
        return tr("Trigger");
    case State:
        return tr("State");
    case Monitor:
        return tr("Monitor");
    case Group:
        return tr("For");
    case Owner:
        return tr("Owner");
    case Window:
        return tr("Window");
    case Change:
        return tr("Change");
    case Evidence:
        return tr("Evidence");
    default:
        return {};
    }
}

} // namespace winnow
