#include "core/jobs/job_tracker.h"

#include "core/jobs/post_call.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>

namespace winnow {

namespace {

std::int64_t steadyMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::optional<Error> runWork(const std::function<void(JobContext&)>& work, JobContext& context)
{
    try {
        work(context);
        return std::nullopt;
    } catch (...) {
        return currentError(context.storePath());
    }
}

} // namespace

void JobState::cancel()
{
    std::lock_guard lock(mutex);
    cancelled = true;
    if (running)
        running->interrupt();
}

void JobState::cancelAndWait()
{
    std::unique_lock lock(mutex);
    cancelled = true;
    if (running)
        running->interrupt();
    workEnded.wait(lock, [this] { return !working; });
}

bool JobState::beginWork()
{
    std::lock_guard lock(mutex);
    if (cancelled)
        return false;
    working = true;
    return true;
}

void JobState::endWork()
{
    {
        std::lock_guard lock(mutex);
        running = nullptr;
        working = false;
    }
    workEnded.notify_all();
}

Database& JobContext::database()
{
    return m_open(m_storePath);
}

void JobContext::progress(double fraction, const QString& what)
{
    const std::int64_t now = steadyMs();
    if (now - m_lastProgressMs < 100 && fraction < 1)
        return;
    m_lastProgressMs = now;
    if (m_progress)
        m_progress(fraction, what);
}

// A few threads, each with its own reader connections (one per store, opened on that thread and
// kept for the next job); jobs are taken in the order they came.
class JobPool
{
public:
    static JobPool& instance()
    {
        // Two readers: a dashboard's queries and a page of rows run side by side. A third (tried)
        // brought no faster refresh on two cores, 35 MB more page cache, and pages arriving in the
        // middle of the GUI's frames.
        static JobPool pool(2);
        return pool;
    }

    void run(std::string storePath, std::shared_ptr<JobState> state, std::function<void(JobContext&)> work,
             std::function<void(double, const QString&)> progress,
             std::function<void(std::function<void()>)> deliver,
             std::function<void(std::optional<Error>)> finished)
    {
        {
            std::lock_guard lock(m_mutex);
            m_tasks.push_back({std::move(storePath), std::move(state), std::move(work), std::move(progress),
                               std::move(deliver), std::move(finished)});
        }
        m_wake.notify_one();
    }

    ~JobPool()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        for (std::thread& thread : m_threads)
            thread.join();
    }

private:
    struct Task
    {
        std::string storePath;
        std::shared_ptr<JobState> state;
        std::function<void(JobContext&)> work;
        std::function<void(double, const QString&)> progress;
        std::function<void(std::function<void()>)> deliver;
        std::function<void(std::optional<Error>)> finished;
    };

    explicit JobPool(int threads)
    {
        for (int i = 0; i < threads; ++i)
            m_threads.emplace_back([this] { worker(); });
    }

    void worker()
    {
        // This thread's connections, most recently used first.
        std::list<std::pair<std::string, std::unique_ptr<Database>>> connections;
        std::unique_lock lock(m_mutex);
        while (true) {
            m_wake.wait(lock, [this] { return m_stopping || !m_tasks.empty(); });
            if (m_tasks.empty())
                break;
            Task task = std::move(m_tasks.front());
            m_tasks.pop_front();
            lock.unlock();
            std::optional<Error> error;
            if (!task.state->beginWork()) {
                error = Error{"cancelled", {}};
            } else {
                JobContext context;
                context.m_storePath = task.storePath;
                context.m_state = task.state;
                context.m_progress = task.progress;
                context.m_deliver = task.deliver;
                context.m_open = [&connections, state = task.state](const std::string& path) -> Database& {
                    auto found = std::find_if(connections.begin(), connections.end(),
                                              [&](const auto& entry) { return entry.first == path; });
                    if (found == connections.end()) {
                        auto opened = Database::openForReading(path);
                        if (!opened)
                            throw Failure(opened.error());
                        if (!(*opened)->isCurrent())
                            throw Failure((*opened)->upgradeNeeded());
                        connections.emplace_front(path, std::move(opened).take());
                        while (connections.size() > 2)
                            connections.pop_back();
                    } else {
                        connections.splice(connections.begin(), connections, found);
                    }
                    std::lock_guard stateLock(state->mutex);
                    state->running = connections.front().second.get();
                    return *connections.front().second;
                };
                error = runWork(task.work, context);
                task.state->endWork();
            }
            // A failed or interrupted query may leave a read transaction open: end it.
            for (auto& entry : connections)
                entry.second->endReading();
            task.finished(std::move(error));
            lock.lock();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Task> m_tasks;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

JobTracker::JobTracker(QObject* owner) : QObject(owner), m_owner(owner), m_inbox(this) {}

JobTracker::~JobTracker()
{
    reset();
    for (const auto& state : m_active)
        state->cancelAndWait();
    for (LongThread& long_ : m_longThreads)
        long_.thread.join();
}

void JobTracker::setStorePath(const std::string& path)
{
    if (path == m_storePath)
        return;
    m_storePath = path;
    reset();
}

void JobTracker::reset()
{
    ++m_generation;
    // Superseded jobs stay listed until they finish: work that does not look at its cancel flag
    // may still be running, and the destructor must wait for it too.
    for (const auto& state : m_active)
        state->cancel();
}

void JobTracker::submit(Lane lane, bool supersede, std::function<void(JobContext&)> work,
                        std::function<void()> deliver, Failed failed)
{
    if (supersede)
        reset();
    const std::uint64_t generation = m_generation;
    auto state = std::make_shared<JobState>();
    m_active.push_back(state);
    if (m_running++ == 0)
        Q_EMIT busyChanged(true);
    // A call the inbox delivers finds the tracker alive: the inbox is its child.
    auto progress = [inbox = m_inbox, self = this, generation](double fraction, const QString& what) {
        inbox.post([self, generation, fraction, what] {
            if (self->m_generation == generation)
                Q_EMIT self->progress(fraction, what);
        });
    };
    auto deliverPartial = [inbox = m_inbox, self = this, generation, state](std::function<void()> call) {
        inbox.post([self, generation, state, call = std::move(call)] {
            if (self->m_generation == generation && !state->cancelled && self->m_owner)
                call();
        });
    };
    auto finished = [inbox = m_inbox, self = this, generation, state, deliver = std::move(deliver),
                     failed = std::move(failed)](std::optional<Error> error) mutable {
        inbox.post([self, generation, state, deliver = std::move(deliver), failed = std::move(failed),
                    error = std::move(error)]() mutable {
            self->finished(generation, state, std::move(deliver), std::move(failed), std::move(error));
        });
    };
    if (lane == Lane::Pool) {
        JobPool::instance().run(m_storePath, state, std::move(work), std::move(progress),
                                std::move(deliverPartial), std::move(finished));
        return;
    }
    // Threads of finished long jobs are joined as new ones start (and all at the end).
    std::erase_if(m_longThreads, [](LongThread& long_) {
        if (!long_.done->load())
            return false;
        long_.thread.join();
        return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    m_longThreads.push_back(
        {std::thread([path = m_storePath, state, work = std::move(work), progress = std::move(progress),
                      deliverPartial = std::move(deliverPartial), finished = std::move(finished),
                      done]() mutable {
             std::unique_ptr<Database> database;
             JobContext context;
             context.m_storePath = path;
             context.m_state = state;
             context.m_progress = progress;
             context.m_deliver = deliverPartial;
             context.m_open = [&database, state](const std::string& storePath) -> Database& {
                 if (!database) {
                     auto opened = Database::openForReading(storePath);
                     if (!opened)
                         throw Failure(opened.error());
                     if (!(*opened)->isCurrent())
                         throw Failure((*opened)->upgradeNeeded());
                     database = std::move(opened).take();
                 }
                 std::lock_guard lock(state->mutex);
                 state->running = database.get();
                 return *database;
             };
             std::optional<Error> error = runWork(work, context);
             {
                 std::lock_guard lock(state->mutex);
                 state->running = nullptr;
             }
             database.reset();
             finished(std::move(error));
             done->store(true);
         }),
         done});
}

void JobTracker::finished(std::uint64_t generation, const std::shared_ptr<JobState>& state,
                          std::function<void()> deliver, Failed failed, std::optional<Error> error)
{
    std::erase(m_active, state);
    const bool current = generation == m_generation && !state->cancelled && m_owner;
    if (current) {
        if (!error)
            deliver();
        else if (failed)
            failed(*error);
    }
    if (--m_running == 0)
        Q_EMIT busyChanged(false);
}

} // namespace winnow
