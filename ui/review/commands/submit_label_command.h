#pragma once
// Submitting a label, as an undoable edit. Labels are append-only: undoing a submit writes the
// label as it was before (or, when there was none, the submitted one back as a draft) as a new
// version, so that the history keeps both and the item is open again.

#include "core/store/review_store.h"
#include "core/store/store_writer.h"

#include <QPointer>
#include <QUndoCommand>

#include <memory>
#include <optional>

namespace winnow {

class ReviewPage;

class SubmitLabelCommand : public QUndoCommand
{
public:
    SubmitLabelCommand(ReviewPage* page, std::shared_ptr<StoreWriter> writer, Label label,
                       std::optional<Label> before);
    void redo() override;
    void undo() override;

private:
    void write(Label label);
    QPointer<ReviewPage> m_page;
    std::shared_ptr<StoreWriter> m_writer;
    Label m_label;
    std::optional<Label> m_before;
};

} // namespace winnow
