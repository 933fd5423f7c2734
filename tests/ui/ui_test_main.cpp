// GoogleTest under a QApplication: widget tests need one, and run offscreen.

#include "ui/settings.h"

#include <QApplication>
#include <QTemporaryDir>

#include <gtest/gtest.h>

int main(int argc, char** argv)
{
    qputenv("QT_QPA_PLATFORM",
            qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    // Recent stores and window state go to a throwaway settings folder, not the user's.
    QTemporaryDir settings;
    qputenv("XDG_CONFIG_HOME", settings.path().toLocal8Bit());
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("winnow-tests"));
    // A reviewer is known, as after the first launch: the Review screen does not ask (one test
    // clears it to see it asked).
    winnow::settings::reviewer.set(QStringLiteral("tester"));
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
