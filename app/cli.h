#pragma once
// The headless front door: `winnow [--db PATH] [--json] COMMAND ...` over the same core calls the
// GUI makes. Runs on the main thread under a QCoreApplication.

#include <string>
#include <vector>

namespace winnow::cli {

// True when the arguments name a subcommand (so the app runs headless).
bool hasCommand(int argc, char** argv);

// Runs the command; the exit code is 0 when it ran, 1 when it could not do its work, 2 on a usage
// error.
int run(const std::vector<std::string>& arguments);

} // namespace winnow::cli
