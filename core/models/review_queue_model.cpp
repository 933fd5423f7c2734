#include "core/models/review_queue_model.h"

#include "core/store/records.h"

#include <QString>
#include <QStringList>

#include <algorithm>

namespace winnow {

void ReviewQueueModel::setRows(std::vector<QueueRow> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    choose();
    endResetModel();
}

void ReviewQueueModel::setShow(Show show)
{
    if (show == m_show)
        return;
    beginResetModel();
    m_show = show;
    choose();
    endResetModel();
}

void ReviewQueueModel::choose()
{
    m_shown.clear();
    m_shown.reserve(m_rows.size());
    for (size_t i = 0; i < m_rows.size(); ++i) {
        const std::optional<LabelStatus>& mine = m_rows[i].mine;
        const bool draft = mine && *mine == LabelStatus::Draft;
        const bool done = mine && !draft;
        const bool shown = m_show == Show::All || (m_show == Show::ToDo && !done) ||
                           (m_show == Show::Drafts && draft) || (m_show == Show::Done && done);
        if (shown)
            m_shown.push_back(i);
    }
}

const QueueRow* ReviewQueueModel::rowAt(int row) const
{
    return row >= 0 && row < static_cast<int>(m_shown.size()) ? &m_rows[m_shown[size_t(row)]] : nullptr;
}

int ReviewQueueModel::rowOf(std::int64_t interactionId) const
{
    const auto found = std::find_if(m_shown.begin(), m_shown.end(),
                                    [&](size_t i) { return m_rows[i].interactionId == interactionId; });
    return found == m_shown.end() ? -1 : static_cast<int>(found - m_shown.begin());
}

void ReviewQueueModel::setMine(int row, std::optional<LabelStatus> status)
{
    if (!rowAt(row))
        return;
    QueueRow& r = m_rows[m_shown[size_t(row)]];
    const bool wasSubmitted = r.mine && *r.mine != LabelStatus::Draft;
    const bool isSubmitted = status && *status != LabelStatus::Draft;
    r.submitted += (isSubmitted ? 1 : 0) - (wasSubmitted ? 1 : 0);
    r.mine = status;
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

int ReviewQueueModel::doneCount() const
{
    return static_cast<int>(std::count_if(m_rows.begin(), m_rows.end(), [](const QueueRow& r) {
        return r.mine && *r.mine != LabelStatus::Draft;
    }));
}

int ReviewQueueModel::nextOpen(int row) const
{
    const int count = static_cast<int>(m_shown.size());
    for (int step = 1; step <= count; ++step) {
        const int candidate = ((row < 0 ? -1 : row) + step) % count;
        const QueueRow& r = m_rows[m_shown[size_t(candidate)]];
        if (!r.mine || *r.mine == LabelStatus::Draft)
            return candidate;
    }
    return -1;
}

int ReviewQueueModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_shown.size());
}

int ReviewQueueModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ReviewQueueModel::data(const QModelIndex& index, int role) const
{
    const QueueRow* r = index.isValid() ? rowAt(index.row()) : nullptr;
    if (!r)
        return {};
    switch (role) {
    case InteractionIdRole:
        return QVariant::fromValue<qlonglong>(r->interactionId);
    case SignalMaskRole:
        return QVariant::fromValue<qlonglong>(r->signalMask);
    case DoneRole:
        return r->mine && *r->mine != LabelStatus::Draft;
    case Qt::ToolTipRole:
        // What the narrow columns leave out: every signal, and who else has submitted.
        if (index.column() == Signals)
            return data(index, Qt::DisplayRole);
        if (index.column() == Status && !r->mine && r->submitted)
            return tr("Pending for you; %n other reviewer(s) submitted theirs", nullptr, int(r->submitted));
        return {};
    case Qt::DisplayRole:
        switch (index.column()) {
        case Position:
            return QVariant::fromValue<qlonglong>(r->position + 1);
        case Interaction:
            return QString::fromStdString(r->key);
        case Signals: {
            QStringList names;
            for (int kind = 0; kind < signalKindCount; ++kind)
                if (r->signalMask & (std::int64_t(1) << kind))
                    names << QString::fromLatin1(signalKindName(static_cast<SignalKind>(kind)));
            return names.join(QStringLiteral(", "));
        }
        case Status:
            if (r->mine && *r->mine == LabelStatus::Draft)
                return tr("draft");
            if (r->mine)
                return tr("done");
            return r->submitted ? tr("pending (%1)").arg(r->submitted) : tr("pending");
        }
        return {};
    default:
        return {};
    }
}

QVariant ReviewQueueModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole && section == Status)
        return tr("Yours: pending, draft or done; in brackets, how many others submitted theirs");
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Position:
        return tr("#");
    case Interaction:
        return tr("Interaction");
    case Signals:
        return tr("Signals");
    case Status:
        return tr("Status");
    }
    return {};
}

} // namespace winnow
