#include "core/export/redaction.h"

#include "core/util/text.h"

#include <simdjson.h>

#include <algorithm>

namespace winnow {

Result<Redactor> Redactor::fromPack(const RulePack& pack)
{
    std::vector<Rule> redacting;
    for (const Rule& rule : pack.rules) {
        const DetectorKind kind = rule.detector.kind;
        if (rule.action != RuleAction::Redact || rule.status == RuleStatus::Disabled ||
            (kind != DetectorKind::Pattern && kind != DetectorKind::Keywords && kind != DetectorKind::Pii))
            continue;
        Rule everywhere = rule;
        // Training data is redacted in every text, whatever part of a live conversation the rule
        // watches.
        everywhere.texts = ScopeAllTexts;
        everywhere.agents.clear();
        everywhere.tools.clear();
        redacting.push_back(std::move(everywhere));
    }
    if (redacting.empty())
        return Error{"rule version " + std::to_string(pack.version) +
                         " has no rule whose action is redact: nothing to redact with",
                     {}};
    auto engine = RuleEngine::compile(std::move(redacting), pack.version);
    if (!engine)
        return engine.error();
    return Redactor(*engine);
}

std::vector<std::string> Redactor::ruleIds() const
{
    std::vector<std::string> ids;
    for (const Rule& rule : m_engine->rules())
        ids.push_back(rule.id);
    return ids;
}

std::string Redactor::redact(std::string_view text, std::map<std::string, std::int64_t>& counts) const
{
    std::vector<TextHit> hits = m_engine->scanText(text, ScopeAllTexts);
    if (hits.empty())
        return std::string(text);
    std::sort(hits.begin(), hits.end(), [](const TextHit& a, const TextHit& b) {
        return a.bytes.begin != b.bytes.begin ? a.bytes.begin < b.bytes.begin : a.bytes.end > b.bytes.end;
    });
    std::string out;
    out.reserve(text.size());
    size_t at = 0;
    for (const TextHit& hit : hits) {
        if (hit.bytes.begin < at)
            continue; // inside a match already replaced
        const Rule& rule = m_engine->rules()[hit.rule];
        out.append(text.substr(at, hit.bytes.begin - at));
        out += rule.redactToken;
        at = hit.bytes.end;
        ++counts[rule.id];
    }
    out.append(text.substr(at));
    return out;
}

namespace {

void redactValue(const Redactor& redactor, simdjson::dom::element value, std::string& out,
                 std::map<std::string, std::int64_t>& counts)
{
    using simdjson::dom::element_type;
    switch (value.type()) {
    case element_type::OBJECT: {
        out += '{';
        bool first = true;
        simdjson::dom::object object;
        if (value.get_object().get(object))
            return;
        for (const auto field : object) {
            out += first ? "" : ",";
            first = false;
            appendJsonString(out, redactor.redact(field.key, counts));
            out += ':';
            redactValue(redactor, field.value, out, counts);
        }
        out += '}';
        break;
    }
    case element_type::ARRAY: {
        out += '[';
        bool first = true;
        simdjson::dom::array array;
        if (value.get_array().get(array))
            return;
        for (const auto item : array) {
            out += first ? "" : ",";
            first = false;
            redactValue(redactor, item, out, counts);
        }
        out += ']';
        break;
    }
    case element_type::STRING:
        {
        std::string_view text;
        if (value.get_string().get(text))
            return;
        appendJsonString(out, redactor.redact(text, counts));
    }
        break;
    default: {
        // A number can be a card or an account number: checked as the text it was written as.
        const std::string text = simdjson::minify(value);
        const std::string redacted = redactor.redact(text, counts);
        if (redacted == text)
            out += text;
        else
            appendJsonString(out, redacted);
    }
    }
}

} // namespace

std::string Redactor::redactJson(std::string_view json, std::map<std::string, std::int64_t>& counts) const
{
    std::map<std::string, std::int64_t> found;
    std::string redacted = redact(json, found);
    if (found.empty())
        return redacted;
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element original;
    if (parser.parse(json.data(), json.size()).get(original)) {
        // Not JSON: redacted as the text it is.
        for (const auto& [rule, n] : found)
            counts[rule] += n;
        return redacted;
    }
    simdjson::dom::element check;
    simdjson::dom::parser checker;
    if (!checker.parse(redacted).get(check)) {
        for (const auto& [rule, n] : found)
            counts[rule] += n;
        return redacted;
    }
    std::string rebuilt;
    redactValue(*this, original, rebuilt, counts);
    return rebuilt;
}

std::string Redactor::firstFinding(std::string_view text) const
{
    const std::vector<TextHit> hits = m_engine->scanText(text, ScopeAllTexts);
    if (hits.empty())
        return {};
    return m_engine->rules()[hits.front().rule].id;
}

} // namespace winnow
