// `kdive serve`: a GDB remote-protocol server in front of a target. Threads are kernel tasks,
// modules are shared libraries, `monitor CMD` runs kdive's commands, and run control passes
// through to the target (a vmcore is served read-only).
#pragma once

#include "arch/architecture.hpp"
#include "kernel/module_debug_info.hpp"
#include "rsp/debugger_connection.hpp"
#include "server/library_list.hpp"
#include "server/task_threads.hpp"
#include "server/thread_registers.hpp"
#include "target/target.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::server {

// What a vCont packet asks: "vCont;s:1f;c" steps thread 0x1f (the others run as the target
// lets them); "vCont;c" continues. Signals to deliver (C, S) are ignored: a kernel has no
// signal to receive. Exposed for unit tests.
struct ResumeRequest {
    bool step = false;
    std::optional<std::uint64_t> thread; // the step's thread; none: the Hc thread
};
Result<ResumeRequest> parse_vcont(std::string_view packet);

// What the front end that starts the server provides from the layers below.
struct ServerBackend {
    target::Target* target = nullptr;
    // The kernel view, or why there is none (no vmlinux, the kernel not running yet).
    TaskThreads::KernelSource kernel;
    // The loaded modules with debug files; empty without a kernel view.
    std::function<std::vector<kernel::ModuleDebugInfo::SymbolFile>()> modules;
    // The text a kdive command prints (errors included), for `monitor CMD`, run on `vcpu`: the
    // one the debugger's selected thread runs on, or last ran on.
    std::function<std::string(std::string_view command, std::optional<int> vcpu)> monitor;
    // Says why the server cannot do something, for people watching the server (stderr).
    std::function<void(std::string_view)> note;
};

class GdbServer {
public:
    explicit GdbServer(ServerBackend backend);

    // One debugger's conversation, until it detaches, kills or goes away, or `stop` says so. The
    // target is stopped when it begins; breakpoints the debugger set are removed when it ends,
    // whatever the reason, and a live guest is left running.
    Result<> serve(rsp::DebuggerConnection& connection, std::function<bool()> stop);

private:
    enum class After { reply, stopped, end };
    // The reply to one packet; `after` says whether the conversation goes on.
    Result<std::string> handle(std::string_view packet, After& after);
    Result<std::string> query(std::string_view packet);
    Result<std::string> transfer(std::string_view packet);
    Result<std::string> thread_list(bool first);
    Result<std::string> read_registers(std::optional<std::size_t> regnum);
    Result<std::string> write_register(std::string_view packet);
    Result<std::string> read_memory(std::string_view packet);
    Result<std::string> write_memory(std::string_view packet, bool binary);
    Result<std::string> breakpoint(std::string_view packet);
    Result<std::string> monitor(std::string_view hex_command);
    Result<std::string> offsets();
    // Starts the guest (continue, or step of `thread`); the stop reply comes from run().
    Result<std::string> resume(const ResumeRequest& request);
    Result<std::string> resume_packet(std::string_view packet);
    // Waits for the guest to stop, passing the debugger's interrupt on; nullopt when the
    // debugger went away meanwhile.
    Result<std::optional<std::string>> run();
    // The last stop as a T packet naming the thread on the vCPU that stopped; describing it
    // (LLDB asks per thread) changes no selection.
    std::string stop_reply();
    // Removes the debugger's breakpoints and lets a live guest run: detach, kill, disconnect.
    void release();
    const ServedThread* selected(bool for_step);
    std::string read_only_reason() const;

    ServerBackend backend_;
    target::Target& target_;
    // Decided by the registers the target describes (its stub's, or its dump's notes).
    const arch::Architecture& arch_;
    TaskThreads threads_;
    ThreadRegisters registers_;
    LibraryList libraries_;
    rsp::DebuggerConnection* connection_ = nullptr;
    std::function<bool()> stop_;
    std::optional<target::StopEvent> last_stop_;
    std::optional<std::uint64_t> general_thread_;               // Hg
    std::optional<std::uint64_t> continue_thread_;              // Hc
    std::size_t thread_list_at_ = 0;                            // qsThreadInfo position
    std::map<std::string, std::string, std::less<>> documents_; // qXfer objects being read
};

} // namespace kdive::server
