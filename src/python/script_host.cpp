// The interpreter kdive embeds: the same module as the extension (registered as kdive._kdive),
// the package's Python part built into the binary, and one namespace per session with `prog`.
#include "python/script_host.hpp"

#include "python/bindings.hpp"

#include <csignal>
#include <cstdio>
#include <fmt/core.h>
#include <pybind11/embed.h>
#include <pybind11/stl.h>

PYBIND11_EMBEDDED_MODULE(_kdive_embedded, module) {
    kdive::python::define_module(module);
}

namespace kdive::python {

namespace {

const char* const package_source =
#include "kdive_package.inc"
    ;

void start_interpreter() {
    static bool started = false;
    if (started) {
        return;
    }
    // Without Python's signal handlers: outside Python, Ctrl-C stays kdive's.
    py::initialize_interpreter(false);
    started = true;
    auto modules = py::module_::import("sys").attr("modules");
    modules["kdive._kdive"] = py::module_::import("_kdive_embedded");
    py::module_ package = py::module_::import("types").attr("ModuleType")("kdive");
    package.attr("__path__") = py::list();
    package.attr("__package__") = "kdive";
    package.attr("__spec__") = py::none();
    package.attr("__file__") = "<kdive>";
    modules["kdive"] = package;
    py::exec(package_source, package.attr("__dict__"));
}

void flush_python() {
    auto sys = py::module_::import("sys");
    for (const char* stream : {"stdout", "stderr"}) {
        if (py::hasattr(sys, stream) && !sys.attr(stream).is_none()) {
            (void)sys.attr(stream).attr("flush")();
        }
    }
}

// The interpreter first: a dict is a Python object.
py::dict fresh_namespace() {
    start_interpreter();
    return {};
}

class EmbeddedScriptHost final : public cli::ScriptHost {
public:
    EmbeddedScriptHost(target::Target& target, cli::DebuggerStack& stack)
        : prog_(Program::borrow(target, stack)), globals_(fresh_namespace()) {
        globals_["__builtins__"] = py::module_::import("builtins");
        globals_["__name__"] = "__main__";
        globals_["kdive"] = py::module_::import("kdive");
        globals_["prog"] = py::cast(prog_);
    }

    ~EmbeddedScriptHost() override {
        prog_->close(); // objects scripts kept now raise instead of touching a gone debugger
        globals_.clear();
    }
    EmbeddedScriptHost(const EmbeddedScriptHost&) = delete;
    EmbeddedScriptHost& operator=(const EmbeddedScriptHost&) = delete;

    Result<> run_file(const std::filesystem::path& path,
                      const std::vector<std::string>& args) override {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) {
            return fail_as(ErrorKind::invalid_input, "{}: no such Python file", path.string());
        }
        std::vector<std::string> argv{path.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(path.string(), [&] {
            py::module_::import("sys").attr("argv") = argv;
            globals_["__file__"] = path.string();
            py::eval_file(path.string(), globals_);
        });
    }

    Result<> run_code(std::string_view code) override {
        return run("python", [&] { py::exec(std::string(code), globals_); });
    }

    Result<> interactive() override {
        return run("python-interactive", [&] {
            // Not Python's readline module: it is GNU readline, whose symbols libedit (kdive's
            // line editor, loaded first) would answer for.
            py::module_::import("code").attr("interact")(
                py::arg("banner") = "Python with `prog` bound to this session (import kdive); "
                                    "Ctrl-D returns to kdive.",
                py::arg("local") = globals_, py::arg("exitmsg") = "");
        });
    }

private:
    template <typename Body> Result<> run(const std::string& what, Body body) {
        (void)std::fflush(stdout);
        // While Python runs, Ctrl-C is Python's KeyboardInterrupt (a loop in a script ends, a
        // waiting cont() stops the guest); kdive's own handler comes back afterwards.
        struct sigaction kdive_handler {};
        (void)sigaction(SIGINT, nullptr, &kdive_handler);
        const auto restore = [&] { (void)sigaction(SIGINT, &kdive_handler, nullptr); };
        try {
            auto signal = py::module_::import("signal");
            signal.attr("signal")(signal.attr("SIGINT"), signal.attr("default_int_handler"));
            body();
            flush_python();
            restore();
            return {};
        } catch (py::error_already_set& error) {
            restore();
            if (error.matches(PyExc_SystemExit)) {
                py::object code = error.value().attr("code");
                flush_python();
                if (code.is_none() || (py::isinstance<py::int_>(code) && code.cast<int>() == 0)) {
                    return {};
                }
                return fail("{} exited with {}", what, py::str(code).cast<std::string>());
            }
            const std::string summary = error.what();
            error.restore();
            PyErr_Print(); // the traceback, on Python's stderr
            flush_python();
            const auto line = summary.find('\n');
            return fail("{} failed: {}", what, summary.substr(0, line));
        }
    }

    ProgramRef prog_;
    py::dict globals_;
};

} // namespace

std::unique_ptr<cli::ScriptHost> make_embedded_script_host(target::Target& target,
                                                           cli::DebuggerStack& stack) {
    return std::make_unique<EmbeddedScriptHost>(target, stack);
}

} // namespace kdive::python
