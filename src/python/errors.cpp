// kdive.Error and kdive.FaultError: engine errors as Python exceptions with their kind and, for
// memory that is not there, the address.
#include "python/bindings.hpp"

#include <algorithm>
#include <pybind11/eval.h>

namespace kdive::python {

namespace {

py::object& error_type() {
    static py::object type;
    return type;
}

py::object& fault_type() {
    static py::object type;
    return type;
}

} // namespace

void define_errors(py::module_& module) {
    py::dict scope;
    scope["__builtins__"] = py::module_::import("builtins");
    // Defined in Python so they carry attributes and pickle like any exception.
    py::exec(R"(
class Error(Exception):
    """An error of the kdive engine. `kind` says what went wrong: "unmapped", "transport",
    "corrupt", "unsupported", "invalid_input" or "other"."""

    def __init__(self, message, kind="other"):
        super().__init__(message)
        self.message = message
        self.kind = kind


class FaultError(Error):
    """Memory that is not there: no translation, outside a dump, refused by the stub.
    `address` is the address of the access that failed (None when unknown)."""

    def __init__(self, message, address=None):
        super().__init__(message, "unmapped")
        self.address = address
)",
             scope);
    error_type() = scope["Error"];
    fault_type() = scope["FaultError"];
    error_type().attr("__module__") = "kdive";
    fault_type().attr("__module__") = "kdive";
    module.attr("Error") = error_type();
    module.attr("FaultError") = fault_type();
}

void raise_error(const Error& error, std::optional<std::uint64_t> address) {
    py::object exception;
    if (error.is(ErrorKind::unmapped)) {
        exception = fault_type()(error.message,
                                 address ? py::object(py::int_(*address)) : py::object(py::none()));
    } else {
        std::string kind(to_string(error.kind)); // "invalid input" → "invalid_input"
        std::ranges::replace(kind, ' ', '_');
        exception = error_type()(error.message, kind);
    }
    PyErr_SetObject(exception.get_type().ptr(), exception.ptr());
    throw py::error_already_set();
}

Program& usable(const ProgramRef& prog) {
    if (!prog) {
        raise_error(Error{"no program", ErrorKind::invalid_input});
    }
    unwrap(prog->check_open());
    return *prog;
}

} // namespace kdive::python
