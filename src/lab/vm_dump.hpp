// Dumps a VM's memory through QMP: QEMU writes ELF and the formats it was built with
// (kdump-zlib here, in makedumpfile's flattened form); other kdump codecs are written by kdive
// from QEMU's ELF dump. The output appears only when whole.
#pragma once

#include "lab/session.hpp"
#include "support/error.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::lab {

struct DumpOptions {
    std::string format = "elf"; // elf, kdump-zlib, kdump-lzo, kdump-snappy, kdump-zstd
    bool paging = false;        // QEMU's paging dump: virtual mappings of the current vCPU
    // The longest QEMU may go without progress before the dump is given up.
    std::chrono::milliseconds stall_timeout = std::chrono::minutes(2);
};

// The formats `kdive dump` accepts.
const std::vector<std::string>& dump_formats();

// `progress(done, total, what)`: bytes QEMU wrote so far, or pages converted ("converting").
using DumpProgress = std::function<void(std::uint64_t, std::uint64_t, std::string_view)>;

Result<> dump_vm(const Session& session, const std::filesystem::path& out,
                 const DumpOptions& options, const DumpProgress& progress = {});

// An existing vmcore rewritten as a plain kdump file with FORMAT's codec ("kdump-zstd"), as
// makedumpfile -c/-l/-p would; the output appears only when whole.
Result<> compress_vmcore(const std::filesystem::path& from, const std::filesystem::path& out,
                         std::string_view format, const DumpProgress& progress = {});

} // namespace kdive::lab
