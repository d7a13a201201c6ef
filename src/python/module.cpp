// The contents of the `kdive` Python module, shared by the extension and kdive's own interpreter.
#include "python/bindings.hpp"

namespace kdive::python {

void define_module(py::module_& module) {
    module.doc() = "kdive's engine: a Linux kernel in a QEMU VM, in a vmcore, or its vmlinux "
                   "alone, with drgn's vocabulary and run control.";
    module.attr("__version__") = KDIVE_VERSION;
    define_errors(module);
    define_object(module);
    define_program(module);
    define_helpers(module);
    define_stack(module);
    define_run_control(module);
}

} // namespace kdive::python
