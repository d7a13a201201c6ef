// A name → DIE index over the top-level DWARF entries of every unit, built in parallel.
#pragma once

#include "debuginfo/elf_file.hpp"
#include "support/error.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

struct Dwarf;

namespace kdive::debuginfo {

enum class DwarfNameKind : std::uint8_t {
    struct_tag,
    union_tag,
    enum_tag,
    ordinary_type, // typedefs and base types
    variable,
    function,
    enumerator, // maps to the enclosing enumeration type's DIE
};
inline constexpr std::size_t dwarf_name_kind_count = 7;

class DwarfIndex {
public:
    // Scans every unit's top-level DIEs (not their subtrees) with `threads` workers: kdive's
    // own scanner where the file allows, else libdw's DIE walk (one handle per worker, since
    // libdw is not thread-safe).
    // Setting `stop` ends the build early with an error.
    static Result<DwarfIndex> build(const ElfFile& file, unsigned threads,
                                    const std::atomic<bool>* stop = nullptr);
    // Over an open (e.g. relocated) Dwarf handle, on this thread: for small objects.
    static DwarfIndex build(Dwarf* dwarf);

    // Global .debug_info offset of the best DIE for the name: definitions win over
    // declarations, then the first unit in file order.
    std::optional<std::uint64_t> find(DwarfNameKind kind, std::string_view name) const;
    std::size_t size() const;
    bool empty() const { return size() == 0; }
    // The same names lead to the same DIEs.
    bool operator==(const DwarfIndex& other) const;

    // A compact byte form for the on-disk cache (the tables as they are in memory), and back
    // (validation of the file is the caller's job; parse still fails cleanly on short or
    // inconsistent input).
    std::string serialize() const;
    static Result<DwarfIndex> deserialize(std::string_view bytes);

private:
    struct Builder;
    // One name in an open-addressed table: its text in names_, and its DIE.
    struct Slot {
        std::uint32_t name_at = 0;
        std::uint32_t name_size = empty_slot;
        std::uint64_t die = 0;
    };
    static constexpr std::uint32_t empty_slot = ~std::uint32_t{0};
    using Table = std::vector<Slot>; // a power-of-two size, at most half full

    const Slot* slot_for(const Table& table, std::string_view name, std::uint64_t hash) const;

    std::string names_; // every name back to back
    std::array<Table, dwarf_name_kind_count> tables_;
    std::array<std::size_t, dwarf_name_kind_count> counts_{};
};

// The name index while threads build it. Until it is complete, a lookup scans the first units
// of the file itself and answers when the name has a complete definition there: the answer the
// whole index gives too, since it prefers the first complete definition in file order. Types
// every unit uses (task_struct, list_head) and the early units' own names (init_task) answer
// in milliseconds; other lookups wait for the whole index.
class PendingDwarfIndex {
public:
    // `built` runs on the building thread with the finished index (to cache it, say).
    using Built = std::function<void(const DwarfIndex&)>;
    PendingDwarfIndex(const ElfFile& file, unsigned threads, Built built);
    // Stops an unfinished build and waits for its threads.
    ~PendingDwarfIndex();
    PendingDwarfIndex(const PendingDwarfIndex&) = delete;
    PendingDwarfIndex& operator=(const PendingDwarfIndex&) = delete;

    std::optional<std::uint64_t> find(DwarfNameKind kind, std::string_view name);
    // The whole index, waiting for it; an error when it could not be built.
    Result<const DwarfIndex*> wait();
    bool finished() const { return finished_; }

    // How many units a lookup scans by itself before it waits instead.
    static constexpr std::size_t early_units = 128;

private:
    struct Early;
    void build(unsigned threads);

    const ElfFile& file_;
    Built built_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> finished_{false};
    std::mutex mutex_;
    std::condition_variable done_;
    Result<DwarfIndex> index_;
    std::unique_ptr<Early> early_; // under mutex_
    std::thread thread_;
};

} // namespace kdive::debuginfo
