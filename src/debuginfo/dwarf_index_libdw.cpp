// The DWARF name index from libdw's generic DIE walk: for what kdive's own scanner does not
// read (compressed or relocated sections, a kernel module relocated in memory).
#include "debuginfo/dwarf_index_parts.hpp"

#include <atomic>
#include <elfutils/libdw.h>
#include <libelf.h>
#include <memory>
#include <thread>
#include <vector>

namespace kdive::debuginfo {

using index_parts::EntriesByAddress;
using index_parts::kind_of_tag;
using index_parts::RawEntry;

namespace {

// The rank of an entry from the attributes libdw finds on it.
std::uint8_t priority_of_die(Dwarf_Die* die, DwarfNameKind kind) {
    return index_parts::priority_of(
        kind, dwarf_hasattr(die, DW_AT_declaration) != 0,
        dwarf_hasattr(die, DW_AT_location) != 0 || dwarf_hasattr(die, DW_AT_const_value) != 0,
        dwarf_hasattr(die, DW_AT_low_pc) != 0 || dwarf_hasattr(die, DW_AT_ranges) != 0);
}

void index_unit(Dwarf_Die* unit_die, std::uint32_t unit, EntriesByAddress& out) {
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
            out.offer(RawEntry{unit, static_cast<std::uint8_t>(*kind), priority_of_die(&die, *kind),
                               name, dwarf_dieoffset(&die)});
        }
        if (tag == DW_TAG_enumeration_type && !dwarf_hasattr(&die, DW_AT_declaration)) {
            Dwarf_Die value;
            if (dwarf_child(&die, &value) == 0) {
                do {
                    const char* enumerator = dwarf_diename(&value);
                    if (enumerator != nullptr && dwarf_tag(&value) == DW_TAG_enumerator) {
                        // The enum's own offset: its type and value are both read from it.
                        out.offer(RawEntry{unit,
                                           static_cast<std::uint8_t>(DwarfNameKind::enumerator), 0,
                                           enumerator, dwarf_dieoffset(&die)});
                    }
                } while (dwarf_siblingof(&value, &value) == 0);
            }
        }
    } while (dwarf_siblingof(&die, &die) == 0);
}

struct Worker {
    Elf* elf = nullptr;
    Dwarf* dwarf = nullptr;
    EntriesByAddress entries;
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

Result<DwarfIndex> DwarfIndex::Builder::by_libdw(const ElfFile& file, unsigned threads) {
    std::vector<std::unique_ptr<Worker>> workers;
    for (unsigned i = 0; i < threads; ++i) {
        auto worker = std::make_unique<Worker>();
        // Each worker maps the file itself: libdw decompresses a compressed section by
        // rewriting its section header, which in a shared writable image would make the other
        // workers read compressed bytes as plain DWARF.
        worker->elf = elf_begin(file.fd(), ELF_C_READ_MMAP, nullptr);
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

    // The names point into the workers' libelf data (decompressed sections included): the
    // index is assembled before the workers go.
    for (std::size_t w = 1; w < workers.size(); ++w) {
        workers[0]->entries.absorb(workers[w]->entries);
    }
    return assemble(workers[0]->entries.entries());
}

DwarfIndex DwarfIndex::build(Dwarf* dwarf) {
    EntriesByAddress best;
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
    return Builder::assemble(best.entries());
}

} // namespace kdive::debuginfo
