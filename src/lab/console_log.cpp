// Console polling with a deadline.
#include "lab/console_log.hpp"

#include "lab/session.hpp"
#include "support/atomic_file.hpp"

#include <thread>

namespace kdive::lab {

namespace {

std::string tail(const std::string& text, size_t n) {
    return text.size() > n ? text.substr(text.size() - n) : text;
}

} // namespace

Result<> wait_for_console(const std::filesystem::path& log, std::string_view needle,
                          std::chrono::milliseconds timeout, pid_t pid) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string text;
    while (true) {
        if (auto content = read_file(log); content) {
            text = std::move(*content);
            if (text.find(needle) != std::string::npos) {
                return {};
            }
        }
        if (pid != 0 && !is_qemu_alive(pid)) {
            return fail("QEMU (pid {}) ended before '{}' appeared on the console; last output:\n{}",
                        pid, needle, tail(text, 1500));
        }
        if (std::chrono::steady_clock::now() > deadline) {
            return fail("'{}' did not appear on the console within {} s; last output:\n{}", needle,
                        timeout.count() / 1000, tail(text, 1500));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

} // namespace kdive::lab
