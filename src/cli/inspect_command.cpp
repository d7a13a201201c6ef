// `kdive inspect --vmlinux V -ex CMD...`: expression commands against a kernel image alone.
#include "cli/commands.hpp"
#include "cli/eval_commands.hpp"
#include "cli/gdb_style_args.hpp"
#include "cli/report.hpp"
#include "support/cache_dir.hpp"

#include <cstdio>

namespace kdive::cli {

namespace {

struct InspectArgs {
    std::string vmlinux;
    std::vector<std::string> commands;
    std::string source_dir;
    bool no_cache = false;
    bool no_btf = false;
};

void run_inspect(CLI::App& cmd, const InspectArgs& args, ExitStatus& status) {
    std::vector<std::string> commands = args.commands;
    // CLI11 has no single-dash long options: GDB-style "-ex CMD" pairs arrive as extras.
    if (auto ex = take_ex_commands(cmd, commands); !ex) {
        report_error(status, ex.error());
        return;
    }
    debuginfo::DebugInfoOptions options;
    if (!args.no_cache) {
        options.cache_root = cache_dir();
    }
    options.use_btf = !args.no_btf;
    // A one-question run ends with its answer; the index is finished off by a detached process.
    options.finish_index_detached = true;
    auto info = debuginfo::DebugInfo::open(args.vmlinux, options);
    if (!info) {
        report_error(status, info.error());
        return;
    }
    EvalCommands eval(**info);
    if (!args.source_dir.empty()) {
        eval.set_source_dir(args.source_dir);
    }
    const auto show_notes = [&] {
        for (const auto& note : eval.take_notes()) {
            fmt::print(stderr, "kdive: {}\n", note);
        }
    };
    show_notes();
    bool failed = false;
    for (const auto& line : commands) {
        auto result = eval.run(line);
        show_notes();
        if (!result) {
            fmt::print(stderr, "Undefined command: \"{}\".\n", line);
            failed = true;
        } else if (!*result) {
            fmt::print(stderr, "{}\n", result->error().message);
            failed = true;
        } else if (!(*result)->empty()) {
            fmt::print("{}\n", **result);
        }
        (void)std::fflush(stdout);
    }
    if (failed) {
        status.code = 1;
    }
}

} // namespace

void register_inspect_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<InspectArgs>();
    auto* cmd = app.add_subcommand(
        "inspect", "Evaluate print/ptype/whatis/info/list commands against a vmlinux file alone");
    cmd->add_option("--vmlinux", args->vmlinux, "kernel image with debug info")->required();
    cmd->add_option("--ex", args->commands, "run a command (repeatable; GDB's -ex works too)");
    cmd->add_option("--source-dir", args->source_dir, "kernel source tree for `list`");
    cmd->add_flag("--no-cache", args->no_cache, "neither read nor write the DWARF index cache");
    cmd->add_flag("--no-btf", args->no_btf, "ignore .BTF and answer from DWARF only");
    cmd->allow_extras();
    cmd->callback([cmd, args, &status] { run_inspect(*cmd, *args, status); });
}

} // namespace kdive::cli
