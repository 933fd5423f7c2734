// winnow taxonomy: the failure categories reviewers label with.

#include "app/command.h"
#include "app/render.h"

#include "core/store/database.h"
#include "core/store/review_store.h"
#include "core/store/store_writer.h"

#include <QJsonArray>

#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
struct TaxonomyArguments
{
    std::string name, newName, description;
    int position = 0;
};

std::optional<ReviewCategory> findByName(Database& reader, const std::string& name)
{
    const std::vector<ReviewCategory> taxonomy = ReviewStore(reader).categories();
    const ReviewCategory* found = findCategory(taxonomy, name);
    return found ? std::optional<ReviewCategory>(*found) : std::nullopt;
}
} // namespace

Runner defineTaxonomy(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<TaxonomyArguments>();
    command.description(
        "The failure taxonomy labels use. It is kept in the store, every edit with who and when; a "
        "retired category keeps its labels and its history.");
    CLI::App* list = command.add_subcommand("list", "The categories in their order (the default)");
    CLI::App* add = command.add_subcommand("add", "A new category, last");
    add->add_option("name", a->name, "Its name")->required();
    add->add_option("--description", a->description, "What it means");
    CLI::App* rename = command.add_subcommand("rename", "Rename a category");
    rename->add_option("name", a->name, "The category (name or id)")->required();
    rename->add_option("new-name", a->newName, "Its new name")->required();
    CLI::App* describe = command.add_subcommand("describe", "Change what a category means");
    describe->add_option("name", a->name, "The category (name or id)")->required();
    describe->add_option("description", a->description, "What it means")->required();
    CLI::App* retire = command.add_subcommand("retire", "No new labels with it; its labels stay");
    retire->add_option("name", a->name, "The category (name or id)")->required();
    CLI::App* restore = command.add_subcommand("restore", "Take a retired category back into use");
    restore->add_option("name", a->name, "The category (name or id)")->required();
    CLI::App* move = command.add_subcommand("move", "Put a category at a position (1 is first)");
    move->add_option("name", a->name, "The category (name or id)")->required();
    move->add_option("position", a->position, "Its new position")->required();
    for (CLI::App* sub : {list, add, rename, describe, retire, restore, move})
        sub->fallthrough();
    setExamples(command, {"winnow taxonomy",
                          "winnow --reviewer lead taxonomy add \"leaked secret\" --description "
                          "\"A credential in the output\"",
                          "winnow taxonomy retire tone"});
    return [&context, a, add, rename, describe, retire, restore, move]() -> int {
        const std::string author = context.reviewerName();
        if (add->parsed() || rename->parsed() || describe->parsed() || retire->parsed() ||
            restore->parsed() || move->parsed()) {
            auto writer = openWriter(context);
            std::optional<ReviewCategory> category;
            if (!add->parsed()) {
                const auto reader = openReader(context);
                category = findByName(*reader, a->name);
                if (!category)
                    throw CommandFailed{
                        Error{"no category '" + a->name + "' (winnow taxonomy lists them)", {}}};
            }
            if (add->parsed() || rename->parsed()) {
                const auto reader = openReader(context);
                const std::string wanted = add->parsed() ? a->name : a->newName;
                if (const auto taken = findByName(*reader, wanted);
                    taken && (!category || taken->id != category->id))
                    throw CommandFailed{Error{"there is a category named '" + taken->name + "' already", {}}};
            }
            Status saved = writer->write(WritePriority::Interactive, [&](WriteTransaction& tx) {
                ReviewStore review(tx.database());
                if (add->parsed())
                    review.addCategory(a->name, a->description, author);
                else if (rename->parsed())
                    review.renameCategory(category->id, a->newName, author);
                else if (describe->parsed())
                    review.describeCategory(category->id, a->description, author);
                else if (retire->parsed() || restore->parsed())
                    review.retireCategory(category->id, retire->parsed(), author);
                else
                    review.moveCategory(category->id, a->position, author);
                tx.changed(StoreChange::Review);
            });
            if (!saved)
                throw CommandFailed{saved.error()};
        }
        const auto reader = openReader(context);
        const std::vector<ReviewCategory> categories = ReviewStore(*reader).categories();
        if (context.json) {
            QJsonArray items;
            for (const ReviewCategory& c : categories)
                items.append(QJsonObject{{QStringLiteral("id"), static_cast<qint64>(c.id)},
                                         {QStringLiteral("name"), q(c.name)},
                                         {QStringLiteral("description"), q(c.description)},
                                         {QStringLiteral("position"), c.position},
                                         {QStringLiteral("retired"), c.retired}});
            printJson({{QStringLiteral("categories"), items}});
            return exitOk;
        }
        TextTable table({"#", "category", "id", "status", "description"});
        int position = 0;
        for (const ReviewCategory& c : categories)
            table.add({std::to_string(++position), c.name, std::to_string(c.id),
                       c.retired ? "retired" : "in use", c.description});
        table.print(std::cout);
        return exitOk;
    };
}

} // namespace winnow::cli
