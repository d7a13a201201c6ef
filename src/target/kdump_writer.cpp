// Writes a plain kdump-compressed dump in one pass over the source's pages. Descriptors must
// follow the bitmaps directly but their number is known only at the end, so room for one per
// pfn is reserved and the page data starts after it (the unused rest stays a hole). Bitmap
// blocks are written as the walk leaves them; the headers last.
#include "target/kdump_writer.hpp"

#include "support/atomic_file.hpp"
#include "target/core_note_writer.hpp"
#include "target/kdump_format.hpp"
#include "target/kdump_page_codec.hpp"
#include "target/vmcore_info.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <unistd.h>

namespace kdive::target {

namespace {

constexpr std::uint64_t block_size = 4096;
constexpr std::uint64_t bits_per_block = block_size * 8;
// 52-bit physical addresses, the most x86-64 and arm64 have: beyond that a source's size is
// not a machine's.
constexpr std::uint64_t max_pfns = std::uint64_t{1} << (52 - 12);
constexpr std::size_t write_buffer_size = 1 << 20;
constexpr std::uint64_t progress_every = 4096; // pfns

std::uint64_t round_up(std::uint64_t n, std::uint64_t to) {
    return (n + to - 1) / to * to;
}

Result<> write_at(int fd, std::uint64_t offset, std::span<const std::uint8_t> bytes,
                  const std::filesystem::path& out) {
    while (!bytes.empty()) {
        const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return fail("writing {} at offset {:#x}: {}", out.string(), offset,
                        std::strerror(errno));
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
    return {};
}

// Appends at a running file offset through a buffer: descriptors are 24 bytes, pages a few
// hundred, and each would otherwise be its own system call.
class AppendingWriter {
public:
    AppendingWriter(int fd, std::uint64_t offset, const std::filesystem::path& out)
        : fd_(fd), next_(offset), out_(out) {
        buffer_.reserve(write_buffer_size);
    }

    std::uint64_t position() const { return next_ + buffer_.size(); }

    Result<> append(std::span<const std::uint8_t> bytes) {
        if (buffer_.size() + bytes.size() > write_buffer_size) {
            if (auto ok = flush(); !ok) {
                return ok;
            }
        }
        buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
        return {};
    }

    Result<> flush() {
        if (auto ok = write_at(fd_, next_, buffer_, out_); !ok) {
            return ok;
        }
        next_ += buffer_.size();
        buffer_.clear();
        return {};
    }

private:
    int fd_;
    std::uint64_t next_;
    const std::filesystem::path& out_;
    std::vector<std::uint8_t> buffer_;
};

std::uint32_t codec_flag(KdumpCompression codec) {
    switch (codec) {
    case KdumpCompression::zlib:
        return kdump::compressed_zlib;
    case KdumpCompression::lzo:
        return kdump::compressed_lzo;
    case KdumpCompression::snappy:
        return kdump::compressed_snappy;
    case KdumpCompression::zstd:
        return kdump::compressed_zstd;
    case KdumpCompression::none:
        break;
    }
    return 0;
}

// Where each part of the file goes, from the pfn count and the notes' size.
struct Layout {
    std::uint64_t max_mapnr = 0;
    std::uint64_t sub_header_blocks = 0;
    std::uint64_t bitmap_size = 0; // one bitmap, in bytes
    std::uint64_t present_at = 0;
    std::uint64_t dumpable_at = 0;
    std::uint64_t descriptors_at = 0;
    std::uint64_t data_at = 0;
};

Layout plan(std::uint64_t max_mapnr, std::size_t notes_size) {
    Layout layout;
    layout.max_mapnr = max_mapnr;
    layout.sub_header_blocks =
        round_up(kdump::sub_header::size + notes_size, block_size) / block_size;
    // One block at least: a dump without memory still has the bitmaps readers look for.
    layout.bitmap_size = std::max(round_up((max_mapnr + 7) / 8, block_size), block_size);
    layout.present_at = (1 + layout.sub_header_blocks) * block_size;
    layout.dumpable_at = layout.present_at + layout.bitmap_size;
    layout.descriptors_at = layout.dumpable_at + layout.bitmap_size;
    layout.data_at =
        layout.descriptors_at + round_up(max_mapnr * kdump::page_desc::size, block_size);
    return layout;
}

// The uname machine crash checks a dump against, told apart by the size of NT_PRSTATUS.
std::string_view machine_of(std::span<const CoreNote> notes) {
    for (const auto& note : notes) {
        if (note.type == nt_prstatus && note.name == "CORE") {
            switch (note.desc.size()) {
            case 336:
                return "x86_64";
            case 392:
                return "aarch64";
            default:
                return {};
            }
        }
    }
    return {};
}

using Utsname = std::array<std::string, 6>; // sysname, nodename, release, version, machine, domain

// Where the kernel image symbol VMCOREINFO names sits in physical memory: x86-64's image
// mapping starts at __START_KERNEL_map plus phys_base, arm64's is kimage_voffset below its
// virtual address.
std::optional<std::uint64_t> image_symbol_physical(const VmcoreInfo& info, std::string_view name) {
    constexpr std::uint64_t start_kernel_map = 0xffffffff80000000ull;
    auto symbol = info.hex(fmt::format("SYMBOL({})", name));
    if (!symbol) {
        return std::nullopt;
    }
    if (auto voffset = info.hex("NUMBER(kimage_voffset)")) {
        return *symbol >= *voffset ? std::optional(*symbol - *voffset) : std::nullopt;
    }
    auto phys_base = info.decimal("NUMBER(phys_base)");
    if (!phys_base || *symbol < start_kernel_map) {
        return std::nullopt;
    }
    return *symbol - start_kernel_map + static_cast<std::uint64_t>(*phys_base);
}

// The kernel's own utsname (init_uts_ns), as makedumpfile copies it: libkdumpfile (drgn's
// reader) only takes the machine, and with it the architecture, when no field is empty. Read
// from the kernel image that VMCOREINFO places; nullopt when the dump cannot say.
std::optional<Utsname> kernel_utsname(CoreFile& source, const std::optional<VmcoreInfo>& info) {
    auto physical = info ? image_symbol_physical(*info, "init_uts_ns") : std::nullopt;
    if (!physical) {
        return std::nullopt;
    }
    constexpr std::size_t field = kdump::header::utsname_field;
    constexpr std::size_t search = 16; // a struct kref preceded the name before 5.x
    std::vector<std::uint8_t> bytes(search + 6 * field);
    if (!source.read_physical(*physical, bytes)) {
        return std::nullopt;
    }
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const auto at = text.find(std::string_view("Linux\0", 6));
    if (at == std::string_view::npos || at > search) {
        return std::nullopt;
    }
    Utsname uts;
    for (std::size_t i = 0; i < uts.size(); ++i) {
        const auto value = text.substr(at + i * field, field);
        const auto end = value.find('\0');
        if (end == std::string_view::npos) {
            return std::nullopt;
        }
        for (char c : value.substr(0, end)) {
            if (c < 0x20 || c > 0x7e) {
                return std::nullopt;
            }
        }
        uts[i] = std::string(value.substr(0, end));
    }
    return uts;
}

// Header block, sub header and notes: everything before the first bitmap.
std::vector<std::uint8_t> headers(std::span<const CoreNote> notes, const NoteBuffer& buffer,
                                  const Layout& layout, std::uint32_t flag, CoreFile& source) {
    std::vector<std::uint8_t> out(layout.present_at, 0);
    std::span<std::uint8_t> header(out.data(), block_size);
    std::ranges::copy(kdump::signature, header.begin());
    auto put_text = [&](std::size_t at, std::string_view text) {
        text = text.substr(0, kdump::header::utsname_field - 1);
        std::ranges::copy(text, header.begin() + static_cast<std::ptrdiff_t>(at));
    };
    std::optional<VmcoreInfo> info;
    std::optional<std::size_t> vmcoreinfo;
    std::uint32_t cpus = 0;
    for (std::size_t i = 0; i < notes.size(); ++i) {
        if (notes[i].name == "VMCOREINFO" && !vmcoreinfo) {
            vmcoreinfo = i;
            info = VmcoreInfo::parse(std::string_view(
                reinterpret_cast<const char*>(notes[i].desc.data()), notes[i].desc.size()));
        }
        cpus += notes[i].type == nt_prstatus && notes[i].name == "CORE" ? 1 : 0;
    }
    if (auto uts = kernel_utsname(source, info)) {
        for (std::size_t i = 0; i < uts->size(); ++i) {
            put_text(kdump::header::utsname_sysname + i * kdump::header::utsname_field, (*uts)[i]);
        }
    } else {
        put_text(kdump::header::utsname_sysname, "Linux");
        if (auto release = info ? info->text("OSRELEASE") : std::nullopt) {
            put_text(kdump::header::utsname_release, *release);
        }
        put_text(kdump::header::utsname_machine, machine_of(notes));
    }
    kdump::store_le32(header, kdump::header::version, 6);
    kdump::store_le32(header, kdump::header::status, flag);
    kdump::store_le32(header, kdump::header::block_size, block_size);
    kdump::store_le32(header, kdump::header::sub_hdr_size,
                      static_cast<std::uint32_t>(layout.sub_header_blocks));
    kdump::store_le32(header, kdump::header::bitmap_blocks,
                      static_cast<std::uint32_t>(2 * layout.bitmap_size / block_size));
    kdump::store_le32(header, kdump::header::max_mapnr,
                      static_cast<std::uint32_t>(std::min<std::uint64_t>(
                          layout.max_mapnr, std::numeric_limits<std::uint32_t>::max())));
    kdump::store_le32(header, kdump::header::nr_cpus, cpus);

    namespace field = kdump::sub_header;
    std::span<std::uint8_t> sub(out.data() + block_size, field::size);
    const std::uint64_t notes_at = block_size + field::size;
    if (auto phys_base = info ? info->decimal("NUMBER(phys_base)") : std::nullopt) {
        kdump::store_le64(sub, field::phys_base, static_cast<std::uint64_t>(*phys_base));
    } else if (auto phys_offset = info ? info->hex("NUMBER(PHYS_OFFSET)") : std::nullopt) {
        // arm64 has no phys_base: makedumpfile stores where RAM starts (PHYS_OFFSET) there.
        kdump::store_le64(sub, field::phys_base, *phys_offset);
    }
    // Level 1: only memory the source lacks is left out.
    kdump::store_le32(sub, field::dump_level, 1);
    if (vmcoreinfo) {
        kdump::store_le64(sub, field::offset_vmcoreinfo,
                          notes_at + buffer.desc_offsets[*vmcoreinfo]);
        kdump::store_le64(sub, field::size_vmcoreinfo, notes[*vmcoreinfo].desc.size());
    }
    if (!buffer.bytes.empty()) {
        kdump::store_le64(sub, field::offset_note, notes_at);
        kdump::store_le64(sub, field::size_note, buffer.bytes.size());
    }
    kdump::store_le64(sub, field::max_mapnr_64, layout.max_mapnr);
    std::ranges::copy(buffer.bytes, out.begin() + static_cast<std::ptrdiff_t>(notes_at));
    return out;
}

// The walk over every pfn: page data and descriptors appended, bitmap blocks written as the
// walk passes them.
class PageWriter {
public:
    PageWriter(CoreFile& source, int fd, const Layout& layout, std::uint32_t flag,
               const std::filesystem::path& out)
        : source_(source), fd_(fd), layout_(layout), out_(out), compressor_(flag), flag_(flag),
          descriptors_(fd, layout.descriptors_at, out), data_(fd, layout.data_at, out),
          bitmap_(block_size, 0), page_(block_size, 0) {}

    Result<> run(const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
        for (std::uint64_t pfn = 0; pfn < layout_.max_mapnr; ++pfn) {
            if (auto ok = one(pfn); !ok) {
                return ok;
            }
            if ((pfn + 1) % bits_per_block == 0 || pfn + 1 == layout_.max_mapnr) {
                if (auto ok = flush_bitmap(pfn / bits_per_block); !ok) {
                    return ok;
                }
            }
            if (progress && (pfn + 1) % progress_every == 0) {
                progress(pfn + 1, layout_.max_mapnr);
            }
        }
        if (progress) {
            progress(layout_.max_mapnr, layout_.max_mapnr);
        }
        if (auto ok = descriptors_.flush(); !ok) {
            return ok;
        }
        if (auto ok = data_.flush(); !ok) {
            return ok;
        }
        // The file reaches past the reserved descriptors even when no page was written.
        if (::ftruncate(fd_, static_cast<off_t>(data_.position())) != 0) {
            return fail("writing {}: {}", out_.string(), std::strerror(errno));
        }
        return {};
    }

private:
    Result<> one(std::uint64_t pfn) {
        if (auto read = source_.read_physical(pfn * block_size, page_); !read) {
            if (read.error().is(ErrorKind::unmapped) || read.error().is(ErrorKind::corrupt)) {
                return {};
            }
            return wrap(read.error(), fmt::format("reading pfn {:#x} for {}", pfn, out_.string()));
        }
        const std::uint64_t bit = pfn % bits_per_block;
        bitmap_[bit / 8] |= static_cast<std::uint8_t>(1u << (bit % 8));
        std::array<std::uint8_t, kdump::page_desc::size> desc{};
        if (std::ranges::all_of(page_, [](std::uint8_t b) { return b == 0; })) {
            // Every zero page shares one stored copy, as makedumpfile's do.
            if (!zero_page_) {
                zero_page_ = data_.position();
                if (auto ok = data_.append(page_); !ok) {
                    return ok;
                }
            }
            kdump::store_le64(desc, kdump::page_desc::offset, *zero_page_);
            kdump::store_le32(desc, kdump::page_desc::size_field, block_size);
            return descriptors_.append(desc);
        }
        auto packed = compressor_.compress(page_);
        kdump::store_le64(desc, kdump::page_desc::offset, data_.position());
        if (packed.empty()) {
            kdump::store_le32(desc, kdump::page_desc::size_field, block_size);
            if (auto ok = data_.append(page_); !ok) {
                return ok;
            }
        } else {
            kdump::store_le32(desc, kdump::page_desc::size_field,
                              static_cast<std::uint32_t>(packed.size()));
            kdump::store_le32(desc, kdump::page_desc::flags, flag_);
            if (auto ok = data_.append(packed); !ok) {
                return ok;
            }
        }
        return descriptors_.append(desc);
    }

    // Both bitmaps: at dump level 1 every page present is also dumped.
    Result<> flush_bitmap(std::uint64_t block) {
        const std::uint64_t at = block * block_size;
        if (auto ok = write_at(fd_, layout_.present_at + at, bitmap_, out_); !ok) {
            return ok;
        }
        if (auto ok = write_at(fd_, layout_.dumpable_at + at, bitmap_, out_); !ok) {
            return ok;
        }
        std::ranges::fill(bitmap_, 0);
        return {};
    }

    CoreFile& source_;
    int fd_;
    const Layout& layout_;
    const std::filesystem::path& out_;
    PageCompressor compressor_;
    std::uint32_t flag_;
    AppendingWriter descriptors_;
    AppendingWriter data_;
    std::vector<std::uint8_t> bitmap_; // the block of the bitmap the walk is in
    std::vector<std::uint8_t> page_;
    std::optional<std::uint64_t> zero_page_;
};

} // namespace

Result<KdumpCompression> parse_kdump_compression(std::string_view name) {
    if (name == "zlib") {
        return KdumpCompression::zlib;
    }
    if (name == "lzo") {
        return KdumpCompression::lzo;
    }
    if (name == "snappy") {
        return KdumpCompression::snappy;
    }
    if (name == "zstd") {
        return KdumpCompression::zstd;
    }
    if (name == "none") {
        return KdumpCompression::none;
    }
    return fail_as(ErrorKind::invalid_input,
                   "unknown kdump compression '{}' (zlib, lzo, snappy, zstd or none)",
                   std::string(name.substr(0, 64)));
}

Result<> write_kdump(CoreFile& source, const std::filesystem::path& out, KdumpCompression codec,
                     const std::function<void(std::uint64_t done, std::uint64_t total)>& progress) {
    const std::uint64_t end = source.physical_end();
    const std::uint64_t max_mapnr = end / block_size + (end % block_size != 0 ? 1 : 0);
    if (max_mapnr > max_pfns) {
        return fail_as(ErrorKind::unsupported,
                       "{}: physical memory up to {:#x} is beyond 52-bit physical addresses",
                       source.path().string(), end);
    }
    const std::uint32_t flag = codec_flag(codec);
    const NoteBuffer notes = serialize_core_notes(source.notes());
    const Layout layout = plan(max_mapnr, notes.bytes.size());
    // Owner-only, as QEMU creates its dumps: the file holds all of the machine's memory.
    auto file = AtomicFile::create(out, 0600);
    if (!file) {
        return std::unexpected(file.error());
    }
    PageWriter pages(source, file->fd(), layout, flag, out);
    if (auto ok = pages.run(progress); !ok) {
        return ok;
    }
    if (auto ok =
            write_at(file->fd(), 0, headers(source.notes(), notes, layout, flag, source), out);
        !ok) {
        return ok;
    }
    return file->commit();
}

} // namespace kdive::target
