#pragma once
// A conversation as a reviewer reads it: its facts, the trace's waterfall, each message with its
// tool calls and the signals found on it. The Interactions detail pane and the Review screen draw
// it with this one function.

#include "core/store/records.h"

#include <QColor>
#include <QString>
#include <QStringList>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace winnow {

struct ConversationHtmlOptions
{
    QStringList highlightTerms;        // search terms, marked in the text
    std::set<int> expandedToolCalls;   // tool calls shown with their arguments and result
    std::optional<int> judgedTurn;     // a message marked as the one being judged
    std::optional<int> judgedToolCall; // or a tool call
    // Links to choose what is judged: "judge:turn:N" on assistant messages, "judge:call:N" on tool
    // calls.
    bool choosableJudgement = false;
};

QString conversationHtml(const Interaction& interaction, const ConversationHtmlOptions& options = {});
// The trace as it happened, as HTML.
QString waterfallHtml(const std::vector<SpanRecord>& spans);
QColor signalColour(int kind);
// The one letter a signal kind's badge shows.
const char* signalLetter(int kind);
// Text for HTML, line breaks kept.
QString escaped(const std::string& text);

} // namespace winnow
