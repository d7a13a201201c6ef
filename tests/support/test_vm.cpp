// TestVm: boot through the real binary, stop through the real binary.
#include "test_vm.hpp"

#include "lab/console_log.hpp"
#include "support/subprocess.hpp"

#include <csignal>
#include <cstdlib>

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

Result<TestVm> TestVm::boot(const std::string& kernel, const std::vector<std::string>& extra) {
    auto dir = std::make_unique<TempDir>("vm");
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
