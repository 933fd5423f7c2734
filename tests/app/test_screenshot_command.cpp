#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, ScreenshotRendersTheWindowAt1440By900)
{
    std::ofstream(path("a.jsonl")) << "{\"id\":\"1\"}\n";
    ASSERT_EQ(run({"--db", db(), "ingest", path("a.jsonl")}).exitCode, 0);
    for (const char* screen : {"dashboard", "interactions", "sources", "review", "rules"}) {
        auto shot = run({"--db", db(), "screenshot", "--screen", screen, "--out", path("shot.png")});
        ASSERT_EQ(shot.exitCode, 0) << screen << ": " << shot.err;
        const std::string png = test::slurp(path("shot.png"));
        ASSERT_GT(png.size(), 24u);
        EXPECT_EQ(png.substr(1, 3), "PNG");
        auto be32 = [&png](size_t at) {
            return (static_cast<unsigned char>(png[at]) << 24) |
                   (static_cast<unsigned char>(png[at + 1]) << 16) |
                   (static_cast<unsigned char>(png[at + 2]) << 8) | static_cast<unsigned char>(png[at + 3]);
        };
        EXPECT_EQ(be32(16), 1440); // IHDR width and height
        EXPECT_EQ(be32(20), 900);
    }
    for (const char* view : {"test", "backtest", "versions"})
        EXPECT_EQ(run({"--db", db(), "screenshot", "--screen", "rules", "--view", view, "--out", path("v.png")})
                      .exitCode,
                  0)
            << view;
    EXPECT_EQ(run({"--db", db(), "screenshot"}).exitCode, 2);
    EXPECT_EQ(run({"--db", db(), "screenshot", "--screen", "nowhere", "--out", path("x.png")}).exitCode, 2);
}

// A store it cannot open is an error at once, never a wait.
TEST_F(Cli, ScreenshotOfAStoreItCannotOpenFailsAtOnce)
{
    std::ofstream(path("notes.db")) << "my notes\n";
    const auto started = std::chrono::steady_clock::now();
    auto shot = run({"--db", path("notes.db"), "screenshot", "--out", path("shot.png")});
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(15));
    EXPECT_EQ(shot.exitCode, 1);
    EXPECT_NE(shot.err.find("is not a Winnow store"), std::string::npos) << shot.err;
}

// A store the user may not write: the app opens it read-only, shows its data and says so. (As
// root, the command runs as another user; the widget test of the same cannot, and is skipped.)
TEST_F(Cli, ScreenshotOfAReadOnlyStoreOpensItReadOnly)
{
    const std::string folder = path("ro");
    std::filesystem::create_directory(folder);
    const std::string store = folder + "/s.db";
    demo(200, 3);
    ASSERT_EQ(run({"--db", store, "ingest", path("d.jsonl")}).exitCode, 0);
    chmod(store.c_str(), 0444);
    chmod(folder.c_str(), 0555);
    const std::string shots = path("shots");
    std::filesystem::create_directory(shots);
    chmod(shots.c_str(), 0777);
    const auto shot = runAsAnotherUser({"--db", store, "--json", "screenshot", "--out", shots + "/ro.png"});
    chmod(folder.c_str(), 0755);
    ASSERT_EQ(shot.exitCode, 0) << shot.err;
    EXPECT_TRUE(shot.json().value(QStringLiteral("read_only")).toBool()) << shot.out;
    EXPECT_EQ(test::slurp(shots + "/ro.png").substr(1, 3), "PNG");
    const auto words = runAsAnotherUser({"--db", store, "screenshot", "--out", shots + "/ro.png"});
    EXPECT_NE(words.out.find("opened read-only: "), std::string::npos) << words.out << words.err;
}
