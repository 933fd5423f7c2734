#pragma once
// Edits of the draft's rules as undoable commands: a rule changed (any of its fields), added or
// removed. Each puts the draft as it should be into the page, which shows it and saves it.

#include "core/rules/rule.h"

#include <QPointer>
#include <QUndoCommand>

#include <optional>

namespace winnow {

class RulesPage;

// One rule replaced by another (`before` and `after` by position); adding is `before` empty,
// removing `after` empty.
class ChangeRuleCommand : public QUndoCommand
{
public:
    ChangeRuleCommand(RulesPage* page, size_t position, std::optional<Rule> before, std::optional<Rule> after,
                      const QString& text);
    void redo() override;
    void undo() override;

private:
    void apply(const std::optional<Rule>& from, const std::optional<Rule>& to);
    QPointer<RulesPage> m_page;
    size_t m_position;
    std::optional<Rule> m_before, m_after;
};

} // namespace winnow
