// Reads the descriptor, info and text ranges between tail and head in a few large reads (each
// at most two pieces because the rings wrap), then decodes records from those bytes. The ring's
// rules follow kernel/printk/printk_ringbuffer.c: a descriptor's state_var holds its id and
// state in the top two bits; a text block starts with its descriptor id; a block that would
// cross the ring's end is stored from offset 0 instead (a "wrapped" block).
#include "kernel/printk_reader.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::uint64_t state_shift = 62;
constexpr std::uint64_t id_mask = (std::uint64_t{1} << state_shift) - 1;
constexpr std::uint64_t desc_committed = 1;
constexpr std::uint64_t desc_finalized = 2;
// Descriptor rings bigger than this are corruption, not configuration (LOG_BUF_SHIFT <= 25).
constexpr unsigned max_bits = 30;

// A ring's bytes for the slots [first, first + count) modulo its size: at most two reads.
Result<Record> read_ring_slots(eval::MemoryReader& memory, std::uint64_t base,
                               std::uint64_t slot_size, std::uint64_t ring_slots,
                               std::uint64_t first, std::uint64_t count, std::string_view what) {
    std::vector<std::byte> all(ring_slots * slot_size);
    const std::uint64_t start = first % ring_slots;
    const std::uint64_t head_part = std::min(count, ring_slots - start);
    const std::pair<std::uint64_t, std::uint64_t> pieces[] = {{start, head_part},
                                                              {0, count - head_part}};
    for (auto [slot, n] : pieces) {
        if (n == 0) {
            continue;
        }
        auto bytes = memory.read(base + slot * slot_size, n * slot_size);
        if (!bytes) {
            return wrap(bytes.error(), fmt::format("reading the printk {}", what));
        }
        std::copy(bytes->begin(), bytes->end(), all.begin() + static_cast<long>(slot * slot_size));
    }
    return Record(std::move(all), base);
}

std::uint64_t get_at(const Record& record, std::uint64_t base, const Field& field) {
    Field shifted = field;
    shifted.offset += base;
    return record.get(shifted);
}

} // namespace

Result<PrintkRingLayout> printk_ring_layout(Kernel& kernel) {
    PrintkRingLayout out;
    auto rb = kernel.layout("printk_ringbuffer");
    auto desc_ring = kernel.layout("prb_desc_ring");
    auto desc = kernel.layout("prb_desc");
    auto lpos = kernel.layout("prb_data_blk_lpos");
    auto data_ring = kernel.layout("prb_data_ring");
    auto info = kernel.layout("printk_info");
    for (const auto* layout : {&rb, &desc_ring, &desc, &lpos, &data_ring, &info}) {
        if (!*layout) {
            return std::unexpected(layout->error());
        }
    }
    struct Want {
        const StructLayout* layout;
        std::string_view path;
        std::uint64_t* into;
    };
    const Want wants[] = {
        {*rb, "desc_ring", &out.desc_ring},
        {*rb, "text_data_ring", &out.text_data_ring},
        {*desc_ring, "count_bits", &out.count_bits},
        {*desc_ring, "descs", &out.descs},
        {*desc_ring, "infos", &out.infos},
        {*desc_ring, "head_id", &out.head_id},
        {*desc_ring, "tail_id", &out.tail_id},
        {*desc, "state_var", &out.state_var},
        {*desc, "text_blk_lpos", &out.text_blk_lpos},
        {*lpos, "begin", &out.lpos_begin},
        {*lpos, "next", &out.lpos_next},
        {*data_ring, "size_bits", &out.size_bits},
        {*data_ring, "data", &out.data},
        {*data_ring, "head_lpos", &out.data_head_lpos},
        {*data_ring, "tail_lpos", &out.data_tail_lpos},
    };
    for (const auto& want : wants) {
        auto offset = want.layout->offset(want.path);
        if (!offset) {
            return std::unexpected(offset.error());
        }
        *want.into = *offset;
    }
    out.ring_size = (*rb)->size();
    out.desc_size = (*desc)->size();
    out.info_size = (*info)->size();
    for (auto [path, field] : {std::pair{"seq", &out.seq},
                               {"ts_nsec", &out.ts_nsec},
                               {"text_len", &out.text_len},
                               {"facility", &out.facility},
                               {"flags", &out.flags},
                               {"level", &out.level}}) {
        auto found = (*info)->require(path);
        if (!found) {
            return std::unexpected(found.error());
        }
        *field = *found;
    }
    if (auto caller = (*info)->field("caller_id")) {
        out.caller_id = *caller;
    }
    return out;
}

Result<PrintkLogLayout> printk_log_layout(Kernel& kernel) {
    auto log = kernel.layout("printk_log");
    if (!log) {
        return std::unexpected(log.error());
    }
    PrintkLogLayout out;
    out.header_size = (*log)->size();
    for (auto [path, field] : {std::pair{"ts_nsec", &out.ts_nsec},
                               {"len", &out.len},
                               {"text_len", &out.text_len},
                               {"facility", &out.facility},
                               {"flags", &out.flags},
                               {"level", &out.level}}) {
        auto found = (*log)->require(path);
        if (!found) {
            return std::unexpected(found.error());
        }
        *field = *found;
    }
    if (auto caller = (*log)->field("caller_id")) {
        out.caller_id = *caller;
    }
    return out;
}

Result<std::vector<PrintkRecord>>
read_printk_ring(eval::MemoryReader& memory, const PrintkRingLayout& layout, std::uint64_t ring) {
    auto header_bytes = memory.read(ring, layout.ring_size);
    if (!header_bytes) {
        return wrap(header_bytes.error(), fmt::format("reading the printk ring at {:#x}", ring));
    }
    const Record header(std::move(*header_bytes), ring);
    const std::uint64_t dr = layout.desc_ring;
    const std::uint64_t tr = layout.text_data_ring;
    const unsigned count_bits = header.u32(dr + layout.count_bits);
    const unsigned size_bits = header.u32(tr + layout.size_bits);
    if (count_bits > max_bits || size_bits > max_bits + 8) {
        return fail("the printk ring at {:#x} is corrupt (count_bits {}, size_bits {})", ring,
                    count_bits, size_bits);
    }
    const std::uint64_t desc_count = std::uint64_t{1} << count_bits;
    const std::uint64_t data_size = std::uint64_t{1} << size_bits;
    const std::uint64_t descs = header.u64(dr + layout.descs);
    const std::uint64_t infos = header.u64(dr + layout.infos);
    const std::uint64_t data = header.u64(tr + layout.data);
    const std::uint64_t head_id = header.u64(dr + layout.head_id) & id_mask;
    const std::uint64_t tail_id = header.u64(dr + layout.tail_id) & id_mask;
    const std::uint64_t count = ((head_id - tail_id) & id_mask) + 1;
    if (count > desc_count) {
        return fail("the printk ring at {:#x} is corrupt (tail id {}, head id {})", ring, tail_id,
                    head_id);
    }

    auto desc_bytes =
        read_ring_slots(memory, descs, layout.desc_size, desc_count, tail_id, count, "descriptors");
    if (!desc_bytes) {
        return std::unexpected(desc_bytes.error());
    }
    auto info_bytes =
        read_ring_slots(memory, infos, layout.info_size, desc_count, tail_id, count, "records");
    if (!info_bytes) {
        return std::unexpected(info_bytes.error());
    }
    // The text ring between its tail and head holds every block a valid descriptor points at.
    const std::uint64_t data_head = header.u64(tr + layout.data_head_lpos);
    const std::uint64_t data_tail = header.u64(tr + layout.data_tail_lpos);
    const std::uint64_t used = std::min(data_head - data_tail, data_size);
    auto text = read_ring_slots(memory, data, 1, data_size, data_tail, used, "text");
    if (!text) {
        return std::unexpected(text.error());
    }

    std::vector<PrintkRecord> records;
    records.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t id = (tail_id + i) & id_mask;
        const std::uint64_t slot = id % desc_count;
        const std::uint64_t d = slot * layout.desc_size;
        const std::uint64_t state_var = desc_bytes->u64(d + layout.state_var);
        const std::uint64_t state = state_var >> state_shift;
        if ((state_var & id_mask) != id || (state != desc_committed && state != desc_finalized)) {
            continue; // being written, reused, or overwritten since the tail moved
        }
        const std::uint64_t info_base = slot * layout.info_size;
        PrintkRecord record;
        record.seq = get_at(*info_bytes, info_base, layout.seq);
        record.ts_nsec = get_at(*info_bytes, info_base, layout.ts_nsec);
        record.level = static_cast<int>(get_at(*info_bytes, info_base, layout.level));
        record.facility = static_cast<int>(get_at(*info_bytes, info_base, layout.facility));
        record.flags = static_cast<unsigned>(get_at(*info_bytes, info_base, layout.flags));
        if (layout.caller_id.size != 0) {
            record.caller_id =
                static_cast<std::uint32_t>(get_at(*info_bytes, info_base, layout.caller_id));
        }
        const std::uint64_t text_len = get_at(*info_bytes, info_base, layout.text_len);
        const std::uint64_t begin = desc_bytes->u64(d + layout.text_blk_lpos + layout.lpos_begin);
        const std::uint64_t next = desc_bytes->u64(d + layout.text_blk_lpos + layout.lpos_next);
        // Data-less records (lpos bit 0 set) carry no text.
        if ((begin & 1) == 0 && (next & 1) == 0 && text_len != 0) {
            std::uint64_t block = 0;
            std::uint64_t block_size = 0;
            if (begin >> size_bits == next >> size_bits) {
                block = begin & (data_size - 1);
                block_size = next - begin;
            } else if ((begin + data_size) >> size_bits == next >> size_bits) {
                block = 0; // wrapped: the block starts over at the ring's beginning
                block_size = next & (data_size - 1);
            } else {
                continue;
            }
            // A block is the descriptor id (one unsigned long) followed by the text.
            if (block_size < 8 || block_size > data_size || block + block_size > data_size) {
                continue;
            }
            const std::uint64_t length = std::min(text_len, block_size - 8);
            const auto bytes = text->bytes().subspan(block + 8, length);
            record.text.reserve(length);
            for (std::byte b : bytes) {
                record.text.push_back(static_cast<char>(b));
            }
        }
        records.push_back(std::move(record));
    }
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.seq < b.seq; });
    return records;
}

Result<std::vector<PrintkRecord>>
read_printk_log(eval::MemoryReader& memory, const PrintkLogLayout& layout, std::uint64_t buffer,
                std::uint32_t buffer_len, std::uint32_t first_index, std::uint32_t next_index) {
    if (buffer_len == 0 || buffer_len > (1u << 30) || first_index >= buffer_len ||
        next_index >= buffer_len) {
        return fail("the printk log buffer at {:#x} is corrupt (length {}, first {}, next {})",
                    buffer, buffer_len, first_index, next_index);
    }
    auto bytes = memory.read(buffer, buffer_len);
    if (!bytes) {
        return wrap(bytes.error(), fmt::format("reading log_buf at {:#x}", buffer));
    }
    const Record log(std::move(*bytes), buffer);
    std::vector<PrintkRecord> records;
    std::uint32_t index = first_index;
    std::uint64_t seq = 0;
    // Each record has len >= its header; a zero len marks the wrap back to offset 0.
    for (std::size_t guard = 0; index != next_index && guard < buffer_len; ++guard) {
        if (index + layout.header_size > buffer_len) {
            index = 0;
            continue;
        }
        const std::uint64_t len = get_at(log, index, layout.len);
        if (len == 0) {
            index = 0;
            continue;
        }
        if (len < layout.header_size || index + len > buffer_len) {
            return fail("the printk log record at offset {} has a bad length {}", index, len);
        }
        PrintkRecord record;
        record.seq = seq++;
        record.ts_nsec = get_at(log, index, layout.ts_nsec);
        record.level = static_cast<int>(get_at(log, index, layout.level));
        record.facility = static_cast<int>(get_at(log, index, layout.facility));
        record.flags = static_cast<unsigned>(get_at(log, index, layout.flags));
        if (layout.caller_id.size != 0) {
            record.caller_id = static_cast<std::uint32_t>(get_at(log, index, layout.caller_id));
        }
        const std::uint64_t text_len =
            std::min(get_at(log, index, layout.text_len), len - layout.header_size);
        for (std::byte b : log.bytes().subspan(index + layout.header_size, text_len)) {
            record.text.push_back(static_cast<char>(b));
        }
        records.push_back(std::move(record));
        index += static_cast<std::uint32_t>(len);
    }
    return records;
}

Result<std::vector<PrintkRecord>> read_kernel_log(Kernel& kernel) {
    // 5.10 replaced log_buf's records with the lockless ring `prb` (commit 896fbe20b4e2,
    // "printk: use the lockless ringbuffer").
    if (kernel.has_symbol("prb")) {
        auto layout = printk_ring_layout(kernel);
        if (!layout) {
            return std::unexpected(layout.error());
        }
        auto pointer = kernel.address_of("prb");
        auto ring = kernel.read_u64(*pointer);
        if (!ring) {
            return wrap(ring.error(), "reading prb");
        }
        return read_printk_ring(kernel.memory(), *layout, *ring);
    }
    auto layout = printk_log_layout(kernel);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    std::uint64_t values[4] = {};
    const char* names[] = {"log_buf", "log_buf_len", "log_first_idx", "log_next_idx"};
    for (int i = 0; i < 4; ++i) {
        auto address = kernel.address_of(names[i]);
        if (!address) {
            return fail("this kernel has neither prb nor {}", names[i]);
        }
        auto value = kernel.read(*address, i == 0 ? 8 : 4);
        if (!value) {
            return wrap(value.error(), fmt::format("reading {}", names[i]));
        }
        values[i] = value->uint(0, value->size());
    }
    return read_printk_log(
        kernel.memory(), *layout, values[0], static_cast<std::uint32_t>(values[1]),
        static_cast<std::uint32_t>(values[2]), static_cast<std::uint32_t>(values[3]));
}

std::string format_dmesg(const PrintkRecord& record) {
    const std::string prefix = fmt::format("[{:5}.{:06}] ", record.ts_nsec / 1'000'000'000,
                                           record.ts_nsec % 1'000'000'000 / 1000);
    std::string out;
    std::string_view text = record.text;
    while (!text.empty() && text.back() == '\n') {
        text.remove_suffix(1);
    }
    do {
        const auto end = text.find('\n');
        out += prefix;
        out += text.substr(0, end);
        out += '\n';
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    } while (!text.empty());
    return out;
}

} // namespace kdive::kernel
