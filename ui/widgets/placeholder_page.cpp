#include "ui/widgets/placeholder_page.h"

#include <QLabel>
#include <QVBoxLayout>

namespace winnow {

PlaceholderPage::PlaceholderPage(const QString& title, const QString& what, QWidget* parent) : Page(parent)
{
    auto* layout = new QVBoxLayout(this);
    layout->addStretch();
    auto* label = new QLabel(QStringLiteral("<h2>%1</h2><p>%2</p><p style=\"color:gray\">%3</p>")
                                 .arg(title, what, tr("Not built yet: it comes with a later release.")),
                             this);
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    layout->addWidget(label);
    layout->addStretch();
}

} // namespace winnow
