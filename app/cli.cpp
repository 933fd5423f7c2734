#include "app/command.h"
#include "app/render.h"
#include "core/store/database.h"
#include "core/store/schema.h"
#include "core/util/version.h"

#include <QApplication>
#include <QCoreApplication>

#include <iostream>
#include <memory>

namespace winnow::cli {

namespace {
constexpr const char* description =
    "Winnow: ingest AI agents' interaction logs, find the feedback in them, evaluate and curate.\n"
    "Without a command, opens the desktop app on the store.";
} // namespace

namespace {
// The global options before a command: --db PATH, --reviewer NAME (or =), --json, --no-check. Returns the
// index of the first other argument.
int scanGlobalOptions(int argc, char** argv, AppOptions& options)
{
    int i = 1;
    for (; i < argc; ++i) {
        const std::string arg = argv[i];
        std::string* value = arg == "--db"         ? &options.dbPath
                             : arg == "--reviewer" ? &options.reviewer
                                                   : nullptr;
        if (value) {
            if (i + 1 < argc)
                *value = argv[++i];
            continue;
        }
        if (arg.rfind("--db=", 0) == 0)
            options.dbPath = arg.substr(5);
        else if (arg.rfind("--reviewer=", 0) == 0)
            options.reviewer = arg.substr(11);
        else if (arg != "--json" && arg != "--no-check")
            break;
    }
    return i;
}
} // namespace

AppOptions appOptions(int argc, char** argv)
{
    AppOptions options;
    scanGlobalOptions(argc, argv, options);
    return options;
}

bool hasCommand(int argc, char** argv)
{
    AppOptions ignored;
    for (int i = scanGlobalOptions(argc, argv, ignored); i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h" || arg == "--version")
            return true;
        // A word is a command (an unknown one is reported, not taken for the app); options of
        // Qt's own (-platform offscreen, -style ...) belong to the app.
        return !arg.empty() && arg[0] != '-';
    }
    return false;
}

int run(int argc, char** argv)
{
    {
        AppOptions ignored;
        const int first = scanGlobalOptions(argc, argv, ignored);
        if (first < argc && std::string(argv[first]) == "--version") {
            bool json = false;
            for (int i = 1; i < argc; ++i)
                json = json || std::string(argv[i]) == "--json";
            if (json)
                std::cout << "{\"version\":\"" << winnowVersion() << "\",\"schema\":" << latestSchemaVersion()
                          << "}\n";
            else
                std::cout << versionLine() << "\n";
            return exitOk;
        }
    }
    CLI::App app(description, "winnow");
    app.get_formatter()->column_width(36);
    Context context;
    app.add_option("--db", context.dbPath, "The store (default: ~/.local/share/winnow/winnow.db)")
        ->type_name("PATH");
    app.add_flag("--json", context.json, "Machine-readable output");
    app.add_flag("--no-check", context.noCheck,
                 "Use the store without checking it first (each command checks it once after it changes)");
    // Read before parsing (above); declared for --help.
    bool versionAsked = false;
    app.add_flag("--version", versionAsked, "The version, and the store schema version it writes");
    app.add_option("--reviewer", context.reviewer, "Who is reviewing (default: the login name)")
        ->type_name("NAME");
    app.require_subcommand(1);
    app.footer(
        "\nwinnow help COMMAND (or winnow COMMAND --help) tells a command's options, with an example.");

    std::vector<std::pair<CLI::App*, const CommandSpec*>> registered;
    std::vector<Runner> runners;
    for (const CommandSpec& spec : commands()) {
        CLI::App* command = app.add_subcommand(spec.name);
        command->fallthrough(); // --db and --json may follow the command too
        runners.push_back(spec.define(*command, context));
        registered.emplace_back(command, &spec);
    }
    CLI::App* help = app.add_subcommand("help", "Show a command's options, with an example");
    std::string topic;
    help->add_option("command", topic, "The command");
    setExamples(*help, {"winnow help ingest"});

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "winnow: " << e.what() << "\n(see winnow --help, or winnow help COMMAND)\n";
        return exitUsage;
    }
    if (help->parsed()) {
        if (topic.empty()) {
            std::cout << app.help();
            return exitOk;
        }
        for (const auto& [command, spec] : registered)
            if (topic == spec->name) {
                std::cout << command->help("winnow");
                return exitOk;
            }
        std::cerr << "winnow: no command '" << topic << "' (see winnow --help)\n";
        return exitUsage;
    }
    for (size_t i = 0; i < registered.size(); ++i) {
        if (!registered[i].first->parsed())
            continue;
        std::unique_ptr<QCoreApplication> qt;
        if (registered[i].second->needsGui) {
            if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
                qputenv("QT_QPA_PLATFORM", "offscreen");
            qt = std::make_unique<QApplication>(argc, argv);
        } else {
            qt = std::make_unique<QCoreApplication>(argc, argv);
        }
        try {
            return runners[i]();
        } catch (const UsageError& e) {
            std::cerr << "winnow: " << e.message << "\n(see winnow help " << registered[i].second->name
                      << ")\n";
            return exitUsage;
        } catch (const CommandFailed& e) {
            std::cerr << "winnow: " << e.error.text() << "\n";
            return exitFailed;
        } catch (...) {
            std::cerr << "winnow: " << currentError(context.storePath()).text() << "\n";
            return exitFailed;
        }
    }
    return exitUsage;
}

} // namespace winnow::cli
