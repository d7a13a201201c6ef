// `kdive build`: build a configured kernel tree with a progress line, then say where the
// bzImage (arm64: Image), vmlinux and lx-scripts are and how to boot them.
#include "cli/commands.hpp"
#include "cli/interrupt_flag.hpp"
#include "cli/report.hpp"
#include "lab/kernel_builder.hpp"

#include <fmt/core.h>
#include <memory>
#include <optional>
#include <thread>
#include <unistd.h>

namespace kdive::cli {

namespace {

struct BuildArgs {
    std::string tree;
    std::string out;
    std::string arch;
    int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
};

std::string minutes(double seconds) {
    auto s = static_cast<long>(seconds);
    return fmt::format("{}m{:02}s", s / 60, s % 60);
}

std::string progress_line(const lab::BuildProgress& p) {
    if (p.total == 0) {
        return fmt::format("{} files compiled, {} elapsed", p.compiled, minutes(p.elapsed_s));
    }
    size_t shown = std::min(p.compiled, p.total);
    std::string eta = "estimating";
    if (p.compiled > 0) {
        double per_file = p.elapsed_s / static_cast<double>(p.compiled);
        double left = per_file * static_cast<double>(p.total - shown);
        eta = fmt::format("~{} left", minutes(left));
    }
    return fmt::format("{}/{} files compiled ({}%), {} elapsed, {}", shown, p.total,
                       shown * 100 / p.total, minutes(p.elapsed_s), eta);
}

void run_build(const BuildArgs& args, ExitStatus& status) {
    auto arch = lab::parse_arch_option(args.arch);
    if (!arch) {
        report_error(status, arch.error());
        return;
    }
    auto tree = lab::KernelTree::open(args.tree, args.out, *arch);
    if (!tree) {
        report_error(status, tree.error());
        return;
    }
    bool terminal = isatty(STDERR_FILENO) != 0;
    SigintWatcher sigint;
    bool stop_requested = false;
    lab::BuildHooks hooks;
    hooks.interrupted = [&stop_requested] {
        stop_requested = stop_requested || take_interrupt_request();
        return stop_requested;
    };
    size_t reported = 0;
    hooks.progress = [terminal, &reported](const lab::BuildProgress& p) {
        if (terminal) {
            fmt::print(stderr, "\r\033[Kkdive: {}", progress_line(p));
        } else if (p.compiled >= reported + 200) {
            // Without a terminal a line now and then, so logs show the build is alive.
            reported = p.compiled;
            fmt::print(stderr, "kdive: {}\n", progress_line(p));
        }
        (void)std::fflush(stderr);
    };
    fmt::print(stderr, "kdive: building {} for {} (log: {})\n", tree->out.string(),
               lab::arch_name(tree->arch), (tree->out / "kdive-build.log").string());
    auto outcome = lab::build_kernel(*tree, args.jobs, hooks);
    if (terminal) {
        fmt::print(stderr, "\n");
    }
    if (!outcome) {
        report_error(status, outcome.error());
        return;
    }
    if (outcome->interrupted) {
        report_error(status,
                     Error{fmt::format("build interrupted; make stopped after {} files "
                                       "(log: {})",
                                       outcome->compiled, outcome->log.string())},
                     130);
        return;
    }
    if (!outcome->succeeded()) {
        fmt::print(stderr, "kdive: make failed (exit {}); last errors:\n", outcome->exit_code);
        for (const auto& line : outcome->errors) {
            fmt::print(stderr, "  {}\n", line);
        }
        report_error(status,
                     Error{fmt::format("build failed: the full log is {}", outcome->log.string())});
        return;
    }
    fmt::print(stderr, "kdive: built {} in {} ({} files compiled)\n",
               fmt::join(outcome->targets, " "), minutes(outcome->elapsed_s), outcome->compiled);
    fmt::print("{:<16}{}\n", lab::kernel_image_target(tree->arch), tree->image().string());
    fmt::print("vmlinux         {}\n", tree->vmlinux().string());
    if (std::filesystem::exists(tree->gdb_scripts())) {
        fmt::print("vmlinux-gdb.py  {}\n", tree->gdb_scripts().string());
    }
    fmt::print("boot it with    {}\n", tree->up_command());
}

} // namespace

void register_build_command(CLI::App& app, ExitStatus& status) {
    auto args = std::make_shared<BuildArgs>();
    auto* cmd = app.add_subcommand("build", "Build a configured kernel tree (bzImage, modules, "
                                            "lx-scripts) with progress and a full log");
    cmd->add_option("--tree", args->tree, "kernel source tree")->required();
    cmd->add_option("--out", args->out, "build folder (O=); default: the tree itself");
    cmd->add_option("-j,--jobs", args->jobs, "parallel jobs")->capture_default_str();
    cmd->add_option("--arch", args->arch,
                    "amd64 or arm64; default: the architecture OUT/.config was configured for");
    cmd->callback([args, &status] { run_build(*args, status); });
}

} // namespace kdive::cli
