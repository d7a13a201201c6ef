// Text and JSON forms of the memory and address-space commands (kmem, vm, files), apart from
// reading them, so each can be tested with hostile guest strings.
#pragma once

#include "kernel/address_space.hpp"
#include "kernel/memory_stats.hpp"
#include "kernel/open_files.hpp"
#include "kernel/slab_caches.hpp"
#include "kernel/task_walker.hpp"

#include <string>
#include <vector>

namespace kdive::cli {

// `kmem -s`: [{name, object_size, objects, active_objects, slabs, ...}] and crash's columns.
std::string slab_caches_json(const std::vector<kernel::SlabCache>& caches);
std::string slab_caches_text(const std::vector<kernel::SlabCache>& caches);

// `kmem -i`: {total, free, available, buffers, cached, slab, page_tables, zones} in bytes, and
// crash's PAGES / TOTAL / PERCENTAGE table.
std::string memory_stats_json(const kernel::MemoryStats& stats);
std::string memory_stats_text(const kernel::MemoryStats& stats);

// `files PID`: [{fd, path, flags, file, inode, type, operations}] and crash's header and rows.
std::string open_files_json(const std::vector<kernel::OpenFile>& files);
std::string open_files_text(const kernel::TaskInfo& task,
                            const std::vector<kernel::OpenFile>& files);

// `vm PID`: [{start, end, flags, pgoff, file, name, vm_flags, vma}], and crash's header (MM,
// RSS, TOTAL_VM) above /proc/PID/maps-like rows; `vm --rss PID`: {mm, rss, total_vm, *_pages}.
std::string address_space_json(const kernel::AddressSpace& space);
std::string rss_json(const kernel::AddressSpace& space);
std::string address_space_text(const kernel::TaskInfo& task, const kernel::AddressSpace& space);

} // namespace kdive::cli
