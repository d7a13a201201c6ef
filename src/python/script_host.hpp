// The Python interpreter inside the kdive command: `prog` bound to the session's debugger.
#pragma once

#include "cli/debugger_stack.hpp"
#include "cli/script_host.hpp"

#include <memory>

namespace kdive::python {

std::unique_ptr<cli::ScriptHost> make_embedded_script_host(target::Target& target,
                                                           cli::DebuggerStack& stack);

} // namespace kdive::python
