// Runs apt-get and apt-cache against kdive's private apt configuration.
#include "lab/private_apt.hpp"

#include "lab/fetch_lock.hpp"
#include "support/atomic_file.hpp"
#include "support/pipeline.hpp"
#include "support/subprocess.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace kdive::lab {

namespace {

// apt's own diagnostic lines (E:/W:), or the tail of its output when it printed none.
std::string apt_message(const std::string& err) {
    std::string lines;
    size_t start = 0;
    while (start < err.size()) {
        size_t end = err.find('\n', start);
        if (end == std::string::npos) {
            end = err.size();
        }
        std::string_view line(err.data() + start, end - start);
        if (line.starts_with("E: ") || line.starts_with("W: ") || line.starts_with("Err:")) {
            lines += lines.empty() ? "" : "\n  ";
            lines += line;
        }
        start = end + 1;
    }
    if (!lines.empty()) {
        return lines;
    }
    return err.size() > 2000 ? err.substr(err.size() - 2000) : err;
}

// Runs an apt command with its stdout (progress) forwarded to our stderr.
Result<> run_apt(const std::vector<std::string>& argv, const std::string& working_dir = {}) {
    PipelineOptions options;
    options.output_to_stderr = true;
    options.working_dir = working_dir;
    auto run = run_pipeline({argv}, options);
    if (!run) {
        return std::unexpected(run.error());
    }
    if (!run->succeeded()) {
        return fail("{} failed (exit {}):\n  {}", argv[0], run->exit_codes.front(),
                    apt_message(run->err));
    }
    return {};
}

} // namespace

Result<PrivateApt> PrivateApt::prepare(const std::filesystem::path& root, std::string mirror,
                                       std::string suite) {
    if (access(debian_archive_keyring, R_OK) != 0) {
        return fail("{} is missing: install the debian-archive-keyring package",
                    debian_archive_keyring);
    }
    std::error_code ec;
    for (const auto& dir : {root / "lists" / "partial", root / "cache" / "archives" / "partial"}) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            return fail("creating {}: {}", dir.string(), ec.message());
        }
    }
    std::string sources =
        fmt::format("# Written by kdive for `kdive kernel fetch`; the host's apt is not used.\n"
                    "deb [signed-by={}] {} {} main\n",
                    debian_archive_keyring, mirror, suite);
    if (auto written = write_file_atomically(root / "sources.list", sources); !written) {
        return std::unexpected(written.error());
    }
    // An empty dpkg status: nothing counts as installed, so every package is downloadable.
    if (auto written = write_file_atomically(root / "status", ""); !written) {
        return std::unexpected(written.error());
    }
    return PrivateApt(root, std::move(mirror), std::move(suite));
}

std::vector<std::string> PrivateApt::options() const {
    std::vector<std::string> opts{
        "-o",
        "Dir::Etc::SourceList=" + (root_ / "sources.list").string(),
        "-o",
        "Dir::Etc::SourceParts=/dev/null",
        "-o",
        "Dir::Etc::Preferences=/dev/null",
        "-o",
        "Dir::Etc::PreferencesParts=/dev/null",
        "-o",
        "Dir::State::Lists=" + (root_ / "lists").string(),
        "-o",
        "Dir::State::Status=" + (root_ / "status").string(),
        "-o",
        "Dir::Cache=" + (root_ / "cache").string(),
        "-o",
        "Debug::NoLocking=1",
        // The test kernels are amd64 whatever the host runs.
        "-o",
        "APT::Architecture=amd64",
        "-o",
        "APT::Architectures=amd64",
    };
    if (geteuid() == 0) {
        // As root apt drops to _apt for downloads, which cannot write into root's cache folder.
        opts.insert(opts.end(), {"-o", "APT::Sandbox::User=root"});
    }
    return opts;
}

std::vector<std::string> PrivateApt::command(std::string program,
                                             std::vector<std::string> args) const {
    std::vector<std::string> argv{std::move(program)};
    auto opts = options();
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

Result<> PrivateApt::update() const {
    // Two kdive processes (a kernel and a source of one suite, fetched side by side) must not
    // rewrite the same lists at once: apt's own lock is off in a private configuration.
    auto lock = FetchLock::acquire(root_ / "update.lock", [](std::string_view) {});
    if (!lock) {
        return fail("updating the package lists of {} {}: {}", mirror_, suite_,
                    lock.error().message);
    }
    // --error-on=any: an unreachable mirror is an error, not a warning followed by empty lists.
    auto updated = run_apt(command("apt-get", {"--error-on=any", "update"}));
    if (!updated) {
        return fail("updating the package lists of {} {}: {}", mirror_, suite_,
                    updated.error().message);
    }
    return {};
}

Result<PackageRecord> PrivateApt::show(const std::string& name) const {
    // apt-cache may rebuild the package cache from the lists: not while they change.
    auto lock = FetchLock::acquire(root_ / "update.lock", [](std::string_view) {});
    if (!lock) {
        return std::unexpected(lock.error());
    }
    auto argv = command("apt-cache", {"show", "--no-all-versions", name});
    auto run = run_process(argv);
    if (!run) {
        return std::unexpected(run.error());
    }
    auto records = parse_package_records(run->out);
    if (run->exit_code != 0 || records.empty()) {
        return fail("package {} not found in Debian {} at {}{}{}", name, suite_, mirror_,
                    run->err.empty() ? "" : ": ", apt_message(run->err));
    }
    return records.front();
}

Result<> PrivateApt::download(const std::vector<PackageRecord>& packages,
                              const std::filesystem::path& dir) const {
    std::vector<std::string> args{"download"};
    for (const auto& p : packages) {
        args.push_back(p.name + "=" + p.version);
    }
    auto argv = command("apt-get", args);
    if (auto done = run_apt(argv, dir.string()); !done) {
        return fail("downloading from {} {}: {}", mirror_, suite_, done.error().message);
    }
    return {};
}

} // namespace kdive::lab
