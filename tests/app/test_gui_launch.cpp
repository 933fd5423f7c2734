#include "cli_test_helpers.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

using winnow::test::Cli;

// Without a command, winnow opens the desktop app; --db chooses its store as it does for the
// commands (it used to open the store used last regardless).
TEST_F(Cli, TheAppOpensTheStoreDbNames)
{
    setenv("QT_QPA_PLATFORM", "offscreen", 1);
    setenv("XDG_CONFIG_HOME", path("config").c_str(), 1); // the user's own settings stay untouched
    setenv("XDG_DATA_HOME", path("data").c_str(), 1);
    const std::string chosen = path("chosen.db");
    const pid_t pid = spawn({"--db", chosen, "--reviewer", "zed"});
    bool opened = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!opened && std::chrono::steady_clock::now() < deadline) {
        opened = std::filesystem::exists(chosen);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    kill(pid, SIGTERM);
    finish(pid);
    EXPECT_TRUE(opened) << winnow::test::slurp(path("err.txt"));
    EXPECT_FALSE(std::filesystem::exists(path("data/winnow/winnow.db"))) << "the default store was opened";
}
