// The pipe between GDB and a gdbstub (`target remote | kdive relay ...`): bytes pass through
// unchanged, except `monitor kdive COMMAND` requests, which kdive answers itself by reading
// the guest through the same stub while GDB waits.
#pragma once

#include "rsp/rsp_connection.hpp"
#include "rsp/transport.hpp"
#include "support/error.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace kdive::cli {

class GdbRelay {
public:
    // What COMMAND printed, errors included; the stub is GDB's, lent for the answer, and
    // `debugger_thread` GDB's last register thread selection ("Hgp1.2"), to be left in place.
    using MonitorAnswer = std::function<std::string(
        std::string_view command, rsp::RspConnection& stub, const std::string& debugger_thread)>;

    GdbRelay(int from_debugger, int to_debugger, rsp::Transport& stub, MonitorAnswer answer)
        : from_debugger_(from_debugger), to_debugger_(to_debugger), stub_(stub),
          answer_(std::move(answer)) {}

    // Until either side goes away.
    Result<> run();

private:
    Result<> to_debugger(std::string_view bytes);
    Result<> answer_monitor(std::string_view command, rsp::RspConnection& connection);

    int from_debugger_;
    int to_debugger_;
    rsp::Transport& stub_;
    MonitorAnswer answer_;
    bool no_ack_ = false;
    std::string debugger_thread_;
};

// "kdive ps" from a qRcmd packet's payload ("qRcmd,6b64697665207073"): the text after "kdive",
// or nothing when the packet is not a monitor request for kdive.
std::optional<std::string> kdive_monitor_command(std::string_view payload);

} // namespace kdive::cli
