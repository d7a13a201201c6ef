// Where kdive finds its Python interpreter, when it has one.
#include "cli/script_host.hpp"

namespace kdive::cli {

namespace {

ScriptHostFactory& factory() {
    static ScriptHostFactory installed;
    return installed;
}

} // namespace

void set_script_host_factory(ScriptHostFactory made) {
    factory() = std::move(made);
}

Result<std::unique_ptr<ScriptHost>> make_script_host(target::Target& target, DebuggerStack& stack) {
    if (!factory()) {
        return fail_as(ErrorKind::unsupported,
                       "this kdive was built without Python (cmake -DKDIVE_PYTHON=ON)");
    }
    return factory()(target, stack);
}

} // namespace kdive::cli
