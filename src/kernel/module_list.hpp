// Loaded modules from the kernel's `modules` list: name, where the code is, size, references.
#pragma once

#include "kernel/kernel.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

// One allocation of module memory: 6.4+ has one per enum mod_mem_type ("text", "data",
// "rodata", "ro_after_init", "init_text"...), older kernels a core and an init layout.
struct ModuleRegion {
    std::string kind;
    std::uint64_t base = 0;
    std::uint64_t size = 0;
};

struct ModuleInfo {
    std::uint64_t module = 0; // struct module address
    std::string name;
    std::uint64_t base = 0; // core text (mem[MOD_TEXT].base, or core_layout.base before 6.4)
    std::uint64_t size = 0; // as /proc/modules counts it
    int refcount = 0;       // as /proc/modules shows it; -1 without CONFIG_MODULE_UNLOAD
    int state = 0;          // enum module_state: 0 live, 1 coming, 2 going, 3 unformed
    std::vector<ModuleRegion> regions; // the non-empty ones
};

Result<std::vector<ModuleInfo>> list_modules(Kernel& kernel);

} // namespace kdive::kernel
