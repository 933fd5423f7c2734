#include "ui/review/commands/submit_label_command.h"

#include "ui/review/review_page.h"

#include <QCoreApplication>

namespace winnow {

SubmitLabelCommand::SubmitLabelCommand(ReviewPage* page, std::shared_ptr<StoreWriter> writer, Label label,
                                       std::optional<Label> before)
    : m_page(page), m_writer(std::move(writer)), m_label(std::move(label)), m_before(std::move(before))
{
    setText(QCoreApplication::translate("Review", "submit the label"));
}

void SubmitLabelCommand::redo()
{
    write(m_label);
}

void SubmitLabelCommand::undo()
{
    Label restored = m_before ? *m_before : m_label;
    if (!m_before)
        restored.status = LabelStatus::Draft;
    restored.atMs = 0;
    restored.author = m_label.author;
    write(restored);
}

void SubmitLabelCommand::write(Label label)
{
    const std::int64_t interactionId = label.interactionId;
    // An item's final label (no reviewer's) is told as such, however its status changes.
    const LabelStatus status = label.reviewer.empty() ? LabelStatus::Final : label.status;
    ReviewPage* page = m_page.data();
    Inbox replies = page ? page->writerReplies() : Inbox();
    m_writer->submit(
        WritePriority::Interactive,
        [label](WriteTransaction& tx) {
            ReviewStore(tx.database()).saveLabel(label);
            tx.changed(StoreChange::Review);
        },
        [replies, page, interactionId, status](const Status& written) {
            // On the writer's thread: the page hears of it on its own, while it lives.
            const QString error = written ? QString() : QString::fromStdString(written.error().text());
            replies.post(
                [page, interactionId, status, error] { page->labelWritten(interactionId, status, error); });
        });
}

} // namespace winnow
