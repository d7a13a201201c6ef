// Python inside kdive: `python`, `python-interactive` and `source FILE.py` in the REPL,
// `attach -x SCRIPT` and `kdive python`. The interpreter is not part of libkdive: main() installs
// it when kdive is built with Python, and these say so when it is not.
#pragma once

#include "support/error.hpp"
#include "target/target.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::cli {

class DebuggerStack;

class ScriptHost {
public:
    virtual ~ScriptHost() = default;
    // Runs a script with `prog` bound to the debugger and sys.argv = [path, args...].
    virtual Result<> run_file(const std::filesystem::path& path,
                              const std::vector<std::string>& args) = 0;
    // Runs Python source in the same namespace (`python print(prog.cpus)`).
    virtual Result<> run_code(std::string_view code) = 0;
    // Python's interactive console in that namespace, until Ctrl-D.
    virtual Result<> interactive() = 0;
};

using ScriptHostFactory =
    std::function<std::unique_ptr<ScriptHost>(target::Target&, DebuggerStack&)>;

void set_script_host_factory(ScriptHostFactory factory);
// The interpreter for a debugger; an error saying kdive has none when built without Python.
Result<std::unique_ptr<ScriptHost>> make_script_host(target::Target& target, DebuggerStack& stack);

} // namespace kdive::cli
