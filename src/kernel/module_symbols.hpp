// Names module code from the module's own kallsyms copy (mod->kallsyms), no debug info needed.
#pragma once

#include "kernel/kernel.hpp"
#include "kernel/module_list.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace kdive::kernel {

struct ModuleSymbol {
    std::string name;
    std::uint64_t address = 0;
};

// The module's function symbol at or below `address`; nullopt without kallsyms or a match.
std::optional<ModuleSymbol> module_symbol(Kernel& kernel, const ModuleInfo& module,
                                          std::uint64_t address);

} // namespace kdive::kernel
