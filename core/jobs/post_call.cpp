#include "core/jobs/post_call.h"

namespace winnow {

// The owner's child that calls are queued to: children end before their owner's memory is freed,
// and its destructor closes the inbox under the lock posting holds.
class Inbox::Receiver : public QObject
{
public:
    Receiver(QObject* owner, std::shared_ptr<Shared> shared) : QObject(owner), m_shared(std::move(shared))
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->receiver = this;
    }
    ~Receiver() override
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->receiver = nullptr;
    }

private:
    std::shared_ptr<Shared> m_shared;
};

Inbox::Inbox(QObject* owner) : m_shared(std::make_shared<Shared>())
{
    if (owner)
        new Receiver(owner, m_shared);
}

bool Inbox::open() const
{
    if (!m_shared)
        return false;
    std::lock_guard lock(m_shared->mutex);
    return m_shared->receiver != nullptr;
}

} // namespace winnow
