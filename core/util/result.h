#pragma once
// How core reports what went wrong: a message in plain words and where it happened (a file with
// its line and byte offset, an offset inside a pattern, a store path). Core never shows errors;
// the command line prints Error::text() and the app decides how to show it.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace winnow {

struct Location
{
    std::string path;         // a file, a store, a folder; empty when the error has no place
    std::int64_t line = 0;    // 1-based; 0 when not line-based
    std::int64_t offset = -1; // a byte offset in the file, or a character offset in a pattern
    std::string what;         // what the offset counts in ("pattern" for a pattern); empty for files

    bool empty() const { return path.empty() && line == 0 && offset < 0 && what.empty(); }
};

struct Error
{
    std::string message;
    Location location;

    // "path:line: message (byte N)", "pattern offset N: message", or just the message.
    std::string text() const;
};

inline std::string Error::text() const
{
    std::string out;
    if (!location.path.empty()) {
        out += location.path;
        if (location.line > 0) {
            out += ':';
            out += std::to_string(location.line);
        }
        out += ": ";
    } else if (!location.what.empty()) {
        out += location.what;
        if (location.offset >= 0) {
            out += " offset ";
            out += std::to_string(location.offset);
        }
        out += ": ";
    }
    out += message;
    if (!location.path.empty() && location.offset >= 0) {
        out += " (byte ";
        out += std::to_string(location.offset);
        out += ')';
    }
    return out;
}

// Thrown inside core where unwinding is the simplest way out (a write operation, a job); turned
// back into a Result at the boundary that catches it.
class Failure : public std::runtime_error
{
public:
    explicit Failure(Error error) : std::runtime_error(error.text()), m_error(std::move(error)) {}
    explicit Failure(std::string message) : Failure(Error{std::move(message), {}}) {}
    const Error& error() const { return m_error; }

private:
    Error m_error;
};

// A value, or the Error that kept it from being made.
template <typename T> class [[nodiscard]] Result
{
public:
    Result(T value) : m_state(std::move(value)) {}
    Result(Error error) : m_state(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(m_state); }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<T>(m_state); }
    const T& value() const& { return std::get<T>(m_state); }
    T&& value() && { return std::get<T>(std::move(m_state)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    const Error& error() const { return std::get<Error>(m_state); }
    // The value, or throws Failure with the error.
    T take() &&
    {
        if (!ok())
            throw Failure(error());
        return std::get<T>(std::move(m_state));
    }

private:
    std::variant<T, Error> m_state;
};

// Success, or the Error that prevented it.
template <> class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) {}

    bool ok() const { return !m_error; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return *m_error; }
    void check() const
    {
        if (m_error)
            throw Failure(*m_error);
    }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace winnow
