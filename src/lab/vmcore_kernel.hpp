// Which kernel a vmcore holds (VMCOREINFO's OSRELEASE, else the banner in its memory) and where
// that kernel's vmlinux with debug info is: a folder the user names, the kernel cache, or a
// debuginfod server asked by the build-id VMCOREINFO carries.
#pragma once

#include "support/error.hpp"
#include "target/core_file.hpp"
#include "target/vmcore_info.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace kdive::lab {

struct DumpKernel {
    std::string release;  // "6.1.0-57-cloud-amd64"
    std::string banner;   // "Linux version ..." when read from memory, else empty
    std::string found_by; // "VMCOREINFO" or "banner in memory"
    std::string build_id; // VMCOREINFO's BUILD-ID (kernels since 5.9), lower-case hex; or empty
};

Result<DumpKernel> dump_kernel(target::CoreFile& file, const target::VmcoreInfo& info);

// The vmlinux for `release`: in `debug_dir` when given (DIR/vmlinux-R, DIR/R/vmlinux,
// DIR/usr/lib/debug/boot/vmlinux-R, DIR/vmlinux), else a fetched kernel of that release. The
// error says how to fetch it.
Result<std::filesystem::path> find_vmlinux(const std::string& release,
                                           const std::filesystem::path& debug_dir);

// The same, and when neither has it and $DEBUGINFOD_URLS is set, the vmlinux debuginfod serves
// for the kernel's build-id (in libdebuginfod's cache). `note` hears of a debuginfod request,
// which may download hundreds of MB.
Result<std::filesystem::path> find_vmlinux(const DumpKernel& kernel,
                                           const std::filesystem::path& debug_dir,
                                           const std::function<void(std::string_view)>& note = {});

} // namespace kdive::lab
