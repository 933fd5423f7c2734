#pragma once
// A screen whose stage is not built yet: it says what it will do, and that it is not there.

#include "ui/page.h"

namespace winnow {

class PlaceholderPage : public Page
{
    Q_OBJECT
public:
    PlaceholderPage(const QString& title, const QString& what, QWidget* parent = nullptr);
    void setStore(const StoreContext&) override { Q_EMIT loaded(); }
};

} // namespace winnow
