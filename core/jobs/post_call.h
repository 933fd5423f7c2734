#pragma once

#include <QMetaObject>
#include <QObject>

#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#if defined(__SANITIZE_THREAD__)
#define WINNOW_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WINNOW_TSAN 1
#endif
#endif

#ifdef WINNOW_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace winnow {

namespace detail {

// ThreadSanitizer's view of a hand-over it cannot see by itself: what one thread did before
// `release(at)` happens before what another does after `acquire(at)`.
inline void release([[maybe_unused]] void* at)
{
#ifdef WINNOW_TSAN
    __tsan_release(at);
#endif
}

inline void acquire([[maybe_unused]] void* at)
{
#ifdef WINNOW_TSAN
    __tsan_acquire(at);
#endif
}

// A call on its way through Qt's event queue. Debian's Qt is not built with ThreadSanitizer, so
// the lock that orders posting an event before running it is invisible to TSan, and everything
// the call carries would look written on one thread and read on another without order. The last
// move (into the queued slot object, after Qt's own fields) releases at the call's address; the
// call acquires there before anything else, which is the order Qt's queue gives; it releases
// again when done, for whichever thread drops the call last (Qt counts its references) to free it.
template <typename Call> class PostedCall
{
public:
    explicit PostedCall(Call&& call) : m_call(std::move(call)) { release(this); }
    PostedCall(PostedCall&& other) noexcept : m_call(std::move(other.m_call)) { release(this); }
    PostedCall(const PostedCall&) = delete;
    PostedCall& operator=(const PostedCall&) = delete;
    PostedCall& operator=(PostedCall&&) = delete;
    ~PostedCall() { acquire(this); }

    void operator()()
    {
        acquire(this);
        m_call();
        release(this);
    }

private:
    Call m_call;
};

} // namespace detail

// Where calls from other threads reach an object: on the object's thread, through its event
// queue, while it lives. Made on that thread while the object surely lives; copied freely to the
// threads that post. Posting and the object's end exclude each other: a call is queued before the
// end, and dropped with the object's queue, or not at all. Reading a QPointer on another thread
// and posting to what it held is not safe: the object may end between the read and the post, and
// the call then runs on freed memory. Every hand-over from a worker to an object's thread goes
// through here, so ThreadSanitizer sees it.
class Inbox
{
public:
    Inbox() = default; // takes no calls
    explicit Inbox(QObject* owner);

    // Runs `call` later on the owner's thread, unless the owner is gone by then.
    template <typename Call> void post(Call&& call) const
    {
        static_assert(std::is_invocable_v<std::decay_t<Call>&>, "post takes a call with no arguments");
        if (!m_shared)
            return;
        std::lock_guard lock(m_shared->mutex);
        if (!m_shared->receiver)
            return;
        QMetaObject::invokeMethod(
            m_shared->receiver,
            detail::PostedCall<std::decay_t<Call>>(std::decay_t<Call>(std::forward<Call>(call))),
            Qt::QueuedConnection);
    }
    // False once the owner is gone (or for an inbox made without one).
    bool open() const;
    // The same inbox: one a copy of the other.
    friend bool operator==(const Inbox&, const Inbox&) = default;

private:
    class Receiver;
    struct Shared
    {
        std::mutex mutex;
        QObject* receiver = nullptr; // a child of the owner; cleared as it ends
    };
    std::shared_ptr<Shared> m_shared;
};

// Runs `call` on the thread `context` lives in and waits until it has run
// (Qt::BlockingQueuedConnection; `context` lives on another thread, whose event loop runs): how
// a test or a benchmark drives an object it moved to a thread of its own.
template <typename Call> void callAndWait(QObject* context, Call&& call)
{
    int returned = 0; // where the call's end is handed back
    auto run = [&call, &returned] {
        call();
        detail::release(&returned);
    };
    QMetaObject::invokeMethod(context, detail::PostedCall<decltype(run)>(std::move(run)),
                              Qt::BlockingQueuedConnection);
    detail::acquire(&returned);
}

} // namespace winnow
