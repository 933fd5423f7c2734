#pragma once
// The model price table as an editable table: a snapshot a job reads, edits checked here and
// handed out by signal for the store's writer (the model never writes). GUI thread only.

#include "core/store/price_store.h"

#include <QAbstractTableModel>

#include <vector>

namespace winnow {

class PriceListModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Model, Input, Output, AsOf, Source, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;
    void setPrices(std::vector<ModelPrice> prices);
    const ModelPrice* priceAt(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    // Prices and dates are edited in place; a value that is not a price or a date is refused (and
    // said by priceRefused). The model name is the key: a new one is a new row (addPrice).
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

Q_SIGNALS:
    // A price to save (the row shows it already; a reload after the commit confirms it).
    void priceEdited(const winnow::ModelPrice& price);
    void priceRefused(const QString& reason);

private:
    std::vector<ModelPrice> m_prices;
};

} // namespace winnow
