// winnow monitors: the figures watched for regressions; winnow triggers: what they raised and
// where each stands in the loop (open, in review, exported, validated or not recovered, dismissed).

#include "app/command.h"
#include "app/render.h"

#include "core/monitors/monitors.h"
#include "core/store/database.h"
#include "core/store/store_writer.h"
#include "core/util/json.h"
#include "core/util/text.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {

QJsonObject triggerJson(const StoredTrigger& t, bool full)
{
    QJsonObject o{{QStringLiteral("id"), static_cast<qint64>(t.id)},
                  {QStringLiteral("monitor"), q(t.monitorName)},
                  {QStringLiteral("group"), q(t.group)},
                  {QStringLiteral("state"), QString::fromLatin1(triggerStateName(t.state))},
                  {QStringLiteral("owner"), q(t.owner)},
                  {QStringLiteral("fired"), q(formatIsoTimestamp(t.firedMs))},
                  {QStringLiteral("window_from"), q(formatIsoTimestamp(t.windowFromMs))},
                  {QStringLiteral("window_to"), q(formatIsoTimestamp(t.windowToMs))},
                  {QStringLiteral("figures"), jsonObject(t.figuresJson)},
                  {QStringLiteral("evidence_interactions"), static_cast<qint64>(t.evidenceCount)}};
    if (t.queueId)
        o.insert(QStringLiteral("queue"), static_cast<qint64>(*t.queueId));
    if (t.batchId)
        o.insert(QStringLiteral("batch"), static_cast<qint64>(*t.batchId));
    if (!t.validationJson.empty())
        o.insert(QStringLiteral("validation"), jsonObject(t.validationJson));
    if (!t.reason.empty())
        o.insert(QStringLiteral("reason"), q(t.reason));
    if (full)
        o.insert(QStringLiteral("evidence"), jsonObject(t.evidenceJson));
    return o;
}

// "6.6% (6.1–7.1%) against 4.6%".
std::string change(const StoredTrigger& t)
{
    const QJsonObject figures = jsonObject(t.figuresJson);
    auto value = [](const QJsonValue& v) {
        return QString::number(v.toDouble() * 100, 'f', 1).toStdString() + "%";
    };
    const QJsonObject current = figures.value(QStringLiteral("current")).toObject();
    std::string text = value(current.value(QStringLiteral("value")));
    if (figures.contains(QStringLiteral("baseline")))
        text += " from " + value(figures[QStringLiteral("baseline")][QStringLiteral("value")]);
    return text;
}

struct MonitorArguments
{
    std::string name, figure = "rate", rate = "escalation", score, category, per, condition = "change",
                     baselineFrom, baselineTo, owner;
    std::vector<std::string> where;
    int windowDays = 7;
    double threshold = 0;
    std::int64_t minSample = 200;
};

void printCheck(const Context& context, const MonitorCheck& check)
{
    if (context.json) {
        auto ids = [](const std::vector<std::int64_t>& list) {
            QJsonArray array;
            for (const std::int64_t id : list)
                array.append(static_cast<qint64>(id));
            return array;
        };
        printJson({{QStringLiteral("windows"), static_cast<qint64>(check.windows)},
                   {QStringLiteral("raised"), ids(check.raised)},
                   {QStringLiteral("validated"), ids(check.validated)},
                   {QStringLiteral("not_recovered"), ids(check.notRecovered)}});
        return;
    }
    std::cout << check.windows << " window(s) evaluated; " << check.raised.size() << " trigger(s) raised";
    for (const std::int64_t id : check.raised)
        std::cout << " " << id;
    std::cout << "; " << check.validated.size() << " validated, " << check.notRecovered.size()
              << " not recovered\n";
}

} // namespace

std::vector<std::int64_t> checkMonitorsAfterData(const Context& context, StoreWriter& writer)
{
    try {
        const auto reader = openReader(context);
        auto checked = checkMonitors(*reader, writer, context.reviewerName());
        if (!checked) {
            std::cerr << "winnow: the monitors could not be evaluated: " << checked.error().text() << "\n";
            return {};
        }
        if (!checked->raised.empty() && !context.json) {
            std::cerr << "monitors raised " << checked->raised.size() << " trigger(s):";
            for (const std::int64_t id : checked->raised)
                std::cerr << " " << id;
            std::cerr << " (winnow triggers)\n";
        }
        return checked->raised;
    } catch (const CommandFailed& failed) {
        std::cerr << "winnow: the monitors could not be evaluated: " << failed.error.text() << "\n";
        return {};
    }
}

Runner defineMonitors(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<MonitorArguments>();
    command.description(
        "Monitors watch a figure of a slice (per agent, say) over windows of whole days and raise a retraining "
        "trigger when it crosses a threshold or changes for the worse against the previous window or a "
        "baseline (the two-proportion test, p < 0.01), with at least --min-sample interactions on each side. "
        "A new store watches success, escalation, correction and tool error per agent against the previous 7 "
        "days. Monitors run after each ingest; check runs them now.");
    CLI::App* add = command.add_subcommand("add", "Add a monitor");
    add->add_option("name", a->name, "Its name")->required();
    add->add_option("--figure", a->figure,
                    "rate, latency_p50, latency_p90, latency_p99, score_mean or category_failure_rate");
    add->add_option("--rate", a->rate, "The rate (figure rate): " + rateList());
    add->add_option("--score", a->score, "The score (figure score_mean)");
    add->add_option("--category", a->category, "The category (figure category_failure_rate)");
    repeatable(add->add_option("--where", a->where, "FIELD=VALUE (repeatable): the slice watched"))
        ->type_name("FIELD=VALUE");
    add->add_option("--per", a->per, "One evaluation per value of: agent, agent_version, model, intent, channel");
    add->add_option("--window-days", a->windowDays, "The window (default 7)");
    add->add_option("--condition", a->condition, "above, below, change (from the previous window) or "
                                                 "change_from_baseline");
    add->add_option("--threshold", a->threshold, "For above and below");
    add->add_option("--baseline-from", a->baselineFrom, "For change_from_baseline")->type_name("TIME");
    add->add_option("--baseline-to", a->baselineTo, "For change_from_baseline")->type_name("TIME");
    add->add_option("--min-sample", a->minSample, "Interactions needed in each window (default 200)");
    add->add_option("--owner", a->owner, "Who owns it (default: --reviewer or the login name)");
    command.add_subcommand("list", "Every monitor (the default)");
    CLI::App* check = command.add_subcommand("check", "Evaluate every monitor now, and validate exported triggers");
    CLI::App* disable = command.add_subcommand("disable", "Stop evaluating a monitor (its triggers stay)");
    disable->add_option("name", a->name, "The monitor")->required();
    CLI::App* enable = command.add_subcommand("enable", "Evaluate a monitor again");
    enable->add_option("name", a->name, "The monitor")->required();
    CLI::App* owner = command.add_subcommand("owner", "Hand a monitor (and its triggers) to another owner");
    owner->add_option("name", a->name, "The monitor")->required();
    owner->add_option("owner", a->owner, "The new owner")->required();
    for (CLI::App* sub : command.get_subcommands())
        sub->fallthrough();
    setExamples(command, {"winnow monitors check --json",
                          "winnow monitors add refunds-escalating --rate escalation --where intent=refund --per "
                          "agent_version --owner ana",
                          "winnow monitors add slow --figure latency_p90 --condition above --threshold 8000",
                          "winnow monitors owner \"escalation per agent\" ana", "winnow monitors disable slow"});
    return [&context, a, add, check, disable, enable, owner]() -> int {
        if (disable->parsed() || enable->parsed() || owner->parsed()) {
            auto writer = openWriter(context);
            const auto reader = openReader(context);
            const Status changed = owner->parsed()
                                       ? setMonitorOwner(*reader, *writer, a->name, a->owner)
                                       : setMonitorEnabled(*reader, *writer, a->name, enable->parsed());
            if (!changed)
                throw CommandFailed{changed.error()};
            const std::string what = owner->parsed() ? "owned by " + a->owner
                                     : enable->parsed() ? std::string("enabled")
                                                        : std::string("disabled");
            if (context.json)
                printJson({{QStringLiteral("name"), q(a->name)}, {QStringLiteral("changed"), q(what)}});
            else
                std::cout << "monitor " << a->name << " " << what << "\n";
            return exitOk;
        }
        if (add->parsed()) {
            MonitorDefinition d;
            const auto figure = parseMonitorFigure(a->figure);
            if (!figure)
                throw UsageError{"unknown figure '" + a->figure + "'"};
            d.figure = *figure;
            const auto rate = parseRate(a->rate);
            if (!rate)
                throw UsageError{"unknown rate '" + a->rate + "' (" + rateList() + ")"};
            d.rate = *rate;
            d.score = a->score;
            d.category = a->category;
            d.where = parseFilterOptions({}, {}, a->where).where;
            if (!a->per.empty()) {
                d.per = parseDimension(a->per);
                if (!d.per)
                    throw UsageError{"--per is agent, agent_version, model, intent or channel"};
            }
            d.windowDays = a->windowDays;
            const auto condition = parseMonitorCondition(a->condition);
            if (!condition)
                throw UsageError{"--condition is above, below, change or change_from_baseline"};
            d.condition = *condition;
            d.threshold = a->threshold;
            if (!a->baselineFrom.empty())
                d.baselineFromMs = parseTimeOption("--baseline-from", a->baselineFrom);
            if (!a->baselineTo.empty())
                d.baselineToMs = parseTimeOption("--baseline-to", a->baselineTo);
            d.minSample = a->minSample;
            if (Status ok = checkMonitorDefinition(d); !ok)
                throw UsageError{ok.error().text()};
            auto writer = openWriter(context);
            const std::string owner = a->owner.empty() ? context.reviewerName() : a->owner;
            auto id = addMonitor(*writer, a->name, owner, d);
            if (!id)
                throw CommandFailed{id.error()};
            if (context.json)
                printJson({{QStringLiteral("id"), static_cast<qint64>(*id)},
                           {QStringLiteral("name"), q(a->name)},
                           {QStringLiteral("owner"), q(owner)},
                           {QStringLiteral("definition"), jsonObject(monitorDefinitionJson(d))}});
            else
                std::cout << "monitor " << a->name << " (" << figureText(d) << ", " << conditionText(d)
                          << "), owned by " << owner << "\n";
            return exitOk;
        }
        if (check->parsed()) {
            auto writer = openWriter(context);
            const auto reader = openReader(context);
            stopOnInterrupt();
            auto checked = checkMonitors(*reader, *writer, context.reviewerName(), &interrupted());
            if (!checked)
                throw CommandFailed{checked.error()};
            printCheck(context, *checked);
            return exitOk;
        }
        const auto reader = openReader(context);
        const std::vector<Monitor> monitors = loadMonitors(*reader);
        if (context.json) {
            QJsonArray list;
            for (const Monitor& m : monitors)
                list.append(QJsonObject{
                    {QStringLiteral("id"), static_cast<qint64>(m.stored.id)},
                    {QStringLiteral("name"), q(m.stored.name)},
                    {QStringLiteral("owner"), q(m.stored.owner)},
                    {QStringLiteral("enabled"), m.stored.enabled},
                    {QStringLiteral("figure"), q(figureText(m.definition))},
                    {QStringLiteral("condition"), q(conditionText(m.definition))},
                    {QStringLiteral("definition"), jsonObject(m.stored.definitionJson)},
                    {QStringLiteral("checked_through"),
                     m.stored.checkedThroughMs ? QJsonValue(q(formatIsoTimestamp(*m.stored.checkedThroughMs)))
                                               : QJsonValue()}});
            printJson({{QStringLiteral("monitors"), list}});
            return exitOk;
        }
        if (monitors.empty()) {
            printNothing(context, "monitors");
            return exitOk;
        }
        TextTable table({"monitor", "figure", "per", "condition", "owner", "checked through"});
        for (const Monitor& m : monitors)
            table.add({m.stored.name, figureText(m.definition),
                       m.definition.per ? dimensionName(*m.definition.per) : "", conditionText(m.definition),
                       m.stored.owner,
                       !m.stored.enabled               ? std::string("disabled")
                       : m.stored.checkedThroughMs ? formatIsoTimestamp(*m.stored.checkedThroughMs)
                                                   : std::string("not yet")});
        table.print(std::cout);
        return exitOk;
    };
}

Runner defineTriggers(CLI::App& command, const Context& context)
{
    auto id = std::make_shared<std::int64_t>(0);
    auto text = std::make_shared<std::string>();
    command.description(
        "Retraining triggers and the loop they walk: open → in review (review: a queue of the evidence) → "
        "exported (winnow export --where trigger=ID) → validated or not recovered (once a newer agent version, "
        "or traffic since --after DATE, has enough interactions, the figure is tested against the regressed "
        "window); or dismissed with a reason.");
    command.add_subcommand("list", "Every trigger, newest first (the default)");
    CLI::App* show = command.add_subcommand("show", "A trigger with its figures, evidence and history");
    show->add_option("id", *id, "The trigger")->required();
    CLI::App* review = command.add_subcommand("review", "Make a review queue of a trigger's evidence");
    review->add_option("id", *id, "The trigger")->required();
    CLI::App* dismiss = command.add_subcommand("dismiss", "Close a trigger with a reason");
    dismiss->add_option("id", *id, "The trigger")->required();
    dismiss->add_option("--reason", *text, "Why")->required();
    CLI::App* validate = command.add_subcommand("validate", "Validate an exported trigger now");
    validate->add_option("id", *id, "The trigger")->required();
    validate->add_option("--after", *text, "On the traffic from this date on, not a newer version's")
        ->type_name("TIME");
    for (CLI::App* sub : command.get_subcommands())
        sub->fallthrough();
    setExamples(command, {"winnow triggers --json", "winnow triggers review 3",
                          "winnow export --format openai-chat --where trigger=3 --out batches/trigger-3",
                          "winnow triggers validate 3", "winnow triggers dismiss 4 --reason \"holiday traffic\""});
    return [&context, id, text, show, review, dismiss, validate]() -> int {
        if (review->parsed() || dismiss->parsed() || validate->parsed()) {
            auto writer = openWriter(context);
            const auto reader = openReader(context);
            const std::string actor = context.reviewerName();
            if (review->parsed()) {
                auto queue = reviewTrigger(*reader, *writer, *id, actor);
                if (!queue)
                    throw CommandFailed{queue.error()};
                if (context.json)
                    printJson({{QStringLiteral("trigger"), static_cast<qint64>(*id)},
                               {QStringLiteral("queue"), q(queue->name)},
                               {QStringLiteral("items"), static_cast<qint64>(queue->items)}});
                else
                    std::cout << "trigger " << *id << " in review: queue \"" << queue->name << "\" with "
                              << queue->items << " interactions\n";
                return exitOk;
            }
            if (dismiss->parsed()) {
                if (Status done = dismissTrigger(*reader, *writer, *id, actor, *text); !done)
                    throw CommandFailed{done.error()};
                if (context.json)
                    printJson({{QStringLiteral("trigger"), static_cast<qint64>(*id)},
                               {QStringLiteral("state"), QStringLiteral("dismissed")}});
                else
                    std::cout << "trigger " << *id << " dismissed\n";
                return exitOk;
            }
            if (!text->empty())
                if (Status set = setValidationDate(*reader, *writer, *id, parseTimeOption("--after", *text)); !set)
                    throw CommandFailed{set.error()};
            std::string why;
            auto validated = validateTrigger(*reader, *writer, *id, actor, &why);
            if (!validated)
                throw CommandFailed{validated.error()};
            const auto after = MonitorStore(*reader).trigger(*id);
            if (context.json)
                printJson({{QStringLiteral("trigger"), static_cast<qint64>(*id)},
                           {QStringLiteral("validated"), *validated},
                           {QStringLiteral("state"), QString::fromLatin1(triggerStateName(after->state))},
                           {QStringLiteral("why"), q(why)}});
            else
                std::cout << "trigger " << *id << ": " << why << "\n";
            return *validated ? exitOk : exitFailed;
        }
        const auto reader = openReader(context);
        MonitorStore store(*reader);
        if (show->parsed()) {
            const auto trigger = store.trigger(*id);
            if (!trigger)
                throw CommandFailed{Error{"no trigger " + std::to_string(*id), {}}};
            QJsonObject json = triggerJson(*trigger, true);
            QJsonArray history;
            for (const TriggerEvent& e : store.events(*id))
                history.append(QJsonObject{{QStringLiteral("at"), q(formatIsoTimestamp(e.atMs))},
                                           {QStringLiteral("actor"), q(e.actor)},
                                           {QStringLiteral("state"), q(e.state)},
                                           {QStringLiteral("note"), q(e.note)}});
            json.insert(QStringLiteral("history"), history);
            if (context.json) {
                printJson(json);
            } else {
                std::cout << "trigger " << trigger->id << " (" << triggerStateName(trigger->state) << "), monitor "
                          << trigger->monitorName << (trigger->group.empty() ? "" : " for " + trigger->group)
                          << ", owner " << trigger->owner << "\n"
                          << QJsonDocument(json).toJson(QJsonDocument::Indented).toStdString();
            }
            return exitOk;
        }
        const std::vector<StoredTrigger> triggers = store.triggers();
        if (context.json) {
            QJsonArray list;
            for (const StoredTrigger& t : triggers)
                list.append(triggerJson(t, false));
            printJson({{QStringLiteral("triggers"), list}});
            return exitOk;
        }
        if (triggers.empty()) {
            printNothing(context, "triggers");
            return exitOk;
        }
        TextTable table({"trigger", "monitor", "for", "state", "owner", "window", "change", "evidence"});
        for (const StoredTrigger& t : triggers)
            table.add({std::to_string(t.id), t.monitorName, t.group, triggerStateName(t.state), t.owner,
                       formatIsoTimestamp(t.windowFromMs).substr(0, 10) + ".." +
                           formatIsoTimestamp(t.windowToMs).substr(0, 10),
                       change(t), std::to_string(t.evidenceCount)});
        table.print(std::cout);
        return exitOk;
    };
}

} // namespace winnow::cli
