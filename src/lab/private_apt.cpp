// Runs apt-get and apt-cache against kdive's private apt configuration; an add-on suite that
// cannot be fetched (a security mirror behind a firewall) is dropped rather than failing.
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

// Runs an apt command with its stdout (progress) forwarded to our stderr; its stderr is kept.
Result<PipelineOutput> run_apt_command(const std::vector<std::string>& argv,
                                       const std::string& working_dir = {}) {
    PipelineOptions options;
    options.output_to_stderr = true;
    options.working_dir = working_dir;
    return run_pipeline({argv}, options);
}

Error apt_failure(const std::vector<std::string>& argv, const PipelineOutput& run) {
    return Error{fmt::format("{} failed (exit {}):\n  {}", argv[0], run.exit_codes.front(),
                             apt_message(run.err))};
}

Result<> run_apt(const std::vector<std::string>& argv, const std::string& working_dir = {}) {
    auto run = run_apt_command(argv, working_dir);
    if (!run) {
        return std::unexpected(run.error());
    }
    if (!run->succeeded()) {
        return std::unexpected(apt_failure(argv, *run));
    }
    return {};
}

std::string without_trailing_slash(std::string uri) {
    while (uri.size() > 1 && uri.back() == '/') {
        uri.pop_back();
    }
    return uri;
}

bool names_source(std::string_view line, const SuiteSource& source) {
    const std::string uri = without_trailing_slash(source.uri);
    return line.find(uri + "/dists/" + source.suite + "/") != std::string_view::npos ||
           line.find(uri + " " + source.suite + " ") != std::string_view::npos;
}

// apt's first error line about `source`, for the note that says why it was dropped.
std::string error_line_about(std::string_view errors, const SuiteSource& source) {
    std::size_t start = 0;
    while (start < errors.size()) {
        std::size_t end = errors.find('\n', start);
        if (end == std::string_view::npos) {
            end = errors.size();
        }
        std::string_view line = errors.substr(start, end - start);
        if (names_source(line, source)) {
            return std::string(line);
        }
        start = end + 1;
    }
    return "apt-get update failed";
}

} // namespace

std::vector<std::size_t> failed_sources(const std::vector<SuiteSource>& sources,
                                        std::string_view apt_errors) {
    std::vector<std::size_t> failed;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        if (names_source(apt_errors, sources[i])) {
            failed.push_back(i);
        }
    }
    return failed;
}

Result<PrivateApt> PrivateApt::prepare(const std::filesystem::path& root,
                                       std::vector<SuiteSource> sources, KernelArch arch) {
    if (sources.empty()) {
        return fail("no Debian suite to use in {}", root.string());
    }
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
    // An empty dpkg status: nothing counts as installed, so every package is downloadable.
    if (auto written = write_file_atomically(root / "status", ""); !written) {
        return std::unexpected(written.error());
    }
    return PrivateApt(root, std::move(sources), arch);
}

Result<> PrivateApt::write_sources() const {
    std::string text = "# Written by kdive for `kdive kernel fetch`; the host's apt is not used.\n";
    for (const auto& source : sources_) {
        text += fmt::format("deb [signed-by={}] {} {} main\n", debian_archive_keyring, source.uri,
                            source.suite);
    }
    return write_file_atomically(root_ / "sources.list", text);
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
        // The configuration's own architecture (the kernel's, not the host's): apt reads only
        // that architecture's package lists and downloads only its packages.
        "-o",
        fmt::format("APT::Architecture={}", arch_name(arch_)),
        "-o",
        fmt::format("APT::Architectures={}", arch_name(arch_)),
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

Result<> PrivateApt::update(const std::function<void(std::string_view)>& note) {
    // Two kdive processes (a kernel and a source of one release, fetched side by side) must not
    // rewrite the same lists at once: apt's own lock is off in a private configuration.
    auto lock = FetchLock::acquire(root_ / "update.lock", [](std::string_view) {});
    if (!lock) {
        return fail("updating the package lists of {} {}: {}", mirror(), suite(),
                    lock.error().message);
    }
    // Each round drops at least one failing add-on suite, so this ends.
    while (true) {
        if (auto written = write_sources(); !written) {
            return std::unexpected(written.error());
        }
        // --error-on=any: an unreachable mirror is an error, not a warning and empty lists.
        auto argv = command("apt-get", {"--error-on=any", "update"});
        auto run = run_apt_command(argv);
        if (!run) {
            return std::unexpected(run.error());
        }
        if (run->succeeded()) {
            return {};
        }
        auto failed = failed_sources(sources_, run->err);
        if (failed.empty() || failed.front() == 0) {
            return fail("updating the package lists of {} {}: {}", mirror(), suite(),
                        apt_failure(argv, *run).message);
        }
        for (auto it = failed.rbegin(); it != failed.rend(); ++it) {
            const SuiteSource& dropped = sources_[*it];
            if (note) {
                note(fmt::format("skipping {} at {}: {}", dropped.suite, dropped.uri,
                                 error_line_about(run->err, dropped)));
            }
            sources_.erase(sources_.begin() + static_cast<std::ptrdiff_t>(*it));
        }
    }
}

Result<PackageRecord> PrivateApt::show(const std::string& name) const {
    auto records = run_show({"show", "--no-all-versions", name});
    if (!records) {
        return std::unexpected(records.error());
    }
    if (records->empty()) {
        return fail("package {} not found in Debian {} at {}", name, suite_names(sources_),
                    mirror());
    }
    return records->front();
}

Result<std::vector<PackageRecord>> PrivateApt::show_all(const std::string& name) const {
    return run_show({"show", name});
}

Result<std::vector<PackageRecord>> PrivateApt::run_show(std::vector<std::string> args) const {
    // apt-cache may rebuild the package cache from the lists: not while they change.
    auto lock = FetchLock::acquire(root_ / "update.lock", [](std::string_view) {});
    if (!lock) {
        return std::unexpected(lock.error());
    }
    const std::string package = args.back();
    auto run = run_process(command("apt-cache", std::move(args)));
    if (!run) {
        return std::unexpected(run.error());
    }
    // apt-cache show exits non-zero for an unknown package: that is an empty answer.
    if (run->exit_code != 0 && !run->err.empty() &&
        run->err.find("No packages found") == std::string::npos) {
        return fail("apt-cache show {} failed: {}", package, apt_message(run->err));
    }
    return parse_package_records(run->out);
}

Result<> PrivateApt::download(const std::vector<PackageRecord>& packages,
                              const std::filesystem::path& dir) const {
    std::vector<std::string> args{"download"};
    for (const auto& p : packages) {
        args.push_back(p.name + "=" + p.version);
    }
    auto argv = command("apt-get", args);
    if (auto done = run_apt(argv, dir.string()); !done) {
        return fail("downloading from {} {}: {}", mirror(), suite_names(sources_),
                    done.error().message);
    }
    return {};
}

} // namespace kdive::lab
