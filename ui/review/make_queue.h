#pragma once
// "Review these…": asks for a queue's name (a window-modal dialog that does not block), then
// makes the queue on a worker through the store's writer and tells `made` (or `failed`) on the
// caller's thread. The Interactions page and the Dashboard's drill-downs share it. The job is the
// request's own: a page reading again meanwhile does not supersede it.

#include "core/review/review.h"
#include "core/store/store_writer.h"

#include <QString>

#include <functional>
#include <memory>
#include <string>

class QWidget;

namespace winnow {

void askAndMakeQueue(QWidget* parent, const std::string& storePath, std::shared_ptr<StoreWriter> writer,
                     QueueRequest request, const QString& what, std::function<void(const ReviewQueue&)> made,
                     std::function<void(const QString&)> failed);

} // namespace winnow
