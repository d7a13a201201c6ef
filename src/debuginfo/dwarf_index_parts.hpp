// What the DWARF index's builders share: a candidate entry and how candidates rank, the
// per-worker table of best candidates, the shared file mapping, and the builders themselves
// (kdive's scanner, libdw's walk) as parts of DwarfIndex. Internal to src/debuginfo.
#pragma once

#include "debuginfo/dwarf_index.hpp"

#include <cstdint>
#include <dwarf.h>
#include <optional>
#include <sys/mman.h>
#include <tuple>
#include <vector>

namespace kdive::debuginfo {

namespace index_parts {

struct RawEntry {
    std::uint32_t unit = 0;    // unit number in file order: earlier units win ties
    std::uint8_t kind = 0;     // DwarfNameKind
    std::uint8_t priority = 0; // lower wins: 0 definition, 2 declaration
    const char* name = nullptr;
    std::uint64_t offset = 0;
};

inline std::optional<DwarfNameKind> kind_of_tag(int tag) {
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

inline bool is_indexed_tag(unsigned tag) {
    return kind_of_tag(static_cast<int>(tag)).has_value();
}

// Lower wins: 0 a definition, 2 a declaration. From the attributes the entry itself carries.
inline std::uint8_t priority_of(DwarfNameKind kind, bool declaration, bool location, bool code) {
    if (declaration) {
        return 2;
    }
    // A variable's definition has a location (or a constant value); its type may come from
    // the declaration it completes (DW_AT_specification), which GCC repeats only when the two
    // differ (`char x[]` completed as `char x[16]`). Between several definitions (statics of
    // one name) the first unit wins, so a definition found in the first units is final.
    if (kind == DwarfNameKind::variable && !location) {
        return 2;
    }
    if (kind == DwarfNameKind::function && !code) {
        return 2;
    }
    return 0;
}

inline bool better(const RawEntry& a, const RawEntry& b) {
    return std::tie(a.priority, a.unit, a.offset) < std::tie(b.priority, b.unit, b.offset);
}

// The best entry per (kind, name address), open-addressed. The linker merges .debug_str, so a
// name has one address nearly always and scanning hashes no string; the rare duplicates
// (inline DW_FORM_string names) meet when the workers' entries are merged by text.
class EntriesByAddress {
public:
    EntriesByAddress() : slots_(std::size_t{1} << 16) {}

    void offer(const RawEntry& entry) {
        if (2 * (used_ + 1) > slots_.size()) {
            grow();
        }
        RawEntry& slot = find(entry);
        if (slot.name == nullptr) {
            slot = entry;
            ++used_;
        } else if (better(entry, slot)) {
            slot = entry;
        }
    }
    // Another worker's entries: one name is one address across workers too.
    void absorb(const EntriesByAddress& other) {
        for (const RawEntry& slot : other.slots_) {
            if (slot.name != nullptr) {
                offer(slot);
            }
        }
    }
    std::vector<RawEntry> entries() const {
        std::vector<RawEntry> out;
        out.reserve(used_);
        for (const RawEntry& slot : slots_) {
            if (slot.name != nullptr) {
                out.push_back(slot);
            }
        }
        return out;
    }

private:
    RawEntry& find(const RawEntry& entry) {
        const std::size_t mask = slots_.size() - 1;
        const auto key = reinterpret_cast<std::uintptr_t>(entry.name) ^ entry.kind;
        std::size_t at = (key * 0x9e3779b97f4a7c15ULL) >> 20 & mask;
        while (slots_[at].name != nullptr &&
               (slots_[at].name != entry.name || slots_[at].kind != entry.kind)) {
            at = (at + 1) & mask;
        }
        return slots_[at];
    }
    void grow() {
        std::vector<RawEntry> old(slots_.size() * 2);
        old.swap(slots_);
        for (const RawEntry& entry : old) {
            if (entry.name != nullptr) {
                find(entry) = entry;
            }
        }
    }

    std::vector<RawEntry> slots_;
    std::size_t used_ = 0;
};

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

} // namespace index_parts

// Each builder assembles the index while the memory its candidates' names point into lives.
struct DwarfIndex::Builder {
    // The best candidate per (kind, name) wins; names are copied into the index.
    static DwarfIndex assemble(const std::vector<index_parts::RawEntry>& candidates);
    // kdive's own scanner (dwarf_index_scan.cpp); nullopt when the file needs what only libdw
    // does (relocation, compressed or big-endian sections), holds DWARF the scanner does not
    // read, or `stop` is set.
    static std::optional<DwarfIndex> by_scanning(const ElfFile& file,
                                                 const index_parts::SharedImage& image,
                                                 unsigned threads, const std::atomic<bool>* stop);
    // libdw's DIE walk (dwarf_index_libdw.cpp): any DWARF libdw reads, but slower.
    static Result<DwarfIndex> by_libdw(const ElfFile& file, unsigned threads);
};

} // namespace kdive::debuginfo
