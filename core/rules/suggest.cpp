#include "core/rules/suggest.h"

#include "core/review/review.h"
#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/review_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace winnow {

namespace {

constexpr size_t maxSuggestions = 5;
constexpr std::int64_t backgroundLimit = 5000;
constexpr std::int64_t dayMs = 86'400'000;

const std::unordered_set<std::string>& stopwords()
{
    static const std::unordered_set<std::string> words = {
        "a",    "an",   "the",  "and",  "or",  "but",   "if",   "of",    "to",    "in",    "on",    "at",
        "for",  "with", "by",   "from", "is",  "are",   "was",  "were",  "be",    "been",  "it",    "its",
        "this", "that", "i",    "you",  "we",  "he",    "she",  "they",  "me",    "my",    "your",  "our",
        "do",   "does", "did",  "have", "has", "had",   "not",  "no",    "so",    "as",    "can",   "will",
        "just", "i'm",  "it's", "what", "how", "there", "here", "about", "would", "could", "please"};
    return words;
}

std::vector<std::string> wordsOf(const std::string& text)
{
    std::vector<std::string> words;
    std::string word;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) || c == '\'' || u >= 0x80)
            word += static_cast<char>(std::tolower(u));
        else if (!word.empty()) {
            words.push_back(std::move(word));
            word.clear();
        }
    }
    if (!word.empty())
        words.push_back(std::move(word));
    return words;
}

bool worthAPhrase(const std::vector<std::string>& words, size_t from, size_t n)
{
    bool content = false;
    for (size_t i = from; i < from + n; ++i) {
        const std::string& w = words[i];
        if (std::all_of(w.begin(), w.end(),
                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            return false; // numbers differ from one conversation to the next
        content |= !stopwords().count(w);
    }
    return content && (n > 1 || words[from].size() >= 4);
}

// An interaction's phrases (1 to 3 words within one message), each once, by the texts they are in.
std::map<std::string, unsigned> phrasesOf(const Interaction& in, size_t minWords = 1)
{
    std::map<std::string, unsigned> phrases;
    for (const Message& m : in.messages) {
        const unsigned scope = textScopeOfRole(m.role) & (ScopeUser | ScopeAssistant); // what people wrote
        if (!scope)
            continue;
        // Phrases stay inside a clause: "agent now; they'll" is not something anyone wrote.
        std::string clause;
        auto take = [&] {
            const std::vector<std::string> words = wordsOf(clause);
            for (size_t n = minWords; n <= 3; ++n)
                for (size_t i = 0; i + n <= words.size(); ++i) {
                    if (!worthAPhrase(words, i, n))
                        continue;
                    std::string phrase = words[i];
                    for (size_t k = 1; k < n; ++k)
                        phrase += ' ' + words[i + k];
                    phrases[phrase] |= scope;
                }
            clause.clear();
        };
        for (const char c : m.content) {
            if (std::strchr(".,;:!?()[]{}\"\n", c))
                take();
            else
                clause += c;
        }
        take();
    }
    return phrases;
}

std::string slug(const std::string& text)
{
    std::string s;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) && u < 0x80)
            s += static_cast<char>(std::tolower(u));
        else if (!s.empty() && s.back() != '_')
            s += '_';
    }
    while (!s.empty() && s.back() == '_')
        s.pop_back();
    return s.substr(0, 40);
}

std::string share(std::int64_t part, std::int64_t whole)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f%%", whole ? 100.0 * double(part) / double(whole) : 0.0);
    return text;
}

} // namespace

Result<Suggestions> suggestRules(Database& reader, const std::string& category, const MetricsFilter& slice,
                                 int recentDays)
{
    if (Status checked = checkFilter(slice); !checked)
        return checked.error();
    const std::vector<ReviewCategory> taxonomy = ReviewStore(reader).categories();
    const ReviewCategory* guarded = findCategory(taxonomy, category);
    if (!guarded)
        return Error{"no category '" + category + "' in the taxonomy (winnow taxonomy lists it)", {}};
    Suggestions result;
    result.category = guarded->name;
    const std::map<std::int64_t, FinalVerdict> verdicts = finalVerdicts(reader, slice);
    std::vector<std::int64_t> failures, allFailures, others;
    for (const auto& [id, v] : verdicts) {
        if (v.verdict == Verdict::Fail) {
            allFailures.push_back(id);
            if (std::count(v.categories.begin(), v.categories.end(), guarded->id))
                failures.push_back(id);
        } else if (v.verdict == Verdict::Pass) {
            others.push_back(id);
        }
    }
    if (failures.empty())
        return Error{"no failure is labelled '" + guarded->name + "' in this slice: nothing to learn from",
                     {}};
    InteractionStore interactions(reader);
    if (others.size() < 50) {
        // Too few passes labelled: the rest of the slice (not labelled fail) stands in for them.
        const std::set<std::int64_t> failed(allFailures.begin(), allFailures.end());
        for (const std::int64_t id :
             interactions.idsOf(slice, 0, backgroundLimit + std::int64_t(failed.size())))
            if (!failed.count(id) && std::int64_t(others.size()) < backgroundLimit)
                others.push_back(id);
    }
    result.failures = std::int64_t(failures.size());
    result.others = std::int64_t(others.size());
    auto read = [&](const std::vector<std::int64_t>& ids) {
        std::vector<Interaction> list;
        for (const std::int64_t id : ids)
            if (auto detail = interactions.detail(id))
                list.push_back(std::move(detail->interaction));
        return list;
    };
    const std::vector<Interaction> failed = read(failures);
    const std::vector<Interaction> passed = read(others);
    const auto nF = std::int64_t(failed.size()), nO = std::int64_t(passed.size());
    const std::int64_t minSupport = std::max<std::int64_t>(3, std::int64_t(std::ceil(0.1 * double(nF))));
    auto liftOf = [&](std::int64_t f, std::int64_t o) {
        return (double(f) / double(nF)) / ((double(o) + 1) / (double(nO) + 1));
    };
    auto evidence = [&](std::int64_t f, std::int64_t o, double lift) {
        char text[48];
        std::snprintf(text, sizeof text, "%.1f", lift);
        return "in " + std::to_string(f) + " of " + std::to_string(nF) + " failures (" + share(f, nF) +
               "), " + std::to_string(o) + " of " + std::to_string(nO) + " others (" + share(o, nO) +
               "): lift " + text;
    };
    std::vector<RuleSuggestion> candidates;

    // Phrases.
    std::unordered_map<std::string, std::pair<std::int64_t, unsigned>> inFailures; // support, scopes
    for (const Interaction& in : failed)
        for (const auto& [phrase, scope] : phrasesOf(in)) {
            auto& entry = inFailures[phrase];
            ++entry.first;
            entry.second |= scope;
        }
    std::unordered_map<std::string, std::int64_t> inOthers;
    for (const Interaction& in : passed)
        for (const auto& [phrase, scope] : phrasesOf(in))
            if (inFailures.count(phrase))
                ++inOthers[phrase];
    struct Phrase
    {
        std::string text;
        std::int64_t f, o;
        unsigned scope;
        double lift;
    };
    std::vector<Phrase> phrases;
    for (const auto& [phrase, entry] : inFailures) {
        if (entry.first < minSupport)
            continue;
        const std::int64_t o = inOthers.count(phrase) ? inOthers[phrase] : 0;
        const double lift = liftOf(entry.first, o);
        if (lift >= 3)
            phrases.push_back({phrase, entry.first, o, entry.second, lift});
    }
    std::sort(phrases.begin(), phrases.end(), [](const Phrase& a, const Phrase& b) {
        return a.lift != b.lift ? a.lift > b.lift : a.f != b.f ? a.f > b.f : a.text.size() > b.text.size();
    });
    std::vector<Phrase> chosen;
    for (const Phrase& p : phrases) {
        // A phrase inside one already chosen with the same support says nothing more.
        // A phrase inside one already chosen with the same support says nothing more; nor does one
        // found in just the same numbers of failures and others (the same sentence, most likely).
        const bool covered = std::any_of(chosen.begin(), chosen.end(), [&](const Phrase& c) {
            return ((c.text.find(p.text) != std::string::npos || p.text.find(c.text) != std::string::npos) &&
                    std::llabs(c.f - p.f) <= 1) ||
                   (c.f == p.f && c.o == p.o);
        });
        if (!covered)
            chosen.push_back(p);
        if (chosen.size() == maxSuggestions)
            break;
    }
    for (const Phrase& p : chosen) {
        RuleSuggestion s;
        s.rule.id = "suggested." + slug(guarded->name) + "." + slug(p.text);
        s.rule.title = "“" + p.text + "”";
        s.rule.description = "Suggested from the failures labelled " + guarded->name + ".";
        s.rule.detector.kind = DetectorKind::Keywords;
        s.rule.detector.terms = {p.text};
        s.rule.texts = p.scope;
        s.rule.category = guarded->name;
        s.rule.mustMatch = {p.text};
        s.failuresHit = p.f;
        s.othersHit = p.o;
        s.lift = p.lift;
        s.why = "the phrase " + evidence(p.f, p.o, p.lift);
        candidates.push_back(std::move(s));
    }

    // Tools that come with the failures.
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> tools;
    auto countTools = [&](const std::vector<Interaction>& list, bool failure) {
        for (const Interaction& in : list) {
            std::set<std::string> names;
            for (const ToolCall& c : in.toolCalls)
                names.insert(c.name);
            for (const std::string& name : names)
                (failure ? tools[name].first : tools[name].second) += 1;
        }
    };
    countTools(failed, true);
    countTools(passed, false);
    for (const auto& [name, fo] : tools) {
        const double lift = liftOf(fo.first, fo.second);
        if (fo.first < minSupport || lift < 3 || name.empty())
            continue;
        RuleSuggestion s;
        s.rule.id = "suggested." + slug(guarded->name) + ".tool_" + slug(name);
        s.rule.title = "Calls " + name;
        s.rule.description = "Suggested: the tool comes with the failures labelled " + guarded->name + ".";
        s.rule.detector.kind = DetectorKind::ToolPolicy;
        s.rule.detector.deniedTools = {name};
        s.rule.texts = ScopeToolArguments;
        s.rule.category = guarded->name;
        s.rule.mustMatch = {name + " {}"};
        s.failuresHit = fo.first;
        s.othersHit = fo.second;
        s.lift = lift;
        s.why = "the tool " + evidence(fo.first, fo.second, lift);
        candidates.push_back(std::move(s));
    }

    // A figure that separates them: the threshold with the largest difference between the share
    // of failures above it and the share of the others above it.
    for (const ThresholdMetric metric :
         {ThresholdMetric::CostUsd, ThresholdMetric::LatencyMs, ThresholdMetric::Tokens,
          ThresholdMetric::Turns, ThresholdMetric::ToolErrors}) {
        std::vector<double> f, o;
        for (const Interaction& in : failed)
            f.push_back(interactionFigure(in, metric));
        for (const Interaction& in : passed)
            o.push_back(interactionFigure(in, metric));
        // Candidate thresholds: the quantiles of both together (a failure above a pass's value).
        std::vector<double> both = f;
        both.insert(both.end(), o.begin(), o.end());
        std::sort(both.begin(), both.end());
        double best = 0, threshold = 0;
        std::int64_t bestF = 0, bestO = 0;
        for (int q = 1; q <= 19; ++q) {
            const double t = both[size_t(double(both.size() - 1) * q / 20.0)];
            const auto above = [t](const std::vector<double>& v) {
                return std::int64_t(std::count_if(v.begin(), v.end(), [t](double x) { return x > t; }));
            };
            const std::int64_t fa = above(f), oa = above(o);
            const double j = double(fa) / double(nF) - (nO ? double(oa) / double(nO) : 0);
            if (j > best && fa >= minSupport) {
                best = j;
                threshold = t;
                bestF = fa;
                bestO = oa;
            }
        }
        if (best < 0.3 || liftOf(bestF, bestO) < 3)
            continue;
        RuleSuggestion s;
        s.rule.id = "suggested." + slug(guarded->name) + "." + thresholdMetricName(metric);
        char title[64];
        std::snprintf(title, sizeof title, "%s above %g", thresholdMetricName(metric), threshold);
        s.rule.title = title;
        s.rule.description =
            "Suggested: a threshold that separates the failures labelled " + guarded->name + ".";
        s.rule.detector.kind = DetectorKind::Threshold;
        s.rule.detector.metric = metric;
        s.rule.detector.above = threshold;
        s.rule.category = guarded->name;
        s.failuresHit = bestF;
        s.othersHit = bestO;
        s.lift = liftOf(bestF, bestO);
        s.why = std::string(title) + ": " + evidence(bestF, bestO, s.lift);
        candidates.push_back(std::move(s));
    }

    // Each with its backtest over the slice.
    for (RuleSuggestion& s : candidates) {
        auto report = backtest(reader, {s.rule}, slice);
        if (report && !report->rules.empty())
            s.backtest = report->rules.front();
        result.rules.push_back(std::move(s));
    }

    // New error types: phrases of the recent failures (any category) that were rare before.
    std::vector<Interaction> all = read(allFailures);
    std::int64_t newest = INT64_MIN;
    for (const Interaction& in : all)
        if (in.startMs)
            newest = std::max(newest, *in.startMs);
    if (newest != INT64_MIN) {
        const std::int64_t since = newest - std::int64_t(recentDays) * dayMs;
        std::unordered_map<std::string, std::pair<std::int64_t, std::int64_t>> counts; // recent, before
        std::unordered_map<std::string, std::vector<std::int64_t>> recentIds;
        std::int64_t nRecent = 0, nBefore = 0;
        for (size_t i = 0; i < all.size(); ++i) {
            const Interaction& in = all[i];
            if (!in.startMs)
                continue;
            const bool recent = *in.startMs > since;
            (recent ? nRecent : nBefore) += 1;
            for (const auto& [phrase, scope] : phrasesOf(in, 2)) {
                auto& c = counts[phrase];
                (recent ? c.first : c.second) += 1;
                if (recent)
                    recentIds[phrase].push_back(allFailures[i]);
            }
        }
        std::vector<NewErrorType> found;
        for (const auto& [phrase, c] : counts) {
            if (c.first < 3 || nRecent == 0)
                continue;
            const double recentShare = double(c.first) / double(nRecent);
            const double beforeShare = (double(c.second) + 1) / (double(nBefore) + 1);
            if (recentShare >= 3 * beforeShare)
                found.push_back({phrase, c.first, c.second, recentIds[phrase]});
        }
        // The most frequent first, the longest of equally frequent ones, without the phrases inside it.
        std::sort(found.begin(), found.end(), [](const NewErrorType& a, const NewErrorType& b) {
            return a.recent != b.recent                 ? a.recent > b.recent
                   : a.phrase.size() != b.phrase.size() ? a.phrase.size() > b.phrase.size()
                                                        : a.phrase < b.phrase;
        });
        for (NewErrorType& type : found) {
            const bool covered = std::any_of(
                result.newErrorTypes.begin(), result.newErrorTypes.end(), [&](const NewErrorType& c) {
                    return c.recent == type.recent && c.phrase.find(type.phrase) != std::string::npos;
                });
            if (!covered)
                result.newErrorTypes.push_back(std::move(type));
            if (result.newErrorTypes.size() == maxSuggestions)
                break;
        }
    }
    return result;
}

} // namespace winnow
