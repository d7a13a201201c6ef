// kdive/_kdive*.so: the engine as an extension module of Debian's /usr/bin/python3.
#include "python/bindings.hpp"

PYBIND11_MODULE(_kdive, module) {
    kdive::python::define_module(module);
}
