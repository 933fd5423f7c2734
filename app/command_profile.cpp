// winnow profile list|show|save|delete: named field mappings kept in the store.

#include "app/command.h"
#include "app/render.h"

#include "core/ingest/field_mapping.h"
#include "core/store/database.h"
#include "core/store/profile_store.h"
#include "core/store/store_writer.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
QJsonObject profileJson(const MappingProfile& profile)
{
    return {{QStringLiteral("name"), q(profile.name)},
            {QStringLiteral("mapping"),
             QJsonDocument::fromJson(QByteArray::fromStdString(profile.specJson)).object()}};
}

struct ProfileArguments
{
    std::string name;
    std::vector<std::string> maps;
};
} // namespace

Runner defineProfile(CLI::App& command, const Context& context)
{
    auto a = std::make_shared<ProfileArguments>();
    command.description(
        "Named field mappings for JSON records, kept in the store: list, show NAME, save NAME "
        "--map T=S..., delete NAME.");
    command.require_subcommand(1);
    CLI::App* list = command.add_subcommand("list", "Every profile");
    CLI::App* show = command.add_subcommand("show", "One profile's mapping");
    show->add_option("name", a->name, "The profile")->required();
    CLI::App* save =
        command.add_subcommand("save", "Save --map options under a name (replacing one of that name)");
    save->add_option("name", a->name, "The profile")->required();
    repeatable(save->add_option("--map", a->maps, "TARGET=SOURCE (repeatable)"))
        ->required()
        ->type_name("TARGET=SOURCE");
    CLI::App* remove = command.add_subcommand("delete", "Forget a profile");
    remove->add_option("name", a->name, "The profile")->required();
    for (CLI::App* sub : {list, show, save, remove})
        sub->fallthrough();
    setExamples(command, {"winnow profile save rl --map id=episode --map messages=traj",
                          "winnow ingest rollouts.jsonl --profile rl", "winnow profile list"});
    return [&context, a, list, show, save, remove]() -> int {
        if (list->parsed() || show->parsed()) {
            const auto database = openReader(context);
            ProfileStore profiles(*database);
            if (show->parsed()) {
                const auto profile = profiles.profile(a->name);
                if (!profile)
                    throw CommandFailed{Error{"no profile named '" + a->name + "'", {}}};
                if (context.json)
                    printJson(profileJson(*profile));
                else
                    std::cout << profile->specJson << "\n";
                return exitOk;
            }
            QJsonArray items;
            const std::vector<MappingProfile> all = profiles.profiles();
            for (const MappingProfile& profile : all) {
                items.append(profileJson(profile));
                if (!context.json)
                    std::cout << profile.name << "  " << profile.specJson << "\n";
            }
            if (context.json)
                printJson({{QStringLiteral("profiles"), items}});
            else if (all.empty())
                printNothing(context,
                             "no profiles yet: winnow profile save NAME --map TARGET=SOURCE saves one");
            return exitOk;
        }
        auto writer = openWriter(context);
        if (save->parsed()) {
            FieldMapping mapping;
            for (const std::string& spec : a->maps)
                if (const std::string error = mapping.add(spec); !error.empty())
                    throw UsageError{"--map " + error};
            const MappingProfile profile{a->name, mapping.toJson()};
            Status saved = writer->write(WritePriority::Interactive, [&profile](WriteTransaction& tx) {
                ProfileStore(tx.database()).save(profile);
                tx.changed(StoreChange::Profiles);
            });
            if (!saved)
                throw CommandFailed{saved.error()};
            if (context.json)
                printJson(profileJson(profile));
            else
                std::cout << "saved profile " << profile.name << "\n";
            return exitOk;
        }
        auto removed =
            writer->write<bool>(WritePriority::Interactive, [name = a->name](WriteTransaction& tx) {
                tx.changed(StoreChange::Profiles);
                return ProfileStore(tx.database()).remove(name);
            });
        if (!removed)
            throw CommandFailed{removed.error()};
        if (context.json)
            printJson({{QStringLiteral("deleted"), *removed}});
        if (!*removed)
            throw CommandFailed{Error{"no profile named '" + a->name + "'", {}}};
        if (!context.json)
            std::cout << "deleted profile " << a->name << "\n";
        return exitOk;
    };
}

} // namespace winnow::cli
