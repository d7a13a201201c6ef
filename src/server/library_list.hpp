// The loaded modules as GDB's shared libraries (qXfer:libraries:read): each module's debug file
// with one address per allocated section, so GDB relocates it as lx-symbols' add-symbol-file
// would, without any script.
#pragma once

#include "debuginfo/elf_file.hpp"
#include "kernel/module_debug_info.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kdive::server {

class LibraryList {
public:
    // The <library-list> document. GDB assigns the addresses to the file's allocated sections
    // in section-header order, so every such section gets one: where the kernel put it, or an
    // address no code can have for the ones the loader drops (.modinfo, __versions) or leaves
    // empty. A debug file that
    // cannot be opened is left out and said in `notes`.
    std::string document(const std::vector<kernel::ModuleDebugInfo::SymbolFile>& modules,
                         std::vector<std::string>& notes);

private:
    std::map<std::filesystem::path, std::unique_ptr<debuginfo::ElfFile>> files_;
};

} // namespace kdive::server
