// linux_banner is a const string in .rodata: its bytes in the file and in memory must agree.
#include "kernel/kernel_version.hpp"

namespace kdive::kernel {

namespace {

std::string trim_newline(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) {
        text.pop_back();
    }
    return text;
}

} // namespace

Result<std::string> file_banner(debuginfo::DebugInfo& info) {
    const debuginfo::Symbol* symbol = info.symbols().find("linux_banner");
    if (symbol == nullptr) {
        return fail("the vmlinux has no symbol 'linux_banner'");
    }
    const std::size_t size = symbol->size != 0 ? symbol->size : 256;
    auto bytes = info.elf().read_address(symbol->address, size);
    if (!bytes) {
        return wrap(bytes.error(), "reading linux_banner from the vmlinux");
    }
    std::string text;
    for (std::byte b : *bytes) {
        if (b == std::byte{0}) {
            break;
        }
        text.push_back(static_cast<char>(b));
    }
    return trim_newline(std::move(text));
}

Result<KernelVersion> read_kernel_version(Kernel& kernel) {
    KernelVersion version;
    auto from_file = file_banner(kernel.info());
    if (!from_file) {
        return std::unexpected(from_file.error());
    }
    version.file_banner = *from_file;
    auto address = kernel.address_of("linux_banner");
    if (!address) {
        return std::unexpected(address.error());
    }
    auto running = kernel.read_c_string(*address, version.file_banner.size() + 1);
    if (!running) {
        return wrap(running.error(), fmt::format("reading linux_banner at {:#x}", *address));
    }
    version.running_banner = trim_newline(*running);
    if (!version.matches()) {
        return version;
    }
    // The symbol and BTF's struct answer without the DWARF index (BTF has no global variables).
    if (auto uts = kernel.address_of("init_uts_ns")) {
        const StructLayout* ns = kernel.find_layout("uts_namespace");
        if (ns != nullptr) {
            if (auto release = ns->field("name.release")) {
                if (auto text = kernel.read_c_string(*uts + release->offset,
                                                     std::max<std::uint64_t>(release->size, 1))) {
                    version.release = *text;
                }
            }
        }
    }
    return version;
}

std::string mismatch_message(const KernelVersion& version) {
    return fmt::format("the vmlinux does not match the running kernel:\n  running: {}\n  vmlinux: "
                       "{}",
                       version.running_banner.empty() ? "(no banner at linux_banner)"
                                                      : version.running_banner,
                       version.file_banner);
}

} // namespace kdive::kernel
