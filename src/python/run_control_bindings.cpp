// Run control from Python: breakpoints with callbacks that decide in kernel context whether to
// stop, watchpoints, cont(timeout=), step, next, finish, interrupt, and the stop event.
#include "arch/architecture.hpp"
#include "python/bindings.hpp"
#include "python/stack_trace.hpp"

#include <chrono>
#include <fmt/core.h>
#include <pybind11/stl.h>

namespace kdive::python {

namespace {

using namespace std::chrono_literals;

struct BreakpointState {
    std::weak_ptr<Program> prog; // the program holds its breakpoints, not the other way round
    int number = 0;
    target::Breakpoint breakpoint;
    std::string location;
    py::object callback;
    int hits = 0;
    bool inserted = true;
};
using BreakpointRef = std::shared_ptr<BreakpointState>;

struct RunState {
    std::vector<BreakpointRef> breakpoints;
    int next_number = 1;
};

struct StopEvent {
    ProgramRef prog;
    std::string reason; // breakpoint, watchpoint, step, interrupted, timeout, signal, exited
    int cpu = 0;
    std::uint64_t pc = 0;
    std::optional<std::uint64_t> task;
    BreakpointRef breakpoint;
    std::optional<std::uint64_t> watch_address;
    int signal = 0;
    std::uint64_t generation = 0;
    std::optional<StackFrame> frame; // read when first asked for
};

RunState& run_state(Program& prog) {
    auto& slot = prog.front_end_state();
    if (!slot) {
        slot = std::make_shared<RunState>();
    }
    return *std::static_pointer_cast<RunState>(slot);
}

target::Target& live(const ProgramRef& prog) {
    return *unwrap(usable(prog).live_target());
}

std::string reason_text(target::StopEvent::Reason reason) {
    using R = target::StopEvent::Reason;
    switch (reason) {
    case R::breakpoint:
        return "breakpoint";
    case R::watchpoint:
        return "watchpoint";
    case R::interrupted:
        return "interrupted";
    case R::signal:
        return "signal";
    case R::exited:
        return "exited";
    }
    return "signal";
}

StopEvent describe(const ProgramRef& prog, const target::StopEvent& stop, std::string reason) {
    StopEvent event;
    event.prog = prog;
    event.reason = std::move(reason);
    event.cpu = stop.vcpu;
    event.signal = stop.signal;
    if (stop.reason == target::StopEvent::Reason::exited) {
        return event;
    }
    auto& target = live(prog);
    event.generation = target.guest_generation();
    if (auto pc = target.read_cpu_register(stop.vcpu, arch::architecture_of(target).pc)) {
        event.pc = *pc;
    }
    if (auto running = prog->vcpu_tasks()) {
        const auto& slots = (*running)->slots();
        if (static_cast<std::size_t>(stop.vcpu) < slots.size() && slots[stop.vcpu].current != 0) {
            event.task = slots[stop.vcpu].current;
        }
    }
    if (stop.reason == target::StopEvent::Reason::watchpoint) {
        event.watch_address = stop.watch_address;
    }
    for (const auto& b : run_state(*prog).breakpoints) {
        if (!b->inserted) {
            continue;
        }
        const bool watch = target::is_watchpoint(b->breakpoint.kind);
        if ((!watch && stop.reason == target::StopEvent::Reason::breakpoint &&
             b->breakpoint.address == event.pc) ||
            (watch && stop.reason == target::StopEvent::Reason::watchpoint &&
             stop.watch_address >= b->breakpoint.address &&
             stop.watch_address < b->breakpoint.address + b->breakpoint.length)) {
            event.breakpoint = b;
            break;
        }
    }
    return event;
}

// Waits for the running guest in short slices, so Ctrl-C (Python's KeyboardInterrupt) and the
// timeout are noticed; either stops the guest before returning or raising.
std::optional<target::StopEvent>
wait_for_stop(target::Target& target,
              std::optional<std::chrono::steady_clock::time_point> deadline) {
    for (;;) {
        auto stop = unwrap(target.wait_for_stop(100ms));
        if (stop) {
            return stop;
        }
        const bool interrupted = PyErr_CheckSignals() != 0;
        const bool expired = deadline && std::chrono::steady_clock::now() >= *deadline;
        if (!interrupted && !expired) {
            continue;
        }
        py::error_scope keep; // a pending KeyboardInterrupt waits while the guest stops
        (void)target.interrupt();
        auto halted = target.wait_for_stop(5s);
        if (!halted || !*halted) {
            raise_error(halted ? Error{"the guest did not stop within 5 s of an interrupt",
                                       ErrorKind::transport}
                               : halted.error());
        }
        if (interrupted) {
            return std::nullopt; // the KeyboardInterrupt is raised by the caller
        }
        auto event = **halted;
        event.reason = target::StopEvent::Reason::interrupted;
        return event;
    }
}

StopEvent cont(const ProgramRef& prog, std::optional<double> timeout) {
    auto& target = live(prog);
    if (target.running()) {
        raise_error(Error{"the guest is already running", ErrorKind::invalid_input});
    }
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (timeout) {
        deadline = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<long long>(*timeout * 1000));
    }
    for (;;) {
        unwrap(target.resume());
        auto stop = wait_for_stop(target, deadline);
        if (!stop) {
            throw py::error_already_set();
        }
        const bool timed_out = deadline && stop->reason == target::StopEvent::Reason::interrupted &&
                               std::chrono::steady_clock::now() >= *deadline;
        StopEvent event = describe(prog, *stop, timed_out ? "timeout" : reason_text(stop->reason));
        if (!event.breakpoint) {
            return event;
        }
        ++event.breakpoint->hits;
        if (event.breakpoint->callback.is_none()) {
            return event;
        }
        // The callback decides: False resumes the guest; anything else stops here.
        py::object verdict = event.breakpoint->callback(event);
        if (!(py::isinstance<py::bool_>(verdict) && !verdict.cast<bool>())) {
            return event;
        }
        if (deadline && std::chrono::steady_clock::now() >= *deadline) {
            event.reason = "timeout";
            return event;
        }
    }
}

StopEvent source_step(const ProgramRef& prog, const std::string& command) {
    Program& p = usable(prog);
    auto& target = live(prog);
    if (p.stack() == nullptr) {
        raise_error(Error{"no debugger to step with", ErrorKind::unsupported});
    }
    (void)unwrap(p.command(command));
    target::StopEvent stop;
    stop.vcpu = target.current_vcpu();
    return describe(prog, stop, "step");
}

BreakpointRef add_breakpoint(const ProgramRef& prog, target::Breakpoint breakpoint,
                             std::string location, py::object callback) {
    Program& p = usable(prog);
    auto& target = live(prog);
    unwrap(target.insert_breakpoint(breakpoint), breakpoint.address);
    auto& state = run_state(p);
    auto made = std::make_shared<BreakpointState>();
    made->prog = prog;
    made->number = state.next_number++;
    made->breakpoint = breakpoint;
    made->location = std::move(location);
    made->callback = std::move(callback);
    state.breakpoints.push_back(made);
    return made;
}

void delete_breakpoint(BreakpointState& b) {
    if (!b.inserted) {
        return;
    }
    ProgramRef prog = b.prog.lock();
    Program& p = usable(prog);
    auto& target = *unwrap(p.live_target());
    unwrap(target.remove_breakpoint(b.breakpoint), b.breakpoint.address);
    b.inserted = false;
    std::erase_if(run_state(p).breakpoints,
                  [&](const BreakpointRef& other) { return other.get() == &b; });
}

} // namespace

void define_run_control(py::module_& module) {
    py::class_<BreakpointState, BreakpointRef>(module, "Breakpoint",
                                               "A breakpoint or watchpoint set from Python.")
        .def_readonly("number", &BreakpointState::number)
        .def_property_readonly("address",
                               [](const BreakpointState& b) { return b.breakpoint.address; })
        .def_property_readonly("kind",
                               [](const BreakpointState& b) {
                                   return std::string(target::to_string(b.breakpoint.kind));
                               })
        .def_readonly("location", &BreakpointState::location)
        .def_readonly("hits", &BreakpointState::hits, "How often the guest stopped at it.")
        .def_readonly("callback", &BreakpointState::callback)
        .def_readonly("inserted", &BreakpointState::inserted)
        .def("delete", &delete_breakpoint, "Removes it from the guest.")
        .def("__repr__", [](const BreakpointState& b) {
            return fmt::format("Breakpoint({}, {}, 0x{:x}, kind='{}', hits={})", b.number,
                               b.location, b.breakpoint.address,
                               target::to_string(b.breakpoint.kind), b.hits);
        });

    py::class_<StopEvent>(module, "StopEvent", "Why and where the guest stopped.")
        .def_readonly("reason", &StopEvent::reason,
                      "\"breakpoint\", \"watchpoint\", \"step\", \"interrupted\", \"timeout\", "
                      "\"signal\" or \"exited\".")
        .def_readonly("cpu", &StopEvent::cpu, "The vCPU that stopped.")
        .def_readonly("pc", &StopEvent::pc)
        .def_readonly("breakpoint", &StopEvent::breakpoint,
                      "The kdive.Breakpoint that was hit, or None.")
        .def_readonly("watch_address", &StopEvent::watch_address)
        .def_property_readonly(
            "task",
            [](const StopEvent& e) -> py::object {
                if (!e.task) {
                    return py::none();
                }
                Program& p = usable(e.prog);
                return py::cast(pointer_object(
                    e.prog, type_argument(p, py::str("struct task_struct")), *e.task));
            },
            "The task running on that vCPU (struct task_struct *), or None.")
        .def_property_readonly(
            "frame",
            [](StopEvent& e) {
                if (!e.frame) {
                    auto trace = unwrap(vcpu_stack_trace(e.prog, e.cpu));
                    const auto& frames = trace->frames(1);
                    if (frames.empty()) {
                        raise_error(Error{trace->stop_reason().empty() ? "no kernel frame"
                                                                       : trace->stop_reason(),
                                          ErrorKind::unsupported});
                    }
                    e.frame = frames.front();
                }
                return *e.frame;
            },
            "The innermost frame on that vCPU (kdive.StackFrame): frame['arg'] reads a "
            "parameter.")
        .def("__repr__", [](const StopEvent& e) {
            return fmt::format("StopEvent(reason='{}', cpu={}, pc=0x{:x}{})", e.reason, e.cpu, e.pc,
                               e.breakpoint ? fmt::format(", breakpoint={}", e.breakpoint->number)
                                            : "");
        });

    auto program = module.attr("Program");
    const auto method = [&](const char* name, auto&& function, const char* doc, auto... args) {
        program.attr(name) = py::cpp_function(std::forward<decltype(function)>(function),
                                              py::is_method(program), py::name(name), args..., doc);
    };
    method(
        "breakpoint",
        [](const ProgramRef& prog, py::handle location, py::object callback, bool hardware) {
            Program& p = usable(prog);
            std::uint64_t address = 0;
            std::string text;
            if (py::isinstance<py::str>(location)) {
                text = location.cast<std::string>();
                auto resolved = unwrap(p.eval().resolve_location(text));
                if (!resolved) {
                    raise_error(Error{fmt::format("Function \"{}\" not defined.", text),
                                      ErrorKind::invalid_input});
                }
                address = *resolved;
            } else if (py::isinstance<Object>(location)) {
                const auto& object = location.cast<const Object&>();
                address = object.value.resolved_type()->kind == debuginfo::TypeKind::function &&
                                  object.value.address()
                              ? *object.value.address()
                              : object_bits(object);
                text = fmt::format("*0x{:x}", address);
            } else {
                address = location.cast<std::uint64_t>();
                text = fmt::format("*0x{:x}", address);
            }
            if (!callback.is_none() && PyCallable_Check(callback.ptr()) == 0) {
                throw py::type_error("breakpoint(): callback must be callable");
            }
            target::Breakpoint b{hardware ? target::BreakpointKind::hardware
                                          : target::BreakpointKind::software,
                                 address, 1};
            return add_breakpoint(prog, b, text, std::move(callback));
        },
        "Stops the guest at a location (a function, *ADDRESS, an address or a function "
        "object). With a callback, cont() calls it with the StopEvent at each hit and resumes "
        "the guest when it returns False.",
        py::arg("location"), py::arg("callback") = py::none(), py::arg("hardware") = false);
    method(
        "watchpoint",
        [](const ProgramRef& prog, py::handle expression, const std::string& kind,
           py::object callback) {
            Program& p = usable(prog);
            eval::Value value = py::isinstance<Object>(expression)
                                    ? expression.cast<const Object&>().value
                                    : unwrap(p.eval().evaluate(expression.cast<std::string>()));
            if (!value.address()) {
                throw py::value_error("watchpoint(): the expression is not in memory");
            }
            const std::uint64_t size = value.resolved_type()->size;
            if (size != 1 && size != 2 && size != 4 && size != 8) {
                throw py::value_error(
                    fmt::format("watchpoint(): x86-64 watches 1, 2, 4 or 8 bytes, not {}", size));
            }
            target::BreakpointKind k = target::BreakpointKind::write_watch;
            if (kind == "read") {
                k = target::BreakpointKind::read_watch;
            } else if (kind == "access") {
                k = target::BreakpointKind::access_watch;
            } else if (kind != "write") {
                throw py::value_error("watchpoint(): kind is \"write\", \"read\" or \"access\"");
            }
            std::string text = py::isinstance<Object>(expression)
                                   ? fmt::format("*0x{:x}", *value.address())
                                   : expression.cast<std::string>();
            return add_breakpoint(prog, target::Breakpoint{k, *value.address(), size}, text,
                                  std::move(callback));
        },
        "Stops the guest when the expression's memory is written (or read, or accessed).",
        py::arg("expression"), py::arg("kind") = "write", py::arg("callback") = py::none());
    method(
        "breakpoints", [](const ProgramRef& prog) { return run_state(usable(prog)).breakpoints; },
        "The breakpoints and watchpoints set from Python.");
    method("cont", &cont,
           "Resumes the guest until a stop (a breakpoint whose callback does not return False, "
           "a watchpoint, Ctrl-C) and gives the StopEvent. With timeout= (seconds) the guest is "
           "interrupted then, and the event's reason is \"timeout\".",
           py::arg("timeout") = py::none());
    method(
        "interrupt",
        [](const ProgramRef& prog) {
            auto& target = live(prog);
            if (!target.running()) {
                raise_error(Error{"the guest is not running", ErrorKind::invalid_input});
            }
            unwrap(target.interrupt());
            auto stop = unwrap(target.wait_for_stop(5s));
            if (!stop) {
                raise_error(Error{"the guest did not stop within 5 s", ErrorKind::transport});
            }
            return describe(prog, *stop, "interrupted");
        },
        "Stops a running guest.");
    method(
        "step", [](const ProgramRef& prog) { return source_step(prog, "step"); },
        "One source line on the stopped vCPU, into calls.");
    method(
        "next", [](const ProgramRef& prog) { return source_step(prog, "next"); },
        "One source line on the stopped vCPU, over calls.");
    method(
        "stepi", [](const ProgramRef& prog) { return source_step(prog, "stepi"); },
        "One instruction on the stopped vCPU.");
    method(
        "finish", [](const ProgramRef& prog) { return source_step(prog, "finish"); },
        "Runs until the current function returns to its caller.");
}

} // namespace kdive::python
