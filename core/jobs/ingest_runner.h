#pragma once
// Writes to the store off the GUI thread: loads demo data, ingests files and folders, and watches
// them (tails what is appended, as `winnow ingest --follow` does). One task at a time, on a thread
// of its own with the store's writer connection; progress and the end come back by signals,
// queued to the runner's thread. cancel() stops a task at its next commit (a watch at its next
// round).

#include <QObject>
#include <QString>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace winnow {

class IngestRunner : public QObject
{
    Q_OBJECT
public:
    explicit IngestRunner(QObject* parent = nullptr);
    ~IngestRunner() override;

    void setStorePath(const std::string& path);
    // False when a task is already running.
    bool loadDemo(std::int64_t interactions);
    bool ingest(std::vector<std::string> paths, bool watch, int intervalMs = 1000);
    void cancel();
    bool running() const { return m_running.load(); }

Q_SIGNALS:
    // fraction in [0, 1], or -1 while it is not known
    void progress(const QString& what, double fraction, qint64 ingested);
    // After each commit; screens re-query (throttled) when they see it.
    void committed();
    void finished(const QString& message, bool ok);

private:
    bool start(std::function<QString(const std::atomic<bool>& cancel)> task);
    std::string m_storePath;
    std::thread m_thread;
    std::atomic<bool> m_running{false};
    std::atomic<bool> m_cancel{false};
};

} // namespace winnow
