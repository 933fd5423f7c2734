#include "ui/review/make_queue.h"

#include "core/jobs/job_tracker.h"
#include "ui/settings.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QInputDialog>

namespace winnow {

void askAndMakeQueue(QWidget* parent, const std::string& storePath, std::shared_ptr<StoreWriter> writer,
                     QueueRequest request, const QString& what, std::function<void(const ReviewQueue&)> made,
                     std::function<void(const QString&)> failed)
{
    if (!writer) {
        failed(QCoreApplication::translate("Review", "This store is open read-only: no queue can be made."));
        return;
    }
    auto* dialog = new QInputDialog(parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(QCoreApplication::translate("Review", "Review these"));
    dialog->setLabelText(what);
    dialog->setTextValue(QCoreApplication::translate("Review", "review %1")
                             .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"))));
    QObject::connect(dialog, &QInputDialog::textValueSelected, dialog,
                     [parent, storePath, writer, request, made, failed](const QString& name) mutable {
                         request.name = name.trimmed().toStdString();
                         if (request.owner.empty())
                             request.owner = settings::reviewer.value().toStdString();
                         auto* jobs = new JobTracker(parent);
                         jobs->setStorePath(storePath);
                         jobs->add<ReviewQueue>(
                             [request, writer](JobContext& context) {
                                 auto queue = createQueue(context.database(), *writer, request);
                                 if (!queue)
                                     throw Failure(queue.error().message);
                                 return *queue;
                             },
                             [made, jobs](ReviewQueue queue) {
                                 jobs->deleteLater();
                                 made(queue);
                             },
                             [failed, jobs](const Error& error) {
                                 jobs->deleteLater();
                                 failed(QString::fromStdString(error.message));
                             });
                     });
    dialog->open();
}

} // namespace winnow
