// GoogleTest under a QCoreApplication: the job runner and the models deliver results through the
// event loop, which the tests spin with QSignalSpy::wait() and QTRY_ macros.

#include <QCoreApplication>
#include <QTemporaryDir>

#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    // Store checks are remembered in a throwaway cache folder, not the user's.
    QTemporaryDir cache;
    qputenv("XDG_CACHE_HOME", cache.path().toLocal8Bit());
    QCoreApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
