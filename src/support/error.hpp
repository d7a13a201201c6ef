// Error values passed across layers: a message that names the failing thing, and what kind of
// failure it is, so a caller that tolerates one kind (an unmapped page) does not swallow
// another (a lost connection).
#pragma once

#include <expected>
#include <fmt/format.h>
#include <string>
#include <string_view>
#include <utility>

namespace kdive {

enum class ErrorKind {
    other,         // anything not listed below
    unmapped,      // memory that is not there: no translation, outside the dump, E14 from a stub
    transport,     // the connection to the target is lost, timed out or out of step
    corrupt,       // data that contradicts itself: a cycle, a size out of bounds, a bad record
    unsupported,   // the target, kernel or file cannot do this
    invalid_input, // the user's own input is wrong (a bad expression, an unknown name)
};

std::string_view to_string(ErrorKind kind);

struct Error {
    std::string message;
    ErrorKind kind = ErrorKind::other;

    bool is(ErrorKind k) const { return kind == k; }
};

template <typename T = void> using Result = std::expected<T, Error>;

// Builds an unexpected Error from a fmt format string.
template <typename... Args>
std::unexpected<Error> fail(fmt::format_string<Args...> format, Args&&... args) {
    return std::unexpected(Error{fmt::format(format, std::forward<Args>(args)...)});
}

// The same, of a given kind.
template <typename... Args>
std::unexpected<Error> fail_as(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
    return std::unexpected(Error{fmt::format(format, std::forward<Args>(args)...), kind});
}

// Prefixes context to an error coming from a lower layer ("reading X: <inner>"); the kind
// stays the inner one's.
inline std::unexpected<Error> wrap(const Error& inner, std::string_view context) {
    return std::unexpected(Error{fmt::format("{}: {}", context, inner.message), inner.kind});
}

inline std::string_view to_string(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::unmapped:
        return "unmapped";
    case ErrorKind::transport:
        return "transport";
    case ErrorKind::corrupt:
        return "corrupt";
    case ErrorKind::unsupported:
        return "unsupported";
    case ErrorKind::invalid_input:
        return "invalid input";
    case ErrorKind::other:
        break;
    }
    return "other";
}

} // namespace kdive
