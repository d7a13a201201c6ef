// GDB remote client: one method per protocol request, typed results; knows nothing of kernels.
#pragma once

#include "rsp/endpoint.hpp"
#include "rsp/rsp_connection.hpp"
#include "rsp/stop_reply.hpp"
#include "rsp/target_description.hpp"
#include "support/error.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::rsp {

// What the stub announced in its qSupported reply.
struct StubFeatures {
    std::size_t packet_size = 400; // the protocol's default when PacketSize is absent
    bool xfer_features = false;    // qXfer:features:read+
    bool vcont = false;            // vContSupported+; see RspClient::vcont_steps
    bool multiprocess = false;     // multiprocess+: both sides asked for it, so it is on
    bool no_ack_mode = false;      // QStartNoAckMode+
};

StubFeatures parse_supported(std::string_view reply);

// Register bytes as the stub sent them. The stub writes "xx" for a byte it has no value for:
// such a register is unavailable (GDB prints <unavailable>), not zero.
struct RegisterBytes {
    std::string bytes;
    std::vector<bool> unavailable; // per byte; empty when every byte came with a value

    bool available(std::size_t offset, std::size_t size) const;
};

// Hex pairs, "xx" standing for an unavailable byte.
Result<RegisterBytes> decode_register_bytes(std::string_view hex);

enum class BreakpointType {
    software = 0,
    hardware = 1,
    write_watch = 2,
    read_watch = 3,
    access_watch = 4
};

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{5000};
    ConnectionOptions connection;
    // QEMU answers `m` longer than 2048 bytes with E22; the client also halves this on E22.
    std::size_t max_memory_read = 2048;
    std::size_t page_size = 4096; // reads and writes never cross this boundary in one packet
};

class RspClient {
public:
    // Connects and negotiates (qSupported, QStartNoAckMode when offered). Does not send `?`.
    static Result<std::unique_ptr<RspClient>> connect(const Endpoint& endpoint,
                                                      ClientOptions options = {});
    // Over an existing transport (tests, fake stubs).
    static Result<std::unique_ptr<RspClient>> open(std::unique_ptr<Transport> transport,
                                                   ClientOptions options = {});

    const StubFeatures& features() const { return features_; }
    const std::string& peer() const { return connection_.peer(); }
    // Stop replies the stub sent on its own before answering (QEMU does on connect when it
    // stops a running guest).
    std::vector<StopReply> take_unsolicited_stops();

    // qfThreadInfo/qsThreadInfo over any connection: the stub keeps no state from them.
    Result<std::vector<ThreadId>> list_threads(RspConnection& connection);

    // qXfer:OBJECT:read:ANNEX, all chunks.
    Result<std::string> read_xfer(std::string_view object, std::string_view annex);
    Result<RegisterMap> read_target_description();

    // `g`: every register's bytes in target order.
    Result<RegisterBytes> read_all_registers();
    // `p`: one register's bytes.
    Result<RegisterBytes> read_register(int regnum);
    // `P`.
    Result<> write_register(int regnum, std::string_view bytes);

    // `m`/`M`, split at the stub's size limit and at page boundaries. Errors name the address.
    Result<> read_memory(std::uint64_t address, std::span<char> out);
    Result<std::string> read_memory(std::uint64_t address, std::size_t length);
    // Several reads in one round trip where the stub allows it (QEMU, no-ack mode), else one
    // after another. Fails on the first unreadable range, naming its address.
    struct MemoryRange {
        std::uint64_t address = 0;
        std::span<char> out;
    };
    Result<> read_memory_ranges(std::span<const MemoryRange> ranges);
    Result<> write_memory(std::uint64_t address, std::string_view bytes);
    // QEMU's `Qqemu.PhyMemMode`: makes `m`/`M` physical. It is global in QEMU and outlives a
    // client, so the first call always sends it; later ones only when it changes. A stub
    // without it is in virtual mode.
    Result<> set_physical_memory_mode(bool physical);
    bool physical_memory_mode() const { return physical_mode_.value_or(false); }

    // `?`. QEMU also removes every breakpoint when it answers this.
    Result<StopReply> query_stop_reason();
    // `vCont;c` (or `c`): every vCPU runs. The reply arrives later, through wait_for_stop.
    Result<> resume();
    // `s`: steps the vCPU chosen with Hc. QEMU lets the others run meanwhile.
    Result<> step();
    // Whether the stub steps one thread with vCont (`vCont?` lists `s` and `c`).
    bool vcont_steps() const { return vcont_steps_; }
    // `vCont;s:THREAD` with `;c` when the other threads run during the step.
    Result<> step_thread(const ThreadId& thread, bool others_run);
    Result<> interrupt();
    // A stop reply if one arrives within `wait`; console `O` packets are skipped.
    Result<std::optional<StopReply>> wait_for_stop(std::chrono::milliseconds wait);

    // `Hg` (registers, memory) or `Hc` (step, continue).
    Result<> select_thread(char operation, const ThreadId& thread);
    // qfThreadInfo / qsThreadInfo.
    Result<std::vector<ThreadId>> list_threads();

    Result<> insert_breakpoint(BreakpointType type, std::uint64_t address, std::size_t kind);
    Result<> remove_breakpoint(BreakpointType type, std::uint64_t address, std::size_t kind);

    // qRcmd: the monitor command's output, gathered from `O` packets until OK.
    Result<std::string> monitor(std::string_view command);
    // `D`, or `D;PID` in multiprocess mode (QEMU answers a bare `D` with E22 there). QEMU
    // resumes the guest when its last client detaches.
    Result<> detach(std::int64_t pid = 1);

private:
    RspClient(std::unique_ptr<Transport> transport, ClientOptions options);
    Result<> handshake();
    // `vCont?`: which actions vCont takes.
    Result<> probe_vcont();
    // Sends a request whose only good answer is OK.
    Result<> expect_ok(std::string_view request, std::string_view what);
    Result<> read_memory_chunk(std::uint64_t address, std::span<char> out);
    // One `m` reply into `out`, or the error it stands for.
    Result<> decode_memory_reply(std::string_view reply, std::uint64_t address,
                                 std::span<char> out);
    // Whether requests may be sent before earlier ones are answered; asked once.
    bool can_pipeline();

    RspConnection connection_;
    ClientOptions options_;
    StubFeatures features_;
    std::optional<bool> physical_mode_; // unknown until set once: a previous client may have
                                        // left QEMU in physical mode
    std::optional<bool> pipelining_;
    bool vcont_steps_ = false;
    std::vector<std::string> early_stops_; // stop replies that came in place of a reply
};

// "E14" → 14; -1 for other replies.
int error_code(std::string_view reply);

// qfThreadInfo/qsThreadInfo over any connection: the stub keeps no state from them.
Result<std::vector<ThreadId>> list_threads(RspConnection& connection);

// qXfer:OBJECT:read:ANNEX, all chunks of at most `chunk` bytes, over any connection.
Result<std::string> read_xfer(RspConnection& connection, std::string_view object,
                              std::string_view annex, std::size_t chunk);

} // namespace kdive::rsp
