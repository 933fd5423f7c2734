#include "core/models/source_models.h"

#include <QDateTime>
#include <QLocale>

namespace winnow {

namespace {
QString text(const std::string& s)
{
    return QString::fromStdString(s);
}
QString number(std::int64_t n)
{
    return QLocale().toString(static_cast<qint64>(n));
}
} // namespace

void SourceListModel::setSources(std::vector<SourceState> sources)
{
    beginResetModel();
    m_sources = std::move(sources);
    endResetModel();
}

const SourceState* SourceListModel::sourceAt(int row) const
{
    return row >= 0 && row < rowCount() ? &m_sources[static_cast<size_t>(row)] : nullptr;
}

int SourceListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_sources.size());
}

int SourceListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SourceListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SourceState& s = m_sources[static_cast<size_t>(index.row())];
    if (role == Qt::TextAlignmentRole && index.column() >= Ingested && index.column() != LastActivity)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == Path)
        return text(s.path);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Path:
        return text(s.path);
    case Format:
        return text(s.format);
    case Ingested:
        return number(s.ingested);
    case Duplicates:
        return number(s.duplicates);
    case Quarantined:
        return number(s.quarantined);
    case LastActivity:
        return s.lastActivityMs ? QDateTime::fromMSecsSinceEpoch(s.lastActivityMs)
                                      .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"))
                                : QString();
    case Position:
        return tr("line %1, byte %2").arg(number(s.line), number(s.offset));
    }
    return {};
}

QVariant SourceListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Path:
        return tr("Source");
    case Format:
        return tr("Format");
    case Ingested:
        return tr("Ingested");
    case Duplicates:
        return tr("Duplicates");
    case Quarantined:
        return tr("Quarantined");
    case LastActivity:
        return tr("Last activity");
    case Position:
        return tr("Read up to");
    }
    return {};
}

void QuarantineModel::setEntries(std::vector<QuarantineEntry> entries)
{
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
}

const QuarantineEntry* QuarantineModel::entryAt(int row) const
{
    return row >= 0 && row < rowCount() ? &m_entries[static_cast<size_t>(row)] : nullptr;
}

int QuarantineModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

int QuarantineModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant QuarantineModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QuarantineEntry& e = m_entries[static_cast<size_t>(index.row())];
    if (role == Qt::ToolTipRole && index.column() == Excerpt)
        return text(e.record.excerpt);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case File:
        return text(e.sourcePath);
    case Line:
        return e.record.line ? number(e.record.line) : QString();
    case Offset:
        return number(e.record.byteOffset);
    case Reason:
        return text(e.record.reason);
    case Excerpt:
        return text(e.record.excerpt).simplified().left(200);
    }
    return {};
}

QVariant QuarantineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case File:
        return tr("File");
    case Line:
        return tr("Line");
    case Offset:
        return tr("Byte offset");
    case Reason:
        return tr("Reason");
    case Excerpt:
        return tr("Raw excerpt");
    }
    return {};
}

} // namespace winnow
