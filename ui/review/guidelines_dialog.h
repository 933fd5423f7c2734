#pragma once
// A queue's guidelines, edited: Markdown on the left, rendered on the right as the Review screen
// shows it (Qt's own Markdown). Save writes through the store's writer on a worker and closes
// the dialog once it is stored; a failure stays in the dialog with the text kept.

#include "ui/page.h"

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTextBrowser;

namespace winnow {

class JobTracker;

class GuidelinesDialog : public QDialog
{
    Q_OBJECT
public:
    GuidelinesDialog(const StoreContext& store, std::int64_t queueId, const QString& queueName,
                     const QString& markdown, QWidget* parent = nullptr);
    QString markdown() const;
    void setMarkdown(const QString& markdown);
    QString status() const;
    // What Save does: write, then accept (the text as stored is markdown()).
    void save();

Q_SIGNALS:
    void saveFailed();

private:
    StoreContext m_store;
    std::int64_t m_queueId;
    JobTracker* m_jobs;
    QPlainTextEdit* m_source;
    QTextBrowser* m_preview;
    QPushButton* m_save;
    QLabel* m_status;
};

} // namespace winnow
