#pragma once
// A version's rules compiled once and run on interactions. Every pattern, keyword list and
// personal-data candidate goes into one RE2::Set, so an interaction's texts are scanned once for
// all of them; only the rules the set reports are then located (and their candidates validated). Tool
// policies, thresholds and structure checks read the interaction's tool calls, figures and
// answers. Linear time throughout: RE2 never backtracks.

#include "core/rules/rule.h"
#include "core/store/records.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace winnow {

// One rule found in one text (the test box, `winnow rules test`, the examples).
struct TextHit
{
    size_t rule = 0;        // index into the engine's rules
    TextSpan bytes;         // in the text
    std::int64_t start = 0; // code points
    std::int64_t end = 0;
};

class RuleEngine
{
public:
    // Compiles the rules that are not disabled; an Error names each rule that does not compile.
    [[nodiscard]] static Result<std::shared_ptr<const RuleEngine>> compile(std::vector<Rule> rules,
                                                                           std::int64_t version);
    ~RuleEngine();
    RuleEngine(const RuleEngine&) = delete;
    RuleEngine& operator=(const RuleEngine&) = delete;

    const std::vector<Rule>& rules() const { return m_rules; }
    std::int64_t version() const { return m_version; }

    std::vector<RuleHit> scan(const Interaction& interaction) const;
    // Every rule in one text, as if it were of these scopes: tool policies read a text of the form
    // "TOOL {arguments}", thresholds a number, structure rules an answer; so every rule's examples
    // are tried the same way.
    std::vector<TextHit> scanText(std::string_view text, unsigned scope = ScopeAllTexts) const;
    // The same, with the candidates a validator turned down (a card number failing Luhn, an
    // address that does not parse): what the editor's test box shows.
    std::vector<TextHit> scanText(std::string_view text, unsigned scope,
                                  std::vector<TextHit>& rejected) const;

private:
    struct Compiled;
    RuleEngine() = default;
    void scanInto(std::string_view text, unsigned scope, const std::string& agent, const std::string& tool,
                  std::vector<TextHit>& hits, std::vector<TextHit>* rejected = nullptr) const;
    std::vector<Rule> m_rules;
    std::int64_t m_version = 0;
    std::unique_ptr<Compiled> m_compiled;
};

// Whether a rule can be saved: its pattern compiles (the error with its position), its limits
// hold, and its examples behave (each must-match found, each must-not-match not).
std::vector<std::string> ruleProblems(const Rule& rule);
// Every rule of a pack checked; one Error listing them.
Status checkRulePack(const RulePack& pack);

// An interaction's figure a threshold rule reads (cost, latency, tokens, user turns, tool errors).
double interactionFigure(const Interaction& interaction, ThresholdMetric metric);

// An offset in bytes of UTF-8 text as an offset in code points.
std::int64_t codePointOffset(std::string_view text, size_t byteOffset);

} // namespace winnow
