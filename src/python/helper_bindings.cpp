// The kernel helpers, named as drgn names them, over kdive's kernel layer: tasks, per-CPU data,
// lists and trees, modules, the log, paths and files, slab caches.
#include "kernel/dentry_path.hpp"
#include "kernel/list_walker.hpp"
#include "kernel/maple_tree.hpp"
#include "kernel/module_list.hpp"
#include "kernel/open_files.hpp"
#include "kernel/page_info.hpp"
#include "kernel/printk_reader.hpp"
#include "kernel/rb_tree.hpp"
#include "kernel/slab_caches.hpp"
#include "kernel/slab_object.hpp"
#include "kernel/task_state.hpp"
#include "kernel/task_walker.hpp"
#include "kernel/xarray.hpp"
#include "python/bindings.hpp"

#include <fmt/core.h>
#include <pybind11/stl.h>

namespace kdive::python {

namespace {

using debuginfo::Type;

kernel::Kernel& kernel_of(const ProgramRef& prog) {
    return *unwrap(usable(prog).kernel());
}

const Type* struct_type(Program& prog, std::string_view name) {
    return type_argument(prog, py::str(fmt::format("struct {}", name)));
}

// Where a structure argument lives: a pointer's value, or the object's own address.
std::uint64_t structure_address(const Object& object) {
    if (object.value.resolved_type()->kind == debuginfo::TypeKind::pointer) {
        return object_bits(object);
    }
    if (auto at = object.value.address()) {
        return *at;
    }
    throw py::value_error("expected a pointer or an object in memory");
}

std::vector<Object> entries(const ProgramRef& prog, const Type* type,
                            const std::vector<std::uint64_t>& nodes, std::uint64_t offset) {
    std::vector<Object> out;
    out.reserve(nodes.size());
    for (std::uint64_t node : nodes) {
        out.push_back(pointer_object(prog, type, node - offset));
    }
    return out;
}

// A `void *` holding an entry or address.
Object void_pointer(const ProgramRef& prog, std::uint64_t value) {
    auto& arena = prog->context().arena;
    return Object{prog, eval::Value::from_integer(arena.pointer_to(arena.void_type()), value)};
}

Object task_object(const ProgramRef& prog, std::uint64_t task) {
    return pointer_object(prog, struct_type(*prog, "task_struct"), task);
}

kernel::PageMap page_map(const ProgramRef& prog) {
    return unwrap(kernel::PageMap::load(kernel_of(prog)));
}

std::uint64_t address_argument(py::handle address) {
    if (py::isinstance<Object>(address)) {
        return object_bits(address.cast<const Object&>());
    }
    return address.cast<std::uint64_t>();
}

// The PFN of a direct-map address; ValueError outside the direct map's RAM.
std::uint64_t direct_pfn(const kernel::PageMap& pages, std::uint64_t address) {
    auto pfn = pages.direct_pfn(address);
    if (!pfn) {
        throw py::value_error(
            fmt::format("0x{:x} is not an address of the direct map's RAM", address));
    }
    return *pfn;
}

// drgn's two forms of the address helpers: (prog, address) or (an Object holding the address).
std::pair<ProgramRef, py::object> program_and_value(py::handle first, const py::object& second) {
    if (second.is_none()) {
        if (!py::isinstance<Object>(first)) {
            throw py::type_error("expected (prog, address) or an Object");
        }
        return {first.cast<const Object&>().prog, py::reinterpret_borrow<py::object>(first)};
    }
    return {first.cast<ProgramRef>(), second};
}

struct SlabObjectInfo {
    Object slab_cache;
    Object slab;
    std::uint64_t address = 0;
    bool allocated = false;
};

struct PrintkRecord {
    py::bytes text;
    int level = 0;
    int facility = 0;
    std::uint64_t seq = 0;
    std::uint64_t timestamp = 0; // nanoseconds since boot
    std::optional<int> caller_tid;
    std::optional<int> caller_cpu;
    bool continuation = false;
};

} // namespace

void define_helpers(py::module_& module) {
    module.def(
        "for_each_task",
        [](const ProgramRef& prog) {
            auto& view = kernel_of(prog);
            auto walker = unwrap(kernel::TaskWalker::create(view));
            auto tasks = unwrap(walker.all_tasks());
            std::vector<Object> out;
            out.reserve(tasks.size());
            for (const auto& task : tasks) {
                if (task.pid != 0) { // the idle tasks: see idle_task()
                    out.push_back(task_object(prog, task.task));
                }
            }
            return out;
        },
        py::arg("prog"),
        "Every task (struct task_struct *) but the idle tasks, processes with their threads.");
    module.def(
        "find_task",
        [](const ProgramRef& prog, int pid) -> py::object {
            auto* commands = usable(prog).kernel_commands();
            if (commands == nullptr) {
                (void)kernel_of(prog); // raises, saying why
            }
            auto task = commands->task_by_pid(pid);
            if (!task) {
                if (task.error().message.starts_with("no task has pid")) {
                    return py::none();
                }
                raise_error(task.error());
            }
            return py::cast(task_object(prog, *task));
        },
        py::arg("prog"), py::arg("pid"), "The task with a PID, or None.");
    module.def(
        "task_state_to_char",
        [](const Object& task) {
            Program& prog = usable(task.prog);
            auto evaluator = prog.evaluator();
            auto state = evaluator.member(task.value, "__state", false);
            if (!state) {
                state = evaluator.member(task.value, "state", false);
            }
            auto exit_state = evaluator.member(task.value, "exit_state", false);
            const std::uint64_t at = structure_address(task);
            const std::uint64_t state_bits =
                unwrap(unwrap(std::move(state), at).as_bits(prog.memory()), at);
            const std::uint64_t exit_bits =
                unwrap(unwrap(std::move(exit_state), at).as_bits(prog.memory()), at);
            return std::string(1, kernel::task_state_letter(state_bits, exit_bits));
        },
        py::arg("task"), "The state letter ps shows: R S D T t X Z P I.");
    module.def(
        "cpu_curr",
        [](const ProgramRef& prog, int cpu) {
            auto* commands = usable(prog).kernel_commands();
            (void)kernel_of(prog);
            return task_object(prog, unwrap(commands->current_task(cpu)));
        },
        py::arg("prog"), py::arg("cpu"), "The task running on a CPU.");
    module.def(
        "idle_task",
        [](const ProgramRef& prog, int cpu) {
            auto& view = kernel_of(prog);
            auto* commands = prog->kernel_commands();
            const Type* rq = struct_type(*prog, "rq");
            Object runqueues{prog, unwrap(prog->eval().evaluate("runqueues"))};
            const std::uint64_t address =
                unwrap(commands->per_cpu_address(*runqueues.value.address(), cpu));
            (void)view;
            Object queue{prog, eval::Value::at(rq, address)};
            return Object{prog,
                          unwrap(prog->evaluator().member(queue.value, "idle", false), address)};
        },
        py::arg("prog"), py::arg("cpu"), "A CPU's idle task (swapper/N).");
    module.def(
        "per_cpu_ptr",
        [](const Object& pointer, int cpu) {
            Program& prog = usable(pointer.prog);
            (void)kernel_of(pointer.prog);
            const std::uint64_t address =
                unwrap(prog.kernel_commands()->per_cpu_address(object_bits(pointer), cpu));
            return Object{pointer.prog, eval::Value::from_integer(pointer.value.type(), address)};
        },
        py::arg("ptr"), py::arg("cpu"), "A per-CPU pointer's copy for a CPU.");
    module.def(
        "per_cpu",
        [](const Object& variable, int cpu) {
            Program& prog = usable(variable.prog);
            (void)kernel_of(variable.prog);
            const auto at = variable.value.address();
            if (!at) {
                throw py::value_error("per_cpu() needs a per-CPU variable (an object in memory)");
            }
            const std::uint64_t address = unwrap(prog.kernel_commands()->per_cpu_address(*at, cpu));
            return Object{variable.prog, eval::Value::at(variable.value.type(), address)};
        },
        py::arg("var"), py::arg("cpu"),
        "A per-CPU variable's copy for a CPU: per_cpu(prog['runqueues'], 0).");
    module.def(
        "list_for_each_entry",
        [](py::handle type, const Object& head, const std::string& member) {
            Program& prog = usable(head.prog);
            const Type* outer = type_argument(prog, type);
            const std::uint64_t offset = member_offset(prog, outer, member);
            kernel::ListWalk walk;
            walk.start = structure_address(head);
            walk.head = true;
            walk.link_offset = offset;
            auto nodes = unwrap(kernel::walk_list(kernel_of(head.prog), walk), walk.start);
            std::vector<Object> out;
            out.reserve(nodes.size());
            for (std::uint64_t entry : nodes) {
                out.push_back(pointer_object(head.prog, outer, entry));
            }
            return out;
        },
        py::arg("type"), py::arg("head"), py::arg("member"),
        "The entries (`type *`) of a list_head list, linked through `member`.");
    module.def(
        "list_for_each",
        [](const Object& head) {
            Program& prog = usable(head.prog);
            kernel::ListWalk walk;
            walk.start = structure_address(head);
            walk.head = true;
            auto nodes = unwrap(kernel::walk_list(kernel_of(head.prog), walk), walk.start);
            return entries(head.prog, struct_type(prog, "list_head"), nodes, 0);
        },
        py::arg("head"), "The nodes (struct list_head *) of a list.");
    module.def(
        "list_empty",
        [](const Object& head) {
            Program& prog = usable(head.prog);
            const std::uint64_t at = structure_address(head);
            auto next = unwrap(unwrap(prog.kernel())->read_u64(at), at);
            return next == at;
        },
        py::arg("head"), "Whether a list_head list is empty.");
    module.def(
        "hlist_for_each_entry",
        [](py::handle type, const Object& head, const std::string& member) {
            Program& prog = usable(head.prog);
            const Type* outer = type_argument(prog, type);
            const std::uint64_t offset = member_offset(prog, outer, member);
            const std::uint64_t at = structure_address(head);
            auto& view = kernel_of(head.prog);
            const std::uint64_t first = unwrap(view.read_u64(at), at); // hlist_head.first
            if (first == 0) {
                return std::vector<Object>{};
            }
            kernel::ListWalk walk;
            walk.start = first;
            walk.head = false;
            auto nodes = unwrap(kernel::walk_list(view, walk), first);
            return entries(head.prog, outer, nodes, offset);
        },
        py::arg("type"), py::arg("head"), py::arg("member"),
        "The entries (`type *`) of an hlist_head list, linked through `member`.");
    const auto rb_nodes = [](const Object& root) {
        Program& prog = usable(root.prog);
        const std::uint64_t at = structure_address(root);
        auto& view = *unwrap(prog.kernel());
        const std::uint64_t node = unwrap(view.read_u64(at), at); // rb_root.rb_node
        if (node == 0) {
            return std::vector<std::uint64_t>{};
        }
        return unwrap(kernel::rb_tree_nodes(view, node, fmt::format("the tree at 0x{:x}", at)), at);
    };
    module.def(
        "rbtree_inorder_for_each",
        [rb_nodes](const Object& root) {
            return entries(root.prog, struct_type(usable(root.prog), "rb_node"), rb_nodes(root), 0);
        },
        py::arg("root"), "The nodes (struct rb_node *) of a red-black tree, smallest first.");
    module.def(
        "rbtree_inorder_for_each_entry",
        [rb_nodes](py::handle type, const Object& root, const std::string& member) {
            Program& prog = usable(root.prog);
            const Type* outer = type_argument(prog, type);
            const std::uint64_t offset = member_offset(prog, outer, member);
            return entries(root.prog, outer, rb_nodes(root), offset);
        },
        py::arg("type"), py::arg("root"), py::arg("member"),
        "The entries (`type *`) of a red-black tree (struct rb_root *), smallest first.");
    const auto xarray = [](const Object& xa) {
        Program& prog = usable(xa.prog);
        const std::uint64_t at = structure_address(xa);
        auto found = unwrap(kernel::xarray_entries(*unwrap(prog.kernel()), at), at);
        std::vector<std::pair<std::uint64_t, Object>> out;
        out.reserve(found.size());
        for (const auto& entry : found) {
            out.emplace_back(entry.index, void_pointer(xa.prog, entry.value));
        }
        return out;
    };
    module.def("xa_for_each", xarray, py::arg("xa"),
               "(index, entry) of each entry of an XArray (struct xarray *), entries as void *.");
    module.def("radix_tree_for_each", xarray, py::arg("root"),
               "(index, entry) of each entry of a radix tree (an XArray since 4.20).");
    module.def(
        "mt_for_each",
        [](const Object& tree) {
            Program& prog = usable(tree.prog);
            const std::uint64_t at = structure_address(tree);
            auto found = unwrap(kernel::maple_tree_entries(*unwrap(prog.kernel()), at), at);
            py::list out;
            for (const auto& entry : found) {
                out.append(
                    py::make_tuple(entry.first, entry.last, void_pointer(tree.prog, entry.value)));
            }
            return out;
        },
        py::arg("mt"), "(first, last, entry) of each entry of a maple tree (struct maple_tree *).");
    module.def(
        "for_each_module",
        [](const ProgramRef& prog) {
            auto modules = unwrap(kernel::list_modules(kernel_of(prog)));
            std::vector<Object> out;
            out.reserve(modules.size());
            for (const auto& m : modules) {
                out.push_back(pointer_object(prog, struct_type(*prog, "module"), m.module));
            }
            return out;
        },
        py::arg("prog"), "Every loaded module (struct module *), as lsmod lists them.");
    module.def(
        "find_module",
        [](const ProgramRef& prog, const std::string& name) -> py::object {
            for (const auto& m : unwrap(kernel::list_modules(kernel_of(prog)))) {
                if (m.name == name) {
                    return py::cast(pointer_object(prog, struct_type(*prog, "module"), m.module));
                }
            }
            return py::none();
        },
        py::arg("prog"), py::arg("name"), "A loaded module by name, or None.");

    py::class_<PrintkRecord>(module, "PrintkRecord", "One record of the kernel log.")
        .def_readonly("text", &PrintkRecord::text, "The message, as bytes.")
        .def_readonly("level", &PrintkRecord::level)
        .def_readonly("facility", &PrintkRecord::facility)
        .def_readonly("seq", &PrintkRecord::seq)
        .def_readonly("timestamp", &PrintkRecord::timestamp, "Nanoseconds since boot.")
        .def_readonly("caller_tid", &PrintkRecord::caller_tid)
        .def_readonly("caller_cpu", &PrintkRecord::caller_cpu)
        .def_readonly("continuation", &PrintkRecord::continuation)
        .def("__repr__", [](const PrintkRecord& r) {
            return fmt::format("PrintkRecord(seq={}, timestamp={}, level={}, text={})", r.seq,
                               r.timestamp, r.level, py::repr(r.text).cast<std::string>());
        });
    module.def(
        "get_printk_records",
        [](const ProgramRef& prog) {
            auto records = unwrap(kernel::read_kernel_log(kernel_of(prog)));
            std::vector<PrintkRecord> out;
            out.reserve(records.size());
            for (const auto& r : records) {
                PrintkRecord record;
                record.text = py::bytes(r.text);
                record.level = r.level;
                record.facility = r.facility;
                record.seq = r.seq;
                record.timestamp = r.ts_nsec;
                if (r.caller_id != 0) {
                    if ((r.caller_id & 0x80000000u) != 0) {
                        record.caller_cpu = static_cast<int>(r.caller_id & 0x7fffffffu);
                    } else {
                        record.caller_tid = static_cast<int>(r.caller_id);
                    }
                }
                record.continuation = (r.flags & 0x8u) != 0; // LOG_CONT
                out.push_back(std::move(record));
            }
            return out;
        },
        py::arg("prog"), "The kernel log's records, oldest first.");
    module.def(
        "d_path",
        [](const Object& first, std::optional<Object> dentry) {
            Program& prog = usable(first.prog);
            auto& view = *unwrap(prog.kernel());
            std::uint64_t mnt = 0;
            std::uint64_t dent = 0;
            if (dentry) {
                mnt = object_bits(first);
                dent = object_bits(*dentry);
            } else { // a struct path (or a pointer to one)
                auto evaluator = prog.evaluator();
                mnt = object_bits(
                    Object{first.prog, unwrap(evaluator.member(first.value, "mnt", false))});
                dent = object_bits(
                    Object{first.prog, unwrap(evaluator.member(first.value, "dentry", false))});
            }
            auto paths = unwrap(kernel::DentryPaths::load(view));
            if (auto init = kernel::first_user_task(view)) {
                (void)paths.set_root_of_task(*init);
            }
            return py::bytes(unwrap(paths.path_text(mnt, dent), dent));
        },
        py::arg("path"), py::arg("dentry") = py::none(),
        "The path of a struct path, or of (vfsmount, dentry), as bytes.");
    module.def(
        "for_each_file",
        [](const Object& task) {
            Program& prog = usable(task.prog);
            auto files =
                unwrap(kernel::read_open_files(*unwrap(prog.kernel()), structure_address(task)));
            std::vector<std::pair<unsigned, Object>> out;
            out.reserve(files.size());
            for (const auto& f : files) {
                out.emplace_back(f.fd,
                                 pointer_object(task.prog, struct_type(prog, "file"), f.file));
            }
            return out;
        },
        py::arg("task"), "(fd, struct file *) of each open file of a task, in fd order.");
    py::class_<SlabObjectInfo>(module, "SlabObjectInfo",
                               "Where an address sits in the slab "
                               "allocator (drgn's slab_object_info).")
        .def_readonly("slab_cache", &SlabObjectInfo::slab_cache, "struct kmem_cache *")
        .def_readonly("slab", &SlabObjectInfo::slab, "struct slab * (struct page * before 5.17)")
        .def_readonly("address", &SlabObjectInfo::address, "The object's start.")
        .def_readonly("allocated", &SlabObjectInfo::allocated, "Whether it is allocated.")
        .def("__repr__", [](const SlabObjectInfo& i) {
            return fmt::format("SlabObjectInfo(address=0x{:x}, allocated={})", i.address,
                               i.allocated ? "True" : "False");
        });
    module.def(
        "slab_object_info",
        [](py::handle first, const py::object& second) -> py::object {
            auto [prog, address] = program_and_value(first, second);
            const std::uint64_t at = address_argument(address);
            auto& view = kernel_of(prog);
            auto pages = page_map(prog);
            auto pfn = pages.direct_pfn(at);
            if (!pfn) {
                return py::none();
            }
            auto page = unwrap(pages.read(*pfn), at);
            if (!page.slab) {
                return py::none();
            }
            auto found = unwrap(kernel::find_slab_object(view, pages, page, at), at);
            if (found.object == 0) {
                return py::none(); // the slab's padding
            }
            const char* slab_type =
                prog->info().find_type("slab", debuginfo::TypeTag::struct_tag) ? "slab" : "page";
            return py::cast(
                SlabObjectInfo{pointer_object(prog, struct_type(*prog, "kmem_cache"), found.cache),
                               pointer_object(prog, struct_type(*prog, slab_type), found.slab),
                               found.object, found.allocated});
        },
        py::arg("prog"), py::arg("address") = py::none(),
        "slab_object_info(prog, address) or (obj): the slab object holding an address (its cache, "
        "slab, start and whether it is "
        "allocated), or None when the address is not in a slab object.");
    module.def(
        "pfn_to_page",
        [](const ProgramRef& prog, std::uint64_t pfn) {
            return pointer_object(prog, struct_type(*prog, "page"), page_map(prog).page_of(pfn));
        },
        py::arg("prog"), py::arg("pfn"), "The struct page * of a page frame number.");
    module.def(
        "page_to_pfn",
        [](const Object& page) {
            auto pfn = page_map(page.prog).pfn_of_page_struct(object_bits(page));
            if (!pfn) {
                throw py::value_error("not a struct page of the page map");
            }
            return *pfn;
        },
        py::arg("page"), "The page frame number of a struct page *.");
    module.def(
        "pfn_to_virt",
        [](const ProgramRef& prog, std::uint64_t pfn) {
            return void_pointer(prog, page_map(prog).pfn_to_virtual(pfn));
        },
        py::arg("prog"), py::arg("pfn"), "The direct-map address (void *) of a page frame.");
    module.def(
        "virt_to_pfn",
        [](py::handle first, const py::object& second) {
            auto [prog, address] = program_and_value(first, second);
            return direct_pfn(page_map(prog), address_argument(address));
        },
        py::arg("prog"), py::arg("address") = py::none(),
        "The page frame number of a direct-map address: (prog, address) or (obj).");
    module.def(
        "virt_to_page",
        [](py::handle first, const py::object& second) {
            auto [prog, address] = program_and_value(first, second);
            auto pages = page_map(prog);
            return pointer_object(prog, struct_type(*prog, "page"),
                                  pages.page_of(direct_pfn(pages, address_argument(address))));
        },
        py::arg("prog"), py::arg("address") = py::none(),
        "The struct page * of a direct-map address: (prog, address) or (obj).");
    module.def(
        "page_to_virt",
        [](const Object& page) {
            auto pages = page_map(page.prog);
            auto pfn = pages.pfn_of_page_struct(object_bits(page));
            if (!pfn) {
                throw py::value_error("not a struct page of the page map");
            }
            return void_pointer(page.prog, pages.pfn_to_virtual(*pfn));
        },
        py::arg("page"), "The direct-map address (void *) of a struct page *.");
    module.def(
        "for_each_slab_cache",
        [](const ProgramRef& prog) {
            auto caches = unwrap(kernel::read_slab_caches(kernel_of(prog)));
            std::vector<Object> out;
            out.reserve(caches.size());
            for (const auto& c : caches) {
                out.push_back(pointer_object(prog, struct_type(*prog, "kmem_cache"), c.address));
            }
            return out;
        },
        py::arg("prog"), "Every slab cache (struct kmem_cache *), as /proc/slabinfo lists them.");
    module.def(
        "find_slab_cache",
        [](const ProgramRef& prog, const std::string& name) -> py::object {
            for (const auto& c : unwrap(kernel::read_slab_caches(kernel_of(prog)))) {
                if (c.name == name) {
                    return py::cast(
                        pointer_object(prog, struct_type(*prog, "kmem_cache"), c.address));
                }
            }
            return py::none();
        },
        py::arg("prog"), py::arg("name"), "A slab cache by name, or None.");
}

} // namespace kdive::python
