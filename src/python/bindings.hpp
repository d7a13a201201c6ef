// What the binding files share: the Python-side Object and Type, and errors turned into the
// module's exceptions.
#pragma once

#include "debuginfo/type.hpp"
#include "eval/value.hpp"
#include "python/program.hpp"
#include "support/error.hpp"

#include <memory>
#include <optional>
#include <pybind11/pybind11.h>

namespace kdive::python {

namespace py = pybind11;

using ProgramRef = std::shared_ptr<Program>;

// A typed value of a program; bytes are read when first asked for.
struct Object {
    ProgramRef prog;
    eval::Value value;
};

// A type of a program's debug info (owned by it, so it keeps the program alive).
struct TypeRef {
    ProgramRef prog;
    const debuginfo::Type* type = nullptr;
};

// Raises kdive.FaultError (memory that is not there, with the address when known) or
// kdive.Error (with the kind) for an engine error.
[[noreturn]] void raise_error(const Error& error, std::optional<std::uint64_t> address = {});

template <typename T> T unwrap(Result<T> result, std::optional<std::uint64_t> address = {}) {
    if (!result) {
        raise_error(result.error(), address);
    }
    if constexpr (!std::is_void_v<T>) {
        return std::move(*result);
    }
}

// The program, or kdive.Error when it is closed.
Program& usable(const ProgramRef& prog);
// A type named by a string ("struct task_struct", "unsigned long *") or given as a Type.
const debuginfo::Type* type_argument(Program& prog, py::handle type);
// A Python int, bool, float or Object as a value of the program.
eval::Value value_argument(Program& prog, py::handle value);
// A pointer-typed Object of `type *` at `address`.
Object pointer_object(const ProgramRef& prog, const debuginfo::Type* type, std::uint64_t address);
// The byte offset of a member path ("se.run_node", "a[2].b") in a type: C's offsetof.
std::uint64_t member_offset(Program& prog, const debuginfo::Type* type, const std::string& path);
// An object's integer value (pointers too), raising on failure.
std::uint64_t object_bits(const Object& object);

void define_errors(py::module_& module);
void define_object(py::module_& module);
void define_program(py::module_& module);
void define_helpers(py::module_& module);
void define_stack(py::module_& module);
void define_run_control(py::module_& module);
// Everything, for the extension module and for the interpreter inside kdive alike.
void define_module(py::module_& module);

} // namespace kdive::python
