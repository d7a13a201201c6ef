// The DWARF name index from kdive's own abbreviation-driven scanner (die_scanner), on worker
// threads; and the index while those threads build it (PendingDwarfIndex), whose lookups scan
// the first units themselves.
#include "debuginfo/die_scanner.hpp"
#include "debuginfo/dwarf_index_parts.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <libelf.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace kdive::debuginfo {

using index_parts::better;
using index_parts::EntriesByAddress;
using index_parts::is_indexed_tag;
using index_parts::kind_of_tag;
using index_parts::priority_of;
using index_parts::RawEntry;
using index_parts::SharedImage;

namespace {

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

} // namespace

// Each unit is read into a buffer, scanned, and its names offered by address; inline names are
// copied out first.
std::optional<DwarfIndex> DwarfIndex::Builder::by_scanning(const ElfFile& file,
                                                           const SharedImage& image,
                                                           unsigned threads,
                                                           const std::atomic<bool>* stop) {
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
    std::vector<InlineNames> inline_names(threads);
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
    for (std::size_t w = 1; w < found.size(); ++w) {
        found[0].absorb(found[w]);
    }
    return assemble(found[0].entries());
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
