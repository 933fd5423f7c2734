#pragma once
// Shared by the widget tests: a demo store, and waiting on the event loop.

#include "core/demo/generator.h"
#include "core/ingest/ingestor.h"
#include "core/store/store_writer.h"

#include <QElapsedTimer>
#include <QLocale>
#include <QTemporaryDir>
#include <QTest>

#include <gtest/gtest.h>

#include <fstream>

namespace winnow::test {

// 3,000 demo interactions and one broken line, ingested.
struct DemoStore
{
    QTemporaryDir dir;
    std::string path;
    std::string logs;
    explicit DemoStore(int interactions = 3000)
    {
        path = dir.filePath(QStringLiteral("s.db")).toStdString();
        DemoOptions options;
        options.interactions = interactions;
        options.seed = 4;
        logs = dir.filePath(QStringLiteral("d.jsonl")).toStdString();
        EXPECT_EQ(writeDemo(options, DemoFormat::Jsonl, logs), "");
        std::ofstream(logs, std::ios::app) << "{\"id\": broken\n";
        auto writer = StoreWriter::open(path).take();
        Ingestor(*writer, {}).ingest({logs});
    }
};

template <typename Condition> bool waitUntil(Condition condition, int ms = 15000)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition() && timer.elapsed() < ms)
        QTest::qWait(20);
    return condition();
}

inline QString formatted(std::int64_t n)
{
    return QLocale().toString(static_cast<qint64>(n));
}

} // namespace winnow::test
