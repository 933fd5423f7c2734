#include "ui/widgets/conversation_html.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLocale>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

namespace winnow {

namespace {

QString tr(const char* text, const char* disambiguation = nullptr, int n = -1)
{
    return QCoreApplication::translate("Conversation", text, disambiguation, n);
}

} // namespace

QColor signalColour(int kind)
{
    static const QColor colours[signalKindCount] = {QColor(0xd9, 0x4f, 0x3d), QColor(0xe0, 0x8e, 0x1b),
                                                    QColor(0x7b, 0x61, 0xc9), QColor(0x3b, 0x82, 0xc4),
                                                    QColor(0xc2, 0x3d, 0x8a), QColor(0x6b, 0x6b, 0x6b),
                                                    QColor(0xb5, 0x79, 0x2f)};
    return colours[kind];
}

// The trace as it happened: a row per span, indented under its parent, with its duration as a bar
// on the trace's time line; LLM spans with model and tokens, tool spans with their tool, errors red.
QString waterfallHtml(const std::vector<SpanRecord>& spans)
{
    if (spans.empty())
        return {};
    std::int64_t first = spans.front().startNs, last = 0;
    for (const SpanRecord& s : spans) {
        first = std::min(first, s.startNs);
        last = std::max(last, std::max(s.endNs, s.startNs));
    }
    const double total = std::max<double>(1, double(last - first));
    // As a tree: each span under its parent, siblings by start time; spans whose parent is not in
    // the trace start a tree of their own.
    std::map<std::string, const SpanRecord*> byId;
    for (const SpanRecord& s : spans)
        byId[s.spanId] = &s;
    std::map<std::string, std::vector<const SpanRecord*>> children;
    std::vector<const SpanRecord*> roots;
    for (const SpanRecord& s : spans)
        (s.parentSpanId.empty() || !byId.count(s.parentSpanId) ? roots : children[s.parentSpanId])
            .push_back(&s);
    std::vector<std::pair<const SpanRecord*, int>> ordered;
    std::function<void(const SpanRecord*, int)> visit = [&](const SpanRecord* s, int depth) {
        if (ordered.size() >= spans.size() || depth > 32) // a cycle of ids cannot loop forever
            return;
        ordered.emplace_back(s, depth);
        auto& below = children[s->spanId];
        std::stable_sort(below.begin(), below.end(),
                         [](const SpanRecord* a, const SpanRecord* b) { return a->startNs < b->startNs; });
        for (const SpanRecord* child : below)
            visit(child, depth + 1);
    };
    std::stable_sort(roots.begin(), roots.end(),
                     [](const SpanRecord* a, const SpanRecord* b) { return a->startNs < b->startNs; });
    for (const SpanRecord* root : roots)
        visit(root, 0);
    QString html = QStringLiteral("<p><b>%1</b> <span style=\"color:gray\">%2</span></p>"
                                  "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"1\">")
                       .arg(tr("Trace"), tr("%n span(s), %1 ms", nullptr, int(spans.size()))
                                             .arg(QLocale().toString(total / 1e6, 'f', 0)));
    for (const auto& [span, depth] : ordered) {
        const SpanRecord& s = *span;
        const bool failed = s.statusCode == 2;
        const double ms = double(std::max<std::int64_t>(0, s.endNs - s.startNs)) / 1e6;
        QString detail;
        if (s.role == "llm") {
            detail = QString::fromStdString(s.model);
            if (s.inputTokens || s.outputTokens)
                detail += tr(" · %1 in / %2 out")
                              .arg(QLocale().toString(qint64(s.inputTokens.value_or(0))),
                                   QLocale().toString(qint64(s.outputTokens.value_or(0))));
        } else if (s.role == "tool") {
            detail = tr("tool %1").arg(QString::fromStdString(s.toolName));
        }
        if (failed)
            detail +=
                (detail.isEmpty() ? QString() : QStringLiteral(" · ")) + tr("error") +
                (s.statusMessage.empty() ? QString()
                                         : QStringLiteral(": ") + QString::fromStdString(s.statusMessage));
        const QString colour = failed              ? QStringLiteral("#d03b3b")
                               : s.role == "llm"   ? QStringLiteral("#3b82c4")
                               : s.role == "tool"  ? QStringLiteral("#e08e1b")
                               : s.role == "agent" ? QStringLiteral("#7b61c9")
                                                   : QStringLiteral("#9e9e9e");
        // Percent widths of the time line: before the span, the span (at least a sliver), after it.
        const int before = int(std::lround(double(s.startNs - first) / total * 100));
        const int width = std::max(1, int(std::lround(double(s.endNs - s.startNs) / total * 100)));
        const int after = std::max(0, 100 - before - width);
        html +=
            QStringLiteral("<tr><td width=\"44%\" style=\"padding-left:%1px;%2\">%3<br><span "
                           "style=\"color:gray;font-size:small\">%4</span></td>"
                           "<td width=\"16%\" align=\"right\" style=\"white-space:nowrap;%2\">%5&nbsp;ms</td>"
                           "<td width=\"40%\"><table width=\"100%\" cellspacing=\"0\" cellpadding=\"0\"><tr>")
                .arg(depth * 12)
                .arg(failed ? QStringLiteral("color:#c62828") : QString())
                .arg(QString::fromStdString(s.name).toHtmlEscaped(), detail.toHtmlEscaped(),
                     QLocale().toString(ms, 'f', ms < 10 ? 1 : 0));
        if (before > 0)
            html += QStringLiteral("<td width=\"%1%\"></td>").arg(before);
        html += QStringLiteral("<td width=\"%1%\" bgcolor=\"%2\">&nbsp;</td>").arg(width).arg(colour);
        if (after > 0)
            html += QStringLiteral("<td width=\"%1%\"></td>").arg(after);
        html += QStringLiteral("</tr></table></td></tr>");
    }
    return html + QStringLiteral("</table>");
}

const char* signalLetter(int kind)
{
    static const char* letters[signalKindCount] = {"E", "C", "R", "P", "N", "T", "O"};
    return letters[kind];
}

// Signals as small coloured badges with a letter each (the tooltip names them).
QString escaped(const std::string& text)
{
    return QString::fromStdString(text).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"));
}

QString conversationHtml(const Interaction& in, const ConversationHtmlOptions& options)
{
    const QStringList& terms = options.highlightTerms;
    auto highlight = [&](QString html) {
        for (const QString& term : terms)
            html.replace(term,
                         QStringLiteral("<span style=\"background:#ffd54f;color:black\">%1</span>").arg(term),
                         Qt::CaseInsensitive);
        return html;
    };
    QString html;
    html += QStringLiteral("<h3>%1</h3>").arg(escaped(in.key));
    QStringList facts;
    auto fact = [&](const QString& name, const std::string& value) {
        if (!value.empty())
            facts << QStringLiteral("<b>%1</b> %2").arg(name, escaped(value));
    };
    if (in.startMs)
        facts << QStringLiteral("<b>%1</b> %2")
                     .arg(tr("time"), QDateTime::fromMSecsSinceEpoch(*in.startMs, Qt::UTC)
                                          .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'")));
    fact(tr("agent"), in.agent);
    fact(tr("version"), in.agentVersion);
    fact(tr("model"), in.model);
    fact(tr("intent"), in.intent);
    fact(tr("channel"), in.channel);
    fact(tr("outcome"), in.outcome);
    fact(tr("user"), in.user);
    fact(tr("session"), in.session);
    if (in.latencyMs)
        facts << tr("<b>latency</b> %1 ms").arg(QLocale().toString(*in.latencyMs, 'f', 0));
    if (in.costUsd)
        facts << (in.costEstimated ? tr("<b>cost</b> ≈$%1 (estimated from the price table)")
                                   : tr("<b>cost</b> $%1"))
                     .arg(*in.costUsd, 0, 'f', 4);
    if (in.thumb)
        facts << tr("<b>feedback</b> %1").arg(*in.thumb > 0 ? tr("thumbs up") : tr("thumbs down"));
    if (in.rating)
        facts << tr("<b>rating</b> %1").arg(*in.rating);
    for (const Score& score : in.scores)
        facts << QStringLiteral("<b>%1</b> %2").arg(escaped(score.name)).arg(score.value);
    html += QStringLiteral("<p>%1</p>").arg(facts.join(QStringLiteral(" · ")));
    if (!in.feedbackComment.empty())
        html += tr("<p><i>Comment: %1</i></p>").arg(escaped(in.feedbackComment));

    auto signalBadges = [&](int messageIndex) {
        QString badges;
        for (const Signal& s : in.signals)
            if (s.messageIndex == messageIndex)
                badges +=
                    QStringLiteral("<div style=\"margin:2px 0 6px 24px;color:%1\">&#9873; <b>%2</b> %3</div>")
                        .arg(signalColour(int(s.kind)).name(), QString::fromLatin1(signalKindName(s.kind)),
                             escaped(s.reason));
        return badges;
    };
    html += signalBadges(-1);
    html += waterfallHtml(in.spans);
    for (size_t m = 0; m < in.messages.size(); ++m) {
        const Message& message = in.messages[m];
        const QString role = QString::fromStdString(message.role);
        const QString background = role == QLatin1String("user")        ? QStringLiteral("#e8f0fe")
                                   : role == QLatin1String("assistant") ? QStringLiteral("#f1f3f4")
                                   : role == QLatin1String("tool")      ? QStringLiteral("#fef7e0")
                                                                        : QStringLiteral("#eeeeee");
        const bool judged = options.judgedTurn && *options.judgedTurn == int(m) && !options.judgedToolCall;
        if (judged)
            html += tr("<div style=\"margin-top:10px;color:#b45309\"><b>&#9654; the judged turn</b></div>");
        else if (options.choosableJudgement && role == QLatin1String("assistant"))
            html += QStringLiteral("<div style=\"margin-top:10px\"><a href=\"judge:turn:%1\">%2</a></div>")
                        .arg(m)
                        .arg(tr("judge this turn"));
        html +=
            QStringLiteral("<table width=\"100%\" cellpadding=\"6\" style=\"background:%1;color:black;"
                           "margin-top:6px%5\"><tr><td><b>%2</b>%3<br>%4</td></tr></table>")
                .arg(background, role.toHtmlEscaped(),
                     message.name.empty() ? QString() : QStringLiteral(" (%1)").arg(escaped(message.name)),
                     message.contentIsNull ? QString() : highlight(escaped(message.content)),
                     judged ? QStringLiteral(";border:2px solid #f59e0b") : QString());
        for (size_t c = 0; c < in.toolCalls.size(); ++c) {
            const ToolCall& call = in.toolCalls[c];
            if (call.messageIndex != int(m))
                continue;
            const bool failed = call.status == "error" || !call.error.empty();
            const bool open = options.expandedToolCalls.count(int(c)) > 0;
            html += QStringLiteral("<div style=\"margin:4px 0 0 24px;%1\">%6 <a href=\"#%2\">%3 %4</a>%5")
                        .arg(failed ? QStringLiteral("color:#c62828") : QString())
                        .arg(c)
                        .arg(open ? QStringLiteral("&#9662;") : QStringLiteral("&#9656;"))
                        .arg(escaped(call.name))
                        .arg(failed ? tr(" <b>error</b> %1").arg(escaped(call.error)) : QString())
                        .arg(tr("tool call"));
            if (open)
                html += QStringLiteral(
                            "<pre style=\"background:#fafafa;color:black;white-space:pre-wrap\">%1</pre><pre "
                            "style=\"background:%2;color:black;white-space:pre-wrap\">%3</pre>")
                            .arg(escaped(call.arguments),
                                 failed ? QStringLiteral("#ffebee") : QStringLiteral("#fafafa"),
                                 escaped(call.result));
            if (options.judgedToolCall && *options.judgedToolCall == int(c))
                html += tr(" <b style=\"color:#b45309\">&#9664; the judged tool call</b>");
            else if (options.choosableJudgement)
                html += QStringLiteral(" <a href=\"judge:call:%1\">%2</a>").arg(c).arg(tr("judge this call"));
            html += QStringLiteral("</div>");
        }
        html += signalBadges(int(m));
    }
    if (!in.metadataJson.empty())
        html += tr("<p><b>Metadata</b></p><pre style=\"white-space:pre-wrap\">%1</pre>")
                    .arg(escaped(in.metadataJson));
    return html;
}

} // namespace winnow
