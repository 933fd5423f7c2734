#include "core/rules/engine.h"

#include "core/rules/matching.h"

#include <re2/re2.h>
#include <re2/set.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace winnow {

namespace {

constexpr size_t maxPatternLength = 4096;
constexpr size_t maxTerms = 100'000;
constexpr size_t maxTermLength = 200;
constexpr int64_t maxPatternMemory = 32 << 20;
constexpr size_t excerptBytes = 200;

bool contains(const std::vector<std::string>& list, const std::string& value)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

// What a text rule's regular expression is, flags included, so that one RE2::Set can hold all.
std::string effectivePattern(const Rule& rule)
{
    const Detector& d = rule.detector;
    switch (d.kind) {
    case DetectorKind::Pattern: {
        std::string p = d.wholeWord ? "\\b(?:" + d.pattern + ")\\b" : "(?:" + d.pattern + ")";
        if (!d.caseSensitive)
            p.insert(0, "(?i)");
        return p;
    }
    case DetectorKind::Keywords: {
        std::string alternatives;
        // A word boundary on the sides a term has a word character: "c++" ends where "+" does.
        auto wordy = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
        for (const std::string& term : d.terms) {
            if (term.empty())
                continue;
            if (!alternatives.empty())
                alternatives += '|';
            if (wordy(term.front()))
                alternatives += "\\b";
            alternatives += re2::RE2::QuoteMeta(term);
            if (wordy(term.back()))
                alternatives += "\\b";
        }
        return "(?i)(?:" + alternatives + ")";
    }
    case DetectorKind::Pii:
        return "(?:" + std::string(piiSpec(d.entity).pattern) + ")";
    default:
        return {};
    }
}

re2::RE2::Options patternOptions()
{
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(maxPatternMemory);
    return options;
}

// The bracket left open (or closed without opening) in a pattern, skipping escapes and classes.
std::optional<size_t> unbalanced(const std::string& pattern, bool open)
{
    std::vector<size_t> opened;
    bool inClass = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\') {
            ++i;
        } else if (inClass) {
            inClass = c != ']';
        } else if (c == '[') {
            inClass = true;
        } else if (c == '(') {
            opened.push_back(i);
        } else if (c == ')') {
            if (opened.empty())
                return open ? std::nullopt : std::optional(i);
            opened.pop_back();
        }
    }
    if (open && !opened.empty())
        return opened.back();
    return std::nullopt;
}

// A pattern's error as people read it: what RE2 says, and where in the pattern (RE2 names the
// fragment; for a bracket it names the whole pattern, so the bracket is found here).
std::string patternError(const std::string& pattern)
{
    const re2::RE2 re(pattern, patternOptions());
    if (re.ok())
        return {};
    std::string message = re.error();
    std::optional<size_t> at;
    if (re.error_code() == re2::RE2::ErrorMissingParen)
        at = unbalanced(pattern, true);
    else if (re.error_code() == re2::RE2::ErrorUnexpectedParen)
        at = unbalanced(pattern, false);
    else if (!re.error_arg().empty() && re.error_arg() != pattern)
        if (const size_t found = pattern.find(re.error_arg()); found != std::string::npos)
            at = found;
    if (at)
        message += " at character " + std::to_string(*at + 1);
    return message;
}

std::string excerptOf(std::string_view text)
{
    if (text.size() <= excerptBytes)
        return std::string(text);
    size_t cut = excerptBytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
        --cut; // not inside a code point
    return std::string(text.substr(0, cut)) + "…";
}

std::optional<double> parseNumber(std::string_view text)
{
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// Whether an assistant answer breaks a structure rule: not JSON, or not of the shape.
bool breaksStructure(const Detector& d, std::string_view answer, simdjson::dom::parser& parser)
{
    simdjson::dom::element root;
    if (parser.parse(answer.data(), answer.size()).get(root))
        return true;
    if (d.shape.empty())
        return false;
    simdjson::dom::object object;
    if (root.get_object().get(object))
        return true;
    for (const auto& [key, type] : d.shape) {
        simdjson::dom::element value;
        if (object.at_key(key).get(value))
            return true;
        const auto t = value.type();
        const bool right = (type == "string" && t == simdjson::dom::element_type::STRING) ||
                           (type == "number" && (t == simdjson::dom::element_type::INT64 ||
                                                 t == simdjson::dom::element_type::UINT64 ||
                                                 t == simdjson::dom::element_type::DOUBLE)) ||
                           (type == "boolean" && t == simdjson::dom::element_type::BOOL) ||
                           (type == "object" && t == simdjson::dom::element_type::OBJECT) ||
                           (type == "array" && t == simdjson::dom::element_type::ARRAY) ||
                           (type == "null" && t == simdjson::dom::element_type::NULL_VALUE);
        if (!right)
            return true;
    }
    return false;
}

// Why a tool call breaks a tool policy rule (a denied tool, one outside the allowed ones, an
// argument matching the rule's pattern or above its bound); empty when it does not.
std::string toolPolicyBreach(const Rule& rule, const re2::RE2* argumentPattern, const ToolCall& call,
                             simdjson::dom::parser& parser)
{
    const Detector& d = rule.detector;
    if (!rule.tools.empty() && !contains(rule.tools, call.name))
        return {};
    if (contains(d.deniedTools, call.name))
        return "denied tool " + call.name;
    if (!d.allowedTools.empty() && !contains(d.allowedTools, call.name))
        return "tool " + call.name + " is not allowed";
    if (d.argument.empty() || (!d.tool.empty() && d.tool != call.name))
        return {};
    simdjson::dom::element root;
    simdjson::dom::element value;
    if (parser.parse(call.arguments).get(root) || root.at_key(d.argument).get(value))
        return {};
    const std::string text =
        value.is_string() ? std::string(value.get_string().value()) : simdjson::to_string(value);
    const auto number = parseNumber(text);
    if ((argumentPattern && re2::RE2::PartialMatch(text, *argumentPattern)) ||
        (d.above && number && *number > *d.above))
        return call.name + " " + d.argument + "=" + text;
    return {};
}

} // namespace

double interactionFigure(const Interaction& in, ThresholdMetric metric)
{
    switch (metric) {
    case ThresholdMetric::CostUsd:
        return in.costUsd.value_or(0);
    case ThresholdMetric::LatencyMs:
        return in.latencyMs.value_or(0);
    case ThresholdMetric::Tokens:
        return double(in.inputTokens.value_or(0) + in.outputTokens.value_or(0));
    case ThresholdMetric::Turns:
        return double(std::count_if(in.messages.begin(), in.messages.end(),
                                    [](const Message& m) { return m.role == "user"; }));
    case ThresholdMetric::ToolErrors:
        return double(std::count_if(in.toolCalls.begin(), in.toolCalls.end(), [](const ToolCall& c) {
            return c.status == "error" || !c.error.empty();
        }));
    }
    return 0;
}

std::int64_t codePointOffset(std::string_view text, size_t byteOffset)
{
    std::int64_t points = 0;
    const size_t end = std::min(byteOffset, text.size());
    for (size_t i = 0; i < end; ++i)
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
            ++points;
    return points;
}

struct RuleEngine::Compiled
{
    struct Entry
    {
        size_t rule;
        std::unique_ptr<re2::RE2> re; // null for a personal-data candidate found by code
        const PiiSpec* pii = nullptr;
        // Each match of its pattern in the text, in order, as `found(span)` while it returns true.
        template <typename Found> void locate(std::string_view text, Found&& found) const
        {
            if (pii)
                forEachCandidate(*pii, re.get(), text, found);
            else
                forEachMatch(*re, text, found);
        }
        // Whether the personal-data validator (if any) accepts a match; it may narrow the span.
        bool accepts(std::string_view text, TextSpan& span) const { return !pii || pii->accept(text, span); }
        TextHit hitAt(std::string_view text, TextSpan span) const
        {
            return {rule, span, codePointOffset(text, span.begin), codePointOffset(text, span.end)};
        }
    };
    std::vector<Entry> entries; // the text rules' patterns, in the rules' order
    std::unique_ptr<re2::RE2::Set> set;
    std::vector<size_t> setEntries;  // the entry of each of the set's patterns
    std::vector<size_t> codeEntries; // entries found by code, not by the set: located in every text
    void matchedEntries(std::string_view text, std::vector<int>& matched) const;
    std::vector<size_t> otherRules;                          // tool policies, thresholds, structure
    std::vector<std::unique_ptr<re2::RE2>> argumentPatterns; // by rule index (null when none)
    // No pattern anchors at a text's start or end, so an interaction's texts joined by newlines
    // can be scanned as one (see RuleEngine::scan).
    bool joinable = true;
};

namespace {

// Whether a pattern anchors (^, $, \A, \z) outside a character class.
bool anchors(const std::string& pattern)
{
    bool inClass = false;
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\') {
            if (i + 1 < pattern.size() && !inClass && (pattern[i + 1] == 'A' || pattern[i + 1] == 'z'))
                return true;
            ++i;
        } else if (inClass) {
            inClass = c != ']';
        } else if (c == '[') {
            inClass = true;
            if (i + 1 < pattern.size() && pattern[i + 1] == '^')
                ++i; // a negated class
            if (i + 1 < pattern.size() && pattern[i + 1] == ']')
                ++i; // "]" first in a class is literal
        } else if (c == '^' || c == '$') {
            return true;
        }
    }
    return false;
}

// Whether a rule looks at a text of this scope, agent and tool.
bool appliesTo(const Rule& rule, unsigned scope, const std::string& agent, const std::string& tool)
{
    if (!(rule.texts & scope))
        return false;
    if (!rule.agents.empty() && !contains(rule.agents, agent))
        return false;
    return rule.tools.empty() || !(scope & (ScopeToolArguments | ScopeToolResults)) ||
           contains(rule.tools, tool);
}

} // namespace

RuleEngine::~RuleEngine() = default;

// The entries whose patterns may be found in the text, in the rules' order: what the set finds
// there (every one of its patterns when its DFA ran out of memory on the text: each is then
// located on its own), and those found by code, which locating tells.
void RuleEngine::Compiled::matchedEntries(std::string_view text, std::vector<int>& matched) const
{
    matched.clear();
    if (!setEntries.empty()) {
        re2::RE2::Set::ErrorInfo error{};
        if (!set->Match(re2::StringPiece(text.data(), text.size()), &matched, &error)) {
            matched.clear();
            if (error.kind == re2::RE2::Set::kOutOfMemory)
                for (size_t i = 0; i < setEntries.size(); ++i)
                    matched.push_back(int(i));
        }
        for (int& index : matched)
            index = int(setEntries[size_t(index)]);
    }
    for (const size_t entry : codeEntries)
        matched.push_back(int(entry));
    std::sort(matched.begin(), matched.end());
}

Result<std::shared_ptr<const RuleEngine>> RuleEngine::compile(std::vector<Rule> rules, std::int64_t version)
{
    std::shared_ptr<RuleEngine> engine(new RuleEngine);
    engine->m_version = version;
    rules.erase(std::remove_if(rules.begin(), rules.end(),
                               [](const Rule& r) { return r.status == RuleStatus::Disabled; }),
                rules.end());
    engine->m_rules = std::move(rules);
    auto compiled = std::make_unique<Compiled>();
    re2::RE2::Options setOptions = patternOptions();
    setOptions.set_max_mem(int64_t(256) << 20);
    compiled->set = std::make_unique<re2::RE2::Set>(setOptions, re2::RE2::UNANCHORED);
    compiled->argumentPatterns.resize(engine->m_rules.size());
    std::string errors;
    for (size_t i = 0; i < engine->m_rules.size(); ++i) {
        const Rule& rule = engine->m_rules[i];
        const std::string pattern = effectivePattern(rule);
        if (pattern.empty()) {
            compiled->otherRules.push_back(i);
            if (!rule.detector.argumentPattern.empty()) {
                auto re = std::make_unique<re2::RE2>(rule.detector.argumentPattern, patternOptions());
                if (!re->ok())
                    errors += "\n  " + rule.id + ": " + patternError(rule.detector.argumentPattern);
                compiled->argumentPatterns[i] = std::move(re);
            }
            continue;
        }
        const PiiSpec* pii =
            rule.detector.kind == DetectorKind::Pii ? &piiSpec(rule.detector.entity) : nullptr;
        if (pii && pii->nextCandidate) {
            compiled->codeEntries.push_back(compiled->entries.size());
            compiled->entries.push_back({i, nullptr, pii});
            continue;
        }
        auto re = std::make_unique<re2::RE2>(pattern, patternOptions());
        std::string setError;
        if (!re->ok() || compiled->set->Add(pattern, &setError) < 0) {
            const std::string own = rule.detector.kind == DetectorKind::Pattern
                                        ? patternError(rule.detector.pattern)
                                        : std::string();
            errors += "\n  " + rule.id + ": " + (own.empty() ? re->error() + setError : own);
            continue;
        }
        compiled->joinable = compiled->joinable && !anchors(pattern);
        compiled->setEntries.push_back(compiled->entries.size());
        compiled->entries.push_back({i, std::move(re), pii});
    }
    if (!errors.empty())
        return Error{"these rules do not compile:" + errors, {}};
    if (!compiled->setEntries.empty() && !compiled->set->Compile())
        return Error{"the rules' patterns together need more memory than allowed", {}};
    engine->m_compiled = std::move(compiled);
    return std::shared_ptr<const RuleEngine>(std::move(engine));
}

void RuleEngine::scanInto(std::string_view text, unsigned scope, const std::string& agent,
                          const std::string& tool, std::vector<TextHit>& hits,
                          std::vector<TextHit>* rejected) const
{
    const Compiled& c = *m_compiled;
    if (c.entries.empty() || text.empty())
        return;
    thread_local std::vector<int> matched; // per text: no allocation once it has grown
    c.matchedEntries(text, matched);
    for (const int index : matched) {
        const Compiled::Entry& entry = c.entries[size_t(index)];
        if (!appliesTo(m_rules[entry.rule], scope, agent, tool))
            continue;
        entry.locate(text, [&](TextSpan span) {
            const bool accepted = entry.accepts(text, span);
            if (accepted || rejected)
                (accepted ? hits : *rejected).push_back(entry.hitAt(text, span));
            return true;
        });
    }
}

std::vector<TextHit> RuleEngine::scanText(std::string_view text, unsigned scope) const
{
    std::vector<TextHit> rejected;
    return scanText(text, scope, rejected);
}

std::vector<TextHit> RuleEngine::scanText(std::string_view text, unsigned scope,
                                          std::vector<TextHit>& rejected) const
{
    std::vector<TextHit> hits;
    scanInto(text, scope, {}, {}, hits, &rejected);
    const TextSpan whole{0, text.size()};
    const std::int64_t length = codePointOffset(text, text.size());
    simdjson::dom::parser parser;
    for (const size_t i : m_compiled->otherRules) {
        const Detector& d = m_rules[i].detector;
        bool hit = false;
        if (d.kind == DetectorKind::Threshold) {
            const auto value = parseNumber(text);
            hit = value && d.above && *value > *d.above;
        } else if (d.kind == DetectorKind::Structure) {
            hit = (scope & ScopeAssistant) && breaksStructure(d, text, parser);
        } else if (d.kind == DetectorKind::ToolPolicy) {
            // Only a text of the form "TOOL {arguments}" is a tool call.
            const size_t space = text.find(' ');
            if (space == 0 || space == std::string_view::npos || text.substr(space + 1).substr(0, 1) != "{")
                continue;
            ToolCall call;
            call.name = std::string(text.substr(0, space));
            call.arguments = std::string(text.substr(space + 1));
            hit = !toolPolicyBreach(m_rules[i], m_compiled->argumentPatterns[i].get(), call, parser).empty();
        }
        if (hit)
            hits.push_back({i, whole, 0, length});
    }
    std::stable_sort(hits.begin(), hits.end(), [](const TextHit& a, const TextHit& b) {
        return a.bytes.begin != b.bytes.begin ? a.bytes.begin < b.bytes.begin : a.rule < b.rule;
    });
    return hits;
}

namespace {

// A text of an interaction the patterns read.
struct ScannedText
{
    std::string_view text;
    unsigned scope;
    const std::string* tool;
    int message;
    int call;
    size_t offset = 0; // in the joined texts
};

struct Located
{
    size_t text;
    TextHit hit;
};

// What a scan works in, kept by each thread from one interaction to the next.
struct ScanScratch
{
    std::vector<const ToolCall*> resultOf;
    std::vector<ScannedText> texts;
    std::vector<Located> located;
    std::string joined;
    std::vector<int> matched;
    simdjson::dom::parser parser;
};

} // namespace

std::vector<RuleHit> RuleEngine::scan(const Interaction& in) const
{
    std::vector<RuleHit> hits;
    if (m_rules.empty())
        return hits;
    thread_local ScanScratch scratch; // no allocation once its buffers have grown
    // The tool whose result a message is.
    auto& resultOf = scratch.resultOf;
    resultOf.assign(in.messages.size(), nullptr);
    for (const ToolCall& call : in.toolCalls)
        if (call.resultMessageIndex >= 0 && size_t(call.resultMessageIndex) < resultOf.size())
            resultOf[size_t(call.resultMessageIndex)] = &call;
    // The texts the patterns read, in the order their hits are listed.
    auto& texts = scratch.texts;
    texts.clear();
    for (size_t i = 0; i < in.messages.size(); ++i) {
        const Message& m = in.messages[i];
        if (const unsigned scope = textScopeOfRole(m.role); scope && !m.content.empty())
            texts.push_back({m.content, scope, resultOf[i] ? &resultOf[i]->name : &m.name, int(i), -1});
    }
    for (size_t i = 0; i < in.toolCalls.size(); ++i) {
        const ToolCall& call = in.toolCalls[i];
        if (!call.arguments.empty())
            texts.push_back({call.arguments, ScopeToolArguments, &call.name, -1, int(i)});
        if (call.resultMessageIndex < 0 && !call.result.empty())
            texts.push_back({call.result, ScopeToolResults, &call.name, -1, int(i)});
    }
    auto& located = scratch.located;
    located.clear();
    const Compiled& c = *m_compiled;
    if (!c.joinable) {
        std::vector<TextHit> found;
        for (size_t t = 0; t < texts.size(); ++t) {
            scanInto(texts[t].text, texts[t].scope, in.agent, *texts[t].tool, found);
            for (const TextHit& hit : found)
                located.push_back({t, hit});
            found.clear();
        }
    } else if (!c.entries.empty() && !texts.empty()) {
        // One pass of the set over the texts joined by newlines, where a pass per text pays the
        // set's fixed cost per call on texts of a few dozen bytes; then each pattern the set found
        // is located once in the joined texts. With no anchor in any pattern, a match that lies
        // inside one text is exactly what a pass over that text alone finds there; a pattern with
        // a match across the newline between two texts is located text by text instead.
        std::string& joined = scratch.joined;
        joined.clear();
        for (ScannedText& t : texts) {
            t.offset = joined.size();
            (joined += t.text) += '\n';
        }
        std::vector<int>& matched = scratch.matched;
        c.matchedEntries(joined, matched);
        for (const int index : matched) {
            const Compiled::Entry& entry = c.entries[size_t(index)];
            const Rule& rule = m_rules[entry.rule];
            if (!rule.agents.empty() && !contains(rule.agents, in.agent))
                continue;
            auto found = [&](size_t t, TextSpan span) {
                const ScannedText& scanned = texts[t];
                if (appliesTo(rule, scanned.scope, in.agent, *scanned.tool) &&
                    entry.accepts(scanned.text, span))
                    located.push_back({t, entry.hitAt(scanned.text, span)});
                return true;
            };
            const size_t before = located.size();
            bool acrossTexts = false;
            size_t t = 0; // matches come in order, and so do the texts
            entry.locate(joined, [&](TextSpan span) {
                while (t + 1 < texts.size() && texts[t + 1].offset <= span.begin)
                    ++t;
                const size_t offset = texts[t].offset;
                if (span.end > offset + texts[t].text.size()) {
                    acrossTexts = true;
                    return false;
                }
                return found(t, {span.begin - offset, span.end - offset});
            });
            if (acrossTexts) {
                located.resize(before);
                for (size_t each = 0; each < texts.size(); ++each)
                    entry.locate(texts[each].text, [&](TextSpan span) { return found(each, span); });
            }
        }
        // Listed text by text; within a text, rule by rule (the set's order), then by position.
        auto byText = [](const Located& a, const Located& b) { return a.text < b.text; };
        if (!std::is_sorted(located.begin(), located.end(), byText))
            std::stable_sort(located.begin(), located.end(), byText);
    }
    for (const Located& l : located) {
        const ScannedText& scanned = texts[l.text];
        hits.push_back(
            {m_rules[l.hit.rule].id, m_version, scanned.message, scanned.call, l.hit.start, l.hit.end,
             excerptOf(scanned.text.substr(l.hit.bytes.begin, l.hit.bytes.end - l.hit.bytes.begin))});
    }
    simdjson::dom::parser& parser = scratch.parser;
    for (const size_t r : m_compiled->otherRules) {
        const Rule& rule = m_rules[r];
        if (!rule.agents.empty() && !contains(rule.agents, in.agent))
            continue;
        const Detector& d = rule.detector;
        if (d.kind == DetectorKind::Threshold) {
            const double value = interactionFigure(in, d.metric);
            if (d.above && value > *d.above) {
                char text[64];
                std::snprintf(text, sizeof text, "%s %g > %g", thresholdMetricName(d.metric), value,
                              *d.above);
                hits.push_back({rule.id, m_version, -1, -1, 0, 0, text});
            }
        } else if (d.kind == DetectorKind::Structure) {
            for (size_t i = 0; i < in.messages.size(); ++i) {
                const Message& m = in.messages[i];
                if (m.role != "assistant" || m.content.empty())
                    continue;
                if (breaksStructure(d, m.content, parser))
                    hits.push_back({rule.id, m_version, int(i), -1, 0,
                                    codePointOffset(m.content, m.content.size()), excerptOf(m.content)});
            }
        } else if (d.kind == DetectorKind::ToolPolicy) {
            for (size_t i = 0; i < in.toolCalls.size(); ++i) {
                const std::string why =
                    toolPolicyBreach(rule, m_compiled->argumentPatterns[r].get(), in.toolCalls[i], parser);
                if (!why.empty())
                    hits.push_back({rule.id, m_version, -1, int(i), 0, 0, excerptOf(why)});
            }
        }
    }
    return hits;
}

std::vector<std::string> ruleProblems(const Rule& rule)
{
    std::vector<std::string> problems;
    const Detector& d = rule.detector;
    if (d.kind == DetectorKind::Pattern) {
        if (d.pattern.empty())
            problems.push_back("pattern: is empty");
        if (d.pattern.size() > maxPatternLength)
            problems.push_back("pattern: is longer than " + std::to_string(maxPatternLength) + " characters");
    }
    if (d.kind == DetectorKind::Keywords) {
        if (d.terms.size() > maxTerms)
            problems.push_back("terms: more than " + std::to_string(maxTerms));
        for (const std::string& term : d.terms)
            if (term.empty() || term.size() > maxTermLength) {
                problems.push_back("terms: each term has 1 to " + std::to_string(maxTermLength) +
                                   " characters");
                break;
            }
    }
    if (!problems.empty())
        return problems;
    Rule trial = rule;
    trial.status = RuleStatus::Monitor; // a disabled rule's examples are checked all the same
    auto engine = RuleEngine::compile({trial}, 0);
    if (!engine) {
        // "these rules do not compile:\n  ID: message": the message is the problem.
        const std::string& message = engine.error().message;
        const size_t colon = message.find(": ", message.find('\n'));
        problems.push_back("pattern: " + (colon == std::string::npos ? message : message.substr(colon + 2)));
        return problems;
    }
    const unsigned scope = trial.texts ? trial.texts : ScopeAllTexts;
    for (const std::string& example : rule.mustMatch)
        if ((*engine)->scanText(example, scope).empty())
            problems.push_back("examples: does not match '" + example + "', which it must");
    for (const std::string& example : rule.mustNotMatch)
        if (!(*engine)->scanText(example, scope).empty())
            problems.push_back("examples: matches '" + example + "', which it must not");
    return problems;
}

Status checkRulePack(const RulePack& pack)
{
    std::string message;
    size_t count = 0;
    for (const Rule& rule : pack.rules)
        for (const std::string& problem : ruleProblems(rule)) {
            message += "\n  " + rule.id + "." + problem;
            ++count;
        }
    if (count)
        return Error{"the rule pack is refused (" + std::to_string(count) + " problem" +
                         (count == 1 ? "" : "s") + "):" + message,
                     {}};
    return {};
}

} // namespace winnow
