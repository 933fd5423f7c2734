#pragma once
// A screen of the main window. Pages are thin: they read through job trackers (core/jobs) and
// send edits to the store's writer; they own no threads. Each one is listed once, in pages.cpp.

#include "core/metrics/metrics.h"
#include "core/store/filter.h"
#include "core/store/store_writer.h"

#include <QString>
#include <QWidget>

#include <memory>
#include <string>

namespace winnow {

class StoreWriter;

// The store the window has open.
struct StoreContext
{
    std::string path;
    // The store's writer; none when the store is read-only (readOnlyReason says why).
    std::shared_ptr<StoreWriter> writer;
    QString readOnlyReason;
};

class Page : public QWidget
{
    Q_OBJECT
public:
    using QWidget::QWidget;

    // A store was opened (or the same one again after changes from outside).
    virtual void setStore(const StoreContext& store) = 0;
    // Pages that show a slice get the filter bar's; the bar is shown with them.
    virtual bool usesFilter() const { return false; }
    virtual void setFilter(const MetricsFilter&) {}
    // What the store holds (choices to offer, whether it is empty), read again after each commit
    // that changed interactions, before the pages read again.
    virtual void setOutline(const StoreOutline&) {}
    // What commits make the page read again (StoreChange bits; none by default).
    virtual unsigned readsChanges() const { return 0; }
    // Commits changed what the page reads: read again (the window calls this at most once a
    // second; a page that uses the filter gets setFilter instead).
    virtual void refresh() {}
    // Puts the page in a state worth a screenshot (a conversation opened, say), then emits
    // screenshotReady.
    virtual void prepareScreenshot() { Q_EMIT screenshotReady(); }
    // A view of the page other than its main one to take the screenshot of; false for one it
    // does not have (none but the main one, by default).
    virtual bool setScreenshotView(const QString& view) { return view.isEmpty(); }

Q_SIGNALS:
    // The page has shown the data of its store (or said why it cannot).
    void loaded();
    void screenshotReady();
    // Asks the window to open these interactions in the Interactions page.
    void showInteractions(const MetricsFilter& filter);
    // A review queue was made here: the window opens it in the Review page.
    void reviewQueue(const QString& name);
};

} // namespace winnow
