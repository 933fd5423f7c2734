#include "core/models/source_models.h"

#include <QAbstractItemModelTester>

#include <gtest/gtest.h>

using namespace winnow;

TEST(SourceModels, PassTheTesterWithRowsAndWithout)
{
    SourceListModel sources;
    QuarantineModel quarantine;
    QAbstractItemModelTester sourcesTester(&sources, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QAbstractItemModelTester quarantineTester(&quarantine,
                                              QAbstractItemModelTester::FailureReportingMode::Fatal);
    SourceState source;
    source.path = "/logs/a.jsonl";
    source.ingested = 1200;
    source.line = 1201;
    sources.setSources({source});
    EXPECT_EQ(sources.rowCount(), 1);
    EXPECT_EQ(sources.data(sources.index(0, SourceListModel::Path)).toString(),
              QStringLiteral("/logs/a.jsonl"));
    QuarantineEntry entry;
    entry.sourcePath = "/logs/a.jsonl";
    entry.record = {7, 512, "invalid JSON at byte 3", "{\"id\": nope"};
    quarantine.setEntries({entry, entry});
    EXPECT_EQ(quarantine.rowCount(), 2);
    EXPECT_EQ(quarantine.data(quarantine.index(1, QuarantineModel::Reason)).toString(),
              QStringLiteral("invalid JSON at byte 3"));
    sources.setSources({});
    EXPECT_EQ(sources.rowCount(), 0);
}
