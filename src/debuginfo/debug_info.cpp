// Opens a kernel image and answers symbol, type and line questions from the cheapest source.
#include "debuginfo/debug_info.hpp"

#include "debuginfo/background_index.hpp"
#include "debuginfo/index_cache.hpp"

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <unistd.h>

namespace kdive::debuginfo {

Result<std::unique_ptr<DebugInfo>> DebugInfo::open(const std::filesystem::path& path,
                                                   const DebugInfoOptions& options) {
    auto elf = ElfFile::open(path);
    if (!elf) {
        return std::unexpected(elf.error());
    }
    std::unique_ptr<DebugInfo> info(new DebugInfo());
    info->elf_ = std::move(*elf);
    info->options_ = options;
    info->has_dwarf_ = info->elf_->find_section(".debug_info") != nullptr;
    if (const ElfSection* btf = info->elf_->find_section(".BTF");
        btf != nullptr && options.use_btf) {
        auto bytes = info->elf_->section_bytes(*btf);
        auto parsed = bytes ? BtfTypes::parse(*bytes) : std::unexpected(bytes.error());
        if (parsed) {
            info->btf_ = std::move(*parsed);
        } else {
            info->notes_.push_back(
                fmt::format("ignoring .BTF of {}: {}", path.string(), parsed.error().message));
        }
    }
    if (!info->btf_ && !info->has_dwarf_) {
        info->notes_.push_back(
            fmt::format("{} has neither BTF nor DWARF: only ELF symbols are known", path.string()));
    }
    return info;
}

namespace {

// Where libdwfl asks for a loaded module's sections: the addresses the kernel reported.
struct RelocationPlan {
    std::filesystem::path path;
    const std::map<std::string, std::uint64_t, std::less<>>* sections = nullptr;
};

int find_object(Dwfl_Module* /*module*/, void** userdata, const char* /*name*/, Dwarf_Addr /*base*/,
                char** file_name, Elf** /*elf*/) {
    const auto* plan = static_cast<const RelocationPlan*>(*userdata);
    *file_name = strdup(plan->path.c_str());
    return ::open(plan->path.c_str(), O_RDONLY | O_CLOEXEC);
}

int no_separate_debuginfo(Dwfl_Module* /*module*/, void** /*userdata*/, const char* /*name*/,
                          Dwarf_Addr /*base*/, const char* /*file_name*/, const char* /*debuglink*/,
                          GElf_Word /*crc*/, char** /*debuginfo_file_name*/) {
    return -1;
}

int loaded_section_address(Dwfl_Module* /*module*/, void** userdata, const char* /*name*/,
                           Dwarf_Addr /*base*/, const char* section, GElf_Word /*index*/,
                           const GElf_Shdr* /*header*/, Dwarf_Addr* address) {
    const auto* plan = static_cast<const RelocationPlan*>(*userdata);
    auto found = plan->sections->find(section);
    // -1: not loaded (.init.* after boot, sections the kernel dropped).
    *address = found != plan->sections->end() ? found->second : static_cast<Dwarf_Addr>(-1);
    return 0;
}

} // namespace

Result<std::unique_ptr<DebugInfo>>
DebugInfo::open_relocated(const std::filesystem::path& path,
                          const std::map<std::string, std::uint64_t, std::less<>>& sections) {
    auto elf = ElfFile::open(path);
    if (!elf) {
        return std::unexpected(elf.error());
    }
    if ((*elf)->elf_type() != ET_REL) {
        return fail("{} is not a relocatable object (a kernel module)", path.string());
    }
    std::unique_ptr<DebugInfo> info(new DebugInfo());
    info->elf_ = std::move(*elf);
    info->options_.use_btf = false; // a module's BTF is split against vmlinux's; DWARF serves
    info->section_bases_.assign(info->elf_->sections().size() + 1, 0);
    std::uint64_t low = ~std::uint64_t{0};
    std::uint64_t high = 0;
    for (const auto& section : info->elf_->sections()) {
        auto found = sections.find(section.name);
        if (found == sections.end() || !section.allocated() ||
            section.index >= info->section_bases_.size()) {
            continue;
        }
        info->section_bases_[section.index] = found->second;
        low = std::min(low, found->second);
        high = std::max(high, found->second + section.size);
    }
    if (high == 0) {
        return fail("{}: none of its sections is loaded", path.string());
    }
    info->has_dwarf_ = info->elf_->find_section(".debug_info") != nullptr;
    info->dwarf_tried_ = true;
    if (!info->has_dwarf_) {
        info->notes_.push_back(
            fmt::format("{} has no DWARF: only its symbols are known", path.string()));
        return info;
    }
    static const Dwfl_Callbacks callbacks = {
        .find_elf = find_object,
        .find_debuginfo = no_separate_debuginfo,
        .section_address = loaded_section_address,
        .debuginfo_path = nullptr,
    };
    // libdwfl applies the object's relocations to its DWARF as if the sections sat at the
    // kernel's addresses; the plan is only needed while it does.
    RelocationPlan plan{path, &sections};
    info->dwfl_ = dwfl_begin(&callbacks);
    if (info->dwfl_ == nullptr) {
        return fail("{}: {}", path.string(), dwfl_errmsg(-1));
    }
    dwfl_report_begin(info->dwfl_);
    Dwfl_Module* module = dwfl_report_module(info->dwfl_, path.stem().c_str(), low, high);
    if (module == nullptr) {
        return fail("{}: {}", path.string(), dwfl_errmsg(-1));
    }
    void** userdata = nullptr;
    dwfl_module_info(module, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
    *userdata = &plan;
    dwfl_report_end(info->dwfl_, nullptr, nullptr);
    Dwarf_Addr bias = 0;
    info->dwarf_ = dwfl_module_getdwarf(module, &bias);
    *userdata = nullptr;
    if (info->dwarf_ == nullptr) {
        info->notes_.push_back(
            fmt::format("{}: unusable DWARF: {}", path.string(), dwfl_errmsg(-1)));
        info->has_dwarf_ = false;
    } else if (bias != 0) {
        info->notes_.push_back(
            fmt::format("{}: DWARF addresses are off by {:#x}", path.string(), bias));
    }
    return info;
}

DebugInfo::~DebugInfo() {
    if (pending_ && !pending_->finished() && options_.finish_index_detached) {
        pending_.reset(); // stops the build here; a detached process does it over
        (void)index_in_background(elf_->path(), options_.cache_root);
    } else if (pending_) {
        (void)pending_->wait();
    }
    pending_.reset();
    dwarf_types_.reset();
    if (dwfl_ != nullptr) {
        dwfl_end(dwfl_); // owns dwarf_
    } else if (dwarf_ != nullptr) {
        dwarf_end(dwarf_);
    }
}

std::vector<std::string> DebugInfo::take_notes() {
    if (pending_ && pending_->finished() && cache_error_) {
        notes_.push_back(fmt::format("cannot cache the DWARF index: {}", *cache_error_));
        cache_error_.reset();
    }
    return std::exchange(notes_, {});
}

DebugInfo::ImageRange DebugInfo::image_range() {
    if (image_range_) {
        return *image_range_;
    }
    ImageRange range{0xffffffff80000000ULL, 0xffffffffc0000000ULL};
    if (architecture().machine == arch::Machine::aarch64) {
        const Symbol* text = symbols().find("_text");
        const Symbol* end = symbols().find("_end");
        range = text != nullptr && end != nullptr && end->address > text->address
                    ? ImageRange{text->address, end->address}
                    : ImageRange{0xffff800008000000ULL, 0xffff800010000000ULL};
    }
    image_range_ = range;
    return range;
}

const SymbolTable& DebugInfo::symbols() {
    if (!symbols_) {
        auto table = SymbolTable::load(*elf_, section_bases_);
        if (!table) {
            notes_.push_back(table.error().message);
            symbols_.emplace();
        } else {
            symbols_.emplace(std::move(*table));
        }
    }
    return *symbols_;
}

Dwarf* DebugInfo::dwarf() {
    if (!dwarf_tried_) {
        dwarf_tried_ = true;
        if (has_dwarf_) {
            dwarf_ = dwarf_begin_elf(elf_->elf(), DWARF_C_READ, nullptr);
            if (dwarf_ == nullptr) {
                notes_.push_back(
                    fmt::format("{}: unusable DWARF: {}", elf_->path().string(), dwarf_errmsg(-1)));
            }
        }
    }
    return dwarf_;
}

bool DebugInfo::start_index() {
    if (index_tried_) {
        return index_ || pending_;
    }
    index_tried_ = true;
    if (dwarf() == nullptr) {
        return false;
    }
    if (dwfl_ != nullptr) {
        // A module's DWARF is small and relocated in memory: index it here, uncached.
        index_.emplace(DwarfIndex::build(dwarf_));
        return true;
    }
    const auto& build_id = elf_->build_id();
    const bool cacheable = build_id.has_value() && !options_.cache_root.empty();
    const IndexKey key{build_id.value_or(""), elf_->file_size()};
    std::filesystem::path cache_path;
    if (cacheable) {
        cache_path = index_cache_path(options_.cache_root, *build_id);
        std::error_code ec;
        if (std::filesystem::exists(cache_path, ec)) {
            auto cached = load_index_cache(cache_path, key);
            if (cached) {
                index_.emplace(std::move(*cached));
                return true;
            }
            notes_.push_back(fmt::format("rebuilding the DWARF index: {}", cached.error().message));
        }
    }
    PendingDwarfIndex::Built cache_it;
    if (cacheable) {
        cache_it = [this, cache_path, key](const DwarfIndex& index) {
            if (auto stored = store_index_cache(cache_path, key, index); !stored) {
                cache_error_ = stored.error().message;
            }
        };
    }
    pending_ = std::make_unique<PendingDwarfIndex>(*elf_, options_.index_threads, cache_it);
    return true;
}

const DwarfIndex* DebugInfo::dwarf_index() {
    if (!start_index()) {
        return nullptr;
    }
    if (index_) {
        return &*index_;
    }
    auto built = pending_->wait();
    if (!built) {
        if (!index_failed_noted_) {
            index_failed_noted_ = true;
            notes_.push_back(built.error().message);
        }
        return nullptr;
    }
    return *built;
}

std::optional<std::uint64_t> DebugInfo::find_dwarf_name(DwarfNameKind kind, std::string_view name) {
    if (!start_index()) {
        return std::nullopt;
    }
    if (index_) {
        return index_->find(kind, name);
    }
    if (auto found = pending_->find(kind, name)) {
        return found;
    }
    (void)dwarf_index(); // notes a failed build once
    return std::nullopt;
}

DwarfTypes* DebugInfo::dwarf_types() {
    if (!dwarf_types_) {
        if (!start_index()) {
            return nullptr;
        }
        dwarf_types_ =
            std::make_unique<DwarfTypes>(dwarf_, [this](DwarfNameKind kind, std::string_view name) {
                return find_dwarf_name(kind, name);
            });
    }
    return dwarf_types_.get();
}

const Type* DebugInfo::find_type(std::string_view name, TypeTag tag) {
    if (btf_) {
        if (const Type* type = btf_->find_type(name, tag)) {
            // A BTF forward declaration is only a last resort.
            if (!type->declaration) {
                return type;
            }
        }
    }
    if (DwarfTypes* dwarf = dwarf_types()) {
        if (const Type* type = dwarf->find_type(name, tag)) {
            return type;
        }
    }
    return btf_ ? btf_->find_type(name, tag) : nullptr;
}

std::optional<Enumerated> DebugInfo::find_enumerator(std::string_view name) {
    if (btf_) {
        if (auto found = btf_->find_enumerator(name)) {
            return found;
        }
    }
    if (DwarfTypes* dwarf = dwarf_types()) {
        return dwarf->find_enumerator(name);
    }
    return std::nullopt;
}

Result<Variable> DebugInfo::find_variable(std::string_view name) {
    const Symbol* symbol = symbols().find(name);
    if (symbol == nullptr) {
        return fail("No symbol \"{}\" in current context.", name);
    }
    Variable variable;
    variable.name = std::string(name);
    variable.address = symbol->address;
    variable.is_function = symbol->kind == SymbolKind::function || symbol->text;
    if (symbol->section_index > 0 && symbol->section_index <= elf_->sections().size()) {
        variable.section = elf_->sections()[symbol->section_index - 1].name;
    }
    variable.per_cpu = variable.section == ".data..percpu";
    if (btf_) {
        variable.type =
            variable.is_function ? btf_->find_function_type(name) : btf_->find_variable_type(name);
    }
    if (variable.type == nullptr) {
        if (DwarfTypes* dwarf = dwarf_types()) {
            variable.type = variable.is_function ? dwarf->find_function_type(name)
                                                 : dwarf->find_variable_type(name);
        }
    }
    return variable;
}

std::optional<SourceLine> DebugInfo::source_line(std::uint64_t address) {
    return source_line_for_address(dwarf(), address);
}

std::vector<std::string> DebugInfo::type_names(TypeTag tag) {
    return btf_ ? btf_->type_names(tag) : std::vector<std::string>{};
}

} // namespace kdive::debuginfo
