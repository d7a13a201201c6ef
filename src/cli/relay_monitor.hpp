// kdive's commands behind GDB's `monitor kdive ...`: a debugger over the stub GDB lends while
// it waits, built at the first request (the vmlinux's debug info is read once).
#pragma once

#include "cli/debugger_stack.hpp"
#include "cli/output_capture.hpp"
#include "rsp/rsp_connection.hpp"
#include "target/borrowed_stub_target.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kdive::cli {

class RelayMonitor {
public:
    explicit RelayMonitor(std::filesystem::path vmlinux) : vmlinux_(std::move(vmlinux)) {}
    ~RelayMonitor();
    RelayMonitor(const RelayMonitor&) = delete;
    RelayMonitor& operator=(const RelayMonitor&) = delete;

    // What the command printed; a failure as "kdive: MESSAGE". `debugger_thread` is GDB's
    // last "Hg..." packet: kdive starts on that vCPU and leaves the stub selecting it.
    std::string answer(std::string_view command, rsp::RspConnection& stub,
                       const std::string& debugger_thread);

    // `length` bytes at kernel `address`, which the stub refused through GDB's thread (a vCPU
    // in user mode), walked in the kernel's page tables and hex-encoded; nothing when they
    // cannot be read that way either.
    std::optional<std::string> read_kernel_memory(std::uint64_t address, std::size_t length,
                                                  rsp::RspConnection& stub,
                                                  const std::string& debugger_thread);

private:
    // The target over GDB's stub, built once (it needs no vmlinux).
    void borrow(rsp::RspConnection& stub);
    Result<> prepare(rsp::RspConnection& stub);

    std::filesystem::path vmlinux_;
    std::unique_ptr<OutputCapture> out_;
    std::unique_ptr<target::BorrowedStubTarget> target_;
    std::unique_ptr<DebuggerStack> stack_;
};

} // namespace kdive::cli
