// Error values passed across layers: a message that names the failing thing.
#pragma once

#include <expected>
#include <fmt/format.h>
#include <string>
#include <utility>

namespace kdive {

struct Error {
    std::string message;
};

template <typename T = void> using Result = std::expected<T, Error>;

// Builds an unexpected Error from a fmt format string.
template <typename... Args>
std::unexpected<Error> fail(fmt::format_string<Args...> format, Args&&... args) {
    return std::unexpected(Error{fmt::format(format, std::forward<Args>(args)...)});
}

// Prefixes context to an error coming from a lower layer ("reading X: <inner>").
inline std::unexpected<Error> wrap(const Error& inner, std::string_view context) {
    return std::unexpected(Error{fmt::format("{}: {}", context, inner.message)});
}

} // namespace kdive
