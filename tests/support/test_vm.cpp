// TestVm: boot through the real binary, stop through the real binary.
#include "test_vm.hpp"

#include "lab/console_log.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <unistd.h>

namespace kdive::testing {

std::string test_kernel() {
    const char* kernel = std::getenv("KDIVE_TEST_KERNEL");
    return kernel != nullptr && *kernel != '\0' ? kernel : "debian-6.1-cloud";
}

Result<std::string> run_kdive(const std::vector<std::string>& args) {
    std::vector<std::string> argv{KDIVE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.timeout = std::chrono::minutes(5);
    auto result = run_checked(argv, options);
    if (!result) {
        return std::unexpected(result.error());
    }
    return result->out;
}

namespace {

// Who started the VM in a folder: a test killed before its destructor ran (a ctest timeout)
// leaves its detached QEMU running, using a core for hours. The next boot stops those.
constexpr std::string_view owner_file = "owner";

bool process_alive(pid_t pid) {
    return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

void stop_orphaned_vms() {
    std::error_code ec;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::temp_directory_path(), ec)) {
        if (!entry.path().filename().string().starts_with("kdive-vm-")) {
            continue;
        }
        auto owner = read_file(entry.path() / owner_file);
        if (!owner) {
            continue; // being set up, or not a TestVm's
        }
        const pid_t pid = static_cast<pid_t>(std::strtol(owner->c_str(), nullptr, 10));
        if (process_alive(pid)) {
            continue;
        }
        if (auto session = lab::Session::load(entry.path() / "session");
            session && session->pid > 0 && lab::is_qemu_alive(session->pid)) {
            kill(session->pid, SIGKILL);
        }
        std::filesystem::remove_all(entry.path(), ec);
    }
}

} // namespace

Result<TestVm> TestVm::boot(const std::string& kernel, const std::vector<std::string>& extra) {
    stop_orphaned_vms();
    auto dir = std::make_unique<TempDir>("vm");
    if (auto ok =
            write_file_atomically(dir->path() / owner_file, std::to_string(getpid()), 0644, false);
        !ok) {
        return std::unexpected(ok.error());
    }
    auto state = dir->path() / "session";
    std::vector<std::string> args{"boot",     "--kernel", kernel,
                                  "--detach", "--state",  state.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto out = run_kdive(args);
    if (!out) {
        return std::unexpected(out.error());
    }
    auto session = lab::Session::load(state);
    if (!session) {
        return std::unexpected(session.error());
    }
    return TestVm(std::move(dir), std::move(*session));
}

TestVm::~TestVm() {
    if (!stopped_ && session_.pid > 0 && lab::is_qemu_alive(session_.pid)) {
        kill(session_.pid, SIGKILL);
    }
}

Result<> TestVm::wait_for(std::string_view text, std::chrono::milliseconds timeout) const {
    return lab::wait_for_console(session_.console_log, text, timeout, session_.pid);
}

Result<> TestVm::stop() {
    stopped_ = true;
    auto out = run_kdive({"stop", session_.dir.string()});
    if (!out) {
        return std::unexpected(out.error());
    }
    return {};
}

} // namespace kdive::testing
