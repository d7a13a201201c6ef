// Uniform error reporting for sub-commands.
#pragma once

#include <cstdio>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "support/error.hpp"

namespace kdive::cli {

// Prints "kdive: <message>" to stderr and records a failing exit status.
inline void report_error(ExitStatus& status, const Error& error, int code = 1) {
    fmt::print(stderr, "kdive: {}\n", error.message);
    status.code = code;
}

} // namespace kdive::cli
