#include "core/models/price_list_model.h"

#include "core/ingest/pricing.h"

#include <QLocale>

namespace winnow {

void PriceListModel::setPrices(std::vector<ModelPrice> prices)
{
    beginResetModel();
    m_prices = std::move(prices);
    endResetModel();
}

const ModelPrice* PriceListModel::priceAt(int row) const
{
    return row >= 0 && row < rowCount() ? &m_prices[static_cast<size_t>(row)] : nullptr;
}

int PriceListModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_prices.size());
}

int PriceListModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PriceListModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ModelPrice& p = m_prices[static_cast<size_t>(index.row())];
    if (role == Qt::TextAlignmentRole)
        return index.column() == Input || index.column() == Output
                   ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                   : QVariant();
    if (role == Qt::EditRole) {
        switch (index.column()) {
        case Input:
            return p.inputUsdPerMtok;
        case Output:
            return p.outputUsdPerMtok;
        case AsOf:
            return QString::fromStdString(p.asOf);
        default:
            break;
        }
    }
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    switch (index.column()) {
    case Model:
        return QString::fromStdString(p.model);
    case Input:
        return QStringLiteral("$") + QLocale().toString(p.inputUsdPerMtok, 'f', 3);
    case Output:
        return QStringLiteral("$") + QLocale().toString(p.outputUsdPerMtok, 'f', 3);
    case AsOf:
        return QString::fromStdString(p.asOf);
    case Source:
        return QString::fromStdString(p.source);
    default:
        return {};
    }
}

QVariant PriceListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Model:
        return tr("Model");
    case Input:
        return tr("Input / M tokens");
    case Output:
        return tr("Output / M tokens");
    case AsOf:
        return tr("As of");
    case Source:
        return tr("Source");
    default:
        return {};
    }
}

Qt::ItemFlags PriceListModel::flags(const QModelIndex& index) const
{
    Qt::ItemFlags flags = QAbstractTableModel::flags(index);
    if (index.isValid() && (index.column() == Input || index.column() == Output || index.column() == AsOf))
        flags |= Qt::ItemIsEditable;
    return flags;
}

bool PriceListModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (role != Qt::EditRole || !checkIndex(index, CheckIndexOption::IndexIsValid) ||
        !(flags(index) & Qt::ItemIsEditable))
        return false;
    ModelPrice edited = m_prices[static_cast<size_t>(index.row())];
    bool ok = true;
    if (index.column() == Input || index.column() == Output) {
        // Typed as "2.5" or "$2.50".
        QString text = value.toString().trimmed();
        if (text.startsWith(QLatin1Char('$')))
            text.remove(0, 1);
        double number = QLocale().toDouble(text, &ok);
        if (!ok)
            number = text.toDouble(&ok);
        (index.column() == Input ? edited.inputUsdPerMtok : edited.outputUsdPerMtok) = number;
    } else {
        edited.asOf = value.toString().trimmed().toStdString();
    }
    auto checked =
        ok ? checkedPrice(edited.model, edited.inputUsdPerMtok, edited.outputUsdPerMtok, edited.asOf, "user")
           : Result<ModelPrice>(Error{"a price is a number of dollars per million tokens", {}});
    if (!checked) {
        Q_EMIT priceRefused(QString::fromStdString(checked.error().message));
        return false;
    }
    if (*checked == m_prices[static_cast<size_t>(index.row())])
        return true;
    m_prices[static_cast<size_t>(index.row())] = *checked;
    Q_EMIT dataChanged(this->index(index.row(), 0), this->index(index.row(), ColumnCount - 1));
    Q_EMIT priceEdited(*checked);
    return true;
}

} // namespace winnow
