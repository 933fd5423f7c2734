#pragma once
// Drives the real `winnow` binary in child processes, as a user or a script would.

#include "core/store/sqlite.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace winnow::test {

struct Outcome
{
    int exitCode = -1;
    std::string out;
    std::string err;
    QJsonObject json() const { return QJsonDocument::fromJson(QByteArray::fromStdString(out)).object(); }
};

inline std::string slurp(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The port a spawned `serve` listens on, from its standard error (0 when it never said). Remove
// the file before each spawn: an earlier run's port would be read otherwise.
inline std::uint16_t servePort(const std::string& errFile)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string err = slurp(errFile);
        const auto at = err.find("listening on ");
        if (at != std::string::npos)
            return static_cast<std::uint16_t>(std::atoi(err.c_str() + at + 13));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
}

class Cli : public ::testing::Test
{
protected:
    QTemporaryDir m_dir;
    // The commands (and the test, through core) remember store checks in the test's own folder.
    void SetUp() override { setenv("XDG_CACHE_HOME", path("cache").c_str(), 1); }
    std::string path(const std::string& name) const
    {
        return m_dir.filePath(QString::fromStdString(name)).toStdString();
    }
    std::string db() const { return path("store.db"); }

    // fileSizeLimit: the child may write files only this large (RLIMIT_FSIZE, its signal ignored):
    // a full disk, as SQLite sees one.
    pid_t spawn(const std::vector<std::string>& args, const std::string& stdinFile = {}, rlim_t fileSizeLimit = 0)
    {
        return spawnTo(args, "out.txt", "err.txt", stdinFile, fileSizeLimit);
    }
    // The same with output files of its own, for a process that runs beside others.
    pid_t spawnTo(const std::vector<std::string>& args, const std::string& outName, const std::string& errName,
                  const std::string& stdinFile = {}, rlim_t fileSizeLimit = 0)
    {
        const pid_t pid = fork();
        if (pid == 0) {
            if (fileSizeLimit) {
                signal(SIGXFSZ, SIG_IGN);
                const rlimit limit{fileSizeLimit, fileSizeLimit};
                setrlimit(RLIMIT_FSIZE, &limit);
            }
            const int out = ::open(path(outName).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int err = ::open(path(errName).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int in = ::open(stdinFile.empty() ? "/dev/null" : stdinFile.c_str(), O_RDONLY);
            dup2(out, 1);
            dup2(err, 2);
            dup2(in, 0);
            std::vector<char*> argv;
            std::string binary = WINNOW_BINARY;
            argv.push_back(binary.data());
            std::vector<std::string> copy = args;
            for (auto& a : copy)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(binary.c_str(), argv.data());
            _exit(127);
        }
        return pid;
    }

    Outcome run(const std::vector<std::string>& args, const std::string& stdinFile = {})
    {
        const pid_t pid = spawn(args, stdinFile);
        int status = 0;
        waitpid(pid, &status, 0);
        Outcome result;
        result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        result.out = slurp(path("out.txt"));
        result.err = slurp(path("err.txt"));
        return result;
    }

    // Runs the binary as a user who may not write files the test made (as root, through setpriv
    // as nobody; otherwise as the test's own user, for whom chmod suffices). The test's folder is
    // opened for the other user to pass through.
    Outcome runAsAnotherUser(std::vector<std::string> args)
    {
        chmod(path("").c_str(), 0755);
        if (geteuid() != 0)
            return run(args);
        args.insert(args.begin(), {"--reuid=65534", "--regid=65534", "--clear-groups", WINNOW_BINARY});
        const pid_t pid = fork();
        if (pid == 0) {
            // The output files are opened here, as root, before the user changes.
            const int out = ::open(path("out.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int err = ::open(path("err.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(out, 1);
            dup2(err, 2);
            std::vector<char*> argv;
            std::string binary = "/usr/bin/setpriv";
            argv.push_back(binary.data());
            for (auto& a : args)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(binary.c_str(), argv.data());
            _exit(127);
        }
        return finish(pid);
    }

    Outcome finish(pid_t pid)
    {
        int status = 0;
        waitpid(pid, &status, 0);
        return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(path("out.txt")), slurp(path("err.txt"))};
    }

    // One integer from SQL on the store (-1 while it cannot be read).
    std::int64_t query(const std::string& sql) const
    {
        try {
            sql::Connection reader(db(), sql::Connection::Mode::ReadOnly);
            return reader.queryInt(sql);
        } catch (const std::exception&) {
            return -1;
        }
    }
    // The first column of the first row as text ("" when there is none).
    std::string queryText(const std::string& sql) const
    {
        sql::Connection reader(db(), sql::Connection::Mode::ReadOnly);
        sql::Statement statement(reader, sql);
        return statement.step() ? statement.text(0) : std::string();
    }
    std::int64_t interactions() const { return query("SELECT count(*) FROM interactions"); }

    // Waits until the store holds `expected` interactions; returns what it holds then.
    std::int64_t waitForInteractions(std::int64_t expected, int seconds = 20) const
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        std::int64_t count = -1;
        while (std::chrono::steady_clock::now() < deadline) {
            count = interactions();
            if (count == expected)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return count;
    }

    void demo(int interactions, int seed, const std::string& file = "d.jsonl")
    {
        ASSERT_EQ(run({"demo", "--interactions", std::to_string(interactions), "--seed", std::to_string(seed),
                       "--out", path(file)})
                      .exitCode,
                  0);
    }
    void demoStore(int interactions, int seed)
    {
        demo(interactions, seed);
        ASSERT_EQ(run({"--db", db(), "ingest", path("d.jsonl")}).exitCode, 0);
    }
};

} // namespace winnow::test
