// Reads a kdump-compressed dump in place. The header fields are checked against the file
// before anything is sized by them; the dumpable bitmap is kept with a running count per chunk
// so that a pfn's page descriptor is found without a scan; decompressed pages are cached.
#include "target/kdump_file.hpp"

#include "target/core_registers.hpp"
#include "target/kdump_bytes.hpp"
#include "target/kdump_format.hpp"
#include "target/kdump_page_codec.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>

namespace kdive::target {

namespace {

// Reads of neighbouring small structures land on the same page; 64 pages hold a walk's worth.
constexpr std::size_t cached_pages = 64;
// Bitmap words per counted chunk: a lookup adds at most this many popcounts.
constexpr std::size_t words_per_chunk = 16;
constexpr std::uint64_t min_block_size = 512;
constexpr std::uint64_t max_block_size = 1u << 20;
constexpr std::uint64_t no_pfn = std::numeric_limits<std::uint64_t>::max();

// One blob the sub header points at, checked against the dump before it is read.
struct Blob {
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
};

// The uname machine makedumpfile and QEMU write as an ELF e_machine; 0 for one kdive does not
// know (the dump's notes then tell).
std::uint16_t machine_of_uname(std::span<const std::uint8_t> field) {
    const std::string_view text(reinterpret_cast<const char*>(field.data()), field.size());
    const std::string_view name = text.substr(0, text.find('\0'));
    if (name == "x86_64") {
        return em_x86_64;
    }
    if (name == "aarch64" || name == "arm64") {
        return em_aarch64;
    }
    return 0;
}

class KdumpFile final : public CoreFile {
public:
    explicit KdumpFile(std::unique_ptr<KdumpBytes> bytes) : bytes_(std::move(bytes)) {}

    Result<> load();

    std::string describe() const override;
    const std::filesystem::path& path() const override { return bytes_->path(); }
    const std::vector<CoreNote>& notes() const override { return notes_; }
    std::uint16_t machine() const override { return machine_; }
    Result<> read_physical(std::uint64_t address, std::span<std::uint8_t> out) override;
    std::uint64_t physical_end() const override { return max_mapnr_ << block_shift_; }

private:
    struct CachedPage {
        std::uint64_t pfn = no_pfn;
        std::uint64_t used = 0;
        std::vector<std::uint8_t> bytes;
    };

    Result<> load_header();
    Result<> load_sub_header();
    Result<> load_bitmap();
    Result<std::vector<std::uint8_t>> read_blob(Blob blob, std::string_view offset_field,
                                                std::string_view size_field) const;
    Result<> load_notes();
    bool dumpable(std::uint64_t pfn) const { return (bitmap_[pfn / 64] >> (pfn % 64) & 1) != 0; }
    std::uint64_t rank(std::uint64_t pfn) const;
    std::unexpected<Error> excluded(std::uint64_t address, std::uint64_t pfn) const;
    Result<const std::uint8_t*> page(std::uint64_t pfn);
    Result<> fill(std::uint64_t pfn, CachedPage& slot);

    template <typename... Args>
    std::unexpected<Error> corrupt(fmt::format_string<Args...> format, Args&&... args) const {
        return fail_as(ErrorKind::corrupt, "{}: {}", path().string(),
                       fmt::format(format, std::forward<Args>(args)...));
    }

    std::unique_ptr<KdumpBytes> bytes_;
    std::uint32_t version_ = 0;
    std::uint32_t status_ = 0;
    std::uint64_t block_size_ = 0;
    unsigned block_shift_ = 0;
    std::uint64_t sub_hdr_blocks_ = 0;
    std::uint64_t bitmap_blocks_ = 0;
    std::uint64_t max_mapnr_ = 0;
    std::uint32_t dump_level_ = 0;
    std::uint16_t machine_ = 0;
    Blob vmcoreinfo_;
    Blob note_;
    std::uint64_t present_offset_ = 0;  // the first bitmap: memory the dumper saw
    std::uint64_t dumpable_offset_ = 0; // the second: pages that have a descriptor
    std::uint64_t descriptors_offset_ = 0;
    std::vector<std::uint64_t> bitmap_;      // dumpable pfns, bit pfn % 64 of word pfn / 64
    std::vector<std::uint64_t> chunk_ranks_; // dumpable pfns before each chunk
    std::vector<CoreNote> notes_;
    PageDecompressor decompressor_;
    std::vector<CachedPage> cache_;
    std::size_t last_ = 0; // the slot the previous read used
    std::uint64_t clock_ = 0;
    std::vector<std::uint8_t> stored_;
};

Result<> KdumpFile::load() {
    if (auto ok = load_header(); !ok) {
        return ok;
    }
    if (auto ok = load_sub_header(); !ok) {
        return ok;
    }
    if (auto ok = load_bitmap(); !ok) {
        return ok;
    }
    return load_notes();
}

Result<> KdumpFile::load_header() {
    std::array<std::uint8_t, kdump::header::size> header{};
    if (bytes_->size() < header.size()) {
        return corrupt("truncated: {} bytes are too few for the kdump header of {}", bytes_->size(),
                       header.size());
    }
    if (auto ok = bytes_->read(0, header); !ok) {
        return ok;
    }
    if (!std::equal(kdump::signature.begin(), kdump::signature.end(), header.begin())) {
        return fail_as(ErrorKind::invalid_input,
                       "{}: not a kdump-compressed dump (no \"KDUMP   \" signature{})",
                       path().string(), bytes_->flattened() ? " after the flattened header" : "");
    }
    version_ = kdump::load_le32(header, kdump::header::version);
    machine_ = machine_of_uname(
        std::span(header).subspan(kdump::header::utsname_machine, kdump::header::utsname_field));
    status_ = kdump::load_le32(header, kdump::header::status);
    block_size_ = kdump::load_le32(header, kdump::header::block_size);
    sub_hdr_blocks_ = kdump::load_le32(header, kdump::header::sub_hdr_size);
    bitmap_blocks_ = kdump::load_le32(header, kdump::header::bitmap_blocks);
    max_mapnr_ = kdump::load_le32(header, kdump::header::max_mapnr);
    if (!std::has_single_bit(block_size_) || block_size_ < min_block_size ||
        block_size_ > max_block_size) {
        return corrupt("block_size {} is not a power of two from {} to {}", block_size_,
                       min_block_size, max_block_size);
    }
    block_shift_ = static_cast<unsigned>(std::countr_zero(block_size_));
    if (bitmap_blocks_ == 0) {
        return corrupt("bitmap_blocks is 0: the dump has no bitmap");
    }
    // Each count is below 2^32 and a block at most 2^20 bytes: no product here overflows.
    if (bitmap_blocks_ * block_size_ > bytes_->file_size()) {
        return corrupt("bitmap_blocks {} ({} bytes) is larger than the whole file ({} bytes)",
                       bitmap_blocks_, bitmap_blocks_ * block_size_, bytes_->file_size());
    }
    present_offset_ = (1 + sub_hdr_blocks_) * block_size_;
    descriptors_offset_ = present_offset_ + bitmap_blocks_ * block_size_;
    if (descriptors_offset_ > bytes_->size()) {
        return corrupt("sub_hdr_size {} and bitmap_blocks {} (blocks of {} bytes) run past the end "
                       "of the dump at offset {:#x}",
                       sub_hdr_blocks_, bitmap_blocks_, block_size_, bytes_->size());
    }
    return {};
}

Result<> KdumpFile::load_sub_header() {
    if (sub_hdr_blocks_ == 0) {
        return {};
    }
    std::array<std::uint8_t, kdump::sub_header::size> sub{};
    if (auto ok = bytes_->read(block_size_, sub); !ok) {
        return ok;
    }
    namespace field = kdump::sub_header;
    dump_level_ = kdump::load_le32(sub, field::dump_level);
    if (version_ >= 3) {
        vmcoreinfo_ = {kdump::load_le64(sub, field::offset_vmcoreinfo),
                       kdump::load_le64(sub, field::size_vmcoreinfo)};
    }
    if (version_ >= 4) {
        note_ = {kdump::load_le64(sub, field::offset_note),
                 kdump::load_le64(sub, field::size_note)};
    }
    if (version_ >= 6) {
        // The header's 32-bit max_mapnr is truncated on machines with 16 TiB and more.
        max_mapnr_ = kdump::load_le64(sub, field::max_mapnr_64);
    }
    return {};
}

Result<> KdumpFile::load_bitmap() {
    const std::uint64_t whole = bitmap_blocks_ * block_size_;
    const std::uint64_t needed = max_mapnr_ / 8 + (max_mapnr_ % 8 != 0 ? 1 : 0);
    // makedumpfile writes two bitmaps of equal size, present then dumpable; the oldest dumps
    // have only one, which then serves as both.
    if (bitmap_blocks_ >= 2 && whole / 2 >= needed) {
        dumpable_offset_ = present_offset_ + whole / 2;
    } else if (whole >= needed) {
        dumpable_offset_ = present_offset_;
    } else {
        return corrupt("bitmap_blocks {} ({} bytes) cannot hold max_mapnr {} bits", bitmap_blocks_,
                       whole, max_mapnr_);
    }
    if (max_mapnr_ > std::numeric_limits<std::uint64_t>::max() >> block_shift_) {
        return corrupt("max_mapnr {} pages of {} bytes overflow 64-bit addresses", max_mapnr_,
                       block_size_);
    }
    // `needed` is below the file's size (checked with bitmap_blocks): a bounded allocation.
    bitmap_.assign((max_mapnr_ + 63) / 64, 0);
    auto bytes = std::span(reinterpret_cast<std::uint8_t*>(bitmap_.data()),
                           static_cast<std::size_t>(needed));
    if (auto ok = bytes_->read(dumpable_offset_, bytes); !ok) {
        return wrap(ok.error(), "reading the dumpable bitmap");
    }
    if (max_mapnr_ % 64 != 0) {
        bitmap_.back() &= (std::uint64_t{1} << (max_mapnr_ % 64)) - 1;
    }
    chunk_ranks_.reserve(bitmap_.size() / words_per_chunk + 1);
    std::uint64_t count = 0;
    for (std::size_t word = 0; word < bitmap_.size(); ++word) {
        if (word % words_per_chunk == 0) {
            chunk_ranks_.push_back(count);
        }
        count += static_cast<std::uint64_t>(std::popcount(bitmap_[word]));
    }
    const std::uint64_t room = bytes_->size() - descriptors_offset_;
    if (count > room / kdump::page_desc::size) {
        return corrupt("the bitmap marks {} dumpable pages but their descriptors at offset {:#x} "
                       "run past the end of the dump at {:#x}",
                       count, descriptors_offset_, bytes_->size());
    }
    return {};
}

Result<std::vector<std::uint8_t>> KdumpFile::read_blob(Blob blob, std::string_view offset_field,
                                                       std::string_view size_field) const {
    if (blob.size > max_core_notes_bytes || blob.size > bytes_->file_size() ||
        blob.offset > bytes_->size() || bytes_->size() - blob.offset < blob.size) {
        return corrupt("{} {:#x} and {} {} do not fit in the dump ({:#x} bytes)", offset_field,
                       blob.offset, size_field, blob.size, bytes_->size());
    }
    std::vector<std::uint8_t> bytes(blob.size);
    if (auto ok = bytes_->read(blob.offset, bytes); !ok) {
        return std::unexpected(ok.error());
    }
    return bytes;
}

Result<> KdumpFile::load_notes() {
    if (note_.size > 0) {
        auto bytes = read_blob(note_, "offset_note", "size_note");
        if (!bytes) {
            return std::unexpected(bytes.error());
        }
        auto notes = parse_core_notes(*bytes);
        if (!notes) {
            return wrap(notes.error(), fmt::format("{}: notes at offset_note {:#x}",
                                                   path().string(), note_.offset));
        }
        notes_ = std::move(*notes);
    }
    if (vmcoreinfo_.size > 0 &&
        std::ranges::none_of(notes_, [](const CoreNote& n) { return n.name == "VMCOREINFO"; })) {
        auto bytes = read_blob(vmcoreinfo_, "offset_vmcoreinfo", "size_vmcoreinfo");
        if (!bytes) {
            return std::unexpected(bytes.error());
        }
        notes_.push_back(CoreNote{"VMCOREINFO", 0, std::move(*bytes)});
    }
    return {};
}

std::string KdumpFile::describe() const {
    std::string codecs;
    const std::array<std::pair<std::uint32_t, const char*>, 4> names{{
        {kdump::compressed_zlib, "zlib"},
        {kdump::compressed_lzo, "lzo"},
        {kdump::compressed_snappy, "snappy"},
        {kdump::compressed_zstd, "zstd"},
    }};
    for (const auto& [flag, name] : names) {
        if ((status_ & flag) != 0) {
            codecs += codecs.empty() ? name : fmt::format("+{}", name);
        }
    }
    return fmt::format("kdump{}, {} pages{}", bytes_->flattened() ? " (flattened)" : "",
                       codecs.empty() ? "uncompressed" : codecs,
                       (status_ & kdump::status_incomplete) != 0 ? ", incomplete" : "");
}

std::uint64_t KdumpFile::rank(std::uint64_t pfn) const {
    const std::uint64_t word = pfn / 64;
    std::uint64_t count = chunk_ranks_[word / words_per_chunk];
    for (std::uint64_t w = word - word % words_per_chunk; w < word; ++w) {
        count += static_cast<std::uint64_t>(std::popcount(bitmap_[w]));
    }
    const std::uint64_t below = (std::uint64_t{1} << (pfn % 64)) - 1;
    return count + static_cast<std::uint64_t>(std::popcount(bitmap_[word] & below));
}

std::unexpected<Error> KdumpFile::excluded(std::uint64_t address, std::uint64_t pfn) const {
    // The first bitmap only says why: read its one byte when an error needs it.
    std::array<std::uint8_t, 1> byte{};
    const bool present = dumpable_offset_ != present_offset_ &&
                         bytes_->read(present_offset_ + pfn / 8, byte) &&
                         (byte[0] >> (pfn % 8) & 1) != 0;
    if (present) {
        return fail_as(ErrorKind::unmapped,
                       "physical address {:#x}: excluded from the dump (pfn {:#x} filtered out at "
                       "dump level {})",
                       address, pfn, dump_level_);
    }
    return fail_as(ErrorKind::unmapped,
                   "physical address {:#x}: excluded from the dump (pfn {:#x} is not memory the "
                   "dumper saw)",
                   address, pfn);
}

Result<> KdumpFile::fill(std::uint64_t pfn, CachedPage& slot) {
    const std::uint64_t at = descriptors_offset_ + rank(pfn) * kdump::page_desc::size;
    std::array<std::uint8_t, kdump::page_desc::size> desc{};
    if (auto ok = bytes_->read(at, desc); !ok) {
        return wrap(ok.error(), fmt::format("page descriptor of pfn {:#x}", pfn));
    }
    const std::uint64_t offset = kdump::load_le64(desc, kdump::page_desc::offset);
    const std::uint32_t size = kdump::load_le32(desc, kdump::page_desc::size_field);
    const std::uint32_t flags = kdump::load_le32(desc, kdump::page_desc::flags);
    if (size == 0 || size > block_size_) {
        return corrupt("the page descriptor of pfn {:#x} at offset {:#x} has size {} (block_size "
                       "{})",
                       pfn, at, size, block_size_);
    }
    if (offset > bytes_->size() || bytes_->size() - offset < size) {
        return corrupt("the page descriptor of pfn {:#x} at offset {:#x} places {} bytes at offset "
                       "{:#x}, past the end of the dump at {:#x}",
                       pfn, at, size, offset, bytes_->size());
    }
    stored_.resize(size);
    if (auto ok = bytes_->read(offset, stored_); !ok) {
        return wrap(ok.error(), fmt::format("page data of pfn {:#x}", pfn));
    }
    slot.bytes.resize(block_size_);
    if (auto ok = decompressor_.decompress(flags, stored_, slot.bytes); !ok) {
        return wrap(ok.error(), fmt::format("{}: pfn {:#x}: page data at offset {:#x}",
                                            path().string(), pfn, offset));
    }
    slot.pfn = pfn;
    return {};
}

Result<const std::uint8_t*> KdumpFile::page(std::uint64_t pfn) {
    ++clock_;
    if (last_ < cache_.size() && cache_[last_].pfn == pfn) {
        cache_[last_].used = clock_;
        return cache_[last_].bytes.data();
    }
    for (std::size_t i = 0; i < cache_.size(); ++i) {
        if (cache_[i].pfn == pfn) {
            cache_[i].used = clock_;
            last_ = i;
            return cache_[i].bytes.data();
        }
    }
    if (cache_.size() < cached_pages) {
        cache_.emplace_back();
        last_ = cache_.size() - 1;
    } else {
        last_ = static_cast<std::size_t>(std::ranges::min_element(cache_, {}, &CachedPage::used) -
                                         cache_.begin());
    }
    CachedPage& slot = cache_[last_];
    slot.pfn = no_pfn; // until it holds the new page whole
    slot.used = clock_;
    if (auto ok = fill(pfn, slot); !ok) {
        return std::unexpected(ok.error());
    }
    return slot.bytes.data();
}

Result<> KdumpFile::read_physical(std::uint64_t address, std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const std::uint64_t at = address + done;
        if (at < address) {
            return fail_as(ErrorKind::unmapped, "physical address {:#x}+{:#x} wraps around",
                           address, out.size());
        }
        const std::uint64_t pfn = at >> block_shift_;
        if (pfn >= max_mapnr_) {
            return fail_as(ErrorKind::unmapped,
                           "physical address {:#x} is not in the dump (it ends at {:#x})", at,
                           physical_end());
        }
        if (!dumpable(pfn)) {
            return excluded(at, pfn);
        }
        auto bytes = page(pfn);
        if (!bytes) {
            return std::unexpected(bytes.error());
        }
        const std::uint64_t into = at & (block_size_ - 1);
        const auto length = static_cast<std::size_t>(
            std::min<std::uint64_t>(block_size_ - into, out.size() - done));
        std::copy_n(*bytes + into, length, out.begin() + static_cast<std::ptrdiff_t>(done));
        done += length;
    }
    return {};
}

} // namespace

Result<std::unique_ptr<CoreFile>> open_kdump_file(const std::filesystem::path& path) {
    auto bytes = KdumpBytes::open(path);
    if (!bytes) {
        return std::unexpected(bytes.error());
    }
    auto file = std::make_unique<KdumpFile>(std::move(*bytes));
    if (auto ok = file->load(); !ok) {
        return std::unexpected(ok.error());
    }
    return file;
}

} // namespace kdive::target
