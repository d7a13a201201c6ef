// The kernel log: the lockless printk ring (5.10+, `prb`) or the older `log_buf` records.
#pragma once

#include "eval/memory_reader.hpp"
#include "kernel/kernel.hpp"
#include "kernel/struct_layout.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct PrintkRecord {
    std::uint64_t seq = 0;
    std::uint64_t ts_nsec = 0;
    int level = 0;
    int facility = 0;
    unsigned flags = 0;
    std::uint32_t caller_id = 0; // 0x80000000|cpu from interrupts, else the thread id
    std::string text;            // may hold several lines ('\n' separated)
};

// Offsets of struct printk_ringbuffer and its parts, from the debug info (or a test).
struct PrintkRingLayout {
    // struct printk_ringbuffer
    std::uint64_t desc_ring = 0;
    std::uint64_t text_data_ring = 0;
    std::uint64_t ring_size = 0;
    // struct prb_desc_ring
    std::uint64_t count_bits = 0;
    std::uint64_t descs = 0;
    std::uint64_t infos = 0;
    std::uint64_t head_id = 0;
    std::uint64_t tail_id = 0;
    // struct prb_desc
    std::uint64_t desc_size = 0;
    std::uint64_t state_var = 0;
    std::uint64_t text_blk_lpos = 0; // struct prb_data_blk_lpos { begin; next; }
    std::uint64_t lpos_begin = 0;
    std::uint64_t lpos_next = 0;
    // struct prb_data_ring
    std::uint64_t size_bits = 0;
    std::uint64_t data = 0;
    std::uint64_t data_head_lpos = 0;
    std::uint64_t data_tail_lpos = 0;
    // struct printk_info
    std::uint64_t info_size = 0;
    Field seq, ts_nsec, text_len, facility, flags, level, caller_id; // caller_id.size 0: none
};

// struct printk_log (before 5.10): a header followed by the text in one byte buffer.
struct PrintkLogLayout {
    std::uint64_t header_size = 0;
    Field ts_nsec, len, text_len, facility, flags, level, caller_id;
};

Result<PrintkRingLayout> printk_ring_layout(Kernel& kernel);
Result<PrintkLogLayout> printk_log_layout(Kernel& kernel);

// Records of the ring at `ring` (a struct printk_ringbuffer), oldest first. Only committed and
// finalized descriptors whose id matches their slot are returned.
Result<std::vector<PrintkRecord>>
read_printk_ring(eval::MemoryReader& memory, const PrintkRingLayout& layout, std::uint64_t ring);
// Records of a legacy log buffer between the first and next indexes.
Result<std::vector<PrintkRecord>>
read_printk_log(eval::MemoryReader& memory, const PrintkLogLayout& layout, std::uint64_t buffer,
                std::uint32_t buffer_len, std::uint32_t first_index, std::uint32_t next_index);

// Whichever the kernel has: `prb` if present, else `log_buf`.
Result<std::vector<PrintkRecord>> read_kernel_log(Kernel& kernel);

// "[    1.234567] text" for each line of the record, as dmesg prints it.
std::string format_dmesg(const PrintkRecord& record);

} // namespace kdive::kernel
