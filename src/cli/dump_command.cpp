// `kdive dump SESSION|VMCORE -o FILE`: a vmcore of a running or stopped VM, through QMP; or an
// existing vmcore compressed into a kdump file.
#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "lab/vm_dump.hpp"
#include "target/core_file.hpp"

#include <fmt/core.h>
#include <unistd.h>

namespace kdive::cli {

namespace {

struct DumpArgs {
    std::string session;
    std::string out;
    lab::DumpOptions options;
};

// Progress on a terminal only: one line rewritten in place, per tenth of a percent at most.
lab::DumpProgress terminal_progress() {
    if (::isatty(STDERR_FILENO) == 0) {
        return {};
    }
    return [last = std::string()](std::uint64_t done, std::uint64_t total,
                                  std::string_view what) mutable {
        const auto line = fmt::format("kdive: {} {:.1f}%", what,
                                      100.0 * static_cast<double>(done) /
                                          static_cast<double>(std::max<std::uint64_t>(total, 1)));
        if (line != last) {
            fmt::print(stderr, "\r{}", line);
            last = line;
        }
    };
}

} // namespace

void register_dump_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<DumpArgs>();
    auto* cmd =
        app.add_subcommand("dump", "Write a vmcore of a session's VM (kdive attach opens it)");
    cmd->add_option("session", args->session,
                    "session folder printed by `kdive boot`, or a vmcore to compress")
        ->required();
    cmd->add_option("-o,--output", args->out, "the dump file to write")->required();
    cmd->add_option("--format", args->options.format,
                    "elf, kdump-zlib, kdump-lzo, kdump-snappy or kdump-zstd")
        ->capture_default_str();
    cmd->add_flag("--paging", args->options.paging,
                  "QEMU's paging dump (the current vCPU's virtual mappings) instead of physical "
                  "memory");
    cmd->callback([args, &status] {
        auto progress = terminal_progress();
        Result<> ok;
        if (target::looks_like_core_file(args->session)) {
            ok = lab::compress_vmcore(args->session, args->out, args->options.format, progress);
        } else {
            auto session = lab::Session::load(args->session);
            if (!session) {
                report_error(status, session.error());
                return;
            }
            ok = lab::dump_vm(*session, args->out, args->options, progress);
        }
        if (progress) {
            fmt::print(stderr, "\n");
        }
        if (!ok) {
            report_error(status, ok.error());
            return;
        }
        std::error_code ec;
        const auto size = std::filesystem::file_size(args->out, ec);
        fmt::print(stderr, "kdive: wrote {} ({}, {} MB)\n", args->out, args->options.format,
                   ec ? 0 : size >> 20);
    });
}

} // namespace kdive::cli
