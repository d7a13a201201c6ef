// The pipe between GDB and a gdbstub (`target remote | kdive relay ...`): bytes pass through
// unchanged, except `monitor kdive COMMAND` requests, which kdive answers itself by reading
// the guest through the same stub while GDB waits, and reads of kernel memory the stub refuses
// (GDB's thread a vCPU in user mode), which kdive answers from the kernel's page tables.
#pragma once

#include "rsp/packet_codec.hpp"
#include "rsp/rsp_connection.hpp"
#include "rsp/transport.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kdive::cli {

class GdbRelay {
public:
    // What COMMAND printed, errors included; the stub is GDB's, lent for the answer, and
    // `debugger_thread` GDB's last register thread selection ("Hgp1.2"), to be left in place.
    using MonitorAnswer = std::function<std::string(
        std::string_view command, rsp::RspConnection& stub, const std::string& debugger_thread)>;

    // The bytes at a kernel address the stub refused to read, hex-encoded as an `m` reply, or
    // nothing when they cannot be read either.
    using KernelMemory = std::function<std::optional<std::string>(
        std::uint64_t address, std::size_t length, rsp::RspConnection& stub,
        const std::string& debugger_thread)>;

    GdbRelay(int from_debugger, int to_debugger, rsp::Transport& stub, MonitorAnswer answer,
             KernelMemory kernel_memory = {})
        : from_debugger_(from_debugger), to_debugger_(to_debugger), stub_(stub),
          answer_(std::move(answer)), kernel_memory_(std::move(kernel_memory)) {}

    // Until either side goes away.
    Result<> run();

private:
    Result<> to_debugger(std::string_view bytes);
    Result<> answer_monitor(std::string_view command, rsp::RspConnection& connection);
    Result<> answer_kernel_read(const rsp::AddressRange& read, std::string_view payload,
                                rsp::RspConnection& connection);
    // GDB gets the `+` for its packet (before ack-less mode) and the stub answers without acks
    // when GDB asked for that.
    Result<> take_request(rsp::RspConnection& connection);

    int from_debugger_;
    int to_debugger_;
    rsp::Transport& stub_;
    MonitorAnswer answer_;
    KernelMemory kernel_memory_;
    bool no_ack_ = false;
    std::string debugger_thread_;
};

// "kdive ps" from a qRcmd packet's payload ("qRcmd,6b64697665207073"): the text after "kdive",
// or nothing when the packet is not a monitor request for kdive.
std::optional<std::string> kdive_monitor_command(std::string_view payload);

// An `m` packet's address and length ("mffff800008000000,40") when the address is in the
// kernel's half (bit 63 set), or nothing.
std::optional<rsp::AddressRange> kernel_memory_request(std::string_view payload);

} // namespace kdive::cli
