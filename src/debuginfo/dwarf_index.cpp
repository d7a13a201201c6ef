// Builds, serializes and queries the DWARF name index.
#include "debuginfo/dwarf_index.hpp"

#include "debuginfo/die_scanner.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <libelf.h>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace kdive::debuginfo {

namespace {

struct RawEntry {
    std::uint32_t unit = 0;    // unit number in file order: earlier units win ties
    std::uint8_t kind = 0;     // DwarfNameKind
    std::uint8_t priority = 0; // lower wins: 0 definition, 2 declaration
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

// Lower wins: 0 a definition, 2 a declaration. From the attributes the entry itself carries.
std::uint8_t priority_of(DwarfNameKind kind, bool declaration, bool location, bool code) {
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

std::uint8_t priority_of(Dwarf_Die* die, DwarfNameKind kind) {
    return priority_of(
        kind, dwarf_hasattr(die, DW_AT_declaration) != 0,
        dwarf_hasattr(die, DW_AT_location) != 0 || dwarf_hasattr(die, DW_AT_const_value) != 0,
        dwarf_hasattr(die, DW_AT_low_pc) != 0 || dwarf_hasattr(die, DW_AT_ranges) != 0);
}

bool is_indexed_tag(unsigned tag) {
    return kind_of_tag(static_cast<int>(tag)).has_value();
}

// Best entry per (kind, name) so far; kept per worker so that millions of repeated header
// types (every unit re-describes list_head) never pile up in memory.
using BestEntries =
    std::array<std::unordered_map<std::string_view, RawEntry>, dwarf_name_kind_count>;

bool better(const RawEntry& a, const RawEntry& b) {
    return std::tie(a.priority, a.unit, a.offset) < std::tie(b.priority, b.unit, b.offset);
}

void offer(BestEntries& best, const RawEntry& entry) {
    auto [it, inserted] = best[entry.kind].try_emplace(entry.name, entry);
    if (!inserted && better(entry, it->second)) {
        it->second = entry;
    }
}

void append_entries(const BestEntries& best, std::vector<RawEntry>& out) {
    for (const auto& map : best) {
        for (const auto& [name, entry] : map) {
            out.push_back(entry);
        }
    }
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
    template <typename Visit> void for_each(Visit visit) const {
        for (const RawEntry& slot : slots_) {
            if (slot.name != nullptr) {
                visit(slot);
            }
        }
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
        advise(begin, end, MADV_DONTNEED);
    }
    // madvise() over the whole pages inside a file range.
    void advise(std::uint64_t begin, std::uint64_t end, int advice) const {
        const std::uint64_t page = 4096;
        begin = (begin + page - 1) / page * page;
        end = end / page * page;
        if (base_ != nullptr && end > begin && end <= size_) {
            madvise(base_ + begin, end - begin, advice);
        }
    }

private:
    std::size_t size_;
    char* base_ = nullptr;
};

namespace {

// The tables' hash: part of the cache format, so fixed here rather than left to the library.
std::uint64_t name_hash(std::string_view name) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : name) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    }
    return hash ^ (hash >> 29);
}

std::size_t table_size_for(std::size_t count) {
    std::size_t size = 16;
    while (size < 2 * count + 1) {
        size *= 2;
    }
    return size;
}

} // namespace

const DwarfIndex::Slot* DwarfIndex::slot_for(const Table& table, std::string_view name,
                                             std::uint64_t hash) const {
    if (table.empty()) {
        return nullptr;
    }
    const std::size_t mask = table.size() - 1;
    for (std::size_t at = hash & mask, tries = 0; tries < table.size();
         at = (at + 1) & mask, ++tries) {
        const Slot& slot = table[at];
        if (slot.name_size == empty_slot) {
            return &slot;
        }
        if (slot.name_size == name.size() &&
            std::memcmp(names_.data() + slot.name_at, name.data(), name.size()) == 0) {
            return &slot;
        }
    }
    return nullptr;
}

// Makes the index from every worker's candidates: the best per (kind, name) wins.
struct DwarfIndex::Builder {
    static DwarfIndex assemble(const std::vector<RawEntry>& candidates) {
        std::vector<std::uint32_t> lengths(candidates.size());
        std::size_t total = 0;
        std::array<std::size_t, dwarf_name_kind_count> per_kind{};
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            lengths[i] = static_cast<std::uint32_t>(
                std::min<std::size_t>(std::strlen(candidates[i].name), empty_slot - 1));
            total += lengths[i];
            ++per_kind[candidates[i].kind];
        }
        DwarfIndex index;
        index.names_.reserve(total);
        for (std::size_t kind = 0; kind < dwarf_name_kind_count; ++kind) {
            index.tables_[kind].resize(table_size_for(per_kind[kind]));
        }
        // While building, a slot's `die` is the winning candidate's position.
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            const std::string_view name(candidates[i].name, lengths[i]);
            Table& table = index.tables_[candidates[i].kind];
            auto* slot = const_cast<Slot*>(index.slot_for(table, name, name_hash(name)));
            if (slot->name_size != empty_slot) {
                if (better(candidates[i], candidates[slot->die])) {
                    slot->die = i;
                }
                continue;
            }
            if (index.names_.size() + name.size() >= empty_slot) {
                continue; // beyond 4 GiB of names: not a real symbol table
            }
            slot->name_at = static_cast<std::uint32_t>(index.names_.size());
            slot->name_size = lengths[i];
            slot->die = i;
            index.names_.append(name);
            ++index.counts_[candidates[i].kind];
        }
        for (Table& table : index.tables_) {
            for (Slot& slot : table) {
                if (slot.name_size != empty_slot) {
                    slot.die = candidates[slot.die].offset;
                }
            }
        }
        return index;
    }
};

namespace {

// libdw's DIE walk: any DWARF libdw reads (compressed sections too), but slower.
Result<std::vector<RawEntry>> index_with_libdw(const ElfFile& file, const SharedImage& image,
                                               unsigned threads) {
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

    std::vector<RawEntry> candidates;
    for (const auto& worker : workers) {
        append_entries(worker->entries, candidates);
    }
    return candidates;
}

// Names stored in .debug_info itself (DW_FORM_string), copied out so that a unit's pages can
// be dropped once it is scanned; one copy per text.
class InlineNames {
public:
    const char* intern(const char* name) {
        const std::string_view text(name);
        if (auto it = copies_.find(text); it != copies_.end()) {
            return it->second;
        }
        const std::string& copy = storage_.emplace_back(text); // a deque: copies never move
        copies_.emplace(copy, copy.c_str());
        return copy.c_str();
    }

private:
    std::deque<std::string> storage_;
    std::unordered_map<std::string_view, const char*> copies_;
};

// The unit headers read from the file: read through the mapping, each would fault in the
// pages around it too (the kernel maps a neighbourhood per fault), most of .debug_info at once.
std::optional<std::vector<UnitHeader>> unit_headers_by_reading(int fd, std::uint64_t info_at,
                                                               std::uint64_t info_size) {
    std::vector<UnitHeader> units;
    std::array<std::uint8_t, max_unit_header_size> bytes{};
    for (std::uint64_t offset = 0; offset < info_size;) {
        const auto want = std::min<std::uint64_t>(bytes.size(), info_size - offset);
        const auto got = pread(fd, bytes.data(), want, static_cast<off_t>(info_at + offset));
        if (got != static_cast<ssize_t>(want)) {
            return std::nullopt;
        }
        auto unit = read_unit_header(std::span(bytes).first(want), offset, info_size);
        if (!unit) {
            return std::nullopt;
        }
        units.push_back(*unit);
        offset = unit->end;
    }
    return units;
}

// What the index is assembled from, with the copies the entries' names may point into.
struct Candidates {
    std::vector<RawEntry> entries;
    std::vector<InlineNames> names;
};

// The bytes of a section in the shared mapping, when it is stored plainly (not compressed,
// not SHT_NOBITS) and lies inside the file.
std::optional<std::span<const std::uint8_t>>
plain_section(const ElfFile& file, const SharedImage& image, std::string_view name) {
    const ElfSection* section = file.find_section(name);
    if (section == nullptr) {
        return std::span<const std::uint8_t>{};
    }
    if (!section->has_file_bytes() || (section->flags & SHF_COMPRESSED) != 0 ||
        section->file_offset > image.size() ||
        section->size > image.size() - section->file_offset) {
        return std::nullopt;
    }
    return std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(image.data()) + section->file_offset, section->size);
}

// kdive's own abbreviation-driven scan (die_scanner): nullopt when the file needs what only
// libdw does (relocation, compressed or big-endian sections) or holds DWARF the scanner does
// not read, and the caller falls back to libdw.
// What kdive's own scanner needs of a file: its sections in the shared mapping and its unit
// headers; nullopt when the file needs what only libdw does (relocation, compressed or
// big-endian sections) or its headers do not parse.
struct ScannableDwarf {
    DwarfSections sections;
    std::uint64_t info_at = 0; // file offset of .debug_info
    std::vector<UnitHeader> units;
};

std::optional<ScannableDwarf> scannable_dwarf(const ElfFile& file, const SharedImage& image) {
    const char* ident = elf_getident(file.elf(), nullptr);
    if (image.data() == nullptr || file.elf_type() == ET_REL || ident == nullptr ||
        ident[EI_DATA] != ELFDATA2LSB || file.find_section(".debug_info") == nullptr) {
        return std::nullopt;
    }
    ScannableDwarf dwarf;
    auto& sections = dwarf.sections;
    const std::pair<std::span<const std::uint8_t>*, std::string_view> wanted[] = {
        {&sections.info, ".debug_info"},
        {&sections.abbrev, ".debug_abbrev"},
        {&sections.str, ".debug_str"},
        {&sections.line_str, ".debug_line_str"},
        {&sections.str_offsets, ".debug_str_offsets"},
    };
    for (const auto& [span, name] : wanted) {
        auto bytes = plain_section(file, image, name);
        if (!bytes) {
            return std::nullopt;
        }
        *span = *bytes;
    }
    dwarf.info_at = file.find_section(".debug_info")->file_offset;
    auto units = unit_headers_by_reading(file.fd(), dwarf.info_at, sections.info.size());
    if (!units) {
        return std::nullopt;
    }
    dwarf.units = std::move(*units);
    return dwarf;
}

// The kind and priority of a scanned entry.
RawEntry raw_entry(const ScannedDie& die, std::uint32_t unit) {
    const DwarfNameKind kind =
        die.tag == DW_TAG_enumerator ? DwarfNameKind::enumerator : *kind_of_tag(die.tag);
    return RawEntry{unit, static_cast<std::uint8_t>(kind),
                    die.tag == DW_TAG_enumerator
                        ? std::uint8_t{0}
                        : priority_of(kind, die.declaration, die.location, die.code),
                    die.name, die.offset};
}

// kdive's own abbreviation-driven scan (die_scanner), each unit read into a buffer;
// nullopt when the file is not scannable or the scanner meets DWARF it does not read (the
// caller falls back to libdw), or when `stop` is set.
std::optional<Candidates> index_by_scanning(const ElfFile& file, const SharedImage& image,
                                            unsigned threads, const std::atomic<bool>* stop) {
    auto dwarf = scannable_dwarf(file, image);
    if (!dwarf) {
        return std::nullopt;
    }
    const auto& sections = dwarf->sections;
    const auto* units = &dwarf->units;
    const std::uint64_t info_at = dwarf->info_at;
    std::atomic<std::size_t> next_unit{0};
    std::atomic<bool> failed{false};
    std::vector<EntriesByAddress> found(threads);
    Candidates candidates;
    candidates.names.resize(threads);
    auto& inline_names = candidates.names;
    const auto* info_begin = reinterpret_cast<const char*>(sections.info.data());
    const auto* info_end = info_begin + sections.info.size();
    auto run = [&](EntriesByAddress& entries, InlineNames& copies) {
        DieScanner scanner(sections, *units, is_indexed_tag);
        std::vector<ScannedDie> dies;
        // A unit is read into this buffer rather than faulted in page by page through the
        // mapping: one copy costs less than the faults, and nothing stays resident.
        std::vector<std::uint8_t> buffer;
        std::size_t i;
        while (!failed && (stop == nullptr || !*stop) &&
               (i = next_unit.fetch_add(1)) < units->size()) {
            const UnitHeader& unit = (*units)[i];
            buffer.resize(unit.end - unit.offset);
            const auto got = pread(file.fd(), buffer.data(), buffer.size(),
                                   static_cast<off_t>(info_at + unit.offset));
            if (got != static_cast<ssize_t>(buffer.size()) || !scanner.scan(unit, buffer, dies)) {
                failed = true;
                return;
            }
            const auto* copy_begin = reinterpret_cast<const char*>(buffer.data());
            const auto* copy_end = copy_begin + buffer.size();
            for (ScannedDie& die : dies) {
                if ((die.name >= info_begin && die.name < info_end) ||
                    (die.name >= copy_begin && die.name < copy_end)) {
                    die.name = copies.intern(die.name);
                }
                entries.offer(raw_entry(die, static_cast<std::uint32_t>(i)));
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) {
        pool.emplace_back(run, std::ref(found[i]), std::ref(inline_names[i]));
    }
    run(found[0], inline_names[0]);
    for (auto& thread : pool) {
        thread.join();
    }
    if (failed || (stop != nullptr && *stop)) {
        return std::nullopt;
    }
    // One name is one address across workers too: merge by address first.
    for (std::size_t w = 1; w < found.size(); ++w) {
        found[w].for_each([&](const RawEntry& entry) { found[0].offer(entry); });
    }
    found[0].for_each([&](const RawEntry& entry) { candidates.entries.push_back(entry); });
    return candidates;
}

} // namespace

Result<DwarfIndex> DwarfIndex::build(const ElfFile& file, unsigned threads,
                                     const std::atomic<bool>* stop) {
    threads = std::max(1u, threads);
    SharedImage image(file);
    if (auto scanned = index_by_scanning(file, image, threads, stop)) {
        return Builder::assemble(scanned->entries);
    }
    if (stop != nullptr && *stop) {
        return fail("{}: indexing stopped", file.path().string());
    }
    auto walked = index_with_libdw(file, image, threads);
    if (!walked) {
        return std::unexpected(walked.error());
    }
    return Builder::assemble(*walked);
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
    std::vector<RawEntry> candidates;
    append_entries(best, candidates);
    return Builder::assemble(candidates);
}

std::optional<std::uint64_t> DwarfIndex::find(DwarfNameKind kind, std::string_view name) const {
    const Slot* slot = slot_for(tables_[static_cast<std::size_t>(kind)], name, name_hash(name));
    if (slot == nullptr || slot->name_size == empty_slot) {
        return std::nullopt;
    }
    return slot->die;
}

std::size_t DwarfIndex::size() const {
    std::size_t n = 0;
    for (const std::size_t count : counts_) {
        n += count;
    }
    return n;
}

bool DwarfIndex::operator==(const DwarfIndex& other) const {
    if (counts_ != other.counts_) {
        return false;
    }
    for (std::size_t kind = 0; kind < dwarf_name_kind_count; ++kind) {
        for (const Slot& slot : tables_[kind]) {
            if (slot.name_size != empty_slot &&
                other.find(static_cast<DwarfNameKind>(kind),
                           std::string_view(names_).substr(slot.name_at, slot.name_size)) !=
                    slot.die) {
                return false;
            }
        }
    }
    return true;
}

namespace {

void put_u64(std::string& out, std::uint64_t value) {
    char bytes[8];
    std::memcpy(bytes, &value, 8);
    out.append(bytes, 8);
}

std::optional<std::uint64_t> get_u64(std::string_view bytes, std::size_t& at) {
    if (at > bytes.size() || bytes.size() - at < 8) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    std::memcpy(&value, bytes.data() + at, 8);
    at += 8;
    return value;
}

} // namespace

// Layout: the names' size and bytes, then per kind the name count, the table size and the
// table's slots as they are in memory (name offset u32, name size u32, DIE offset u64).
std::string DwarfIndex::serialize() const {
    static_assert(sizeof(Slot) == 16);
    std::string out;
    put_u64(out, names_.size());
    out.append(names_);
    for (std::size_t kind = 0; kind < dwarf_name_kind_count; ++kind) {
        put_u64(out, counts_[kind]);
        put_u64(out, tables_[kind].size());
        out.append(reinterpret_cast<const char*>(tables_[kind].data()),
                   tables_[kind].size() * sizeof(Slot));
    }
    return out;
}

Result<DwarfIndex> DwarfIndex::deserialize(std::string_view bytes) {
    std::size_t at = 0;
    auto names_size = get_u64(bytes, at);
    if (!names_size || *names_size > bytes.size() - at || *names_size >= empty_slot) {
        return fail("index names are cut short");
    }
    DwarfIndex index;
    index.names_ = std::string(bytes.substr(at, *names_size));
    at += *names_size;
    for (std::size_t kind = 0; kind < dwarf_name_kind_count; ++kind) {
        auto count = get_u64(bytes, at);
        auto size = get_u64(bytes, at);
        if (!count || !size || *size > (bytes.size() - at) / sizeof(Slot)) {
            return fail("index table #{} is cut short", kind);
        }
        // A power of two with at least one empty slot, or no table at all.
        if (*size != 0 && ((*size & (*size - 1)) != 0 || *count >= *size)) {
            return fail("index table #{} has {} names in {} slots", kind, *count, *size);
        }
        Table& table = index.tables_[kind];
        table.resize(*size);
        std::memcpy(table.data(), bytes.data() + at, *size * sizeof(Slot));
        at += *size * sizeof(Slot);
        std::size_t used = 0;
        for (const Slot& slot : table) {
            if (slot.name_size == empty_slot) {
                continue;
            }
            if (slot.name_at > index.names_.size() ||
                slot.name_size > index.names_.size() - slot.name_at) {
                return fail("index table #{} points outside the name buffer", kind);
            }
            ++used;
        }
        if (used != *count) {
            return fail("index table #{} holds {} names, not {}", kind, used, *count);
        }
        index.counts_[kind] = used;
    }
    if (at != bytes.size()) {
        return fail("index has {} trailing bytes", bytes.size() - at);
    }
    return index;
}

// The first units, scanned by a lookup itself: the best entry per name among them.
struct PendingDwarfIndex::Early {
    SharedImage image;
    std::optional<ScannableDwarf> dwarf;
    std::unique_ptr<DieScanner> scanner;
    std::size_t scanned = 0;
    std::array<std::unordered_map<std::string_view, RawEntry>, dwarf_name_kind_count> best;
    InlineNames copies;
    std::vector<ScannedDie> dies;

    explicit Early(const ElfFile& file) : image(file), dwarf(scannable_dwarf(file, image)) {
        if (dwarf) {
            scanner = std::make_unique<DieScanner>(dwarf->sections, dwarf->units, is_indexed_tag);
        }
    }
    // Scans one more unit; false when there is none or it does not scan.
    bool scan_next() {
        if (!dwarf || scanned >= dwarf->units.size() || scanned >= early_units) {
            return false;
        }
        const UnitHeader& unit = dwarf->units[scanned];
        if (!scanner->scan(unit, dies)) {
            scanned = dwarf->units.size();
            return false;
        }
        for (ScannedDie& die : dies) {
            // Names may be in the mapping's .debug_info, whose pages come and go: keep copies.
            const auto* info = reinterpret_cast<const char*>(dwarf->sections.info.data());
            if (die.name >= info && die.name < info + dwarf->sections.info.size()) {
                die.name = copies.intern(die.name);
            }
            const RawEntry entry = raw_entry(die, static_cast<std::uint32_t>(scanned));
            auto [it, inserted] = best[entry.kind].try_emplace(entry.name, entry);
            if (!inserted && better(entry, it->second)) {
                it->second = entry;
            }
        }
        ++scanned;
        return true;
    }
};

PendingDwarfIndex::PendingDwarfIndex(const ElfFile& file, unsigned threads, Built built)
    : file_(file), built_(std::move(built)), index_(fail("the DWARF index is not built yet")) {
    thread_ = std::thread([this, threads] { build(threads); });
}

PendingDwarfIndex::~PendingDwarfIndex() {
    stop_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
}

void PendingDwarfIndex::build(unsigned threads) {
    auto index = DwarfIndex::build(file_, threads, &stop_);
    if (index && built_) {
        built_(*index);
    }
    {
        const std::lock_guard lock(mutex_);
        index_ = std::move(index);
        finished_ = true;
    }
    done_.notify_all();
}

Result<const DwarfIndex*> PendingDwarfIndex::wait() {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return finished_.load(); });
    if (!index_) {
        return std::unexpected(index_.error());
    }
    return &*index_;
}

std::optional<std::uint64_t> PendingDwarfIndex::find(DwarfNameKind kind, std::string_view name) {
    if (!finished_) {
        std::unique_lock lock(mutex_);
        if (!early_) {
            early_ = std::make_unique<Early>(file_);
        }
        auto& best = early_->best[static_cast<std::size_t>(kind)];
        for (;;) {
            // A definition in the units scanned so far, which come first in the file.
            if (auto it = best.find(name); it != best.end() && it->second.priority == 0) {
                return it->second.offset;
            }
            if (finished_ || !early_->scan_next()) {
                break;
            }
        }
    }
    auto index = wait();
    return index ? (*index)->find(kind, name) : std::nullopt;
}

} // namespace kdive::debuginfo
