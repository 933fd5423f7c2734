#include "ui/rules/sparkline_delegate.h"

#include "core/models/rule_list_model.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace winnow {

void SparklineDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const
{
    QStyledItemDelegate::paint(painter, option, index); // the selection and background
    const QVariantList values = index.data(RuleListModel::TrendRole).toList();
    if (values.size() < 2)
        return;
    qlonglong highest = 0;
    for (const QVariant& v : values)
        highest = std::max(highest, v.toLongLong());
    const QRectF area = QRectF(option.rect).adjusted(4, 4, -4, -4);
    QPainterPath line;
    for (int i = 0; i < values.size(); ++i) {
        const double x = area.left() + area.width() * i / (values.size() - 1);
        const double y =
            highest ? area.bottom() - area.height() * double(values[i].toLongLong()) / double(highest)
                    : area.bottom();
        if (i == 0)
            line.moveTo(x, y);
        else
            line.lineTo(x, y);
    }
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    const bool selected = option.state & QStyle::State_Selected;
    painter->setPen(QPen(option.palette.color(selected ? QPalette::HighlightedText : QPalette::Link), 1.5));
    painter->drawPath(line);
    painter->restore();
}

QSize SparklineDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    return QStyledItemDelegate::sizeHint(option, index).expandedTo(QSize(90, 20));
}

} // namespace winnow
