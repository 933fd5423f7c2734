// GoogleTest under a QApplication: widget tests need one, and run offscreen.

#include "ui/settings.h"

#include <QApplication>
#include <QTemporaryDir>

#include <gtest/gtest.h>

namespace {

// Every test starts from the same remembered settings, whether ctest runs it alone or the whole
// binary runs in one process: a reviewer is known, as after the first launch (the Review screen
// does not ask; one test clears it to see it asked), and nothing else is remembered (a test that
// labels as "lead", or sets a filter, does not change the next one).
class FreshSettings : public ::testing::EmptyTestEventListener
{
    void OnTestStart(const ::testing::TestInfo&) override
    {
        QSettings().clear();
        winnow::settings::reviewer.set(QStringLiteral("tester"));
    }
};

} // namespace

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM",
            qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    // Recent stores and window state go to a throwaway settings folder, store checks to a
    // throwaway cache folder, not the user's.
    QTemporaryDir settings;
    qputenv("XDG_CONFIG_HOME", settings.path().toLocal8Bit());
    QTemporaryDir cache;
    qputenv("XDG_CACHE_HOME", cache.path().toLocal8Bit());
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("winnow-tests"));
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::UnitTest::GetInstance()->listeners().Append(new FreshSettings);
    return RUN_ALL_TESTS();
}
