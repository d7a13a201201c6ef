// Reads the ELF header, program headers and notes once; memory is read with pread on demand.
// Every header field is checked against the file's size before it is used.
#include "target/elf_core_file.hpp"

#include "support/positional_read.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kdive::target {

namespace {

// Above this many program headers the table cannot be a real dump's (QEMU writes one per RAM
// block or, with paging, per mapping run).
constexpr std::size_t max_program_headers = 1u << 20;

struct Segment {
    std::uint64_t physical = 0;
    std::uint64_t file_size = 0;
    std::uint64_t memory_size = 0;
    std::uint64_t offset = 0;
};

class ElfCoreFile final : public CoreFile {
public:
    ElfCoreFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
    ~ElfCoreFile() override { ::close(fd_); }
    ElfCoreFile(const ElfCoreFile&) = delete;
    ElfCoreFile& operator=(const ElfCoreFile&) = delete;

    Result<> load();

    std::string describe() const override { return "elf"; }
    const std::filesystem::path& path() const override { return path_; }
    const std::vector<CoreNote>& notes() const override { return notes_; }
    std::uint16_t machine() const override { return machine_; }
    Result<> read_physical(std::uint64_t address, std::span<std::uint8_t> out) override;
    std::uint64_t physical_end() const override { return end_; }

private:
    Result<> read_at(std::uint64_t offset, std::span<std::uint8_t> out) const;
    const Segment* segment_for(std::uint64_t address) const;

    std::filesystem::path path_;
    int fd_;
    std::uint64_t file_size_ = 0;
    std::vector<Segment> segments_; // by physical address, disjoint
    std::vector<CoreNote> notes_;
    std::uint64_t end_ = 0;
    std::uint16_t machine_ = 0;
};

Result<> ElfCoreFile::read_at(std::uint64_t offset, std::span<std::uint8_t> out) const {
    return read_exactly_at(fd_, offset, out, path_);
}

Result<> ElfCoreFile::load() {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        return fail("{}: {}", path_.string(), std::strerror(errno));
    }
    file_size_ = static_cast<std::uint64_t>(st.st_size);
    Elf64_Ehdr header{};
    if (file_size_ < sizeof header) {
        return fail_as(ErrorKind::corrupt, "{}: {} bytes are too few for an ELF header",
                       path_.string(), file_size_);
    }
    if (auto ok = read_at(0, {reinterpret_cast<std::uint8_t*>(&header), sizeof header}); !ok) {
        return ok;
    }
    if (header.e_ident[EI_CLASS] != ELFCLASS64) {
        return fail_as(ErrorKind::unsupported, "{}: only 64-bit ELF core files are supported",
                       path_.string());
    }
    if (header.e_ident[EI_DATA] != ELFDATA2LSB) {
        return fail_as(ErrorKind::unsupported, "{}: only little-endian core files are supported",
                       path_.string());
    }
    if (header.e_type != ET_CORE) {
        return fail_as(ErrorKind::invalid_input, "{}: an ELF file but not a core file (e_type {})",
                       path_.string(), header.e_type);
    }
    machine_ = header.e_machine;
    if (header.e_phentsize != sizeof(Elf64_Phdr)) {
        return fail_as(ErrorKind::corrupt, "{}: e_phentsize {} (expected {})", path_.string(),
                       header.e_phentsize, sizeof(Elf64_Phdr));
    }
    std::uint64_t count = header.e_phnum;
    if (count == PN_XNUM) {
        // More headers than 16 bits count: the real number is section header 0's sh_info.
        Elf64_Shdr first{};
        if (header.e_shoff == 0 || header.e_shoff > file_size_ ||
            file_size_ - header.e_shoff < sizeof first) {
            return fail_as(
                ErrorKind::corrupt,
                "{}: e_phnum is PN_XNUM but section header 0 at {:#x} is not in the file",
                path_.string(), header.e_shoff);
        }
        if (auto ok =
                read_at(header.e_shoff, {reinterpret_cast<std::uint8_t*>(&first), sizeof first});
            !ok) {
            return ok;
        }
        count = first.sh_info;
    }
    if (count > max_program_headers || header.e_phoff > file_size_ ||
        (file_size_ - header.e_phoff) / sizeof(Elf64_Phdr) < count) {
        return fail_as(ErrorKind::corrupt,
                       "{}: {} program headers at offset {:#x} do not fit in the file's {} bytes",
                       path_.string(), count, header.e_phoff, file_size_);
    }
    std::vector<Elf64_Phdr> headers(count);
    if (auto ok = read_at(header.e_phoff, {reinterpret_cast<std::uint8_t*>(headers.data()),
                                           headers.size() * sizeof(Elf64_Phdr)});
        !ok) {
        return ok;
    }
    for (std::size_t i = 0; i < headers.size(); ++i) {
        const auto& ph = headers[i];
        if (ph.p_offset > file_size_ || file_size_ - ph.p_offset < ph.p_filesz) {
            return fail_as(ErrorKind::corrupt,
                           "{}: program header {} declares {:#x} bytes at offset {:#x}, past the "
                           "end of the file ({:#x} bytes)",
                           path_.string(), i, ph.p_filesz, ph.p_offset, file_size_);
        }
        if (ph.p_type == PT_NOTE) {
            if (ph.p_filesz > max_core_notes_bytes) {
                return fail_as(ErrorKind::corrupt, "{}: a note segment of {} bytes", path_.string(),
                               ph.p_filesz);
            }
            std::vector<std::uint8_t> bytes(ph.p_filesz);
            if (auto ok = read_at(ph.p_offset, bytes); !ok) {
                return ok;
            }
            auto notes = parse_core_notes(bytes);
            if (!notes) {
                return wrap(notes.error(), fmt::format("{}: program header {}", path_.string(), i));
            }
            notes_.insert(notes_.end(), notes->begin(), notes->end());
        } else if (ph.p_type == PT_LOAD && ph.p_memsz > 0) {
            if (ph.p_paddr + ph.p_memsz < ph.p_paddr || ph.p_filesz > ph.p_memsz) {
                return fail_as(ErrorKind::corrupt,
                               "{}: program header {}: {:#x} bytes at physical {:#x}",
                               path_.string(), i, ph.p_memsz, ph.p_paddr);
            }
            segments_.push_back({ph.p_paddr, ph.p_filesz, ph.p_memsz, ph.p_offset});
            end_ = std::max(end_, ph.p_paddr + ph.p_memsz);
        }
    }
    if (segments_.empty()) {
        return fail_as(ErrorKind::corrupt, "{}: no memory (no PT_LOAD segment)", path_.string());
    }
    // With paging, QEMU writes one segment per virtual mapping: physical ranges repeat and
    // nest (the direct map covers all RAM, each other mapping a piece of it, pointing at the
    // same file bytes). Lookups want disjoint ranges: keep each segment's part not covered yet.
    std::ranges::stable_sort(segments_, {}, &Segment::physical);
    std::vector<Segment> disjoint;
    std::uint64_t covered = 0;
    for (const auto& segment : segments_) {
        const std::uint64_t end = segment.physical + segment.memory_size;
        if (!disjoint.empty() && end <= covered) {
            continue;
        }
        Segment piece = segment;
        if (!disjoint.empty() && piece.physical < covered) {
            const std::uint64_t skip = covered - piece.physical;
            piece.physical = covered;
            piece.memory_size -= skip;
            piece.offset += skip;
            piece.file_size = piece.file_size > skip ? piece.file_size - skip : 0;
        }
        disjoint.push_back(piece);
        covered = end;
    }
    segments_ = std::move(disjoint);
    return {};
}

const Segment* ElfCoreFile::segment_for(std::uint64_t address) const {
    auto after = std::ranges::upper_bound(segments_, address, {}, &Segment::physical);
    if (after == segments_.begin()) {
        return nullptr;
    }
    const Segment& segment = *std::prev(after);
    return address - segment.physical < segment.memory_size ? &segment : nullptr;
}

Result<> ElfCoreFile::read_physical(std::uint64_t address, std::span<std::uint8_t> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        const std::uint64_t at = address + done;
        const Segment* segment = segment_for(at);
        if (segment == nullptr) {
            return fail_as(ErrorKind::unmapped, "physical address {:#x} is not in the dump", at);
        }
        const std::uint64_t into = at - segment->physical;
        const std::size_t length = static_cast<std::size_t>(
            std::min<std::uint64_t>(out.size() - done, segment->memory_size - into));
        auto piece = out.subspan(done, length);
        if (into >= segment->file_size) {
            std::ranges::fill(piece, 0); // memory the dumper did not save: zero, as in a core
        } else {
            const std::size_t stored = static_cast<std::size_t>(
                std::min<std::uint64_t>(length, segment->file_size - into));
            if (auto ok = read_at(segment->offset + into, piece.first(stored)); !ok) {
                return ok;
            }
            std::ranges::fill(piece.subspan(stored), 0);
        }
        done += length;
    }
    return {};
}

} // namespace

Result<std::unique_ptr<CoreFile>> open_elf_core_file(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return fail("{}: cannot open: {}", path.string(), std::strerror(errno));
    }
    auto file = std::make_unique<ElfCoreFile>(path, fd);
    if (auto ok = file->load(); !ok) {
        return std::unexpected(ok.error());
    }
    return file;
}

} // namespace kdive::target
