#pragma once
// A small blocking queue between the ingest parser thread and the writer. Bounded so that a fast
// parser cannot run ahead of the writer and hold the whole input in memory.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace winnow {

template <typename T> class BoundedQueue
{
public:
    explicit BoundedQueue(size_t capacity) : m_capacity(capacity) {}

    // Blocks while full; returns false once the queue is closed.
    bool push(T value)
    {
        std::unique_lock lock(m_mutex);
        m_notFull.wait(lock, [this] { return m_closed || m_items.size() < m_capacity; });
        if (m_closed)
            return false;
        appendLocked(std::move(value));
        return true;
    }

    // Blocks while empty; returns nothing once closed and drained.
    std::optional<T> pop()
    {
        std::unique_lock lock(m_mutex);
        m_notEmpty.wait(lock, [this] { return m_closed || !m_items.empty(); });
        if (m_items.empty())
            return std::nullopt;
        return takeFrontLocked();
    }

    // Never blocks: false when full or closed.
    bool tryPush(T& value)
    {
        std::lock_guard lock(m_mutex);
        if (m_closed || m_items.size() >= m_capacity)
            return false;
        appendLocked(std::move(value));
        return true;
    }

    // Never blocks: nothing when empty.
    std::optional<T> tryPop()
    {
        std::lock_guard lock(m_mutex);
        if (m_items.empty())
            return std::nullopt;
        return takeFrontLocked();
    }

    void close()
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_notEmpty.notify_all();
        m_notFull.notify_all();
    }

private:
    void appendLocked(T&& value)
    {
        m_items.push_back(std::move(value));
        m_notEmpty.notify_one();
    }
    T takeFrontLocked()
    {
        T value = std::move(m_items.front());
        m_items.pop_front();
        m_notFull.notify_one();
        return value;
    }

    std::mutex m_mutex;
    std::condition_variable m_notEmpty;
    std::condition_variable m_notFull;
    std::deque<T> m_items;
    size_t m_capacity;
    bool m_closed = false;
};

} // namespace winnow
