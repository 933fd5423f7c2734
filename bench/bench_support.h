#pragma once
// What the GUI benchmarks share: waiting on the event loop, and the process's resident memory.

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>

#include <functional>

namespace winnow::bench {

// Runs the event loop until `done` or the timeout; returns `done()`.
inline bool waitFor(const std::function<bool()>& done, int timeoutMs = 60000)
{
    QElapsedTimer timer;
    timer.start();
    while (!done() && timer.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    return done();
}

// VmRSS of this process in KiB, -1 when /proc says nothing.
inline long residentKb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLong();
    return -1;
}

} // namespace winnow::bench
