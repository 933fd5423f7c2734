#pragma once
// A guardrail rule: what it detects (a detector of one kind), where it looks (its scope), what it
// means (status, severity, action, the review category it guards against) and the examples that
// say what it must and must not match. Rules travel as an engine-neutral JSON pack (the README
// documents the schema); the store keeps versions of packs.

#include "core/rules/pii.h"
#include "core/util/result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace winnow {

enum class DetectorKind { Pattern, Keywords, Pii, ToolPolicy, Threshold, Structure };
const char* detectorKindName(DetectorKind kind);

// The texts of an interaction a rule reads.
enum TextScope : unsigned {
    ScopeUser = 1,
    ScopeAssistant = 2,
    ScopeToolArguments = 4,
    ScopeToolResults = 8,
    ScopeAllTexts = 15,
};

// The text scope of a message by its role; none for the system prompt (the operator's, not the
// conversation's) and any other role.
unsigned textScopeOfRole(std::string_view role);

enum class RuleStatus { Enforce, Monitor, Disabled };
enum class RuleSeverity { Low, Medium, High, Critical };
enum class RuleAction { Flag, Block, Redact, Escalate };
enum class ThresholdMetric { CostUsd, LatencyMs, Tokens, Turns, ToolErrors };
const char* ruleStatusName(RuleStatus status);
const char* ruleSeverityName(RuleSeverity severity);
const char* ruleActionName(RuleAction action);
const char* thresholdMetricName(ThresholdMetric metric);

struct Detector
{
    DetectorKind kind = DetectorKind::Pattern;
    // Pattern: RE2 syntax.
    std::string pattern;
    bool caseSensitive = false;
    bool wholeWord = false;
    // Keywords: matched whole-word and case-insensitively, all of them at once.
    std::vector<std::string> terms;
    // Pii
    PiiEntity entity = PiiEntity::Email;
    // ToolPolicy: a call to a denied tool, a call outside the allowed ones, or an argument of
    // `tool` (any tool when empty) whose value matches `argumentPattern` or is above `above`.
    std::vector<std::string> deniedTools;
    std::vector<std::string> allowedTools;
    std::string tool;
    std::string argument;
    std::string argumentPattern;
    // Threshold: the interaction's figure above `above` (also ToolPolicy's numeric predicate).
    ThresholdMetric metric = ThresholdMetric::CostUsd;
    std::optional<double> above;
    // Structure: each assistant answer is valid JSON, and has these keys of these types
    // ("string", "number", "boolean", "object", "array", "null") when a shape is given.
    std::vector<std::pair<std::string, std::string>> shape;
};

struct Rule
{
    std::string id; // "pii.email": lower case, digits, '.', '_', '-'
    std::string title;
    std::string description;
    Detector detector;
    unsigned texts = ScopeAllTexts;  // TextScope bits
    std::vector<std::string> agents; // only these agents' interactions (all when empty)
    std::vector<std::string> tools;  // only these tools' arguments and results (all when empty)
    RuleStatus status = RuleStatus::Monitor;
    RuleSeverity severity = RuleSeverity::Medium;
    RuleAction action = RuleAction::Flag;
    std::string redactToken; // Redact: what replaces the match ("<EMAIL>")
    std::string category;    // the review-taxonomy category it guards against
    std::vector<std::string> mustMatch;
    std::vector<std::string> mustNotMatch;
};

// A pack: the rules of one version with where they came from.
struct RulePack
{
    std::int64_t version = 0;
    std::string author;
    std::string comment;
    std::int64_t publishedMs = 0;
    std::vector<Rule> rules;
    std::string backtestJson; // the figures at publish time, as the backtest wrote them (or empty)
};

constexpr const char* rulePackSchema = "winnow.rule-pack";
constexpr int rulePackSchemaVersion = 1;

// What a rule detects, in a few words ("Email address", "deny delete_account", "cost_usd > 0.5").
std::string detectorSummary(const Rule& rule);

// A rule's fields as the pack writes them (name → compact JSON): what a diff compares.
std::map<std::string, std::string> ruleFields(const Rule& rule);

// The pack as JSON, with the sha256 of its content (the same pack, the same bytes).
std::string rulePackJson(const RulePack& pack);
// Every field read and checked for its type and value (unknown fields are errors: a typo is not
// ignored); one Error listing every problem, with the rule and field, when anything is wrong.
// Patterns and examples are checked by the engine (checkRulePack).
Result<RulePack> parseRulePack(std::string_view json);

// Version 1 of a new store: a rule per personal-data entity and per secret kind, and a few
// pattern rules, all monitoring.
RulePack defaultRulePack();

} // namespace winnow
