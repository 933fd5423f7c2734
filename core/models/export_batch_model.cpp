#include "core/models/export_batch_model.h"

#include <QDateTime>
#include <QLocale>

namespace winnow {

void ExportBatchModel::setBatches(std::vector<ExportBatch> batches)
{
    beginResetModel();
    m_batches = std::move(batches);
    endResetModel();
}

const ExportBatch* ExportBatchModel::batchAt(int row) const
{
    return row >= 0 && row < int(m_batches.size()) ? &m_batches[size_t(row)] : nullptr;
}

int ExportBatchModel::rowOf(std::int64_t batchId) const
{
    for (size_t row = 0; row < m_batches.size(); ++row)
        if (m_batches[row].id == batchId)
            return int(row);
    return -1;
}

int ExportBatchModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_batches.size());
}

int ExportBatchModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ExportBatchModel::data(const QModelIndex& index, int role) const
{
    const ExportBatch* batch = index.isValid() ? batchAt(index.row()) : nullptr;
    if (!batch)
        return {};
    if (role == Qt::TextAlignmentRole)
        return index.column() == Batch || index.column() == Records
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == Folder)
        return QString::fromStdString(batch->outDir);
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    switch (index.column()) {
    case Batch:
        return qint64(batch->id);
    case Format:
        return QString::fromStdString(batch->format);
    case Records:
        return role == Qt::EditRole ? QVariant(qint64(batch->examples))
                                    : QVariant(QLocale().toString(qint64(batch->examples)));
    case Created:
        return role == Qt::EditRole ? QVariant(qint64(batch->createdMs))
                                    : QVariant(QDateTime::fromMSecsSinceEpoch(batch->createdMs)
                                                   .toString(QStringLiteral("yyyy-MM-dd hh:mm")));
    case Author:
        return QString::fromStdString(batch->author);
    case Folder:
        return QString::fromStdString(batch->outDir);
    default:
        return {};
    }
}

QVariant ExportBatchModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Batch:
        return tr("Batch");
    case Format:
        return tr("Format");
    case Records:
        return tr("Records");
    case Created:
        return tr("Created");
    case Author:
        return tr("By");
    case Folder:
        return tr("Folder");
    default:
        return {};
    }
}

} // namespace winnow
