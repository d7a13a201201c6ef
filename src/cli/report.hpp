// Uniform error reporting for sub-commands and debugger commands.
#pragma once

#include "cli/commands.hpp"
#include "support/error.hpp"
#include "support/guest_text.hpp"

#include <cstdio>
#include <fmt/core.h>
#include <string_view>

namespace kdive::cli {

// A message may quote guest bytes (a task name, a banner): none reaches the terminal raw.
inline std::string printable(std::string_view message) {
    return terminal_text(message, TerminalText::message);
}

// Prints "kdive: <message>" to stderr and records a failing exit status.
inline void report_error(ExitStatus& status, const Error& error, int code = 1) {
    fmt::print(stderr, "kdive: {}\n", printable(error.message));
    status.code = code;
}

// Prints "error: <message>" to stderr, as the REPL does for a failed command.
inline void print_command_error(std::string_view message) {
    fmt::print(stderr, "error: {}\n", printable(message));
}

} // namespace kdive::cli
