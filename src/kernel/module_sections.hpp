// Where each section of a loaded module sits, as /sys/module/NAME/sections reports it.
#pragma once

#include "kernel/kernel.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace kdive::kernel {

using SectionAddresses = std::map<std::string, std::uint64_t, std::less<>>;

// From mod->sect_attrs; `module` is the struct module address. An error naming the module when
// the kernel keeps no section attributes (built without CONFIG_KALLSYMS or CONFIG_SYSFS).
Result<SectionAddresses> read_module_sections(Kernel& kernel, std::uint64_t module,
                                              std::string_view name);

} // namespace kdive::kernel
