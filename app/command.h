#pragma once
// A subcommand of `winnow`: one file each in app/, listed in the command table (commands.cpp).
// A command declares its options on its CLI11 app and returns what runs it once they are parsed;
// values are checked by core's own parsers, errors come back as exit codes: 0 when it ran, 1 when
// it could not do its work, 2 on a usage error.

#include "core/util/result.h"

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace winnow::cli {

struct Context
{
    std::string dbPath;   // --db
    bool json = false;    // --json
    std::string reviewer; // --reviewer
    bool noCheck = false; // --no-check: use the store without checking it first
    // The store was checked (or known whole) by this run: a command that opens it twice checks once.
    mutable bool storeChecked = false;
    // --reviewer, or the login name: who labels, edits the taxonomy, owns a queue.
    std::string reviewerName() const;
    // --db, or the default store in the user's data folder.
    std::string storePath() const;
};

using Runner = std::function<int()>;

struct CommandSpec
{
    const char* name;
    Runner (*define)(CLI::App& command, const Context& context);
    // Needs a QApplication (renders widgets) rather than a QCoreApplication.
    bool needsGui = false;
};

// The command table: every subcommand, in the order `winnow --help` lists them.
const std::vector<CommandSpec>& commands();

constexpr int exitOk = 0;
constexpr int exitFailed = 1;
constexpr int exitUsage = 2;

// A value that passed CLI11 but not core's parsers (a bad --where, a reversed range): exit 2.
struct UsageError
{
    std::string message;
};

// The command could not do its work: exit 1 with the error.
struct CommandFailed
{
    Error error;
};

// Runs the command line: parses, makes the Qt application object the command needs, runs it.
int run(int argc, char** argv);
// Whether the arguments name a command (else `winnow` opens the desktop app).
bool hasCommand(int argc, char** argv);
// What the desktop app takes of the global options, as the commands take them.
struct AppOptions
{
    std::string dbPath;   // --db: the store to open (else the one used last)
    std::string reviewer; // --reviewer: who reviews, for this session (not remembered)
};
AppOptions appOptions(int argc, char** argv);

} // namespace winnow::cli
