// Decodes ORC entries in either bitfield layout and finds the one covering an ip.
#include "kernel/orc_table.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

namespace kdive::kernel {

namespace {

std::uint8_t byte_at(std::span<const std::byte> bytes, std::size_t index) {
    return std::to_integer<std::uint8_t>(bytes[index]);
}

std::int16_t s16_at(std::span<const std::byte> bytes, std::size_t index) {
    return static_cast<std::int16_t>(byte_at(bytes, index) | (byte_at(bytes, index + 1) << 8));
}

// A weak terminator: no sp base and not the end of a stack. Real entries win over them.
bool is_weak(const OrcEntry& entry) {
    return entry.type == OrcType::undefined;
}

} // namespace

OrcEntry decode_orc_entry(std::span<const std::byte, orc_entry_size> bytes, OrcFormat format) {
    OrcEntry entry;
    entry.sp_offset = s16_at(bytes, 0);
    entry.bp_offset = s16_at(bytes, 2);
    const std::uint8_t regs = byte_at(bytes, 4);
    const std::uint8_t flags = byte_at(bytes, 5);
    entry.sp_reg = regs & 0x0f;
    entry.bp_reg = regs >> 4;
    if (format == OrcFormat::signal_bit) {
        entry.raw_type = flags & 0x07;
        entry.signal = (flags & 0x08) != 0;
        switch (entry.raw_type) {
        case 0:
            entry.type = OrcType::undefined;
            break;
        case 1:
            entry.type = OrcType::end_of_stack;
            break;
        case 2:
            entry.type = OrcType::call;
            break;
        case 3:
            entry.type = OrcType::regs;
            break;
        case 4:
            entry.type = OrcType::regs_partial;
            break;
        default:
            entry.type = OrcType::undefined;
            break;
        }
        return entry;
    }
    entry.raw_type = flags & 0x03;
    const bool end = (flags & 0x04) != 0;
    if (entry.sp_reg == static_cast<std::uint8_t>(OrcRegister::undefined)) {
        entry.type = end ? OrcType::end_of_stack : OrcType::undefined;
        return entry;
    }
    switch (entry.raw_type) {
    case 0:
        entry.type = OrcType::call;
        break;
    case 1:
        entry.type = OrcType::regs;
        break;
    case 2:
        entry.type = OrcType::regs_partial;
        break;
    default:
        entry.type = OrcType::undefined;
        break;
    }
    // Before the signal bit, every pt_regs frame interrupted an exact instruction.
    entry.signal = entry.type == OrcType::regs || entry.type == OrcType::regs_partial;
    return entry;
}

OrcFormat guess_orc_format(std::span<const std::byte> entries) {
    std::size_t old_call = 0;
    std::size_t new_call = 0;
    for (std::size_t at = 0; at + orc_entry_size <= entries.size(); at += orc_entry_size) {
        const std::uint8_t flags = byte_at(entries, at + 5);
        if ((flags & 0x07) == 2) {
            ++new_call;
        } else if ((flags & 0x03) == 0 && (byte_at(entries, at + 4) & 0x0f) != 0) {
            ++old_call;
        }
    }
    return new_call > old_call ? OrcFormat::signal_bit : OrcFormat::end_bit;
}

OrcRegisterMap classic_orc_registers() {
    OrcRegisterMap map{};
    for (std::size_t i = 0; i < map.size(); ++i) {
        map[i] = static_cast<std::uint8_t>(i);
    }
    return map;
}

OrcRegisterMap detect_orc_registers(std::span<const std::byte> entries, OrcFormat format) {
    std::array<std::size_t, 16> call_sp8{};
    for (std::size_t at = 0; at + orc_entry_size <= entries.size(); at += orc_entry_size) {
        const OrcEntry entry = decode_orc_entry(
            std::span<const std::byte, orc_entry_size>(entries.data() + at, orc_entry_size),
            format);
        if (entry.type == OrcType::call && entry.sp_offset == 8 && entry.bp_reg == 0) {
            ++call_sp8[entry.sp_reg];
        }
    }
    const auto sp = static_cast<std::size_t>(std::max_element(call_sp8.begin(), call_sp8.end()) -
                                             call_sp8.begin());
    if (sp != 3) {
        return classic_orc_registers();
    }
    OrcRegisterMap map{};
    map.fill(orc_register_unknown);
    const auto set = [&map](std::size_t raw, OrcRegister reg) {
        map[raw] = static_cast<std::uint8_t>(reg);
    };
    set(0, OrcRegister::undefined);
    set(2, OrcRegister::dx);
    set(3, OrcRegister::sp);
    set(4, OrcRegister::bp);
    set(6, OrcRegister::r10);
    set(7, OrcRegister::r13);
    set(8, OrcRegister::prev_sp);
    set(9, OrcRegister::sp_indirect);
    set(10, OrcRegister::bp_indirect);
    return map;
}

Result<OrcTable> OrcTable::build(std::span<const std::byte> ip_bytes,
                                 std::uint64_t ip_table_address,
                                 std::span<const std::byte> entry_bytes, OrcFormat format,
                                 const OrcRegisterMap& registers) {
    if (ip_bytes.size() % 4 != 0 || entry_bytes.size() % orc_entry_size != 0 ||
        ip_bytes.size() / 4 != entry_bytes.size() / orc_entry_size) {
        return fail("ORC tables disagree: {} bytes of ips, {} bytes of entries", ip_bytes.size(),
                    entry_bytes.size());
    }
    const std::size_t count = ip_bytes.size() / 4;
    std::vector<std::uint64_t> ips(count);
    std::vector<OrcEntry> entries(count);
    bool sorted = true;
    for (std::size_t i = 0; i < count; ++i) {
        std::int32_t relative = 0;
        std::memcpy(&relative, ip_bytes.data() + 4 * i, 4);
        ips[i] = ip_table_address + 4 * i + static_cast<std::uint64_t>(std::int64_t{relative});
        entries[i] = decode_orc_entry(std::span<const std::byte, orc_entry_size>(
                                          entry_bytes.data() + orc_entry_size * i, orc_entry_size),
                                      format);
        entries[i].sp_reg = registers[entries[i].sp_reg & 0x0f];
        entries[i].bp_reg = registers[entries[i].bp_reg & 0x0f];
        if (i > 0 && (ips[i] < ips[i - 1] || (ips[i] == ips[i - 1] && is_weak(entries[i])))) {
            sorted = false;
        }
    }
    OrcTable table;
    if (sorted) {
        table.ips_ = std::move(ips);
        table.entries_ = std::move(entries);
        return table;
    }
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (ips[a] != ips[b]) {
            return ips[a] < ips[b];
        }
        return is_weak(entries[a]) && !is_weak(entries[b]);
    });
    table.ips_.reserve(count);
    table.entries_.reserve(count);
    for (std::size_t index : order) {
        table.ips_.push_back(ips[index]);
        table.entries_.push_back(entries[index]);
    }
    return table;
}

std::optional<OrcEntry> OrcTable::find(std::uint64_t ip) const {
    auto after = std::upper_bound(ips_.begin(), ips_.end(), ip);
    if (after == ips_.begin()) {
        return std::nullopt;
    }
    return entries_[static_cast<std::size_t>(after - ips_.begin()) - 1];
}

} // namespace kdive::kernel
