#include "core/jobs/job_runner.h"

namespace winnow {

Store& JobContext::store()
{
    if (!m_store)
        m_store = std::make_unique<Store>(m_path, Store::Mode::ReadOnly);
    return *m_store;
}

JobRunner::JobRunner(Policy policy, QObject* parent) : QObject(parent), m_policy(policy)
{
    m_worker = new QObject;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.setObjectName(QStringLiteral("winnow-jobs"));
    m_thread.start();
}

JobRunner::~JobRunner()
{
    reset();
    m_thread.quit();
    m_thread.wait();
}

void JobRunner::setStorePath(const std::string& path)
{
    if (path == m_storePath)
        return;
    m_storePath = path;
    reset();
}

void JobRunner::reset()
{
    ++m_generation;
    m_context.m_cancelled = true;
    std::lock_guard lock(m_connectionMutex);
    if (m_context.m_store)
        m_context.m_store->connection().interrupt();
}

void JobRunner::submit(std::function<void(JobContext&)> work, std::function<void()> deliver)
{
    if (m_policy == Policy::LatestWins)
        reset();
    const std::uint64_t generation = m_generation.load();
    if (m_pending.fetch_add(1) == 0)
        Q_EMIT busyChanged(true);
    const std::string path = m_storePath;
    QMetaObject::invokeMethod(
        m_worker,
        [this, generation, path, work = std::move(work), deliver = std::move(deliver)] {
            // On the worker thread. The runner outlives this: its destructor joins the thread.
            m_context.m_cancelled = false;
            bool ran = false;
            QString error;
            if (generation == m_generation.load()) { // else superseded while it waited
                if (m_context.m_path != path) {
                    std::lock_guard lock(m_connectionMutex);
                    m_context.m_store.reset();
                    m_context.m_path = path;
                }
                ran = true;
                try {
                    work(m_context);
                } catch (const std::exception& e) {
                    error = QString::fromStdString(e.what());
                }
            }
            QMetaObject::invokeMethod(
                this,
                [this, generation, ran, error, deliver] {
                    if (ran && generation == m_generation.load()) {
                        if (error.isEmpty())
                            deliver();
                        else
                            Q_EMIT failed(error);
                    }
                    if (m_pending.fetch_sub(1) == 1)
                        Q_EMIT busyChanged(false);
                },
                Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

} // namespace winnow
