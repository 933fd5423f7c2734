#include "core/signals/detectors.h"

#include "core/util/text.h"

#include <re2/re2.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>

namespace winnow {

namespace {

std::unique_ptr<re2::RE2> compile(const std::string& pattern, bool caseInsensitive, std::string& error)
{
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(!caseInsensitive);
    auto re = std::make_unique<re2::RE2>(pattern, options);
    if (!re->ok() && error.empty())
        error = "pattern \"" + pattern + "\": " + re->error();
    return re;
}

// Lowercase, with typographic apostrophes made plain, so patterns need to know one spelling.
std::string normalised(const std::string& text)
{
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 3, "\xE2\x80\x99") == 0 || text.compare(i, 3, "\xE2\x80\x98") == 0) {
            out.push_back('\'');
            i += 2;
            continue;
        }
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
    }
    return out;
}

bool containsIgnoringCase(const std::vector<std::string>& list, const std::string& value)
{
    const std::string lower = toLowerAscii(value);
    return std::any_of(list.begin(), list.end(),
                       [&lower](const std::string& item) { return toLowerAscii(item) == lower; });
}

void appendList(std::string& out, const std::vector<std::string>& list)
{
    out += '[';
    for (size_t i = 0; i < list.size(); ++i) {
        out += i ? "," : "";
        appendJsonString(out, list[i]);
    }
    out += ']';
}
} // namespace

std::string DetectorSettings::toJson() const
{
    std::string out = "{\"handoff_tool_pattern\":";
    appendJsonString(out, handoffToolPattern);
    out += ",\"escalated_outcomes\":";
    appendList(out, escalatedOutcomes);
    out += ",\"handoff_announcement_pattern\":";
    appendJsonString(out, handoffAnnouncementPattern);
    out += ",\"handoff_offer_pattern\":";
    appendJsonString(out, handoffOfferPattern);
    out += ",\"handoff_decline_pattern\":";
    appendJsonString(out, handoffDeclinePattern);
    out += ",\"correction_patterns\":";
    appendList(out, correctionPatterns);
    out += ",\"correction_exclusions\":";
    appendList(out, correctionExclusions);
    out += ",\"repeat_window_minutes\":" + std::to_string(repeatWindowMinutes);
    out += ",\"repeat_similarity\":" + std::to_string(repeatSimilarity);
    out += ",\"repeat_min_words\":" + std::to_string(repeatMinWords);
    out += ",\"partial_outcomes\":";
    appendList(out, partialOutcomes);
    out += ",\"low_rating\":" + std::to_string(lowRating);
    out += ",\"complaint_pattern\":";
    appendJsonString(out, complaintPattern);
    out += ",\"tool_error_result_pattern\":";
    appendJsonString(out, toolErrorResultPattern);
    out += '}';
    return out;
}

DetectorSettings DetectorSettings::fromJson(const std::string& json, std::string& error)
{
    DetectorSettings settings;
    simdjson::dom::parser parser;
    simdjson::dom::object object;
    if (parser.parse(json).get(object)) {
        error = "detector settings must be a JSON object";
        return settings;
    }
    auto text = [&](const char* key, std::string& into) {
        simdjson::dom::element value;
        if (object.at_key(key).get(value))
            return;
        std::string_view s;
        if (value.get_string().get(s))
            error = std::string("detector setting ") + key + " must be text";
        else
            into = std::string(s);
    };
    auto list = [&](const char* key, std::vector<std::string>& into) {
        simdjson::dom::element value;
        if (object.at_key(key).get(value))
            return;
        simdjson::dom::array array;
        if (value.get_array().get(array)) {
            error = std::string("detector setting ") + key + " must be a list of text";
            return;
        }
        into.clear();
        for (auto item : array) {
            std::string_view s;
            if (item.get_string().get(s)) {
                error = std::string("detector setting ") + key + " must be a list of text";
                return;
            }
            into.emplace_back(s);
        }
    };
    auto number = [&](const char* key, double& into) {
        simdjson::dom::element value;
        if (object.at_key(key).get(value))
            return;
        if (value.get_double().get(into))
            error = std::string("detector setting ") + key + " must be a number";
    };
    text("handoff_tool_pattern", settings.handoffToolPattern);
    list("escalated_outcomes", settings.escalatedOutcomes);
    text("handoff_announcement_pattern", settings.handoffAnnouncementPattern);
    text("handoff_offer_pattern", settings.handoffOfferPattern);
    text("handoff_decline_pattern", settings.handoffDeclinePattern);
    list("correction_patterns", settings.correctionPatterns);
    list("correction_exclusions", settings.correctionExclusions);
    double window = settings.repeatWindowMinutes, minWords = settings.repeatMinWords;
    number("repeat_window_minutes", window);
    number("repeat_similarity", settings.repeatSimilarity);
    number("repeat_min_words", minWords);
    settings.repeatWindowMinutes = static_cast<int>(window);
    settings.repeatMinWords = static_cast<int>(minWords);
    list("partial_outcomes", settings.partialOutcomes);
    number("low_rating", settings.lowRating);
    text("complaint_pattern", settings.complaintPattern);
    text("tool_error_result_pattern", settings.toolErrorResultPattern);
    return settings;
}

SignalDetector::SignalDetector(const DetectorSettings& settings) : m_settings(settings)
{
    m_handoffTool = compile(settings.handoffToolPattern, false, m_error);
    m_handoffAnnouncement = compile(settings.handoffAnnouncementPattern, false, m_error);
    m_handoffOffer = compile(settings.handoffOfferPattern, false, m_error);
    m_handoffDecline = compile(settings.handoffDeclinePattern, false, m_error);
    m_complaint = compile(settings.complaintPattern, false, m_error);
    m_toolErrorResult = compile(settings.toolErrorResultPattern, false, m_error);
    for (const auto& pattern : settings.correctionPatterns)
        m_corrections.push_back(compile(pattern, true, m_error));
    for (const auto& pattern : settings.correctionExclusions)
        m_correctionExclusions.push_back(compile(pattern, true, m_error));
}

SignalDetector::~SignalDetector() = default;

std::vector<Signal> SignalDetector::detect(const Interaction& interaction)
{
    std::vector<Signal> signals;
    if (!m_error.empty())
        return signals;
    detectEscalation(interaction, signals);
    detectCorrections(interaction, signals);
    detectRepeat(interaction, signals);
    detectPartial(interaction, signals);
    detectNegativeFeedback(interaction, signals);
    detectToolErrors(interaction, signals);
    return signals;
}

void SignalDetector::detectEscalation(const Interaction& in, std::vector<Signal>& out) const
{
    for (const ToolCall& call : in.toolCalls) {
        if (!call.name.empty() && re2::RE2::PartialMatch(call.name, *m_handoffTool) &&
            call.status != "error") {
            out.push_back({SignalKind::Escalation, call.messageIndex, 1.0, "handoff tool " + call.name});
            return;
        }
    }
    if (!in.outcome.empty() && containsIgnoringCase(m_settings.escalatedOutcomes, in.outcome)) {
        out.push_back({SignalKind::Escalation, -1, 1.0, "outcome " + in.outcome});
        return;
    }
    // An announced handoff: an assistant statement (not a question, not conditional) that the
    // user does not turn down. One turned down, or offered, or recommended, is an offer.
    int offered = -1;
    std::string offer;
    auto declinedAfter = [&](size_t i) {
        for (size_t j = i + 1; j < in.messages.size(); ++j)
            if (in.messages[j].role == "user" && !in.messages[j].content.empty())
                return re2::RE2::PartialMatch(normalised(in.messages[j].content), *m_handoffDecline);
        return false;
    };
    for (size_t i = 0; i < in.messages.size(); ++i) {
        const Message& m = in.messages[i];
        if (m.role != "assistant" || m.content.empty())
            continue;
        const std::string text = normalised(m.content);
        if (re2::RE2::PartialMatch(text, *m_handoffAnnouncement)) {
            const bool conditional =
                text.find('?') != std::string::npos || text.find(" if ") != std::string::npos;
            if (!conditional && !declinedAfter(i)) {
                out.push_back(
                    {SignalKind::Escalation, static_cast<int>(i), 0.8, "assistant announced a handoff"});
                return;
            }
            if (offered < 0) {
                offered = static_cast<int>(i);
                offer =
                    conditional ? "assistant offered a handoff" : "the user turned an announced handoff down";
            }
            continue;
        }
        if (offered < 0 && re2::RE2::PartialMatch(text, *m_handoffOffer)) {
            offered = static_cast<int>(i);
            offer = declinedAfter(i) ? "assistant offered a human; the user declined"
                                     : "assistant offered or recommended a human";
        }
    }
    // The agent could not help on its own, though no one took over.
    if (offered >= 0)
        out.push_back({SignalKind::HandoffOffered, offered, 0.8, offer});
}

void SignalDetector::detectCorrections(const Interaction& in, std::vector<Signal>& out) const
{
    bool assistantSpoke = false;
    // It asked something (several numbered questions, a question then "I'll check once I have
    // these"), or offered a human: a "No" then answers or declines.
    bool assistantAsked = false;
    for (size_t i = 0; i < in.messages.size(); ++i) {
        const Message& m = in.messages[i];
        if (m.role == "assistant") {
            if (!m.content.empty()) {
                assistantSpoke = true;
                const std::string said = normalised(m.content);
                assistantAsked = said.find('?') != std::string::npos ||
                                 re2::RE2::PartialMatch(said, *m_handoffOffer) ||
                                 re2::RE2::PartialMatch(said, *m_handoffAnnouncement);
            }
            continue;
        }
        if (m.role != "user" || !assistantSpoke || m.content.empty())
            continue;
        const std::string text = normalised(m.content);
        const bool excluded =
            std::any_of(m_correctionExclusions.begin(), m_correctionExclusions.end(),
                        [&text](const auto& re) { return re2::RE2::PartialMatch(text, *re); });
        if (excluded)
            continue;
        for (size_t p = 0; p < m_corrections.size(); ++p) {
            // "No, standard is fine" answers "Do you want express shipping?": patterns anchored at
            // the start of the turn do not count after a question.
            const bool anchored =
                !m_settings.correctionPatterns[p].empty() && m_settings.correctionPatterns[p][0] == '^';
            if (anchored && assistantAsked)
                continue;
            if (re2::RE2::PartialMatch(text, *m_corrections[p])) {
                out.push_back({SignalKind::Correction, static_cast<int>(i), 0.9,
                               "user turn matches \"" + m_settings.correctionPatterns[p] + "\""});
                return;
            }
        }
    }
}

std::vector<std::uint64_t> SignalDetector::questionWords(const std::string& text)
{
    std::vector<std::uint64_t> words;
    std::string word;
    auto flush = [&] {
        if (!word.empty())
            words.push_back(hash64(word));
        word.clear();
    };
    for (const char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80))
            word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        else
            flush();
    }
    flush();
    std::sort(words.begin(), words.end());
    words.erase(std::unique(words.begin(), words.end()), words.end());
    return words;
}

void SignalDetector::setEarlierInteractions(EarlierInteractions earlier)
{
    m_earlier = std::move(earlier);
}

void SignalDetector::detectRepeat(const Interaction& in, std::vector<Signal>& out)
{
    const std::string& who = in.user.empty() ? in.session : in.user;
    if (who.empty() || !in.startMs)
        return;
    int questionIndex = -1;
    for (size_t i = 0; i < in.messages.size(); ++i)
        if (in.messages[i].role == "user" && !in.messages[i].content.empty()) {
            questionIndex = static_cast<int>(i);
            break;
        }
    if (questionIndex < 0)
        return;
    std::vector<std::uint64_t> words = questionWords(in.messages[static_cast<size_t>(questionIndex)].content);
    if (static_cast<int>(words.size()) < m_settings.repeatMinWords)
        return;
    const std::int64_t window = static_cast<std::int64_t>(m_settings.repeatWindowMinutes) * 60'000;
    const std::int64_t now = *in.startMs;
    if (m_earlier) {
        // Remembered as if this run had read them first; their own signals are stored already.
        const EarlierInteractions earlier = std::exchange(m_earlier, {});
        std::vector<Signal> ignored;
        for (const Interaction& asked : earlier(now - window, now)) {
            detectRepeat(asked, ignored);
            ignored.clear();
        }
    }
    while (!m_window.empty() && m_window.front().atMs < now - window) {
        m_window.pop_front();
        ++m_windowFirst;
    }
    // Users whose last question has left the window are forgotten now and then.
    if (m_lastOfUser.size() > 2 * m_window.size() + 1024)
        std::erase_if(m_lastOfUser, [this](const auto& entry) { return entry.second < m_windowFirst; });

    const std::uint64_t user = hash64(who);
    const auto last = m_lastOfUser.find(user);
    const std::int64_t previous =
        last != m_lastOfUser.end() && last->second >= m_windowFirst ? last->second : -1;
    int steps = 0;
    for (std::int64_t seq = previous; seq >= m_windowFirst && steps < 64; ++steps) {
        const Asked& earlier = m_window[static_cast<size_t>(seq - m_windowFirst)];
        if (earlier.key != in.key && earlier.atMs <= now && earlier.atMs >= now - window) {
            const auto& smaller = earlier.words.size() < words.size() ? earlier.words : words;
            const auto& larger = earlier.words.size() < words.size() ? words : earlier.words;
            size_t shared = 0;
            for (auto i = smaller.begin(), j = larger.begin(); i != smaller.end() && j != larger.end();) {
                if (*i < *j) {
                    ++i;
                } else if (*j < *i) {
                    ++j;
                } else {
                    ++shared;
                    ++i;
                    ++j;
                }
            }
            const double containment = static_cast<double>(shared) / static_cast<double>(smaller.size());
            if (containment >= m_settings.repeatSimilarity) {
                const auto minutes = (now - earlier.atMs) / 60'000;
                out.push_back({SignalKind::Repeat, questionIndex, containment,
                               "asked again " + std::to_string(minutes) + " min after " + earlier.key});
                break;
            }
        }
        seq = earlier.previousOfUser;
    }
    m_lastOfUser[user] = m_windowFirst + static_cast<std::int64_t>(m_window.size());
    m_window.push_back({now, user, previous, std::move(words), in.key});
}

bool SignalDetector::isToolError(const ToolCall& call) const
{
    if (call.status == "error")
        return true;
    if (call.status == "ok")
        return false;
    return !call.error.empty() ||
           (!call.result.empty() && re2::RE2::PartialMatch(call.result, *m_toolErrorResult));
}

void SignalDetector::detectPartial(const Interaction& in, std::vector<Signal>& out) const
{
    if (!in.outcome.empty() && containsIgnoringCase(m_settings.partialOutcomes, in.outcome)) {
        out.push_back({SignalKind::Partial, -1, 1.0, "outcome " + in.outcome});
        return;
    }
    // A conversation that ends in a handoff ended where it should: an escalation, not also a
    // task left half done.
    if (std::any_of(out.begin(), out.end(), [](const Signal& s) { return s.kind == SignalKind::Escalation; }))
        return;
    // A tool error that nothing after it recovered from: no later successful call of that tool.
    for (size_t i = 0; i < in.toolCalls.size(); ++i) {
        const ToolCall& call = in.toolCalls[i];
        if (!isToolError(call))
            continue;
        const bool recovered = std::any_of(
            in.toolCalls.begin() + static_cast<std::ptrdiff_t>(i) + 1, in.toolCalls.end(),
            [&](const ToolCall& later) { return later.name == call.name && !isToolError(later); });
        if (!recovered) {
            out.push_back({SignalKind::Partial,
                           call.resultMessageIndex >= 0 ? call.resultMessageIndex : call.messageIndex, 0.8,
                           "tool " + call.name + " failed and was not retried successfully"});
            return;
        }
    }
    // A tool chain cut short: the conversation ends on a call or a tool result.
    if (!in.messages.empty()) {
        const Message& last = in.messages.back();
        const bool endsOnCall = last.role == "assistant" && last.content.empty() &&
                                std::any_of(in.toolCalls.begin(), in.toolCalls.end(), [&](const ToolCall& c) {
                                    return c.messageIndex == static_cast<int>(in.messages.size()) - 1;
                                });
        if (endsOnCall || last.role == "tool")
            out.push_back({SignalKind::Partial, static_cast<int>(in.messages.size()) - 1, 0.7,
                           "the conversation ends inside a tool chain"});
    }
}

void SignalDetector::detectNegativeFeedback(const Interaction& in, std::vector<Signal>& out) const
{
    if (in.thumb && *in.thumb < 0) {
        out.push_back({SignalKind::NegativeFeedback, -1, 1.0, "thumbs down"});
        return;
    }
    if (in.rating) {
        // Below 1 can only be a 0..1 scale; 1 itself is the worst of 1..5 (or the best of 0..1: ambiguous,
        // and read as the far commoner 1..5).
        const double rating = *in.rating < 1.0 ? *in.rating * 5.0 : *in.rating;
        if (rating <= m_settings.lowRating) {
            out.push_back({SignalKind::NegativeFeedback, -1, 1.0,
                           "rating " + excerptOf(std::to_string(*in.rating), 8)});
            return;
        }
    }
    if (!in.feedbackComment.empty() && re2::RE2::PartialMatch(in.feedbackComment, *m_complaint))
        out.push_back(
            {SignalKind::NegativeFeedback, -1, 0.8, "complaint: " + excerptOf(in.feedbackComment, 80)});
}

void SignalDetector::detectToolErrors(const Interaction& in, std::vector<Signal>& out) const
{
    for (const ToolCall& call : in.toolCalls) {
        if (!isToolError(call))
            continue;
        const std::string detail = !call.error.empty() ? call.error : excerptOf(call.result, 80);
        out.push_back({SignalKind::ToolError,
                       call.resultMessageIndex >= 0 ? call.resultMessageIndex : call.messageIndex,
                       call.status == "error" ? 1.0 : 0.8, "tool " + call.name + ": " + detail});
    }
}

} // namespace winnow
