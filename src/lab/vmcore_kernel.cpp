// The banner scan reads the low physical memory where the kernel image sits (x86-64 loads it
// at 16 MiB or, with KASLR, within the first GiBs) in 1 MiB pieces, stopping at the first
// "Linux version " followed by a printable line.
#include "lab/vmcore_kernel.hpp"

#include "debuginfo/debuginfod_client.hpp"
#include "lab/kernel_store.hpp"

#include <algorithm>
#include <cstring>

namespace kdive::lab {

namespace {

constexpr std::uint64_t banner_scan_limit = 4ull << 30;
constexpr std::size_t chunk = 1u << 20;
constexpr std::string_view banner_prefix = "Linux version ";

// "Linux version 6.1.0-57-cloud-amd64 (...)": the word after the prefix.
std::string release_of_banner(std::string_view banner) {
    banner.remove_prefix(banner_prefix.size());
    return std::string(banner.substr(0, banner.find(' ')));
}

std::optional<std::string> banner_at(std::span<const std::uint8_t> bytes, std::size_t at) {
    std::string line;
    for (std::size_t i = at; i < bytes.size() && line.size() < 512; ++i) {
        const auto c = static_cast<char>(bytes[i]);
        if (c == '\n' || c == '\0') {
            break;
        }
        if (c < 0x20 || c > 0x7e) {
            return std::nullopt;
        }
        line.push_back(c);
    }
    // A real banner names the compiler; a stray "Linux version %s" format string does not.
    if (line.find('%') != std::string::npos || line.find('(') == std::string::npos ||
        release_of_banner(line).empty()) {
        return std::nullopt;
    }
    return line;
}

// The dump is untrusted: a BUILD-ID that is not plain hex is ignored rather than sent anywhere.
std::string build_id_of(const target::VmcoreInfo& info) {
    auto text = info.text("BUILD-ID");
    if (!text) {
        return {};
    }
    return debuginfo::normalized_build_id(*text).value_or("");
}

Result<DumpKernel> dump_kernel_release(target::CoreFile& file, const target::VmcoreInfo& info) {
    if (auto release = info.text("OSRELEASE"); release && !release->empty()) {
        return DumpKernel{std::string(*release), {}, "VMCOREINFO", {}};
    }
    std::vector<std::uint8_t> bytes(chunk + banner_prefix.size());
    const std::uint64_t end = std::min(file.physical_end(), banner_scan_limit);
    for (std::uint64_t address = 0; address < end; address += chunk) {
        // Each piece overlaps the next by the prefix's length, so no banner is cut in two.
        if (!file.read_physical(address, bytes)) {
            continue;
        }
        const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        for (std::size_t at = text.find(banner_prefix); at != std::string_view::npos && at < chunk;
             at = text.find(banner_prefix, at + 1)) {
            std::vector<std::uint8_t> line(512);
            if (!file.read_physical(address + at, line)) {
                continue;
            }
            if (auto banner = banner_at(line, 0)) {
                return DumpKernel{release_of_banner(*banner), *banner, "banner in memory", {}};
            }
        }
    }
    return fail("{}: no VMCOREINFO and no kernel banner in its first {} GiB of memory: name the "
                "kernel with --vmlinux",
                file.path().string(), banner_scan_limit >> 30);
}

} // namespace

Result<DumpKernel> dump_kernel(target::CoreFile& file, const target::VmcoreInfo& info) {
    auto kernel = dump_kernel_release(file, info);
    if (kernel) {
        kernel->build_id = build_id_of(info);
    }
    return kernel;
}

Result<std::filesystem::path> find_vmlinux(const std::string& release,
                                           const std::filesystem::path& debug_dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!debug_dir.empty()) {
        for (const fs::path& candidate :
             {debug_dir / ("vmlinux-" + release), debug_dir / release / "vmlinux",
              debug_dir / "usr/lib/debug/boot" / ("vmlinux-" + release), debug_dir / "vmlinux"}) {
            if (fs::is_regular_file(candidate, ec)) {
                return candidate;
            }
        }
    }
    for (auto it = fs::directory_iterator(KernelStore::root(), ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.starts_with('.')) {
            continue;
        }
        auto manifest = KernelStore::fetched(name);
        if (manifest && manifest->release == release &&
            fs::is_regular_file(it->path() / "vmlinux", ec)) {
            return it->path() / "vmlinux";
        }
    }
    return fail("the dump's kernel {} has no vmlinux here{}: fetch it with `kdive kernel fetch "
                "--release {}`, or name it with --vmlinux",
                release,
                debug_dir.empty()
                    ? std::string()
                    : fmt::format(" (looked in {} and the kernel cache)", debug_dir.string()),
                release);
}

Result<std::filesystem::path> find_vmlinux(const DumpKernel& kernel,
                                           const std::filesystem::path& debug_dir,
                                           const std::function<void(std::string_view)>& note) {
    auto local = find_vmlinux(kernel.release, debug_dir);
    if (local || kernel.build_id.empty()) {
        return local;
    }
    const std::string urls = debuginfo::debuginfod_urls();
    if (urls.empty()) {
        return fail("{}, or set DEBUGINFOD_URLS to ask a debuginfod server for build-id {}",
                    local.error().message, kernel.build_id);
    }
    if (note) {
        note(fmt::format("asking debuginfod ({}) for the vmlinux of {}, build-id {}", urls,
                         kernel.release, kernel.build_id));
    }
    auto served = debuginfo::find_debuginfo_by_build_id(kernel.build_id);
    if (!served) {
        return fail("{}; {}", local.error().message, served.error().message);
    }
    return served;
}

} // namespace kdive::lab
