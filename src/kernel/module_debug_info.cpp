// Modules come and go while the guest runs, so the module list is read again on each question
// (from cached pages while stopped); a module's debug file is opened once per load address.
#include "kernel/module_debug_info.hpp"

#include <algorithm>
#include <system_error>

namespace kdive::kernel {

std::string normalise_module_name(std::string_view name) {
    std::string out(name);
    std::replace(out.begin(), out.end(), '-', '_');
    return out;
}

ModuleDebugInfo::ModuleDebugInfo(KernelSource kernel, std::vector<std::filesystem::path> search)
    : kernel_(std::move(kernel)), search_(std::move(search)) {}

std::vector<std::filesystem::path>
ModuleDebugInfo::folders_for(const std::filesystem::path& vmlinux) {
    std::vector<std::filesystem::path> folders;
    const auto dir = vmlinux.parent_path();
    std::error_code ec;
    if (std::filesystem::is_directory(dir / "modules-dbg", ec)) {
        folders.push_back(dir / "modules-dbg");
    } else if (std::filesystem::exists(dir / "modules.order", ec)) {
        folders.push_back(dir); // a kernel build tree: the .ko files sit beside their sources
    }
    return folders;
}

const std::map<std::string, std::filesystem::path>& ModuleDebugInfo::files() {
    if (!files_) {
        files_.emplace();
        for (const auto& folder : search_) {
            std::error_code ec;
            auto options = std::filesystem::directory_options::skip_permission_denied;
            for (auto it = std::filesystem::recursive_directory_iterator(folder, options, ec);
                 !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
                const auto& path = it->path();
                if (path.extension() == ".ko" && it->is_regular_file(ec)) {
                    files_->try_emplace(normalise_module_name(path.stem().string()), path);
                }
            }
        }
    }
    return *files_;
}

void ModuleDebugInfo::refresh() {
    Kernel* kernel = kernel_();
    if (kernel == nullptr) {
        return;
    }
    auto modules = list_modules(*kernel);
    if (!modules) {
        return; // early boot or an unreadable list: no modules to speak of
    }
    std::map<std::uint64_t, Loaded> next;
    for (auto& module : *modules) {
        if (auto old = loaded_.find(module.module); old != loaded_.end() &&
                                                    old->second.info.name == module.name &&
                                                    old->second.info.base == module.base) {
            next.insert(loaded_.extract(old));
            continue;
        }
        Loaded entry{module, {}, {}, nullptr, {}};
        auto note = [&](std::string text) {
            if (noted_.try_emplace(module.name + "@" + std::to_string(module.base), true).second) {
                notes_.push_back(std::move(text));
            }
        };
        auto sections = read_module_sections(*kernel, module.module, module.name);
        if (!sections) {
            note(sections.error().message);
        } else {
            entry.sections = std::move(*sections);
            auto file = files().find(normalise_module_name(module.name));
            if (file == files().end()) {
                note(fmt::format("no debug file for module {} (looked in {} folder(s))",
                                 module.name, search_.size()));
            } else if (auto info =
                           debuginfo::DebugInfo::open_relocated(file->second, entry.sections);
                       !info) {
                note(info.error().message);
            } else {
                entry.debug = std::move(*info);
                entry.file = file->second;
                for (const auto& section : entry.debug->elf().sections()) {
                    auto at = entry.sections.find(section.name);
                    if (section.allocated() && section.size > 0 && at != entry.sections.end()) {
                        entry.ranges.emplace_back(at->second, at->second + section.size);
                    }
                }
            }
        }
        if (entry.ranges.empty() && module.size > 0) {
            entry.ranges.emplace_back(module.base, module.base + module.size);
        }
        next.emplace(module.module, std::move(entry));
    }
    loaded_ = std::move(next);
}

ModuleDebugInfo::Loaded* ModuleDebugInfo::holding(std::uint64_t address) {
    refresh();
    for (auto& [key, entry] : loaded_) {
        for (const auto& [begin, end] : entry.ranges) {
            if (address >= begin && address < end) {
                return &entry;
            }
        }
    }
    return nullptr;
}

std::optional<debuginfo::Variable> ModuleDebugInfo::find_variable(std::string_view name) {
    refresh();
    for (auto& [key, entry] : loaded_) {
        if (entry.debug && entry.debug->symbols().find(name) != nullptr) {
            if (auto variable = entry.debug->find_variable(name)) {
                return *variable;
            }
        }
    }
    return std::nullopt;
}

const debuginfo::Type* ModuleDebugInfo::find_type(std::string_view name, debuginfo::TypeTag tag) {
    refresh();
    for (auto& [key, entry] : loaded_) {
        if (entry.debug) {
            if (const debuginfo::Type* type = entry.debug->find_type(name, tag)) {
                return type;
            }
        }
    }
    return nullptr;
}

std::optional<eval::ImageAddress> ModuleDebugInfo::describe(std::uint64_t address) {
    Loaded* entry = holding(address);
    if (entry == nullptr) {
        return std::nullopt;
    }
    eval::ImageAddress out{entry->info.name, {}, 0, {}, std::nullopt};
    if (entry->debug) {
        if (auto found = entry->debug->symbols().lookup(address); found && found->symbol) {
            out.symbol = std::string(found->symbol->name);
            out.offset = found->offset;
            const auto& sections = entry->debug->elf().sections();
            if (found->symbol->section_index > 0 &&
                found->symbol->section_index <= sections.size()) {
                out.section = sections[found->symbol->section_index - 1].name;
            }
        }
        out.line = entry->debug->source_line(address);
    }
    return out;
}

std::vector<ModuleDebugInfo::SymbolFile> ModuleDebugInfo::symbol_files() {
    refresh();
    std::vector<SymbolFile> files;
    for (const auto& [address, entry] : loaded_) {
        if (entry.debug) {
            files.push_back({entry.info.name, entry.file, entry.sections});
        }
    }
    return files;
}

Result<debuginfo::DebugInfo*> ModuleDebugInfo::module(std::string_view name) {
    refresh();
    const std::string wanted = normalise_module_name(name);
    for (auto& [key, entry] : loaded_) {
        if (normalise_module_name(entry.info.name) == wanted) {
            if (!entry.debug) {
                return fail("module {} is loaded but has no debug info here", entry.info.name);
            }
            return entry.debug.get();
        }
    }
    return fail("no module {} is loaded", name);
}

} // namespace kdive::kernel
