// The DWARF name index as tables: assembled from candidates, queried, serialized; and which
// builder makes it.
#include "debuginfo/dwarf_index.hpp"

#include "debuginfo/dwarf_index_parts.hpp"

#include <algorithm>
#include <cstring>

namespace kdive::debuginfo {

using index_parts::better;
using index_parts::RawEntry;

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

DwarfIndex DwarfIndex::Builder::assemble(const std::vector<RawEntry>& candidates) {
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

Result<DwarfIndex> DwarfIndex::build(const ElfFile& file, unsigned threads,
                                     const std::atomic<bool>* stop) {
    threads = std::max(1u, threads);
    index_parts::SharedImage image(file);
    if (auto scanned = Builder::by_scanning(file, image, threads, stop)) {
        return std::move(*scanned);
    }
    if (stop != nullptr && *stop) {
        return fail("{}: indexing stopped", file.path().string());
    }
    return Builder::by_libdw(file, threads);
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

} // namespace kdive::debuginfo
