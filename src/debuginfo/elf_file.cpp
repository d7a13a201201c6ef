// Opens ELF files with libelf and reads their sections and build-id.
#include "debuginfo/elf_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kdive::debuginfo {

namespace {

std::string elf_error() {
    return elf_errmsg(-1) != nullptr ? elf_errmsg(-1) : "unknown error";
}

} // namespace

bool ElfSection::allocated() const {
    return (flags & SHF_ALLOC) != 0;
}

bool ElfSection::has_file_bytes() const {
    return type != SHT_NOBITS;
}

Result<std::unique_ptr<ElfFile>> ElfFile::open(const std::filesystem::path& path) {
    std::unique_ptr<ElfFile> file(new ElfFile());
    file->path_ = path;
    file->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file->fd_ < 0) {
        return fail("cannot open {}: {}", path.string(), std::strerror(errno));
    }
    struct stat st {};
    if (fstat(file->fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
        return fail("{}: not a regular file", path.string());
    }
    file->file_size_ = static_cast<std::uint64_t>(st.st_size);
    elf_version(EV_CURRENT);
    file->elf_ = elf_begin(file->fd_, ELF_C_READ_MMAP, nullptr);
    if (file->elf_ == nullptr) {
        return fail("{}: cannot read as ELF: {}", path.string(), elf_error());
    }
    if (elf_kind(file->elf_) != ELF_K_ELF) {
        return fail("{}: not an ELF file", path.string());
    }
    GElf_Ehdr ehdr;
    if (gelf_getehdr(file->elf_, &ehdr) == nullptr) {
        return fail("{}: corrupt ELF header: {}", path.string(), elf_error());
    }
    file->machine_ = ehdr.e_machine;
    file->elf_type_ = ehdr.e_type;
    if (auto loaded = file->load_sections(); !loaded) {
        return wrap(loaded.error(), path.string());
    }
    file->load_build_id();
    return file;
}

ElfFile::~ElfFile() {
    if (elf_ != nullptr) {
        elf_end(elf_);
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

Result<> ElfFile::load_sections() {
    std::size_t shstrndx = 0;
    if (elf_getshdrstrndx(elf_, &shstrndx) != 0) {
        return fail("corrupt section header table: {}", elf_error());
    }
    for (Elf_Scn* scn = elf_nextscn(elf_, nullptr); scn != nullptr; scn = elf_nextscn(elf_, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) == nullptr) {
            return fail("corrupt section header: {}", elf_error());
        }
        const char* name = elf_strptr(elf_, shstrndx, shdr.sh_name);
        ElfSection section{name != nullptr ? name : "",
                           shdr.sh_addr,
                           shdr.sh_size,
                           shdr.sh_offset,
                           shdr.sh_type,
                           shdr.sh_flags,
                           elf_ndxscn(scn),
                           scn};
        // A section claiming bytes past the end of the file means the file was cut short.
        if (section.has_file_bytes() && section.type != SHT_NULL &&
            (shdr.sh_offset > file_size_ || shdr.sh_size > file_size_ - shdr.sh_offset)) {
            return fail("truncated: section {} ends at offset {:#x} beyond the file size {:#x}",
                        section.name, shdr.sh_offset + shdr.sh_size, file_size_);
        }
        sections_.push_back(std::move(section));
    }
    if (sections_.empty()) {
        return fail("no sections (stripped or corrupt)");
    }
    return {};
}

void ElfFile::load_build_id() {
    for (const auto& section : sections_) {
        if (section.type != SHT_NOTE) {
            continue;
        }
        Elf_Data* data = elf_getdata(section.scn, nullptr);
        if (data == nullptr) {
            continue;
        }
        std::size_t offset = 0;
        GElf_Nhdr nhdr;
        std::size_t name_offset = 0;
        std::size_t desc_offset = 0;
        while ((offset = gelf_getnote(data, offset, &nhdr, &name_offset, &desc_offset)) > 0) {
            const char* base = static_cast<const char*>(data->d_buf);
            if (nhdr.n_type == NT_GNU_BUILD_ID && nhdr.n_namesz == 4 &&
                std::memcmp(base + name_offset, "GNU", 4) == 0) {
                std::string hex;
                for (std::size_t i = 0; i < nhdr.n_descsz; ++i) {
                    hex += fmt::format("{:02x}", static_cast<unsigned char>(base[desc_offset + i]));
                }
                build_id_ = hex;
                return;
            }
        }
    }
}

const ElfSection* ElfFile::find_section(std::string_view name) const {
    for (const auto& section : sections_) {
        if (section.name == name) {
            return &section;
        }
    }
    return nullptr;
}

const ElfSection* ElfFile::section_at(std::uint64_t address) const {
    for (const auto& section : sections_) {
        if (section.allocated() && section.size > 0 && address >= section.address &&
            address - section.address < section.size) {
            return &section;
        }
    }
    return nullptr;
}

Result<std::span<const std::byte>> ElfFile::section_bytes(const ElfSection& section) const {
    if (!section.has_file_bytes()) {
        return std::span<const std::byte>();
    }
    Elf_Data* data = elf_rawdata(section.scn, nullptr);
    if (data == nullptr || (data->d_size > 0 && data->d_buf == nullptr)) {
        return fail("{}: cannot read section {}: {}", path_.string(), section.name, elf_error());
    }
    return std::span<const std::byte>(static_cast<const std::byte*>(data->d_buf), data->d_size);
}

Result<std::vector<std::byte>> ElfFile::read_address(std::uint64_t address,
                                                     std::size_t length) const {
    std::vector<std::byte> out(length);
    std::size_t done = 0;
    while (done < length) {
        const std::uint64_t at = address + done;
        const ElfSection* section = section_at(at);
        if (section == nullptr) {
            return fail("Cannot access memory at address {:#x}", at);
        }
        const std::uint64_t in_section = at - section->address;
        const std::size_t chunk = static_cast<std::size_t>(
            std::min<std::uint64_t>(length - done, section->size - in_section));
        if (section->has_file_bytes()) {
            auto bytes = section_bytes(*section);
            if (!bytes) {
                return std::unexpected(bytes.error());
            }
            if (in_section + chunk > bytes->size()) {
                return fail("Cannot access memory at address {:#x}", at);
            }
            std::memcpy(out.data() + done, bytes->data() + in_section, chunk);
        }
        done += chunk;
    }
    return out;
}

} // namespace kdive::debuginfo
