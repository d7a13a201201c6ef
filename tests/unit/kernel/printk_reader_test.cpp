// The printk ring decoder on a synthetic ring: wrapped text blocks, descriptors being written or
// reused, data-less records; the legacy log_buf decoder; dmesg formatting.
#include "kernel/printk_reader.hpp"
#include "region_memory.hpp"

#include <gtest/gtest.h>

namespace kdive::kernel {
// Named rather than anonymous: a unity build compiles this file with its siblings.
namespace printk_reader_test {

using testing::RegionMemory;

constexpr std::uint64_t ring = 0x1000, descs = 0x2000, infos = 0x3000, data = 0x4000;
constexpr std::uint64_t committed = 1, finalized = 2, reserved = 0;

Field plain(std::uint64_t offset, std::uint64_t size) {
    return Field{offset, size, 0, 0, nullptr};
}

PrintkRingLayout layout() {
    PrintkRingLayout l;
    l.desc_ring = 0;
    l.count_bits = 0;
    l.descs = 8;
    l.infos = 16;
    l.head_id = 24;
    l.tail_id = 32;
    l.text_data_ring = 40;
    l.size_bits = 0;
    l.data = 8;
    l.data_head_lpos = 16;
    l.data_tail_lpos = 24;
    l.ring_size = 72;
    l.desc_size = 24;
    l.state_var = 0;
    l.text_blk_lpos = 8;
    l.lpos_begin = 0;
    l.lpos_next = 8;
    l.info_size = 24;
    l.seq = plain(0, 8);
    l.ts_nsec = plain(8, 8);
    l.text_len = plain(16, 2);
    l.facility = plain(18, 1);
    l.flags = Field{19, 1, 0, 5, nullptr};
    l.level = Field{19, 1, 5, 3, nullptr};
    l.caller_id = plain(20, 4);
    return l;
}

struct RingBuilder {
    RegionMemory memory;
    static constexpr unsigned count_bits = 3; // 8 descriptors
    static constexpr unsigned size_bits = 7;  // 128 bytes of text

    RingBuilder() {
        memory.region(ring, 72);
        memory.region(descs, 24u << count_bits);
        memory.region(infos, 24u << count_bits);
        memory.region(data, 1u << size_bits);
        memory.put_value<std::uint32_t>(ring + 0, count_bits);
        memory.put_value<std::uint64_t>(ring + 8, descs);
        memory.put_value<std::uint64_t>(ring + 16, infos);
        memory.put_value<std::uint32_t>(ring + 40, size_bits);
        memory.put_value<std::uint64_t>(ring + 48, data);
    }
    void ids(std::uint64_t tail, std::uint64_t head) {
        memory.put_value(ring + 32, tail);
        memory.put_value(ring + 24, head);
    }
    void lpos(std::uint64_t tail, std::uint64_t head) {
        memory.put_value(ring + 64, tail);
        memory.put_value(ring + 56, head);
    }
    void descriptor(std::uint64_t id, std::uint64_t state, std::uint64_t begin, std::uint64_t next,
                    std::uint64_t stored_id = ~0ull) {
        const std::uint64_t slot = id % (1u << count_bits);
        const std::uint64_t sv = (state << 62) | (stored_id == ~0ull ? id : stored_id);
        memory.put_value(descs + slot * 24, sv);
        memory.put_value(descs + slot * 24 + 8, begin);
        memory.put_value(descs + slot * 24 + 16, next);
    }
    void info(std::uint64_t id, std::uint64_t seq, std::uint64_t ts, std::uint16_t text_len,
              std::uint8_t level, std::uint32_t caller) {
        const std::uint64_t at = infos + (id % (1u << count_bits)) * 24;
        memory.put_value(at, seq);
        memory.put_value(at + 8, ts);
        memory.put_value(at + 16, text_len);
        memory.put_value<std::uint8_t>(at + 19, static_cast<std::uint8_t>(level << 5));
        memory.put_value(at + 20, caller);
    }
    // A text block at a ring index: the descriptor id, then the text.
    void block(std::uint64_t index, std::uint64_t id, std::string_view text) {
        memory.put_value(data + index, id);
        memory.put(data + index + 8, text.data(), text.size());
    }
};

TEST(PrintkRing, DecodesFinalizedRecordsAndSkipsOthers) {
    RingBuilder rb;
    rb.ids(5, 9);
    rb.lpos(200, 288);
    // id 5: "hello" at lpos 200..216 (index 72, second lap).
    rb.descriptor(5, finalized, 200, 216);
    rb.info(5, 100, 1'234'567'890, 5, 6, 1);
    rb.block(72, 5, "hello");
    // id 6: still being written.
    rb.descriptor(6, reserved, 216, 232);
    rb.info(6, 101, 2'000'000'000, 3, 6, 1);
    // id 7: does not fit before the end (index 104 + 32 > 128): stored from index 0 of the next
    // lap, so begin is in lap 1 and next in lap 2.
    rb.descriptor(7, committed, 232, 288);
    rb.info(7, 102, 3'000'001'000, 20, 3, 0x80000001);
    rb.block(0, 7, "wrapped!\nsecond line");
    // id 8: a record without text (data-less lpos).
    rb.descriptor(8, finalized, 1, 1);
    rb.info(8, 103, 4'000'000'000, 0, 4, 1);
    // id 9's slot still holds id 1 (reused since): skipped.
    rb.descriptor(9, finalized, 200, 216, 1);
    rb.info(9, 1, 1, 5, 6, 1);

    auto records = read_printk_ring(rb.memory, layout(), ring);
    ASSERT_TRUE(records) << records.error().message;
    ASSERT_EQ(records->size(), 3u);
    EXPECT_EQ((*records)[0].text, "hello");
    EXPECT_EQ((*records)[0].seq, 100u);
    EXPECT_EQ((*records)[0].level, 6);
    EXPECT_EQ((*records)[1].text, "wrapped!\nsecond line");
    EXPECT_EQ((*records)[1].level, 3);
    EXPECT_EQ((*records)[1].caller_id, 0x80000001u);
    EXPECT_EQ((*records)[2].text, "");
    EXPECT_EQ((*records)[2].seq, 103u);

    EXPECT_EQ(format_dmesg((*records)[0]), "[    1.234567] hello\n");
    EXPECT_EQ(format_dmesg((*records)[1]), "[    3.000001] wrapped!\n[    3.000001] second line\n");
    EXPECT_EQ(format_dmesg((*records)[2]), "[    4.000000] \n");
    // Header, two descriptor pieces, two info pieces, two text pieces.
    EXPECT_LE(rb.memory.reads, 7);
}

TEST(PrintkRing, CorruptHeaderIsAnError) {
    RingBuilder rb;
    rb.memory.put_value<std::uint32_t>(ring + 0, 60); // count_bits
    auto records = read_printk_ring(rb.memory, layout(), ring);
    ASSERT_FALSE(records);
    EXPECT_NE(records.error().message.find("corrupt"), std::string::npos);

    RingBuilder tail_after_head;
    tail_after_head.ids(20, 5);
    EXPECT_FALSE(read_printk_ring(tail_after_head.memory, layout(), ring));
}

TEST(PrintkRing, UnreadableRingNamesTheAddress) {
    RegionMemory empty;
    auto records = read_printk_ring(empty, layout(), ring);
    ASSERT_FALSE(records);
    EXPECT_NE(records.error().message.find("0x1000"), std::string::npos);
}

TEST(PrintkLog, WalksRecordsAcrossTheWrap) {
    PrintkLogLayout l;
    l.header_size = 16;
    l.ts_nsec = plain(0, 8);
    l.len = plain(8, 2);
    l.text_len = plain(10, 2);
    l.facility = plain(14, 1);
    l.flags = Field{15, 1, 0, 5, nullptr};
    l.level = Field{15, 1, 5, 3, nullptr};
    RegionMemory memory;
    constexpr std::uint64_t buffer = 0x8000;
    memory.region(buffer, 64);
    const auto record = [&](std::uint64_t at, std::uint64_t ts, std::string_view text, int level) {
        memory.put_value<std::uint64_t>(buffer + at, ts);
        memory.put_value<std::uint16_t>(buffer + at + 8, 24);
        memory.put_value<std::uint16_t>(buffer + at + 10, static_cast<std::uint16_t>(text.size()));
        memory.put_value<std::uint8_t>(buffer + at + 15, static_cast<std::uint8_t>(level << 5));
        memory.put(buffer + at + 16, text.data(), text.size());
    };
    record(32, 1'000'000, "older", 4); // 32..56; no room for another header before 64
    record(0, 2'000'000, "newer", 5);  // 0..24
    auto records = read_printk_log(memory, l, buffer, 64, 32, 24);
    ASSERT_TRUE(records) << records.error().message;
    ASSERT_EQ(records->size(), 2u);
    EXPECT_EQ((*records)[0].text, "older");
    EXPECT_EQ((*records)[0].level, 4);
    EXPECT_EQ((*records)[1].text, "newer");
    EXPECT_EQ((*records)[1].ts_nsec, 2'000'000u);

    EXPECT_FALSE(read_printk_log(memory, l, buffer, 64, 70, 0)); // index past the buffer
}

} // namespace printk_reader_test
} // namespace kdive::kernel
