// Debug info of the loaded modules, each opened from the kernel's module debug files and placed
// at the addresses the kernel loaded its sections to.
#pragma once

#include "debuginfo/debug_info.hpp"
#include "eval/scope.hpp"
#include "kernel/kernel.hpp"
#include "kernel/module_list.hpp"
#include "kernel/module_sections.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kdive::kernel {

class ModuleDebugInfo final : public eval::LoadedImages {
public:
    // The kernel view as it becomes available (null until then: no modules yet).
    using KernelSource = std::function<Kernel*()>;
    // `search` holds folders with the modules' debug files (*.ko, searched recursively once).
    ModuleDebugInfo(KernelSource kernel, std::vector<std::filesystem::path> search);

    // The debug folders beside a vmlinux: NAME/modules-dbg for a fetched kernel, or the build
    // tree itself when the vmlinux was built there.
    static std::vector<std::filesystem::path> folders_for(const std::filesystem::path& vmlinux);

    std::optional<debuginfo::Variable> find_variable(std::string_view name) override;
    const debuginfo::Type* find_type(std::string_view name, debuginfo::TypeTag tag) override;
    std::optional<eval::ImageAddress> describe(std::uint64_t address) override;
    // The debug info of one loaded module by name (after refresh), or why there is none.
    Result<debuginfo::DebugInfo*> module(std::string_view name);

    // A loaded module's debug file and where the kernel put its sections: what GDB's
    // add-symbol-file needs.
    struct SymbolFile {
        std::string name;
        std::filesystem::path file;
        SectionAddresses sections;
    };
    // The loaded modules that have a usable debug file, by load address.
    std::vector<SymbolFile> symbol_files();
    // Why modules have no debug info (missing files, unreadable sections); each said once.
    std::vector<std::string> take_notes() { return std::exchange(notes_, {}); }

private:
    struct Loaded {
        ModuleInfo info;
        SectionAddresses sections;
        std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges; // allocated sections
        std::unique_ptr<debuginfo::DebugInfo> debug; // null when no usable debug file
        std::filesystem::path file;                  // the debug file, when there is one
    };
    // Re-reads the module list (cheap while the target stays stopped: pages are cached) and
    // opens the debug files of modules not seen before.
    void refresh();
    Loaded* holding(std::uint64_t address);
    const std::map<std::string, std::filesystem::path>& files();

    KernelSource kernel_;
    std::vector<std::filesystem::path> search_;
    std::optional<std::map<std::string, std::filesystem::path>> files_; // normalised name → .ko
    std::map<std::uint64_t, Loaded> loaded_;                            // by struct module address
    std::vector<std::string> notes_;
    std::map<std::string, bool, std::less<>> noted_;
};

// Module names use '_' where file names may use '-' (crc-itu-t.ko is crc_itu_t).
std::string normalise_module_name(std::string_view name);

} // namespace kdive::kernel
