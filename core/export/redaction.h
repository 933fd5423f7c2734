#pragma once
// Personal data and secrets taken out of exported texts with the guardrail detectors: every rule
// of the applied version whose action is redact (its pattern, keywords or personal-data entity)
// replaces what it finds with its typed token ("<EMAIL>"). The same rules check the written files
// afterwards: an export that still holds something they find fails.

#include "core/rules/engine.h"
#include "core/util/result.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace winnow {

class Redactor
{
public:
    // The redacting rules of a pack, compiled; an Error when the pack has none.
    [[nodiscard]] static Result<Redactor> fromPack(const RulePack& pack);

    std::int64_t version() const { return m_engine->version(); }
    // The ids of the rules it applies.
    std::vector<std::string> ruleIds() const;

    // The text with every match replaced by its rule's token (overlapping matches: the first,
    // and of those the longest); `counts` gains one per replacement, by rule id.
    std::string redact(std::string_view text, std::map<std::string, std::int64_t>& counts) const;
    // The same for JSON text (tool arguments and results): a match inside a string stays valid
    // JSON; where a replacement would break the JSON (a card number written as a number), the
    // value is replaced by its token as a string.
    std::string redactJson(std::string_view json, std::map<std::string, std::int64_t>& counts) const;
    // The first rule that still finds something in the text (empty when none does).
    std::string firstFinding(std::string_view text) const;

private:
    explicit Redactor(std::shared_ptr<const RuleEngine> engine) : m_engine(std::move(engine)) {}
    std::shared_ptr<const RuleEngine> m_engine;
};

} // namespace winnow
