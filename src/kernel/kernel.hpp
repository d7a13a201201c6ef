// The running kernel as kdive sees it: debug info, memory, and where KASLR loaded the image.
#pragma once

#include "arch/architecture.hpp"
#include "arch/physical_reader.hpp"
#include "debuginfo/debug_info.hpp"
#include "eval/memory_reader.hpp"
#include "kernel/record.hpp"
#include "kernel/struct_layout.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kdive::kernel {

// The kernel image's link-time mapping on x86-64 (__START_KERNEL_map .. +1 GiB).
inline constexpr std::uint64_t kernel_image_start = 0xffffffff80000000ull;
inline constexpr std::uint64_t kernel_image_end = 0xffffffffc0000000ull;
// PAGE_SIZE of the kernels whose page counts the memory commands turn into bytes (4K pages).
inline constexpr std::uint64_t page_bytes = 4096;
// MAX_NUMNODES at NODES_SHIFT 10, the largest a distribution kernel is built with: the bound on
// a per-node array read from the guest.
inline constexpr std::uint32_t max_numnodes = 1024;

class Kernel {
public:
    Kernel(debuginfo::DebugInfo& info, eval::MemoryReader& memory,
           arch::PhysicalReader* physical = nullptr)
        : info_(info), memory_(memory), physical_(physical) {}
    Kernel(const Kernel&) = delete;
    Kernel& operator=(const Kernel&) = delete;

    debuginfo::DebugInfo& info() { return info_; }
    eval::MemoryReader& memory() { return memory_; }
    arch::PhysicalReader* physical() { return physical_; }
    // The vmlinux's architecture (x86-64 for an ELF machine kdive does not know).
    const arch::Architecture& architecture() const;

    std::uint64_t kaslr_offset() const { return kaslr_offset_; }
    void set_kaslr_offset(std::uint64_t offset) { kaslr_offset_ = offset; }
    // Image addresses move with KASLR; zero-based per-CPU offsets (before 6.15) and anything
    // outside the image mapping do not.
    std::uint64_t relocate(std::uint64_t file_address) const;
    // The link-time address of a runtime image address (for naming it).
    std::uint64_t unrelocate(std::uint64_t runtime_address) const;

    bool has_symbol(std::string_view name);
    // The vmlinux symbol that starts exactly at a runtime address ("" when none does): what a
    // function or ops-table pointer names.
    std::string symbol_at(std::uint64_t runtime_address);
    // Runtime address of an ELF symbol; an error naming it when the vmlinux lacks it.
    Result<std::uint64_t> address_of(std::string_view name);
    // A global or per-CPU variable with its type, at its runtime address.
    Result<debuginfo::Variable> variable(std::string_view name);
    // `struct NAME` from the debug info, looked up once.
    Result<const StructLayout*> layout(std::string_view struct_name);
    // nullptr when the debug info has no such struct (for probing version differences).
    const StructLayout* find_layout(std::string_view struct_name);

    Result<Record> read(std::uint64_t address, std::size_t length);
    Result<std::uint64_t> read_u64(std::uint64_t address);
    // The 8-byte global `name` (max_pfn, page_offset_base...); errors name it.
    Result<std::uint64_t> read_global_u64(std::string_view name);
    Result<std::uint32_t> read_u32(std::uint64_t address);
    // One integer or pointer member (bitfields too) of the `struct TYPE` at `address`; errors
    // name the struct, the member and the address.
    Result<std::uint64_t> read_member(std::uint64_t address, std::string_view type,
                                      std::string_view member);
    // A NUL-terminated string of at most `max` bytes, read in page-bounded pieces.
    Result<std::string> read_c_string(std::uint64_t address, std::size_t max = 4096);

private:
    debuginfo::DebugInfo& info_;
    eval::MemoryReader& memory_;
    arch::PhysicalReader* physical_;
    std::uint64_t kaslr_offset_ = 0;
    std::map<std::string, std::unique_ptr<StructLayout>, std::less<>> layouts_;
};

} // namespace kdive::kernel
