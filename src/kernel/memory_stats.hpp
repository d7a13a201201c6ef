// The system's memory as /proc/meminfo reports it (MemTotal, MemFree, MemAvailable, Buffers,
// Cached, Slab, PageTables), from the same counters meminfo_proc_show() reads, and per zone.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct ZoneMemory {
    int node = 0;
    std::string name;                                 // "DMA", "DMA32", "Normal"...
    std::uint64_t present = 0, managed = 0, free = 0; // bytes
};

struct MemoryStats {
    std::uint64_t total = 0, free = 0, available = 0, buffers = 0, cached = 0, slab = 0,
                  page_tables = 0; // bytes
    std::vector<ZoneMemory> zones; // populated zones (managed pages) of every node
};

Result<MemoryStats> read_memory_stats(Kernel& kernel);

} // namespace kdive::kernel
