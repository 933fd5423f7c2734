// winnow adjudicate: settle the items whose reviewers disagree.

#include "app/command.h"
#include "app/render.h"

#include "core/review/review.h"
#include "core/store/database.h"
#include "core/store/interaction_store.h"
#include "core/store/store_writer.h"

#include <QJsonArray>

#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct AdjudicateArguments
{
    std::string queue, interaction, pick, verdict, note, corrected;
    std::vector<std::string> categories;
    int severity = 0;
};

std::string categoryNames(const std::vector<std::int64_t>& ids, const std::vector<ReviewCategory>& taxonomy)
{
    std::string names;
    for (const std::int64_t id : ids)
        for (const ReviewCategory& category : taxonomy)
            if (category.id == id)
                names += (names.empty() ? "" : "; ") + category.name;
    return names;
}
} // namespace

Runner defineAdjudicate(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<AdjudicateArguments>();
    command.description(
        "Items whose submitted labels disagree (verdict or primary category) wait for adjudication: the "
        "adjudicator takes one reviewer's label or writes the final one. The final label is what exports and "
        "failure rates use; which one it is stays visible in the label's history.");
    CLI::App* list = command.add_subcommand("list", "The items waiting, with their labels (the default)");
    list->add_option("--queue", a->queue, "Only this queue's items")->type_name("NAME");
    CLI::App* resolve = command.add_subcommand("resolve", "Write an item's final label");
    resolve->add_option("interaction", a->interaction, "The interaction's key")->required();
    auto* pick = resolve->add_option("--pick", a->pick, "Take this reviewer's label")->type_name("REVIEWER");
    auto* verdict = resolve->add_option("--verdict", a->verdict, "pass, fail or unsure")->excludes(pick);
    repeatable(
        resolve->add_option("--category", a->categories, "A category (repeatable; the first is primary)"))
        ->needs(verdict);
    resolve->add_option("--severity", a->severity, "1-4")->needs(verdict);
    resolve->add_option("--note", a->note, "Why")->needs(verdict);
    resolve->add_option("--corrected", a->corrected, "The corrected answer")->needs(verdict);
    for (CLI::App* sub : {list, resolve})
        sub->fallthrough();
    setExamples(command,
                {"winnow adjudicate list --queue weekly",
                 "winnow --reviewer lead adjudicate resolve demo-00000042 --pick ana",
                 "winnow adjudicate resolve demo-00000042 --verdict fail --category tone --severity 2"});
    return [&context, a, resolve]() -> int {
        const auto reader = openReader(context);
        ReviewStore review(*reader);
        const std::vector<ReviewCategory> taxonomy = review.categories();
        if (resolve->parsed()) {
            const auto id = InteractionStore(*reader).idOfKey(a->interaction);
            if (!id)
                throw CommandFailed{Error{"no interaction '" + a->interaction + "' in the store", {}}};
            std::optional<Label> final;
            if (!a->verdict.empty()) {
                Label written;
                written.verdict = parseVerdict(a->verdict);
                if (!written.verdict)
                    throw UsageError{"--verdict is pass, fail or unsure, not '" + a->verdict + "'"};
                for (const std::string& name : a->categories) {
                    const ReviewCategory* found = findCategory(taxonomy, name);
                    if (!found)
                        throw UsageError{"no category '" + name + "' (winnow taxonomy)"};
                    written.categories.push_back(found->id);
                }
                if (a->severity) {
                    if (a->severity < 1 || a->severity > 4)
                        throw UsageError{"--severity is 1, 2, 3 or 4"};
                    written.severity = a->severity;
                }
                written.note = a->note;
                if (!a->corrected.empty())
                    written.corrected = a->corrected;
                final = written;
            }
            auto writer = openWriter(context);
            auto saved = adjudicate(*reader, *writer, *id, context.reviewerName(), a->pick, final);
            if (!saved)
                throw CommandFailed{saved.error()};
            if (context.json)
                printJson({{QStringLiteral("interaction_id"), q(a->interaction)},
                           {QStringLiteral("label"), static_cast<qint64>(*saved)}});
            else
                std::cout << "final label of " << a->interaction << " written\n";
            return exitOk;
        }
        const std::optional<std::int64_t> queueId = queueOption(*reader, a->queue);
        const std::vector<ItemToAdjudicate> waiting = adjudicationList(*reader, queueId);
        if (context.json) {
            QJsonArray items;
            for (const ItemToAdjudicate& d : waiting) {
                QJsonArray labels;
                for (const Label& label : d.labels)
                    labels.append(QJsonObject{
                        {QStringLiteral("reviewer"), q(label.reviewer)},
                        {QStringLiteral("verdict"),
                         QString::fromLatin1(label.verdict ? verdictName(*label.verdict) : "")},
                        {QStringLiteral("categories"), q(categoryNames(label.categories, taxonomy))},
                        {QStringLiteral("severity"),
                         label.severity ? QJsonValue(*label.severity) : QJsonValue()}});
                items.append(QJsonObject{{QStringLiteral("interaction_id"), q(d.key)},
                                         {QStringLiteral("labels"), labels}});
            }
            printJson({{QStringLiteral("items"), items}});
            return exitOk;
        }
        TextTable table({"interaction", "reviewer", "verdict", "categories", "severity"});
        for (const ItemToAdjudicate& d : waiting)
            for (const Label& label : d.labels)
                table.add({d.key, label.reviewer, label.verdict ? verdictName(*label.verdict) : "",
                           categoryNames(label.categories, taxonomy),
                           label.severity ? std::to_string(*label.severity) : ""});
        if (table.empty())
            printNothing(context, "nothing waits for adjudication");
        else
            table.print(std::cout);
        return exitOk;
    };
}

} // namespace winnow::cli
