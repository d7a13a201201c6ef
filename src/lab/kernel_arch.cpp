// Per-architecture facts in one place, so the catalog, the fetcher, the launcher and the build
// ask the same table.
#include "lab/kernel_arch.hpp"

#include "lab/compression.hpp"
#include "support/file_prefix.hpp"

#include <elf.h>
#include <string>
#include <sys/utsname.h>

namespace kdive::lab {

namespace {

constexpr std::size_t arm64_magic_offset = 0x38;
constexpr std::string_view arm64_magic("ARM\x64", 4);
constexpr std::size_t x86_magic_offset = 0x202;
constexpr std::string_view x86_magic = "HdrS";

bool has_at(std::string_view data, std::size_t offset, std::string_view magic) {
    return data.size() >= offset + magic.size() && data.substr(offset, magic.size()) == magic;
}

} // namespace

std::string_view arch_name(KernelArch arch) {
    return arch == KernelArch::arm64 ? "arm64" : "amd64";
}

std::optional<KernelArch> parse_arch(std::string_view name) {
    if (name == "amd64" || name == "x86_64" || name == "x86") {
        return KernelArch::amd64;
    }
    if (name == "arm64" || name == "aarch64") {
        return KernelArch::arm64;
    }
    return std::nullopt;
}

Result<std::optional<KernelArch>> parse_arch_option(std::string_view name) {
    if (name.empty()) {
        return std::optional<KernelArch>{};
    }
    if (auto arch = parse_arch(name)) {
        return arch;
    }
    return fail_as(ErrorKind::invalid_input,
                   "--arch {}: expected amd64 (x86_64) or arm64 (aarch64)", name);
}

KernelArch host_arch() {
    utsname names{};
    if (uname(&names) == 0) {
        if (auto arch = parse_arch(names.machine)) {
            return *arch;
        }
    }
    return KernelArch::amd64;
}

KernelArch release_arch(std::string_view release) {
    std::size_t start = 0;
    while (start <= release.size()) {
        std::size_t end = release.find('-', start);
        if (end == std::string_view::npos) {
            end = release.size();
        }
        if (release.substr(start, end - start) == "arm64") {
            return KernelArch::arm64;
        }
        start = end + 1;
    }
    return KernelArch::amd64;
}

std::string_view kbuild_arch(KernelArch arch) {
    return arch == KernelArch::arm64 ? "arm64" : "x86";
}

std::string_view kernel_image_target(KernelArch arch) {
    return arch == KernelArch::arm64 ? "Image" : "bzImage";
}

std::string_view cross_compile_prefix(KernelArch arch) {
    if (arch == host_arch()) {
        return {};
    }
    return arch == KernelArch::arm64 ? "aarch64-linux-gnu-" : "x86_64-linux-gnu-";
}

std::string_view qemu_program(KernelArch arch) {
    return arch == KernelArch::arm64 ? "qemu-system-aarch64" : "qemu-system-x86_64";
}

std::string_view qemu_package(KernelArch arch) {
    return arch == KernelArch::arm64 ? "qemu-system-arm" : "qemu-system-x86";
}

std::string_view serial_console(KernelArch arch) {
    return arch == KernelArch::arm64 ? "ttyAMA0" : "ttyS0";
}

std::uint16_t elf_machine(KernelArch arch) {
    return arch == KernelArch::arm64 ? EM_AARCH64 : EM_X86_64;
}

std::optional<KernelArch> elf_arch(std::string_view header) {
    if (header.size() < sizeof(Elf64_Ehdr) || !header.starts_with(ELFMAG) ||
        header[EI_CLASS] != ELFCLASS64 || header[EI_DATA] != ELFDATA2LSB) {
        return std::nullopt;
    }
    const auto machine = static_cast<std::uint16_t>(
        static_cast<unsigned char>(header[offsetof(Elf64_Ehdr, e_machine)]) |
        static_cast<unsigned char>(header[offsetof(Elf64_Ehdr, e_machine) + 1]) << 8);
    for (auto arch : {KernelArch::amd64, KernelArch::arm64}) {
        if (machine == elf_machine(arch)) {
            return arch;
        }
    }
    return std::nullopt;
}

std::optional<KernelArch> image_arch(const std::filesystem::path& image) {
    std::string head = read_file_prefix(image, x86_magic_offset + x86_magic.size());
    if (has_at(head, x86_magic_offset, x86_magic)) {
        return KernelArch::amd64;
    }
    if (has_at(head, arm64_magic_offset, arm64_magic)) {
        return KernelArch::arm64;
    }
    if (is_gzip(head)) {
        // Debian's arm64 vmlinuz: a gzip-compressed Image; its header is in the first bytes.
        auto inner = gunzip(read_file_prefix(image, std::size_t{64} * 1024), image.string(), 4096);
        if (inner && has_at(*inner, arm64_magic_offset, arm64_magic)) {
            return KernelArch::arm64;
        }
    }
    return std::nullopt;
}

} // namespace kdive::lab
