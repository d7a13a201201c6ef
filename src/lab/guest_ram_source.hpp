// Where a launched VM's RAM can be mapped from: QEMU's memfd backend, reached through
// /proc/PID/fd, placed at the guest-physical ranges QEMU's flat memory view reports.
#pragma once

#include "lab/session.hpp"
#include "support/error.hpp"
#include "target/guest_ram.hpp"

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace kdive::lab {

// The memory backend id kdive gives QEMU for guest RAM.
inline constexpr std::string_view guest_ram_backend_id = "kdive-ram";

// The QEMU arguments that put guest RAM in a shareable memfd of `mem_mb` MiB.
std::vector<std::string> guest_ram_arguments(int mem_mb);

// The ranges of `backend_id` (any RAM when empty) in HMP `info mtree -f`'s flat view of the
// "memory" address space, e.g. "  0000000000100000-000000003fffffff (prio 0, ram): kdive-ram
// @0000000000100000".
std::vector<target::RamRegion> parse_ram_regions(std::string_view mtree,
                                                 std::string_view backend_id);

// Maps the session's guest RAM; an error says why kdive must use the stub instead.
Result<std::unique_ptr<target::GuestRam>> map_guest_ram(const Session& session);

// For a VM kdive did not launch: QEMU's pid from the QMP socket's peer, its RAM regions from
// `info mtree -f`, each one's address in QEMU from HMP `gpa2hva`, read with process_vm_readv.
Result<std::unique_ptr<target::GuestRam>> guest_ram_through_qmp(const std::filesystem::path& qmp);

// "Host virtual address for 0x100000 (pc.ram) is 0x7f2b3c100000" -> 0x7f2b3c100000.
std::optional<std::uint64_t> parse_gpa2hva(std::string_view reply);

} // namespace kdive::lab
