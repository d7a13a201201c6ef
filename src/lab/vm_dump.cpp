// QEMU runs the dump detached and reports progress through query-dump; kdive polls it, so a
// dump that stalls ends with an error instead of a hang. QEMU stops the guest while it dumps
// and lets it run again afterwards only if it was running.
#include "lab/vm_dump.hpp"

#include "lab/qmp_client.hpp"
#include "target/core_file.hpp"
#include "target/kdump_writer.hpp"

#include <algorithm>
#include <thread>
#include <unistd.h>

namespace kdive::lab {

namespace {

// A temporary name beside the output, so the final rename stays on one filesystem.
std::filesystem::path temporary_beside(const std::filesystem::path& out, std::string_view tag) {
    return out.parent_path() / fmt::format(".{}.{}-{}", out.filename().string(), tag, ::getpid());
}

struct RemoveOnExit {
    std::filesystem::path path;
    ~RemoveOnExit() {
        std::error_code ec;
        std::filesystem::remove(path, ec);
    }
};

Result<> qemu_dump(QmpClient& qmp, const std::filesystem::path& file, const std::string& format,
                   const DumpOptions& options, const DumpProgress& progress) {
    nlohmann::json arguments = {
        {"paging", options.paging}, {"protocol", "file:" + file.string()}, {"detach", true}};
    if (format != "elf") {
        arguments["format"] = format;
    }
    if (auto started = qmp.execute("dump-guest-memory", arguments); !started) {
        return std::unexpected(started.error());
    }
    auto last_change = std::chrono::steady_clock::now();
    std::uint64_t last_done = 0;
    while (true) {
        auto state = qmp.execute("query-dump");
        if (!state) {
            return std::unexpected(state.error());
        }
        const std::string status = state->value("status", "");
        const std::uint64_t done = state->value("completed", std::uint64_t{0});
        const std::uint64_t total = state->value("total", std::uint64_t{0});
        if (progress && total > 0) {
            progress(done, total, "dumping");
        }
        if (status == "completed") {
            return {};
        }
        if (status == "failed") {
            return fail("QEMU could not write the dump {} (query-dump: failed)", file.string());
        }
        const auto now = std::chrono::steady_clock::now();
        if (done != last_done) {
            last_done = done;
            last_change = now;
        } else if (now - last_change > options.stall_timeout) {
            return fail(
                "QEMU's dump made no progress for {} s ({} of {} bytes)",
                std::chrono::duration_cast<std::chrono::seconds>(options.stall_timeout).count(),
                done, total);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

} // namespace

const std::vector<std::string>& dump_formats() {
    static const std::vector<std::string> formats = {"elf", "kdump-zlib", "kdump-lzo",
                                                     "kdump-snappy", "kdump-zstd"};
    return formats;
}

Result<> dump_vm(const Session& session, const std::filesystem::path& out,
                 const DumpOptions& options, const DumpProgress& progress) {
    if (std::ranges::find(dump_formats(), options.format) == dump_formats().end()) {
        return fail_as(ErrorKind::invalid_input,
                       "--format {}: expected elf, kdump-zlib, kdump-lzo, kdump-snappy or "
                       "kdump-zstd",
                       options.format);
    }
    if (session.pid > 0 && !is_qemu_alive(session.pid)) {
        return fail("session {}: QEMU (pid {}) is no longer running", session.dir.string(),
                    session.pid);
    }
    const auto target = std::filesystem::absolute(out);
    std::error_code ec;
    if (std::filesystem::is_directory(target, ec)) {
        return fail_as(ErrorKind::invalid_input, "-o {}: is a folder", target.string());
    }
    auto qmp = QmpClient::connect(session.qmp, std::chrono::seconds(10));
    if (!qmp) {
        return std::unexpected(qmp.error());
    }
    std::vector<std::string> qemu_formats;
    if (auto capability = qmp->execute("query-dump-guest-memory-capability")) {
        for (const auto& format : capability->value("formats", nlohmann::json::array())) {
            if (format.is_string()) {
                qemu_formats.push_back(format.get<std::string>());
            }
        }
    }
    const bool qemu_writes = std::ranges::find(qemu_formats, options.format) != qemu_formats.end();
    RemoveOnExit temporary{temporary_beside(target, qemu_writes ? "part" : "elf")};
    const std::string qemu_format = qemu_writes ? options.format : "elf";
    if (auto ok = qemu_dump(*qmp, temporary.path, qemu_format, options, progress); !ok) {
        return wrap(ok.error(), fmt::format("dumping session {}", session.dir.string()));
    }
    if (qemu_writes) {
        std::filesystem::rename(temporary.path, target, ec);
        if (ec) {
            return fail("renaming the dump to {}: {}", target.string(), ec.message());
        }
        return {};
    }
    // QEMU lacks this codec: kdive compresses QEMU's ELF dump itself.
    if (auto ok = compress_vmcore(temporary.path, target, options.format, progress); !ok) {
        return wrap(ok.error(), "compressing QEMU's ELF dump");
    }
    return {};
}

Result<> compress_vmcore(const std::filesystem::path& from, const std::filesystem::path& out,
                         std::string_view format, const DumpProgress& progress) {
    if (!format.starts_with("kdump-")) {
        return fail_as(ErrorKind::invalid_input,
                       "--format {}: a vmcore can be rewritten as kdump-zlib, kdump-lzo, "
                       "kdump-snappy or kdump-zstd",
                       format);
    }
    auto codec = target::parse_kdump_compression(format.substr(sizeof("kdump-") - 1));
    if (!codec) {
        return std::unexpected(codec.error());
    }
    auto source = target::open_core_file(from);
    if (!source) {
        return std::unexpected(source.error());
    }
    return target::write_kdump(**source, out, *codec, [&](std::uint64_t done, std::uint64_t total) {
        if (progress) {
            progress(done, total, "compressing");
        }
    });
}

} // namespace kdive::lab
