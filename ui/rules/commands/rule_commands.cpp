#include "ui/rules/commands/rule_commands.h"

#include "ui/rules/rules_page.h"

namespace winnow {

ChangeRuleCommand::ChangeRuleCommand(RulesPage* page, size_t position, std::optional<Rule> before,
                                     std::optional<Rule> after, const QString& text)
    : m_page(page), m_position(position), m_before(std::move(before)), m_after(std::move(after))
{
    setText(text);
}

void ChangeRuleCommand::redo()
{
    apply(m_before, m_after);
}

void ChangeRuleCommand::undo()
{
    apply(m_after, m_before);
}

void ChangeRuleCommand::apply(const std::optional<Rule>& from, const std::optional<Rule>& to)
{
    if (!m_page)
        return;
    std::vector<Rule> rules = m_page->draftRules();
    if (from && m_position < rules.size())
        rules.erase(rules.begin() + static_cast<std::ptrdiff_t>(m_position));
    if (to)
        rules.insert(rules.begin() + static_cast<std::ptrdiff_t>(std::min(m_position, rules.size())), *to);
    m_page->setDraftRules(std::move(rules), to ? to->id : std::string());
}

} // namespace winnow
