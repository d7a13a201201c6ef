// kdump-compressed dumps: kdive's writer and reader agree byte for byte with every codec, in
// the plain and the flattened form, and hostile headers give errors that name the field.
#include "target/kdump_file.hpp"
#include "target/kdump_format.hpp"
#include "target/kdump_writer.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <random>
#include <unistd.h>
#include <zlib.h>

namespace kdive::target {
namespace {

constexpr std::uint64_t page_size = 4096;

// Guest memory as whole pages; a pfn without a page is a hole.
class FakeCore final : public CoreFile {
public:
    std::string describe() const override { return "fake"; }
    const std::filesystem::path& path() const override { return path_; }
    const std::vector<CoreNote>& notes() const override { return notes_; }
    Result<> read_physical(std::uint64_t address, std::span<std::uint8_t> out) override {
        for (std::size_t done = 0; done < out.size();) {
            const std::uint64_t at = address + done;
            auto page = pages_.find(at / page_size);
            if (page == pages_.end() || at >= end_) {
                return fail_as(failure_, "physical address {:#x} is not in the dump", at);
            }
            const std::size_t into = at % page_size;
            const std::size_t length = std::min(
                {out.size() - done, page_size - into, static_cast<std::size_t>(end_ - at)});
            std::copy_n(page->second.begin() + static_cast<std::ptrdiff_t>(into), length,
                        out.begin() + static_cast<std::ptrdiff_t>(done));
            done += length;
        }
        return {};
    }
    std::uint64_t physical_end() const override { return end_; }

    std::filesystem::path path_ = "fake";
    std::vector<CoreNote> notes_;
    std::map<std::uint64_t, std::vector<std::uint8_t>> pages_;
    std::uint64_t end_ = 0;
    ErrorKind failure_ = ErrorKind::unmapped;
};

std::vector<std::uint8_t> text_page(std::uint64_t pfn) {
    std::vector<std::uint8_t> page(page_size);
    const std::string line = "pfn " + std::to_string(pfn) + " holds compressible text. ";
    for (std::size_t i = 0; i < page.size(); ++i) {
        page[i] = static_cast<std::uint8_t>(line[i % line.size()]);
    }
    return page;
}

std::vector<std::uint8_t> noise_page(std::uint32_t seed) {
    std::mt19937 random(seed);
    std::vector<std::uint8_t> page(page_size);
    for (auto& byte : page) {
        byte = static_cast<std::uint8_t>(random());
    }
    return page;
}

// Pages of every kind (text, zeros, noise that does not compress), holes between them, one
// page past the first bitmap block and a last page cut short by physical_end.
FakeCore sample_core() {
    FakeCore core;
    core.pages_[0] = text_page(0);
    core.pages_[1] = std::vector<std::uint8_t>(page_size, 0);
    core.pages_[3] = noise_page(3);
    core.pages_[4] = text_page(4);
    core.pages_[5] = std::vector<std::uint8_t>(page_size, 0);
    core.pages_[6] = noise_page(6);
    for (std::uint64_t pfn = 100; pfn < 140; ++pfn) {
        core.pages_[pfn] = text_page(pfn);
    }
    core.pages_[40000] = text_page(40000);
    core.pages_[40001] = text_page(40001);
    core.end_ = 40002 * page_size + 100;
    core.pages_[40002] = text_page(40002); // unreadable: physical_end cuts it
    CoreNote prstatus{"CORE", 1, std::vector<std::uint8_t>(336, 0x11)};
    core.notes_.push_back(prstatus);
    prstatus.desc.assign(336, 0x22);
    core.notes_.push_back(prstatus);
    core.notes_.push_back({"QEMU", 0, std::vector<std::uint8_t>(0x1b8, 0x33)});
    const std::string info = "OSRELEASE=6.1.0-test-amd64\nPAGESIZE=4096\nNUMBER(phys_base)=16\n";
    core.notes_.push_back({"VMCOREINFO", 0, std::vector<std::uint8_t>(info.begin(), info.end())});
    return core;
}

std::vector<std::uint8_t> load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void save(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

// Every pfn of `core` reads back the same from `dump`; holes are `unmapped` and "excluded".
void expect_same_memory(FakeCore& core, CoreFile& dump) {
    ASSERT_EQ(dump.physical_end(), 40003 * page_size);
    std::vector<std::uint8_t> page(page_size);
    for (std::uint64_t pfn = 0; pfn <= 40002; pfn = pfn == 200 ? 39990 : pfn + 1) {
        auto read = dump.read_physical(pfn * page_size, page);
        auto expected = core.pages_.find(pfn);
        if (expected == core.pages_.end() || pfn == 40002) {
            ASSERT_FALSE(read) << "pfn " << pfn;
            EXPECT_EQ(read.error().kind, ErrorKind::unmapped);
            EXPECT_NE(read.error().message.find("excluded"), std::string::npos)
                << read.error().message;
            EXPECT_NE(read.error().message.find(fmt::format("{:#x}", pfn * page_size)),
                      std::string::npos)
                << read.error().message;
            continue;
        }
        ASSERT_TRUE(read) << "pfn " << pfn << ": " << read.error().message;
        EXPECT_EQ(page, expected->second) << "pfn " << pfn;
    }
    // A read across pages joins them.
    std::vector<std::uint8_t> span(3 * page_size);
    ASSERT_TRUE(dump.read_physical(100 * page_size + 10, span));
    for (std::size_t i = 0; i < span.size(); ++i) {
        const std::uint64_t at = 100 * page_size + 10 + i;
        ASSERT_EQ(span[i], core.pages_[at / page_size][at % page_size]) << i;
    }
    auto beyond = dump.read_physical(40003 * page_size, std::span(page).first(8));
    ASSERT_FALSE(beyond);
    EXPECT_EQ(beyond.error().kind, ErrorKind::unmapped);
    EXPECT_NE(beyond.error().message.find("not in the dump"), std::string::npos);
    auto into_hole = dump.read_physical(page_size + 4000, std::span(page).first(200));
    ASSERT_FALSE(into_hole);
    EXPECT_NE(into_hole.error().message.find("0x2000"), std::string::npos)
        << into_hole.error().message;
}

class KdumpFile : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = std::filesystem::temp_directory_path() /
               fmt::format("kdive-test-kdump-{}-{}", test->name(), getpid());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    // A plain dump of sample_core() with zlib, as bytes to take apart.
    std::vector<std::uint8_t> sample_dump(FakeCore& core, KdumpCompression codec) {
        const auto path = dir_ / "sample.kdump";
        auto written = write_kdump(core, path, codec);
        EXPECT_TRUE(written) << written.error().message;
        return load(path);
    }

    // Writes `bytes` and opens them; the error message when that fails.
    std::string open_error(std::span<const std::uint8_t> bytes) {
        const auto path = dir_ / "hostile.kdump";
        save(path, bytes);
        auto file = open_kdump_file(path);
        if (file) {
            return "";
        }
        EXPECT_NE(file.error().kind, ErrorKind::other) << file.error().message;
        return file.error().message;
    }

    std::filesystem::path dir_;
};

TEST_F(KdumpFile, EveryCodecReadsBackEveryByte) {
    FakeCore core = sample_core();
    const std::array<std::pair<KdumpCompression, const char*>, 5> codecs{{
        {KdumpCompression::zlib, "zlib"},
        {KdumpCompression::lzo, "lzo"},
        {KdumpCompression::snappy, "snappy"},
        {KdumpCompression::zstd, "zstd"},
        {KdumpCompression::none, "uncompressed"},
    }};
    for (const auto& [codec, name] : codecs) {
        SCOPED_TRACE(name);
        const auto path = dir_ / fmt::format("dump.{}", name);
        std::uint64_t last_done = 0;
        std::uint64_t last_total = 0;
        auto written = write_kdump(core, path, codec, [&](std::uint64_t done, std::uint64_t total) {
            EXPECT_GE(done, last_done);
            last_done = done;
            last_total = total;
        });
        ASSERT_TRUE(written) << written.error().message;
        EXPECT_EQ(last_done, 40003u);
        EXPECT_EQ(last_total, 40003u);
        auto dump = open_kdump_file(path);
        ASSERT_TRUE(dump) << dump.error().message;
        EXPECT_EQ((*dump)->describe(), fmt::format("kdump, {} pages", name));
        expect_same_memory(core, **dump);
    }
}

TEST_F(KdumpFile, NotesAndHeaderFieldsRoundTrip) {
    FakeCore core = sample_core();
    const auto bytes = sample_dump(core, KdumpCompression::zlib);
    ASSERT_GT(bytes.size(), 2 * page_size);
    const std::span<const std::uint8_t> header(bytes);
    EXPECT_EQ(kdump::load_le32(header, kdump::header::version), 6u);
    EXPECT_EQ(kdump::load_le32(header, kdump::header::nr_cpus), 2u);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(&bytes[kdump::header::utsname_release])),
              "6.1.0-test-amd64");
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(&bytes[kdump::header::utsname_machine])),
              "x86_64");
    EXPECT_EQ(kdump::load_le64(header, page_size + kdump::sub_header::phys_base), 16u);
    auto dump = open_kdump_file(dir_ / "sample.kdump");
    ASSERT_TRUE(dump) << dump.error().message;
    const auto& notes = (*dump)->notes();
    ASSERT_EQ(notes.size(), core.notes_.size());
    for (std::size_t i = 0; i < notes.size(); ++i) {
        EXPECT_EQ(notes[i].name, core.notes_[i].name);
        EXPECT_EQ(notes[i].type, core.notes_[i].type);
        EXPECT_EQ(notes[i].desc, core.notes_[i].desc);
    }
}

// The kernel's own utsname, read from init_uts_ns through the kernel image mapping VMCOREINFO
// places, fills every header field (libkdumpfile takes the machine only when none is empty).
TEST_F(KdumpFile, HeaderCarriesTheKernelsUtsnameFromMemory) {
    FakeCore core = sample_core();
    // init_uts_ns at link address 0xffffffff82000100 with phys_base 16: physical 0x2000110.
    const std::uint64_t physical = 0x2000110;
    std::vector<std::uint8_t> page(page_size, 0);
    const std::array<std::string, 6> fields = {
        "Linux", "guest", "6.1.0-test-amd64", "#1 SMP PREEMPT_DYNAMIC Debian", "x86_64", "(none)"};
    const std::size_t name_at = physical % page_size + 4; // after a kref, as before 5.x
    for (std::size_t i = 0; i < fields.size(); ++i) {
        std::ranges::copy(fields[i], page.begin() + static_cast<std::ptrdiff_t>(name_at + 65 * i));
    }
    core.pages_[physical / page_size] = page;
    const std::string info = "OSRELEASE=6.1.0-test-amd64\nNUMBER(phys_base)=16\n"
                             "SYMBOL(init_uts_ns)=ffffffff82000100\n";
    core.notes_.back().desc.assign(info.begin(), info.end());
    const auto bytes = sample_dump(core, KdumpCompression::zstd);
    ASSERT_GT(bytes.size(), page_size);
    for (std::size_t i = 0; i < fields.size(); ++i) {
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(
                      &bytes[kdump::header::utsname_sysname + 65 * i])),
                  fields[i]);
    }
}

TEST_F(KdumpFile, VmcoreinfoBlobBecomesANoteWhenTheNotesLackIt) {
    FakeCore core = sample_core();
    auto bytes = sample_dump(core, KdumpCompression::zlib);
    // Rename the VMCOREINFO note so that only the sub header's blob still names it.
    const std::string name = "VMCOREINFO";
    auto found = std::search(bytes.begin(), bytes.end(), name.begin(), name.end());
    ASSERT_NE(found, bytes.end());
    found[9] = 'X';
    save(dir_ / "renamed.kdump", bytes);
    auto dump = open_kdump_file(dir_ / "renamed.kdump");
    ASSERT_TRUE(dump) << dump.error().message;
    const auto& notes = (*dump)->notes();
    ASSERT_EQ(notes.size(), core.notes_.size() + 1);
    EXPECT_EQ(notes[3].name, "VMCOREINFX");
    EXPECT_EQ(notes.back().name, "VMCOREINFO");
    EXPECT_EQ(notes.back().type, 0u);
    EXPECT_EQ(notes.back().desc, core.notes_[3].desc);
}

// The flattened form of `plain`: records of uneven sizes in shuffled order, a record of
// garbage early on that a later record overwrites, and no record where `plain` holds only
// zeros (QEMU leaves bitmap blocks out that way).
std::vector<std::uint8_t> flatten(std::span<const std::uint8_t> plain) {
    struct Record {
        std::uint64_t offset;
        std::uint64_t size;
    };
    std::vector<Record> records;
    std::mt19937 random(7);
    for (std::uint64_t at = 0; at < plain.size();) {
        const std::uint64_t size = std::min<std::uint64_t>(1 + random() % 9000, plain.size() - at);
        records.push_back({at, size});
        at += size;
    }
    std::shuffle(records.begin(), records.end(), random);
    std::vector<std::uint8_t> out(kdump::flat_header_size, 0);
    std::ranges::copy(kdump::flat_signature, out.begin());
    kdump::store_be64(out, 16, kdump::flat_type);
    kdump::store_be64(out, 24, kdump::flat_version);
    auto append = [&](std::uint64_t offset, std::span<const std::uint8_t> data) {
        const std::size_t at = out.size();
        out.resize(at + kdump::flat_record_header_size);
        kdump::store_be64(out, at, static_cast<std::int64_t>(offset));
        kdump::store_be64(out, at + 8, static_cast<std::int64_t>(data.size()));
        out.insert(out.end(), data.begin(), data.end());
    };
    const std::vector<std::uint8_t> garbage(3 * page_size, 0xee);
    append(page_size - 100, garbage);
    for (const auto& record : records) {
        const auto data = plain.subspan(record.offset, record.size);
        if (record.offset + record.size < plain.size() &&
            std::ranges::all_of(data, [](std::uint8_t b) { return b == 0; })) {
            continue;
        }
        append(record.offset, data);
    }
    const std::size_t at = out.size();
    out.resize(at + kdump::flat_record_header_size);
    kdump::store_be64(out, at, kdump::flat_end);
    return out;
}

TEST_F(KdumpFile, FlattenedFormReadsInPlace) {
    FakeCore core = sample_core();
    const auto plain = sample_dump(core, KdumpCompression::zlib);
    const auto flat = flatten(plain);
    ASSERT_LT(flat.size(), plain.size()); // some zeros were left out
    save(dir_ / "flat.kdump", flat);
    auto dump = open_kdump_file(dir_ / "flat.kdump");
    ASSERT_TRUE(dump) << dump.error().message;
    EXPECT_EQ((*dump)->describe(), "kdump (flattened), zlib pages");
    EXPECT_EQ((*dump)->notes().size(), core.notes_.size());
    expect_same_memory(core, **dump);
}

TEST_F(KdumpFile, FlattenedTruncatedRecordNamesTheOffset) {
    FakeCore core = sample_core();
    auto flat = flatten(sample_dump(core, KdumpCompression::zlib));
    flat.resize(kdump::flat_header_size + 16 + 100);
    const auto message = open_error(flat);
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
    EXPECT_NE(message.find("0x1000"), std::string::npos) << message;
    flat.resize(kdump::flat_header_size + 8);
    EXPECT_NE(open_error(flat).find("truncated"), std::string::npos);
}

TEST_F(KdumpFile, TruncatedFilesNameTheOffset) {
    FakeCore core = sample_core();
    const auto bytes = sample_dump(core, KdumpCompression::zlib);
    auto message = open_error(std::span(bytes).first(300));
    EXPECT_NE(message.find("truncated"), std::string::npos) << message;
    message = open_error(std::span(bytes).first(3 * page_size));
    EXPECT_NE(message.find("bitmap"), std::string::npos) << message;
    // Cut inside the page data: opening works, reading the lost pages names where it ends.
    const auto path = dir_ / "cut.kdump";
    save(path, std::span(bytes).first(bytes.size() - 2000));
    auto dump = open_kdump_file(path);
    ASSERT_TRUE(dump) << dump.error().message;
    std::vector<std::uint8_t> page(page_size);
    auto read = (*dump)->read_physical(40001 * page_size, page);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, ErrorKind::corrupt);
    EXPECT_NE(read.error().message.find("pfn 0x9c41"), std::string::npos) << read.error().message;
    EXPECT_NE(read.error().message.find("past the end"), std::string::npos) << read.error().message;
}

TEST_F(KdumpFile, HostileHeaderFieldsAreNamed) {
    FakeCore core = sample_core();
    const auto good = sample_dump(core, KdumpCompression::zlib);
    auto patched = [&](std::size_t at, std::uint64_t value, std::size_t width) {
        auto bytes = good;
        if (width == 4) {
            kdump::store_le32(bytes, at, static_cast<std::uint32_t>(value));
        } else {
            kdump::store_le64(bytes, at, value);
        }
        return open_error(bytes);
    };
    auto message = patched(kdump::header::bitmap_blocks, 0xffffffff, 4);
    EXPECT_NE(message.find("bitmap_blocks 4294967295"), std::string::npos) << message;
    message = patched(kdump::header::bitmap_blocks, 0, 4);
    EXPECT_NE(message.find("bitmap_blocks is 0"), std::string::npos) << message;
    message = patched(kdump::header::block_size, 0, 4);
    EXPECT_NE(message.find("block_size 0"), std::string::npos) << message;
    message = patched(kdump::header::block_size, 3000, 4);
    EXPECT_NE(message.find("block_size 3000"), std::string::npos) << message;
    message = patched(kdump::header::sub_hdr_size, 0x7fffffff, 4);
    EXPECT_NE(message.find("sub_hdr_size 2147483647"), std::string::npos) << message;
    message = patched(page_size + kdump::sub_header::max_mapnr_64, std::uint64_t{1} << 60, 8);
    EXPECT_NE(message.find("max_mapnr 1152921504606846976"), std::string::npos) << message;
    message = patched(page_size + kdump::sub_header::size_note, std::uint64_t{1} << 60, 8);
    EXPECT_NE(message.find("size_note 1152921504606846976"), std::string::npos) << message;
    message = patched(page_size + kdump::sub_header::offset_vmcoreinfo, ~std::uint64_t{0}, 8);
    // The notes hold VMCOREINFO, so the blob is not needed and not read.
    EXPECT_EQ(message, "");
    auto bytes = good;
    bytes[0] = 'X';
    EXPECT_NE(open_error(bytes).find("not a kdump"), std::string::npos);
    // Every bit of the dumpable bitmap set, for as many pfns as it holds: more descriptors than
    // the file has room for.
    bytes = good;
    kdump::store_le64(bytes, page_size + kdump::sub_header::max_mapnr_64, 2 * page_size * 8);
    const std::size_t dumpable =
        (1 + kdump::load_le32(std::span<const std::uint8_t>(good), kdump::header::sub_hdr_size)) *
            page_size +
        2 * page_size;
    std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(dumpable), 2 * page_size, 0xff);
    message = open_error(bytes);
    EXPECT_NE(message.find("descriptors"), std::string::npos) << message;
}

// Offset of pfn 0's page descriptor in sample_dump()'s output.
std::size_t first_descriptor(std::span<const std::uint8_t> dump) {
    const std::uint64_t sub = kdump::load_le32(dump, kdump::header::sub_hdr_size);
    const std::uint64_t bitmaps = kdump::load_le32(dump, kdump::header::bitmap_blocks);
    return static_cast<std::size_t>((1 + sub + bitmaps) * page_size);
}

TEST_F(KdumpFile, HostileDescriptorsAreNamed) {
    FakeCore core = sample_core();
    const auto good = sample_dump(core, KdumpCompression::zlib);
    const std::size_t desc = first_descriptor(good);
    std::vector<std::uint8_t> page(page_size);
    auto read_pfn0 = [&](const std::vector<std::uint8_t>& bytes) {
        const auto path = dir_ / "desc.kdump";
        save(path, bytes);
        auto dump = open_kdump_file(path);
        EXPECT_TRUE(dump) << dump.error().message;
        auto read = (*dump)->read_physical(0, page);
        EXPECT_FALSE(read);
        return read ? std::string() : read.error().message;
    };

    auto bytes = good;
    kdump::store_le64(bytes, desc + kdump::page_desc::offset, bytes.size() - 10);
    auto message = read_pfn0(bytes);
    EXPECT_NE(message.find("pfn 0x0"), std::string::npos) << message;
    EXPECT_NE(message.find("past the end"), std::string::npos) << message;

    bytes = good;
    kdump::store_le32(bytes, desc + kdump::page_desc::size_field, 5 * page_size);
    message = read_pfn0(bytes);
    EXPECT_NE(message.find("size 20480"), std::string::npos) << message;

    // Page data that is valid zlib but of 2000 bytes, not a page.
    bytes = good;
    std::vector<std::uint8_t> short_page(2000, 'a');
    std::vector<std::uint8_t> packed(compressBound(short_page.size()));
    uLongf packed_size = packed.size();
    ASSERT_EQ(compress2(packed.data(), &packed_size, short_page.data(), short_page.size(), 9),
              Z_OK);
    const std::uint64_t data =
        kdump::load_le64(std::span<const std::uint8_t>(bytes), desc + kdump::page_desc::offset);
    ASSERT_LE(packed_size, kdump::load_le32(std::span<const std::uint8_t>(bytes),
                                            desc + kdump::page_desc::size_field));
    std::copy_n(packed.begin(), packed_size, bytes.begin() + static_cast<std::ptrdiff_t>(data));
    kdump::store_le32(bytes, desc + kdump::page_desc::size_field,
                      static_cast<std::uint32_t>(packed_size));
    message = read_pfn0(bytes);
    EXPECT_NE(message.find("decompresses to 2000 bytes"), std::string::npos) << message;
    EXPECT_NE(message.find("pfn 0x0"), std::string::npos) << message;
    EXPECT_NE(message.find(fmt::format("offset {:#x}", data)), std::string::npos) << message;

    bytes = good;
    kdump::store_le32(bytes, desc + kdump::page_desc::flags, kdump::compressed_snappy);
    message = read_pfn0(bytes);
    EXPECT_NE(message.find("snappy"), std::string::npos) << message;
}

TEST_F(KdumpFile, WriterLeavesNothingOnError) {
    FakeCore core = sample_core();
    core.failure_ = ErrorKind::transport;
    auto written = write_kdump(core, dir_ / "out.kdump", KdumpCompression::zlib);
    ASSERT_FALSE(written);
    EXPECT_NE(written.error().message.find("pfn 0x2"), std::string::npos)
        << written.error().message;
    EXPECT_TRUE(std::filesystem::is_empty(dir_));
    written = write_kdump(core, dir_ / "missing" / "out.kdump", KdumpCompression::zlib);
    ASSERT_FALSE(written);
    EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST_F(KdumpFile, EmptySourceStillMakesAReadableDump) {
    FakeCore core;
    ASSERT_TRUE(write_kdump(core, dir_ / "empty.kdump", KdumpCompression::lzo));
    auto dump = open_kdump_file(dir_ / "empty.kdump");
    ASSERT_TRUE(dump) << dump.error().message;
    std::array<std::uint8_t, 8> bytes{};
    EXPECT_FALSE((*dump)->read_physical(0, bytes));
    EXPECT_TRUE((*dump)->notes().empty());
}

TEST(KdumpCompressionName, ParsesTheCodecs) {
    EXPECT_EQ(parse_kdump_compression("zlib"), KdumpCompression::zlib);
    EXPECT_EQ(parse_kdump_compression("lzo"), KdumpCompression::lzo);
    EXPECT_EQ(parse_kdump_compression("snappy"), KdumpCompression::snappy);
    EXPECT_EQ(parse_kdump_compression("zstd"), KdumpCompression::zstd);
    auto bad = parse_kdump_compression("gzip");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, ErrorKind::invalid_input);
    EXPECT_NE(bad.error().message.find("gzip"), std::string::npos);
}

} // namespace
} // namespace kdive::target
