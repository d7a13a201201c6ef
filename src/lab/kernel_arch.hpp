// The architectures kdive boots and builds kernels for, and what differs between them: Debian's
// name, Kbuild's ARCH, the image file, QEMU's program and machine, the serial console.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace kdive::lab {

enum class KernelArch { amd64, arm64 };

// Debian's architecture name: "amd64", "arm64" (kernel.json, session.json, apt).
std::string_view arch_name(KernelArch arch);
// "amd64", "x86_64", "x86" or "arm64", "aarch64"; nullopt for anything else.
std::optional<KernelArch> parse_arch(std::string_view name);
// The --arch option: nullopt when not given (empty), an error naming a value it does not know.
Result<std::optional<KernelArch>> parse_arch_option(std::string_view name);
// The machine kdive runs on (uname's machine); amd64 when it is neither.
KernelArch host_arch();

// The architecture a Debian kernel release is built for: a dash-separated "arm64" component
// (6.1.0-57-cloud-arm64, 6.12.57+deb13-arm64-16k) means arm64; anything else amd64.
KernelArch release_arch(std::string_view release);

// Kbuild's ARCH= and the make target (also the file under arch/ARCH/boot/) that QEMU boots.
std::string_view kbuild_arch(KernelArch arch);
std::string_view kernel_image_target(KernelArch arch);
// Kbuild's CROSS_COMPILE= for building on this host: empty when the host runs `arch` itself.
std::string_view cross_compile_prefix(KernelArch arch);

// The QEMU system emulator, the Debian package that has it, and the serial console's device.
std::string_view qemu_program(KernelArch arch);
std::string_view qemu_package(KernelArch arch);
std::string_view serial_console(KernelArch arch);

// ELF e_machine of `arch` (EM_X86_64, EM_AARCH64), and the architecture of an ELF image's
// header bytes (nullopt when not a little-endian 64-bit ELF of either).
std::uint16_t elf_machine(KernelArch arch);
std::optional<KernelArch> elf_arch(std::string_view header);

// The architecture of a kernel image by its header: the x86 boot protocol's "HdrS" at 0x202,
// arm64's "ARM\x64" at 0x38 (also inside a gzip-compressed Image); nullopt when neither.
std::optional<KernelArch> image_arch(const std::filesystem::path& image);

} // namespace kdive::lab
