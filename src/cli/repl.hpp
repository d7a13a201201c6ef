// The interactive loop of `kdive attach`: line editing and history (libedit) over a session.
#pragma once

#include "cli/debugger_session.hpp"

#include <filesystem>

namespace kdive::cli {

// Reads commands until quit/detach or end of input; returns false if the last command failed
// when input is not a terminal (scripts piped into kdive should fail visibly).
bool run_repl(DebuggerSession& session, const std::filesystem::path& history_file);

} // namespace kdive::cli
