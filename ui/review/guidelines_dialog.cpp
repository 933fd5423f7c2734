#include "ui/review/guidelines_dialog.h"

#include "core/jobs/job_tracker.h"
#include "core/review/review.h"

#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace winnow {

GuidelinesDialog::GuidelinesDialog(const StoreContext& store, std::int64_t queueId, const QString& queueName,
                                   const QString& markdown, QWidget* parent)
    : QDialog(parent), m_store(store), m_queueId(queueId), m_jobs(new JobTracker(this))
{
    setWindowTitle(tr("Guidelines of %1").arg(queueName));
    resize(900, 560);
    m_jobs->setStorePath(store.path);
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(tr("What reviewers of this queue should judge and how, in Markdown "
                                "(# headings, **bold**, - lists, [links](https://…)). Reviewers see it above "
                                "each conversation."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto* split = new QSplitter(Qt::Horizontal, this);
    m_source = new QPlainTextEdit(split);
    m_source->setPlainText(markdown);
    m_source->setTabChangesFocus(true);
    m_source->setAccessibleName(tr("Guidelines in Markdown"));
    m_preview = new QTextBrowser(split);
    m_preview->setOpenExternalLinks(true);
    m_preview->setAccessibleName(tr("Guidelines as reviewers see them"));
    split->addWidget(m_source);
    split->addWidget(m_preview);
    layout->addWidget(split, 1);
    m_status = new QLabel(store.writer ? QString() : store.readOnlyReason, this);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_save = buttons->button(QDialogButtonBox::Save);
    m_save->setEnabled(static_cast<bool>(store.writer));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &GuidelinesDialog::save);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_source, &QPlainTextEdit::textChanged, this,
            [this] { m_preview->setMarkdown(m_source->toPlainText()); });
    m_preview->setMarkdown(markdown);
}

QString GuidelinesDialog::markdown() const
{
    return m_source->toPlainText();
}

void GuidelinesDialog::setMarkdown(const QString& markdown)
{
    m_source->setPlainText(markdown);
}

QString GuidelinesDialog::status() const
{
    return m_status->text();
}

void GuidelinesDialog::save()
{
    if (!m_store.writer)
        return;
    m_save->setEnabled(false);
    m_status->setText(tr("Saving…"));
    auto writer = m_store.writer;
    const std::int64_t queueId = m_queueId;
    std::string text = m_source->toPlainText().toStdString();
    m_jobs->start<bool>(
        [writer, queueId, text](JobContext&) {
            if (Status set = setQueueGuidelines(*writer, queueId, text); !set)
                throw Failure(set.error());
            return true;
        },
        [this](bool) { accept(); },
        [this](const Error& error) {
            m_save->setEnabled(true);
            m_status->setText(tr("Not saved: %1").arg(QString::fromStdString(error.text())));
            Q_EMIT saveFailed();
        });
}

} // namespace winnow
