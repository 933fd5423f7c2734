#include "ui/pages.h"

#include "ui/dashboard/dashboard_page.h"
#include "ui/exports/exports_page.h"
#include "ui/interactions/interactions_page.h"
#include "ui/monitors/monitors_page.h"
#include "ui/review/review_page.h"
#include "ui/rules/rules_page.h"
#include "ui/sources/sources_page.h"

#include <QCoreApplication>

namespace winnow {


const std::vector<PageSpec>& pageSpecs()
{
    static const std::vector<PageSpec> specs = {
        {"dashboard", QT_TRANSLATE_NOOP("MainWindow", "Dashboard"),
         [](QWidget* parent) -> Page* { return new DashboardPage(parent); }},
        {"interactions", QT_TRANSLATE_NOOP("MainWindow", "Interactions"),
         [](QWidget* parent) -> Page* { return new InteractionsPage(parent); }},
        {"review", QT_TRANSLATE_NOOP("MainWindow", "Review"),
         [](QWidget* parent) -> Page* { return new ReviewPage(parent); }},
        {"rules", QT_TRANSLATE_NOOP("MainWindow", "Rules"),
         [](QWidget* parent) -> Page* { return new RulesPage(parent); }},
        {"monitors", QT_TRANSLATE_NOOP("MainWindow", "Monitors"),
         [](QWidget* parent) -> Page* { return new MonitorsPage(parent); }},
        {"exports", QT_TRANSLATE_NOOP("MainWindow", "Exports"),
         [](QWidget* parent) -> Page* { return new ExportsPage(parent); }},
        {"sources", QT_TRANSLATE_NOOP("MainWindow", "Sources"),
         [](QWidget* parent) -> Page* { return new SourcesPage(parent); }},
    };
    return specs;
}

QStringList pageNames()
{
    QStringList names;
    for (const PageSpec& spec : pageSpecs())
        names << QString::fromLatin1(spec.name);
    return names;
}

int pageIndex(const QString& name)
{
    const auto& specs = pageSpecs();
    for (size_t i = 0; i < specs.size(); ++i)
        if (name == QLatin1String(specs[i].name))
            return static_cast<int>(i);
    return -1;
}

} // namespace winnow
