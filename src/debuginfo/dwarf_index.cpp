// Builds, serializes and queries the DWARF name index.
#include "debuginfo/dwarf_index.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <libelf.h>
#include <sys/mman.h>
#include <thread>
#include <vector>

namespace kdive::debuginfo {

namespace {

struct RawEntry {
    std::uint32_t unit = 0;    // unit number in file order: earlier units win ties
    std::uint8_t kind = 0;     // DwarfNameKind
    std::uint8_t priority = 0; // lower wins: 0 complete definition ... 2 declaration
    const char* name = nullptr;
    std::uint64_t offset = 0;
};

std::optional<DwarfNameKind> kind_of_tag(int tag) {
    switch (tag) {
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
        return DwarfNameKind::struct_tag;
    case DW_TAG_union_type:
        return DwarfNameKind::union_tag;
    case DW_TAG_enumeration_type:
        return DwarfNameKind::enum_tag;
    case DW_TAG_typedef:
    case DW_TAG_base_type:
        return DwarfNameKind::ordinary_type;
    case DW_TAG_variable:
        return DwarfNameKind::variable;
    case DW_TAG_subprogram:
        return DwarfNameKind::function;
    default:
        return std::nullopt;
    }
}

std::uint8_t priority_of(Dwarf_Die* die, DwarfNameKind kind) {
    if (dwarf_hasattr(die, DW_AT_declaration)) {
        return 2;
    }
    if (kind == DwarfNameKind::variable) {
        if (!dwarf_hasattr(die, DW_AT_location) && !dwarf_hasattr(die, DW_AT_const_value)) {
            return 2;
        }
        // A definition may lean on its declaration's incomplete type (`char x[]`); one with
        // a type of its own knows the real size.
        return dwarf_hasattr(die, DW_AT_type) ? 0 : 1;
    }
    if (kind == DwarfNameKind::function && !dwarf_hasattr(die, DW_AT_low_pc) &&
        !dwarf_hasattr(die, DW_AT_ranges)) {
        return 2;
    }
    return 0;
}

// Best entry per (kind, name) so far; kept per worker so that millions of repeated header
// types (every unit re-describes list_head) never pile up in memory.
using BestEntries =
    std::array<std::unordered_map<std::string_view, RawEntry>, dwarf_name_kind_count>;

void offer(BestEntries& best, const RawEntry& entry) {
    auto [it, inserted] = best[entry.kind].try_emplace(entry.name, entry);
    if (!inserted && std::tie(entry.priority, entry.unit, entry.offset) <
                         std::tie(it->second.priority, it->second.unit, it->second.offset)) {
        it->second = entry;
    }
}

void index_unit(Dwarf_Die* unit_die, std::uint32_t unit, BestEntries& out) {
    Dwarf_Die die;
    if (dwarf_child(unit_die, &die) != 0) {
        return;
    }
    do {
        const int tag = dwarf_tag(&die);
        auto kind = kind_of_tag(tag);
        if (!kind) {
            continue;
        }
        const char* name = dwarf_diename(&die);
        if (name == nullptr && (tag == DW_TAG_variable || tag == DW_TAG_subprogram)) {
            // A definition that completes an earlier declaration names it only through
            // DW_AT_specification (`const char linux_banner[] = ...`).
            Dwarf_Attribute attr;
            name = dwarf_formstring(dwarf_attr_integrate(&die, DW_AT_name, &attr));
        }
        if (name != nullptr) {
            offer(out, RawEntry{unit, static_cast<std::uint8_t>(*kind), priority_of(&die, *kind),
                                name, dwarf_dieoffset(&die)});
        }
        if (tag == DW_TAG_enumeration_type && !dwarf_hasattr(&die, DW_AT_declaration)) {
            Dwarf_Die value;
            if (dwarf_child(&die, &value) == 0) {
                do {
                    const char* enumerator = dwarf_diename(&value);
                    if (enumerator != nullptr && dwarf_tag(&value) == DW_TAG_enumerator) {
                        // The enum's own offset: its type and value are both read from it.
                        offer(out,
                              RawEntry{unit, static_cast<std::uint8_t>(DwarfNameKind::enumerator),
                                       0, enumerator, dwarf_dieoffset(&die)});
                    }
                } while (dwarf_siblingof(&value, &value) == 0);
            }
        }
    } while (dwarf_siblingof(&die, &die) == 0);
}

struct Worker {
    Elf* elf = nullptr;
    Dwarf* dwarf = nullptr;
    BestEntries entries;
    ~Worker() {
        if (dwarf != nullptr) {
            dwarf_end(dwarf);
        }
        if (elf != nullptr) {
            elf_end(elf);
        }
    }
};

} // namespace

// One private mapping of the file shared by all workers, so the debug sections' pages are
// resident (and counted) once rather than once per thread.
class SharedImage {
public:
    explicit SharedImage(const ElfFile& file) : size_(file.file_size()) {
        void* at = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd(), 0);
        base_ = at == MAP_FAILED ? nullptr : static_cast<char*>(at);
    }
    ~SharedImage() {
        if (base_ != nullptr) {
            munmap(base_, size_);
        }
    }
    SharedImage(const SharedImage&) = delete;
    SharedImage& operator=(const SharedImage&) = delete;
    char* data() const { return base_; }
    std::size_t size() const { return size_; }
    // Drops the pages of a file range nobody will read again; they would refault from the
    // file if needed. Keeps peak RSS near one unit's worth instead of all of .debug_info.
    void release(std::uint64_t begin, std::uint64_t end) const {
        const std::uint64_t page = 4096;
        begin = (begin + page - 1) / page * page;
        end = end / page * page;
        if (base_ != nullptr && end > begin && end <= size_) {
            madvise(base_ + begin, end - begin, MADV_DONTNEED);
        }
    }

private:
    std::size_t size_;
    char* base_ = nullptr;
};

// Copies the winning names into one owned buffer the maps point into.
struct DwarfIndex::Builder {
    static DwarfIndex assemble(const BestEntries& best) {
        std::size_t total = 0;
        for (const auto& map : best) {
            for (const auto& [name, entry] : map) {
                total += name.size();
            }
        }
        DwarfIndex index;
        index.storage_->reserve(total);
        for (std::size_t kind = 0; kind < dwarf_name_kind_count; ++kind) {
            index.maps_[kind].reserve(best[kind].size());
            for (const auto& [name, entry] : best[kind]) {
                const std::size_t at = index.storage_->size();
                index.storage_->append(name);
                index.maps_[kind].emplace(std::string_view(*index.storage_).substr(at, name.size()),
                                          entry.offset);
            }
        }
        return index;
    }
};

Result<DwarfIndex> DwarfIndex::build(const ElfFile& file, unsigned threads) {
    threads = std::max(1u, threads);
    SharedImage image(file);
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned i = 0; i < threads; ++i) {
        auto worker = std::make_unique<Worker>();
        worker->elf = image.data() != nullptr ? elf_memory(image.data(), image.size())
                                              : elf_begin(file.fd(), ELF_C_READ_MMAP, nullptr);
        worker->dwarf =
            worker->elf != nullptr ? dwarf_begin_elf(worker->elf, DWARF_C_READ, nullptr) : nullptr;
        if (worker->dwarf == nullptr) {
            return fail("{}: no usable DWARF: {}", file.path().string(), dwarf_errmsg(-1));
        }
        workers.push_back(std::move(worker));
    }
    // Unit headers are cheap to walk; the DIEs below them are the work to share.
    std::vector<Dwarf_Off> unit_offsets;
    Dwarf_Off offset = 0;
    Dwarf_Off next = 0;
    std::size_t header_size = 0;
    while (dwarf_next_unit(workers[0]->dwarf, offset, &next, &header_size, nullptr, nullptr,
                           nullptr, nullptr, nullptr, nullptr) == 0) {
        unit_offsets.push_back(offset);
        offset = next;
    }
    const ElfSection* info_section = file.find_section(".debug_info");
    std::atomic<std::size_t> next_unit{0};
    auto run = [&](Worker& worker) {
        std::size_t i;
        while ((i = next_unit.fetch_add(1)) < unit_offsets.size()) {
            Dwarf_Off unit_next = 0;
            std::size_t unit_header = 0;
            if (dwarf_next_unit(worker.dwarf, unit_offsets[i], &unit_next, &unit_header, nullptr,
                                nullptr, nullptr, nullptr, nullptr, nullptr) != 0) {
                continue;
            }
            Dwarf_Die unit_die;
            if (dwarf_offdie(worker.dwarf, unit_offsets[i] + unit_header, &unit_die) == nullptr) {
                continue;
            }
            index_unit(&unit_die, static_cast<std::uint32_t>(i), worker.entries);
            if (info_section != nullptr) {
                image.release(info_section->file_offset + unit_offsets[i],
                              info_section->file_offset + unit_next);
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) {
        pool.emplace_back(run, std::ref(*workers[i]));
    }
    run(*workers[0]);
    for (auto& thread : pool) {
        thread.join();
    }

    // Pick the winner per (kind, name), then copy the names into one owned buffer.
    BestEntries best = std::move(workers[0]->entries);
    for (std::size_t w = 1; w < workers.size(); ++w) {
        for (const auto& map : workers[w]->entries) {
            for (const auto& [name, entry] : map) {
                offer(best, entry);
            }
        }
    }
    return Builder::assemble(best);
}

DwarfIndex DwarfIndex::build(Dwarf* dwarf) {
    BestEntries best;
    Dwarf_Off offset = 0;
    Dwarf_Off next = 0;
    std::size_t header_size = 0;
    for (std::uint32_t unit = 0; dwarf_next_unit(dwarf, offset, &next, &header_size, nullptr,
                                                 nullptr, nullptr, nullptr, nullptr, nullptr) == 0;
         ++unit, offset = next) {
        Dwarf_Die unit_die;
        if (dwarf_offdie(dwarf, offset + header_size, &unit_die) != nullptr) {
            index_unit(&unit_die, unit, best);
        }
    }
    return Builder::assemble(best);
}

std::optional<std::uint64_t> DwarfIndex::find(DwarfNameKind kind, std::string_view name) const {
    const auto& map = maps_[static_cast<std::size_t>(kind)];
    auto it = map.find(name);
    if (it == map.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::size_t DwarfIndex::size() const {
    std::size_t n = 0;
    for (const auto& map : maps_) {
        n += map.size();
    }
    return n;
}

namespace {

void put_u64(std::string& out, std::uint64_t value) {
    char bytes[8];
    std::memcpy(bytes, &value, 8);
    out.append(bytes, 8);
}

std::optional<std::uint64_t> get_u64(std::string_view bytes, std::size_t& at) {
    if (bytes.size() - at < 8 || at > bytes.size()) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    std::memcpy(&value, bytes.data() + at, 8);
    at += 8;
    return value;
}

} // namespace

// Layout: the name buffer, then per kind a count and (name offset, name length, DIE offset).
std::string DwarfIndex::serialize() const {
    std::string out;
    put_u64(out, storage_->size());
    out.append(*storage_);
    for (const auto& map : maps_) {
        put_u64(out, map.size());
        for (const auto& [name, offset] : map) {
            put_u64(out, static_cast<std::uint64_t>(name.data() - storage_->data()));
            put_u64(out, name.size());
            put_u64(out, offset);
        }
    }
    return out;
}

Result<DwarfIndex> DwarfIndex::deserialize(std::string bytes) {
    std::size_t at = 0;
    const std::string_view view(bytes);
    auto storage_size = get_u64(view, at);
    if (!storage_size || *storage_size > view.size() - at) {
        return fail("index names are cut short");
    }
    DwarfIndex index;
    *index.storage_ = std::string(view.substr(at, *storage_size));
    at += *storage_size;
    const std::string_view names(*index.storage_);
    for (auto& map : index.maps_) {
        auto count = get_u64(view, at);
        if (!count || *count > (view.size() - at) / 24) {
            return fail("index entry table is cut short");
        }
        map.reserve(*count);
        for (std::uint64_t i = 0; i < *count; ++i) {
            const auto name_at = get_u64(view, at);
            const auto name_size = get_u64(view, at);
            const auto offset = get_u64(view, at);
            if (*name_at > names.size() || *name_size > names.size() - *name_at) {
                return fail("index entry #{} points outside the name buffer", i);
            }
            map.emplace(names.substr(*name_at, *name_size), *offset);
        }
    }
    if (at != view.size()) {
        return fail("index has {} trailing bytes", view.size() - at);
    }
    return index;
}

} // namespace kdive::debuginfo
