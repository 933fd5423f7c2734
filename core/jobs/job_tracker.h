#pragma once
// Long work off the GUI thread, the one way: a job has an owner, a generation, progress, cancel,
// and its own result or error, delivered on the owner's thread while the owner lives and the job
// has not been superseded (as Hotspot's job tracker pairs a context with a job id).
//
// Queries run on a small shared pool of reader threads, each keeping its own read-only
// connection per store (opened on that thread, kept between jobs). Work that takes minutes (an
// ingest, a watched folder, a delete) runs on a thread of its own. The command line calls the same
// core functions directly, on its own thread, with its own connection.

#include "core/jobs/post_call.h"
#include "core/store/database.h"
#include "core/util/result.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace winnow {

class JobPool;

// A job's state, shared between its owner and the thread running it.
struct JobState
{
    std::atomic<bool> cancelled{false};
    std::mutex mutex;
    Database* running = nullptr; // interrupted when cancelled
    bool working = false;        // its work runs now (guarded by mutex)
    std::condition_variable workEnded;
    void cancel();
    // Cancels, then waits until its work is not running (it may never start).
    void cancelAndWait();
    // On the worker: false when the job was cancelled before its work began.
    bool beginWork();
    void endWork();
};

// What a job's work gets, on the thread it runs on.
class JobContext
{
public:
    // The job's store on this thread's reader connection; throws Failure when it cannot be opened.
    Database& database();
    bool cancelled() const { return m_state->cancelled.load(); }
    const std::atomic<bool>& cancelFlag() const { return m_state->cancelled; }
    // fraction in [0, 1], or -1 while it is not known; told to the owner at most ten times a second.
    void progress(double fraction, const QString& what = {});
    const std::string& storePath() const { return m_storePath; }
    // Runs `call` on the owner's thread while the job is current: its first results while it runs.
    void deliver(std::function<void()> call) const
    {
        if (m_deliver)
            m_deliver(std::move(call));
    }

private:
    friend class JobTracker;
    friend class JobPool;
    std::string m_storePath;
    std::shared_ptr<JobState> m_state;
    std::function<Database&(const std::string& path)> m_open;
    std::function<void(double, const QString&)> m_progress;
    std::function<void(std::function<void()>)> m_deliver;
    std::int64_t m_lastProgressMs = 0;
};

class JobTracker : public QObject
{
    Q_OBJECT
public:
    // Results are delivered on the owner's thread, while the owner lives.
    explicit JobTracker(QObject* owner);
    // Supersedes every job and waits for the work of those running to stop (queries are
    // interrupted): work may use what its owner holds, and statics, which die after main.
    ~JobTracker() override;

    // The store later jobs read; changing it supersedes every job.
    void setStorePath(const std::string& path);
    const std::string& storePath() const { return m_storePath; }

    template <typename R> using Work = std::function<R(JobContext&)>;
    template <typename R> using Done = std::function<void(R)>;
    using Failed = std::function<void(const Error&)>;

    // Runs `work` on the reader pool, superseding every job started before on this tracker.
    template <typename R> void start(Work<R> work, Done<R> done, Failed failed = {})
    {
        launch<R>(Lane::Pool, true, std::move(work), std::move(done), std::move(failed));
    }
    // Runs alongside the tracker's other jobs (pages of a table); superseded by start() and reset().
    template <typename R> void add(Work<R> work, Done<R> done, Failed failed = {})
    {
        launch<R>(Lane::Pool, false, std::move(work), std::move(done), std::move(failed));
    }
    // Runs on a thread of its own (minutes of work), superseding earlier jobs.
    template <typename R> void startLong(Work<R> work, Done<R> done, Failed failed = {})
    {
        launch<R>(Lane::Own, true, std::move(work), std::move(done), std::move(failed));
    }

    // Supersedes (and cancels) every job started so far.
    void reset();
    bool busy() const { return m_running > 0; }
    std::uint64_t generation() const { return m_generation; }

Q_SIGNALS:
    void busyChanged(bool busy);
    void progress(double fraction, const QString& what);

private:
    enum class Lane { Pool, Own };
    template <typename R> void launch(Lane lane, bool supersede, Work<R> work, Done<R> done, Failed failed)
    {
        auto result = std::make_shared<R>();
        submit(
            lane, supersede,
            [work = std::move(work), result](JobContext& context) { *result = work(context); },
            [done = std::move(done), result] { done(std::move(*result)); }, std::move(failed));
    }
    void submit(Lane lane, bool supersede, std::function<void(JobContext&)> work,
                std::function<void()> deliver, Failed failed);
    void finished(std::uint64_t generation, const std::shared_ptr<JobState>& state,
                  std::function<void()> deliver, Failed failed, std::optional<Error> error);

    QPointer<QObject> m_owner;
    Inbox m_inbox; // where the workers' results and progress come back
    std::string m_storePath;
    std::uint64_t m_generation = 0; // owner's thread only
    int m_running = 0;
    std::vector<std::shared_ptr<JobState>> m_active; // not finished yet, superseded or not
    struct LongThread
    {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<LongThread> m_longThreads;
};

} // namespace winnow
