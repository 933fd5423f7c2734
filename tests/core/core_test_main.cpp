// GoogleTest under a QCoreApplication: the job runner and the models deliver results through the
// event loop, which the tests spin with QSignalSpy::wait() and QTRY_ macros.

#include <QCoreApplication>

#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
