// kdive.StackTrace and kdive.StackFrame: prog.stack_trace(task) or (cpu=N), frames with their
// function, source line, module, registers and DWARF variables.
#include "kernel/stack_unwinder.hpp"
#include "python/bindings.hpp"
#include "python/stack_trace.hpp"

#include <fmt/core.h>
#include <pybind11/stl.h>

namespace kdive::python {

namespace {

py::object text_or_none(const std::string& text) {
    return text.empty() ? py::object(py::none()) : py::object(py::str(text));
}

std::string frame_text(const StackFrame& f) {
    std::string text = fmt::format("#{:<2} ", f.index);
    if (f.function.empty()) {
        text += fmt::format("0x{:x}", f.pc);
    } else {
        text += f.function;
    }
    if (!f.file.empty()) {
        text += fmt::format(" ({}:{})", f.file, f.line);
    }
    if (f.module) {
        text += fmt::format(" [{}]", *f.module);
    }
    if (f.is_inline) {
        text += " (inlined)";
    }
    return text;
}

Object variable(StackFrame& frame, const std::string& name) {
    (void)usable(frame.prog);
    if (auto target = frame.prog->target();
        target && (*target)->guest_generation() != frame.generation) {
        raise_error(Error{"the frame is stale: the guest ran since the stack was read",
                          ErrorKind::unsupported});
    }
    auto found = frame_variable(frame, name);
    if (!found) {
        throw py::key_error(name);
    }
    return Object{frame.prog, unwrap(std::move(*found))};
}

using TraceRef = std::shared_ptr<StackTrace>;

std::string trace_text(StackTrace& t) {
    std::string text;
    for (const auto& f : t.all_frames()) {
        text += frame_text(f) + "\n";
    }
    if (!t.stop_reason().empty()) {
        text += fmt::format("({})\n", t.stop_reason());
    }
    if (!text.empty()) {
        text.pop_back();
    }
    return text;
}

TraceRef trace_of(const ProgramRef& prog, py::handle task, std::optional<int> cpu) {
    Program& p = usable(prog);
    if (cpu) {
        if (!task.is_none()) {
            throw py::value_error("stack_trace(): give a task or cpu=, not both");
        }
        return unwrap(vcpu_stack_trace(prog, *cpu));
    }
    if (task.is_none()) {
        throw py::value_error("stack_trace(): give a task (struct task_struct *, or a pid) or "
                              "cpu=");
    }
    std::uint64_t address = 0;
    if (py::isinstance<Object>(task)) {
        address = object_bits(task.cast<const Object&>());
    } else {
        const int pid = task.cast<int>();
        auto* commands = p.kernel_commands();
        (void)unwrap(p.kernel());
        address = unwrap(commands->task_by_pid(pid));
    }
    return unwrap(task_stack_trace(prog, address));
}

} // namespace

void define_stack(py::module_& module) {
    py::class_<StackFrame>(module, "StackFrame",
                           "One frame of a kernel stack (inlined calls "
                           "are frames of their own, as in drgn).")
        .def_readonly("pc", &StackFrame::pc, "Its program counter (callers: the return address).")
        .def_readonly("sp", &StackFrame::sp, "Its stack pointer.")
        .def_readonly("is_inline", &StackFrame::is_inline,
                      "True for a function inlined into the frame below it.")
        .def_readonly("interrupted", &StackFrame::interrupted,
                      "True when pc is where the CPU stopped or was interrupted, not a return.")
        .def_property_readonly(
            "function", [](const StackFrame& f) { return text_or_none(f.function); },
            "The function's name; None when no symbol covers the pc.")
        .def_property_readonly(
            "name", [](const StackFrame& f) { return text_or_none(f.function); },
            "The same as function (drgn's name).")
        .def_property_readonly(
            "file", [](const StackFrame& f) { return text_or_none(f.file); },
            "Its source file, as the debug info names it; None when unknown.")
        .def_property_readonly(
            "line",
            [](const StackFrame& f) -> py::object {
                return f.line == 0 ? py::object(py::none()) : py::object(py::int_(f.line));
            },
            "Its source line; None when unknown.")
        .def_readonly("module", &StackFrame::module,
                      "The module the code belongs to; None for the vmlinux.")
        .def(
            "source",
            [](const StackFrame& f) {
                if (f.file.empty()) {
                    throw py::key_error("no source line for this frame");
                }
                return py::make_tuple(f.file, f.line);
            },
            "(file, line), as drgn's source(); KeyError (a LookupError) when unknown.")
        .def(
            "registers",
            [](const StackFrame& f) {
                py::dict out;
                for (std::size_t i = 0; i < f.registers.size(); ++i) {
                    if (f.registers[i]) {
                        out[py::str(std::string(kernel::dwarf_register_name(i)))] = *f.registers[i];
                    }
                }
                return out;
            },
            "The registers this frame knows, by name (rip, rsp, rbx...).")
        .def(
            "register",
            [](const StackFrame& f, const std::string& name) {
                for (std::size_t i = 0; i < f.registers.size(); ++i) {
                    if (kernel::dwarf_register_name(i) == name && f.registers[i]) {
                        return *f.registers[i];
                    }
                }
                throw py::key_error(fmt::format("register {} is not known in this frame", name));
            },
            py::arg("name"), "One register's value; KeyError when the frame does not know it.")
        .def("locals", &frame_variable_names,
             "The names of its parameters and locals (DWARF), parameters first.")
        .def("__getitem__", &variable, py::arg("name"),
             "A parameter or local by name, read through its DWARF location.")
        .def("__contains__",
             [](StackFrame& f, const std::string& name) {
                 const auto names = frame_variable_names(f);
                 return std::ranges::find(names, name) != names.end();
             })
        .def("__str__", &frame_text)
        .def("__repr__", &frame_text);

    py::class_<StackTrace, TraceRef>(module, "StackTrace",
                                     "A kernel stack, innermost frame first. Frames' source "
                                     "lines and scopes are looked up when first asked for.")
        .def_property_readonly(
            "frames", [](StackTrace& t) { return t.all_frames(); }, "The frames.")
        .def_property_readonly(
            "stop_reason", [](const StackTrace& t) { return t.stop_reason(); },
            "Why the unwind ended early; empty at the stack's natural end.")
        .def("__len__", [](StackTrace& t) { return t.all_frames().size(); })
        .def("__getitem__",
             [](StackTrace& t, long index) {
                 const auto& frames =
                     index >= 0 ? t.frames(static_cast<std::size_t>(index) + 1) : t.all_frames();
                 const long size = static_cast<long>(frames.size());
                 if (index < 0) {
                     index += size;
                 }
                 if (index < 0 || index >= size) {
                     throw py::index_error("frame index out of range");
                 }
                 return frames[static_cast<std::size_t>(index)];
             })
        .def("__iter__", [](StackTrace& t) { return py::iter(py::cast(t.all_frames())); })
        .def("__str__", &trace_text)
        .def("__repr__", &trace_text);

    auto program = module.attr("Program");
    program.attr("stack_trace") = py::cpp_function(
        [](const ProgramRef& prog, py::handle task, std::optional<int> cpu) {
            return trace_of(prog, task, cpu);
        },
        py::is_method(program), py::name("stack_trace"), py::arg("task") = py::none(),
        py::arg("cpu") = py::none(),
        "The kernel stack of a task (struct task_struct * or pid), or with cpu=N of that CPU. "
        "A task running on a vCPU is unwound from its registers, a sleeping one from its "
        "saved frame.");
    module.def(
        "stack_trace",
        [](py::handle task) {
            if (!py::isinstance<Object>(task)) {
                throw py::type_error("stack_trace() takes a task (struct task_struct *); use "
                                     "prog.stack_trace(pid) for a pid");
            }
            return trace_of(task.cast<const Object&>().prog, task, std::nullopt);
        },
        py::arg("task"), "The kernel stack of a task.");
}

} // namespace kdive::python
