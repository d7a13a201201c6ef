// vmcoreinfo_data is a page the kernel fills at boot (crash_save_vmcoreinfo_init) and
// vmcoreinfo_size its length so far; both are bounded here, as guest data may be anything.
#include "kernel/kernel_vmcoreinfo.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

// VMCOREINFO_BYTES is one page; 64 KiB pages are the largest a kernel may use.
constexpr std::uint64_t max_vmcoreinfo = std::uint64_t{64} << 10;

} // namespace

Result<target::VmcoreInfo> read_kernel_vmcoreinfo(Kernel& kernel) {
    if (!kernel.has_symbol("vmcoreinfo_data") || !kernel.has_symbol("vmcoreinfo_size")) {
        return fail_as(ErrorKind::unsupported,
                       "this kernel keeps no VMCOREINFO (no vmcoreinfo_data: CONFIG_CRASH_CORE "
                       "is off)");
    }
    auto data = kernel.read_global_u64("vmcoreinfo_data");
    auto size = kernel.read_global_u64("vmcoreinfo_size");
    if (!data || !size) {
        return std::unexpected(!data ? data.error() : size.error());
    }
    if (*data == 0 || *size == 0) {
        return fail_as(ErrorKind::unsupported, "vmcoreinfo_data is empty (not filled yet)");
    }
    auto bytes = kernel.read(*data, std::min(*size, max_vmcoreinfo));
    if (!bytes) {
        return wrap(bytes.error(), fmt::format("reading vmcoreinfo_data at {:#x}", *data));
    }
    const auto& raw = bytes->bytes();
    return target::VmcoreInfo::parse(
        std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

} // namespace kdive::kernel
