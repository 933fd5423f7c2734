#pragma once
// Runs store queries off the GUI thread. A JobRunner owns one worker thread with its own
// read-only connection to the store (opened on that thread, kept between jobs) and runs its jobs
// one after the other. Each job's result comes back on the thread that owns the runner, through
// the event loop, unless the job was superseded:
// - LatestWins (dashboards): a new job supersedes every older one; a running one is told to stop
//   (its cancel flag, and sqlite3_interrupt on its connection) and queued ones are skipped.
// - Queue (table pages): jobs run in order; only reset() (new filter, new store) supersedes them.

#include "core/store/store.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace winnow {

// What a job gets: the store (read-only, this worker's connection) and whether to stop.
class JobContext
{
public:
    // Throws sql::Error when the store cannot be opened.
    Store& store();
    bool cancelled() const { return m_cancelled.load(); }
    const std::atomic<bool>& cancelFlag() const { return m_cancelled; }

private:
    friend class JobRunner;
    std::string m_path;
    std::unique_ptr<Store> m_store;
    std::atomic<bool> m_cancelled{false};
};

class JobRunner : public QObject
{
    Q_OBJECT
public:
    enum class Policy { LatestWins, Queue };
    explicit JobRunner(Policy policy, QObject* parent = nullptr);
    ~JobRunner() override;

    // The store later jobs read; changing it supersedes every job.
    void setStorePath(const std::string& path);
    const std::string& storePath() const { return m_storePath; }

    // Runs work(context) on the worker; then done(result) on this runner's thread if the job was
    // not superseded. An exception from work (sql::Error, std::exception) becomes failed(message).
    template <typename Result>
    void run(std::function<Result(JobContext&)> work, std::function<void(Result)> done)
    {
        auto result = std::make_shared<Result>();
        submit([work = std::move(work), result](JobContext& context) { *result = work(context); },
               [done = std::move(done), result] { done(std::move(*result)); });
    }

    // Supersedes every job submitted so far.
    void reset();
    bool busy() const { return m_pending.load() > 0; }

Q_SIGNALS:
    void failed(const QString& message);
    void busyChanged(bool busy);

private:
    void submit(std::function<void(JobContext&)> work, std::function<void()> deliver);
    Policy m_policy;
    std::string m_storePath;
    QThread m_thread;
    QObject* m_worker = nullptr; // lives on m_thread
    JobContext m_context;        // used on m_thread only, except its cancel flag
    std::atomic<std::uint64_t> m_generation{0};
    std::atomic<int> m_pending{0};
    std::mutex m_connectionMutex; // guards interrupting the connection while it is replaced
};

} // namespace winnow
