// A task's address space as /proc/PID/maps and /proc/PID/status show it: the VMAs in address
// order (from the maple tree on 6.1+, the vm_next list before) with flags, file offset and the
// name maps prints, and the resident set by counter.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct Mapping {
    std::uint64_t vma = 0; // struct vm_area_struct
    std::uint64_t start = 0, end = 0;
    std::uint64_t flags = 0;  // vm_flags
    std::uint64_t offset = 0; // bytes into the file (maps' offset column; 0 when anonymous)
    std::uint64_t file = 0;   // struct file, 0 when anonymous
    std::string name;         // the file's path, [heap], [stack], [vdso]..., or empty
};

struct AddressSpace {
    std::uint64_t mm = 0; // struct mm_struct; 0 for a kernel thread (no mappings)
    std::vector<Mapping> mappings;
    // Pages by mm counter (MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES), as get_mm_counter()
    // reads them; /proc/PID/status's VmRSS is their sum.
    std::uint64_t file_pages = 0, anon_pages = 0, shmem_pages = 0;
    std::uint64_t rss_bytes() const { return (file_pages + anon_pages + shmem_pages) * 4096; }
};

Result<AddressSpace> read_address_space(Kernel& kernel, std::uint64_t task);

// "r-xp" as /proc/PID/maps prints vm_flags.
std::string mapping_permissions(std::uint64_t flags);

} // namespace kdive::kernel
