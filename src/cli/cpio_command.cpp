// `kdive cpio`: a gen_init_cpio list turned into a newc archive.
#include "cli/commands.hpp"
#include "cli/report.hpp"
#include "lab/archive_output.hpp"
#include "lab/cpio_spec.hpp"
#include "support/atomic_file.hpp"

#include <filesystem>
#include <fmt/core.h>
#include <optional>

namespace kdive::cli {

namespace {

struct CpioArgs {
    std::string spec;
    std::string output;
    std::optional<uint32_t> mtime;
    std::string compression = "none";
};

Result<size_t> run_cpio(const CpioArgs& args) {
    auto compression = lab::parse_compression(args.compression);
    if (!compression) {
        return std::unexpected(compression.error());
    }
    auto text = read_file(args.spec);
    if (!text) {
        return std::unexpected(text.error());
    }
    lab::CpioSpecOptions options;
    options.origin = args.spec;
    options.base_dir = std::filesystem::path(args.spec).parent_path();
    auto entries = lab::parse_cpio_spec(*text, options);
    if (!entries) {
        return std::unexpected(entries.error());
    }
    lab::CpioOptions cpio{lab::archive_mtime(args.mtime)};
    return lab::write_archive(args.output, lab::with_parents_first(std::move(*entries)), cpio,
                              *compression);
}

} // namespace

void register_cpio_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<CpioArgs>();
    auto* cmd = app.add_subcommand("cpio", "Build a newc initramfs from a gen_init_cpio list");
    cmd->add_option("--spec", args->spec, "gen_init_cpio list (file, dir, nod, slink, pipe, sock)")
        ->required();
    cmd->add_option("-o,--output", args->output, "archive to write")->required();
    cmd->add_option("--mtime", args->mtime, "timestamp for every entry (reproducible output)");
    cmd->add_option("--compress", args->compression, "gzip, zstd or none (default none)");
    cmd->callback([args, &status] {
        auto size = run_cpio(*args);
        if (!size) {
            report_error(status, size.error());
            return;
        }
        fmt::print("{} ({} bytes)\n", args->output, *size);
    });
}

} // namespace kdive::cli
