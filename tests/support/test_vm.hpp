// A VM started with the real `kdive boot --detach` for integration tests, stopped on scope exit.
#pragma once

#include "lab/session.hpp"
#include "support/error.hpp"
#include "temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace kdive::testing {

// The kernel under test: $KDIVE_TEST_KERNEL, default debian-6.1-cloud.
std::string test_kernel();

// Runs the kdive binary; returns its output or an error carrying stderr.
Result<std::string> run_kdive(const std::vector<std::string>& args);

class TestVm {
public:
    // Boots `kernel` with `kdive boot --detach` plus extra arguments.
    static Result<TestVm> boot(const std::string& kernel, const std::vector<std::string>& extra);
    TestVm(TestVm&& other) noexcept
        : dir_(std::move(other.dir_)), session_(std::move(other.session_)),
          stopped_(other.stopped_) {
        other.stopped_ = true; // only the new owner may kill the VM
    }
    TestVm& operator=(TestVm&&) = delete;
    TestVm(const TestVm&) = delete;
    TestVm& operator=(const TestVm&) = delete;
    ~TestVm();

    const lab::Session& session() const { return session_; }
    // Waits for text on the serial console (TCG boots take seconds; allow generously).
    Result<> wait_for(std::string_view text,
                      std::chrono::milliseconds timeout = std::chrono::seconds(180)) const;
    Result<> stop();

private:
    TestVm(std::unique_ptr<TempDir> dir, lab::Session session)
        : dir_(std::move(dir)), session_(std::move(session)) {}
    std::unique_ptr<TempDir> dir_;
    lab::Session session_;
    bool stopped_ = false;
};

} // namespace kdive::testing
