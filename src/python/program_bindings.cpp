// kdive.Program, kdive.attach() and kdive.inspect(): names, types, symbols and memory of a
// kernel, live or in a dump or in its vmlinux alone.
#include "kernel/per_cpu.hpp"
#include "python/bindings.hpp"

#include <fmt/core.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

namespace kdive::python {

namespace {

struct Symbol {
    std::string name;
    std::uint64_t address = 0;
    std::uint64_t size = 0;
    std::string kind; // "function", "object" or "other"
    std::optional<std::string> module;
};

std::string kind_text(debuginfo::SymbolKind kind) {
    switch (kind) {
    case debuginfo::SymbolKind::function:
        return "function";
    case debuginfo::SymbolKind::object:
        return "object";
    case debuginfo::SymbolKind::other:
        break;
    }
    return "other";
}

bool is_identifier(std::string_view name) {
    if (name.empty() || (std::isdigit(static_cast<unsigned char>(name.front())) != 0)) {
        return false;
    }
    return std::ranges::all_of(
        name, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; });
}

// A global variable or function by name; nullopt when no image has the name.
std::optional<Object> lookup(const ProgramRef& prog, const std::string& name) {
    Program& p = usable(prog);
    if (!is_identifier(name)) {
        return std::nullopt;
    }
    auto& scope = p.eval().scope();
    auto variable = scope.find_variable(name);
    if (!variable) {
        return std::nullopt;
    }
    auto value = p.eval().evaluate(name);
    if (!value) {
        raise_error(value.error(), variable->address);
    }
    return Object{prog, *value};
}

Symbol symbol_at(Program& prog, std::uint64_t address) {
    auto& scope = prog.eval().scope();
    const std::uint64_t file_address = scope.to_file_address(address);
    if (auto found = prog.info().symbols().lookup(file_address); found && found->symbol) {
        const auto* s = found->symbol;
        return Symbol{std::string(s->name), address - found->offset, s->size, kind_text(s->kind),
                      std::nullopt};
    }
    if (auto* images = scope.loaded_images()) {
        if (auto where = images->describe(address); where && !where->symbol.empty()) {
            return Symbol{where->symbol, address - where->offset, 0, "other", where->image};
        }
    }
    throw py::key_error(fmt::format("no symbol covers 0x{:x}", address));
}

Symbol symbol_named(Program& prog, const std::string& name) {
    auto& scope = prog.eval().scope();
    (void)prog.context(); // the load offset, up to date
    if (const auto* s = prog.info().symbols().find(name)) {
        return Symbol{std::string(s->name), s->address + scope.load_offset(), s->size,
                      kind_text(s->kind), std::nullopt};
    }
    if (auto* images = scope.loaded_images()) {
        if (auto variable = images->find_variable(name)) {
            std::optional<std::string> module;
            if (auto where = images->describe(variable->address)) {
                module = where->image;
            }
            return Symbol{name, variable->address, 0, variable->is_function ? "function" : "object",
                          module};
        }
    }
    throw py::key_error(fmt::format("no symbol named {}", name));
}

std::vector<int> online_cpus(Program& prog) {
    kernel::Kernel* view = unwrap(prog.kernel());
    auto cpus = unwrap(kernel::PerCpu::load(*view));
    return cpus.online();
}

} // namespace

void define_program(py::module_& module) {
    py::class_<Symbol>(module, "Symbol", "An ELF symbol of the vmlinux or of a loaded module.")
        .def_readonly("name", &Symbol::name)
        .def_readonly("address", &Symbol::address, "Its runtime address (KASLR applied).")
        .def_readonly("size", &Symbol::size, "Its size (0 when unknown, as for module symbols).")
        .def_readonly("kind", &Symbol::kind, "\"function\", \"object\" or \"other\".")
        .def_readonly("module", &Symbol::module, "The module's name, or None for the vmlinux.")
        .def("__repr__", [](const Symbol& s) {
            return fmt::format("Symbol(name='{}', address=0x{:x}, size=0x{:x}{})", s.name,
                               s.address, s.size,
                               s.module ? fmt::format(", module='{}'", *s.module) : "");
        });

    py::class_<Program, ProgramRef>(module, "Program",
                                    "A kernel: live in a VM, in a vmcore, or a vmlinux alone.")
        .def(
            "__getitem__",
            [](const ProgramRef& prog, const std::string& name) {
                if (auto found = lookup(prog, name)) {
                    return *found;
                }
                throw py::key_error(name);
            },
            py::arg("name"), "A global or per-CPU variable, or a function, by name.")
        .def("__contains__", [](const ProgramRef& prog,
                                const std::string& name) { return lookup(prog, name).has_value(); })
        .def(
            "variable",
            [](const ProgramRef& prog, const std::string& name) {
                auto found = lookup(prog, name);
                if (!found || found->value.resolved_type()->kind == debuginfo::TypeKind::function) {
                    throw py::key_error(fmt::format("no variable named {}", name));
                }
                return *found;
            },
            py::arg("name"),
            "A global or per-CPU variable (per-CPU: the offset object; see "
            "per_cpu()).")
        .def(
            "function",
            [](const ProgramRef& prog, const std::string& name) {
                auto found = lookup(prog, name);
                if (!found || found->value.resolved_type()->kind != debuginfo::TypeKind::function) {
                    throw py::key_error(fmt::format("no function named {}", name));
                }
                return *found;
            },
            py::arg("name"), "A function as an object (its address_ is where it starts).")
        .def(
            "constant",
            [](const ProgramRef& prog, const std::string& name) {
                Program& p = usable(prog);
                auto found = p.eval().scope().find_enumerator(name);
                if (!found) {
                    throw py::key_error(fmt::format("no enumerator named {}", name));
                }
                return Object{prog, eval::Value::from_integer(
                                        found->type, static_cast<std::uint64_t>(found->value))};
            },
            py::arg("name"), "An enumerator (TASK_COMM_LEN, PIDTYPE_PID) as a typed object.")
        .def(
            "eval",
            [](const ProgramRef& prog, const std::string& expression) {
                Program& p = usable(prog);
                return Object{prog, unwrap(p.eval().evaluate(expression))};
            },
            py::arg("expression"),
            "A C expression as kdive's `p` evaluates it (kernel $functions included).")
        .def(
            "symbol",
            [](const ProgramRef& prog, py::handle what) {
                Program& p = usable(prog);
                if (py::isinstance<py::str>(what)) {
                    return symbol_named(p, what.cast<std::string>());
                }
                if (py::isinstance<Object>(what)) {
                    return symbol_at(p, object_bits(what.cast<const Object&>()));
                }
                return symbol_at(p, what.cast<std::uint64_t>());
            },
            py::arg("address_or_name"),
            "The symbol containing an address, or the symbol of a name; KeyError when none.")
        .def(
            "type",
            [](const ProgramRef& prog, py::handle name) {
                return TypeRef{prog, type_argument(usable(prog), name)};
            },
            py::arg("name"), "A type by its C name: \"struct task_struct\", \"u64 *\".")
        .def(
            "read",
            [](const ProgramRef& prog, std::uint64_t address, std::size_t size, bool physical) {
                Program& p = usable(prog);
                if (size > (std::size_t{1} << 30)) {
                    throw py::value_error("read(): at most 1 GiB at once");
                }
                std::vector<std::uint8_t> bytes(size);
                if (physical) {
                    auto* target = unwrap(p.target());
                    unwrap(target->read_physical(address, bytes), address);
                } else {
                    auto* memory = p.memory();
                    if (memory == nullptr) {
                        raise_error(Error{"no memory to read", ErrorKind::unsupported}, address);
                    }
                    auto read = unwrap(memory->read(address, size), address);
                    return py::bytes(reinterpret_cast<const char*>(read.data()), read.size());
                }
                return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
            },
            py::arg("address"), py::arg("size"), py::arg("physical") = false,
            "`size` bytes at a kernel virtual (or physical) address; FaultError when they are "
            "not there.")
        .def_property_readonly(
            "cpus", [](const ProgramRef& prog) { return online_cpus(usable(prog)); },
            "The online CPUs' numbers.")
        .def_property_readonly(
            "vcpus",
            [](const ProgramRef& prog) { return unwrap(usable(prog).target())->vcpu_count(); },
            "How many vCPUs (or CPUs in a dump) the target has.")
        .def_property_readonly(
            "kaslr_offset",
            [](const ProgramRef& prog) -> std::uint64_t {
                Program& p = usable(prog);
                if (p.kernel_commands() == nullptr) {
                    return 0;
                }
                return unwrap(p.kernel())->kaslr_offset();
            },
            "How far KASLR moved the kernel image from its link address (0 without KASLR).")
        .def_property_readonly(
            "live",
            [](const ProgramRef& prog) {
                Program& p = usable(prog);
                auto target = p.target();
                return target && (*target)->has_execution();
            },
            "True for a VM that can run; False for a vmcore or a vmlinux alone.")
        .def(
            "command",
            [](const ProgramRef& prog, const std::string& line) {
                return unwrap(usable(prog).command(line));
            },
            py::arg("line"),
            "Runs a kdive command (`ps`, `bt 1`, `p jiffies`) and gives its "
            "output as text.")
        .def("close", &Program::close,
             "Removes this program's breakpoints and detaches; the guest runs on.")
        .def_property_readonly("closed", &Program::closed)
        .def("__enter__", [](const ProgramRef& prog) { return prog; })
        .def("__exit__",
             [](const ProgramRef& prog, const py::args&) {
                 prog->close();
                 return false;
             })
        .def("__repr__", [](const ProgramRef& prog) {
            return fmt::format("kdive.Program({}{})", prog->description(),
                               prog->closed() ? ", closed" : "");
        });

    module.def(
        "attach",
        [](const std::string& target, const std::optional<std::string>& vmlinux,
           const std::string& memory, const std::optional<std::string>& debug_dir) {
            cli::TargetSource source;
            source.where = target;
            source.vmlinux = vmlinux.value_or("");
            source.memory = memory;
            source.debug_dir = debug_dir.value_or("");
            return unwrap(Program::attach(source));
        },
        py::arg("target"), py::arg("vmlinux") = py::none(), py::arg("memory") = "auto",
        py::arg("debug_dir") = py::none(),
        "Opens what `kdive attach` opens: a session folder from `kdive boot`, a gdbstub "
        "endpoint (HOST:PORT, unix:PATH) or a vmcore. The guest stays stopped until close() or "
        "cont().");
    module.def(
        "inspect",
        [](const std::filesystem::path& vmlinux) { return unwrap(Program::inspect(vmlinux)); },
        py::arg("vmlinux"), "A vmlinux alone: types, symbols, and values as the file holds them.");
}

} // namespace kdive::python
