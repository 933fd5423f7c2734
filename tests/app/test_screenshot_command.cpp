#include "cli_test_helpers.h"

using namespace winnow;
using test::Cli;

TEST_F(Cli, ScreenshotRendersTheWindowAt1440By900)
{
    std::ofstream(path("a.jsonl")) << "{\"id\":\"1\"}\n";
    ASSERT_EQ(run({"--db", db(), "ingest", path("a.jsonl")}).exitCode, 0);
    for (const char* screen : {"dashboard", "interactions", "sources", "review"}) {
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
