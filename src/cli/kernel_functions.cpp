// Arguments follow the kernel's GDB scripts: names of variables, types and members may be given
// as strings ("runqueues", "struct task_struct", "tasks"); a CPU defaults to the selected vCPU's.
#include "cli/kernel_functions.hpp"

#include "eval/expression_evaluator.hpp"
#include "eval/expression_parser.hpp"
#include "kernel/list_walker.hpp"
#include "kernel/rb_tree.hpp"
#include "kernel/struct_layout.hpp"

namespace kdive::cli {

namespace {

// A task_struct object at `address`, typed from the debug info.
Result<eval::Value> task_value(std::uint64_t address, eval::EvalContext& context) {
    const auto* type = context.scope.find_type("task_struct", debuginfo::TypeTag::struct_tag);
    if (type == nullptr) {
        return fail("the debug info does not describe struct task_struct");
    }
    return eval::Value::at(type, address);
}

} // namespace

namespace {

using debuginfo::strip_typedefs;
using debuginfo::TypeKind;

// A string literal argument ("runqueues"), or nullopt for any other value.
std::optional<std::string> string_argument(const eval::Value& value, eval::MemoryReader* memory) {
    const auto* type = value.resolved_type();
    if (type->kind != TypeKind::array || !strip_typedefs(type->target.get())->is_char()) {
        return std::nullopt;
    }
    auto bytes = value.bytes(memory);
    if (!bytes) {
        return std::nullopt;
    }
    std::string text;
    for (std::byte b : **bytes) {
        if (b == std::byte{0}) {
            break;
        }
        text.push_back(static_cast<char>(b));
    }
    return text;
}

// A structure names its own address (a list_head, an rb_root); a pointer or number its value.
Result<std::uint64_t> address_argument(const eval::Value& value, eval::MemoryReader* memory) {
    const auto* type = value.resolved_type();
    if (value.address() && type != nullptr &&
        (type->kind == TypeKind::structure || type->kind == TypeKind::union_type)) {
        return *value.address();
    }
    return value.as_bits(memory);
}

// The struct a pointer (or a structure value) is of: "rb_root", "rb_node"; "" for others.
std::string struct_name_of(const eval::Value& value) {
    const auto* type = value.resolved_type();
    if (type != nullptr && type->kind == TypeKind::pointer) {
        type = strip_typedefs(type->target.get());
    }
    return type != nullptr && type->kind == TypeKind::structure ? type->name : "";
}

Result<std::optional<int>> cpu_argument(std::span<const eval::Value> arguments, std::size_t index,
                                        eval::MemoryReader* memory) {
    if (arguments.size() <= index) {
        return std::optional<int>();
    }
    auto cpu = arguments[index].as_signed(memory);
    if (!cpu) {
        return std::unexpected(cpu.error());
    }
    return std::optional<int>(static_cast<int>(*cpu));
}

} // namespace

std::optional<Result<eval::Value>> KernelFunctions::call(std::string_view name,
                                                         std::span<const eval::Value> arguments,
                                                         eval::EvalContext& context) {
    if (name.starts_with("lx_")) {
        name.remove_prefix(3);
    }
    if (name == "current") {
        return current(arguments, context);
    }
    if (name == "per_cpu") {
        return per_cpu(arguments, context);
    }
    if (name == "container_of") {
        return container_of(arguments, context);
    }
    if (name == "task_by_pid") {
        return task_by_pid(arguments, context);
    }
    if (name == "list_count") {
        return list_count(arguments, context);
    }
    if (name == "rb_first" || name == "rb_last" || name == "rb_next" || name == "rb_prev") {
        return rb_step(name, arguments, context);
    }
    return std::nullopt;
}

Result<eval::Value> KernelFunctions::current(std::span<const eval::Value> arguments,
                                             eval::EvalContext& context) {
    if (arguments.size() > 1) {
        return fail("$lx_current([CPU]) takes at most one argument");
    }
    auto cpu = cpu_argument(arguments, 0, context.memory);
    if (!cpu) {
        return std::unexpected(cpu.error());
    }
    auto task = commands_.current_task(*cpu);
    if (!task) {
        return std::unexpected(task.error());
    }
    return task_value(*task, context);
}

Result<eval::Value> KernelFunctions::per_cpu(std::span<const eval::Value> arguments,
                                             eval::EvalContext& context) {
    if (arguments.empty() || arguments.size() > 2) {
        return fail("$lx_per_cpu(VAR[, CPU]) takes a per-CPU variable (or its name) and a CPU");
    }
    auto cpu = cpu_argument(arguments, 1, context.memory);
    if (!cpu) {
        return std::unexpected(cpu.error());
    }
    auto view = commands_.kernel();
    if (!view) {
        return std::unexpected(view.error());
    }
    const debuginfo::Type* type = nullptr;
    std::uint64_t address = 0;
    if (auto name = string_argument(arguments[0], context.memory)) {
        auto variable = (*view)->variable(*name);
        if (!variable) {
            return std::unexpected(variable.error());
        }
        type = variable->type;
        address = variable->address;
        if (type == nullptr) {
            return fail("'{}' has no type in the debug info", *name);
        }
    } else {
        if (!arguments[0].address()) {
            return fail("$lx_per_cpu: the first argument must be a per-CPU variable");
        }
        type = arguments[0].type();
        address = (*view)->relocate(*arguments[0].address());
    }
    auto at = commands_.per_cpu_address(address, *cpu);
    if (!at) {
        return std::unexpected(at.error());
    }
    return eval::Value::at(type, *at);
}

Result<eval::Value> KernelFunctions::container_of(std::span<const eval::Value> arguments,
                                                  eval::EvalContext& context) {
    if (arguments.size() != 3) {
        return fail("$container_of(PTR, \"TYPE\", \"MEMBER\") takes three arguments");
    }
    auto pointer = arguments[0].as_bits(context.memory);
    if (!pointer) {
        return std::unexpected(pointer.error());
    }
    auto type_name = string_argument(arguments[1], context.memory);
    auto member = string_argument(arguments[2], context.memory);
    if (!type_name || !member) {
        return fail("$container_of: TYPE and MEMBER are strings, as in $container_of(p, \"struct "
                    "task_struct\", \"tasks\")");
    }
    eval::ExpressionParser parser(context.scope, context.arena);
    auto type = parser.parse_type_name(*type_name);
    if (!type) {
        return std::unexpected(type.error());
    }
    if (!*type) {
        return fail("No type named {}.", *type_name);
    }
    const kernel::StructLayout layout(nullptr, **type, *type_name);
    auto field = layout.require(*member);
    if (!field) {
        return std::unexpected(field.error());
    }
    return eval::Value::from_integer(context.arena.pointer_to(**type), *pointer - field->offset);
}

Result<eval::Value> KernelFunctions::task_by_pid(std::span<const eval::Value> arguments,
                                                 eval::EvalContext& context) {
    if (arguments.size() != 1) {
        return fail("$lx_task_by_pid(PID) takes one argument");
    }
    auto pid = arguments[0].as_signed(context.memory);
    if (!pid) {
        return std::unexpected(pid.error());
    }
    auto task = commands_.task_by_pid(static_cast<int>(*pid));
    if (!task) {
        return std::unexpected(task.error());
    }
    return task_value(*task, context);
}

Result<eval::Value> KernelFunctions::list_count(std::span<const eval::Value> arguments,
                                                eval::EvalContext& context) {
    if (arguments.size() != 1) {
        return fail("$list_count(HEAD) takes a list_head (or its address)");
    }
    auto head = address_argument(arguments[0], context.memory);
    if (!head) {
        return std::unexpected(head.error());
    }
    auto view = commands_.kernel();
    if (!view) {
        return std::unexpected(view.error());
    }
    kernel::ListWalk walk;
    walk.start = *head;
    walk.head = true;
    auto entries = kernel::walk_list(**view, walk);
    if (!entries) {
        return std::unexpected(entries.error());
    }
    return eval::Value::from_integer(context.arena.unsigned_long_type(), entries->size());
}

// $lx_rb_first(ROOT) and $lx_rb_last(ROOT) take an rb_root (or rb_root_cached, or a pointer to
// either, or the root rb_node); $lx_rb_next(NODE) and $lx_rb_prev(NODE) an rb_node pointer.
Result<eval::Value> KernelFunctions::rb_step(std::string_view name,
                                             std::span<const eval::Value> arguments,
                                             eval::EvalContext& context) {
    if (arguments.size() != 1) {
        return fail("$lx_{}() takes one argument", name);
    }
    const auto* rb_node = context.scope.find_type("rb_node", debuginfo::TypeTag::struct_tag);
    if (rb_node == nullptr) {
        return fail("the debug info does not describe struct rb_node");
    }
    auto address = address_argument(arguments[0], context.memory);
    if (!address) {
        return std::unexpected(address.error());
    }
    auto view = commands_.kernel();
    if (!view) {
        return std::unexpected(view.error());
    }
    kernel::Kernel& kernel = **view;
    std::uint64_t node = *address;
    const std::string of = struct_name_of(arguments[0]);
    const bool from_root = name == "rb_first" || name == "rb_last";
    if (from_root && (of == "rb_root" || of == "rb_root_cached")) {
        auto root = kernel.read_u64(*address); // rb_node is rb_root's (and rb_root_cached's) first
        if (!root) {
            return wrap(root.error(), fmt::format("reading the rb_root at {:#x}", *address));
        }
        node = *root;
    } else if (of != "rb_node" && !of.empty()) {
        return fail("$lx_{}() takes {}, not struct {}", name,
                    from_root ? "an rb_root or an rb_node pointer" : "an rb_node pointer", of);
    }
    Result<std::uint64_t> step = name == "rb_first"  ? kernel::rb_first(kernel, node)
                                 : name == "rb_last" ? kernel::rb_last(kernel, node)
                                 : name == "rb_next" ? kernel::rb_next(kernel, node)
                                                     : kernel::rb_prev(kernel, node);
    if (!step) {
        return std::unexpected(step.error());
    }
    return eval::Value::from_integer(context.arena.pointer_to(rb_node), *step);
}

} // namespace kdive::cli
