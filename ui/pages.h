#pragma once
// Every screen, once: its name (winnow screenshot --screen NAME), its title, and how it is made.
// The navigation rail, the View menu's shortcuts (Ctrl+1 ...) and screenshots all read this list.

#include <QString>

#include <vector>

class QWidget;

namespace winnow {

class Page;

struct PageSpec
{
    const char* name;
    const char* title; // translated in the MainWindow context
    Page* (*make)(QWidget* parent);
};

const std::vector<PageSpec>& pageSpecs();
QStringList pageNames();
int pageIndex(const QString& name); // -1 when there is none

} // namespace winnow
