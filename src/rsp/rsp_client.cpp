// One method per request. Replies are checked for shape here, so callers get values or errors
// that name the packet and address, never raw reply strings.
#include "rsp/rsp_client.hpp"

#include "rsp/packet_codec.hpp"
#include "rsp/socket_transport.hpp"

#include <algorithm>
#include <cstring>

namespace kdive::rsp {

namespace {

// QEMU writes errno values with decimal digits ("E14" is EFAULT, "E22" EINVAL), so the
// protocol's hex reading of them is 0x14 and 0x22.
constexpr int qemu_efault = 0x14;
constexpr int qemu_einval = 0x22;

std::string explain_error(int code) {
    switch (code) {
    case qemu_efault:
        return "E14, not mapped";
    case qemu_einval:
        return "E22, rejected as invalid";
    default:
        return fmt::format("stub error E{:02x}", code);
    }
}

} // namespace

int error_code(std::string_view reply) {
    std::uint64_t code = 0;
    if (reply.size() == 3 && reply[0] == 'E' && parse_hex_u64(reply.substr(1), code)) {
        return static_cast<int>(code);
    }
    return -1;
}

StubFeatures parse_supported(std::string_view reply) {
    StubFeatures features;
    while (!reply.empty()) {
        auto end = reply.find(';');
        std::string_view item = reply.substr(0, end);
        reply = end == std::string_view::npos ? std::string_view{} : reply.substr(end + 1);
        if (item.starts_with("PacketSize=")) {
            std::uint64_t size = 0;
            if (parse_hex_u64(item.substr(11), size) && size >= 64 && size <= (1u << 20)) {
                features.packet_size = size;
            }
        } else if (item == "qXfer:features:read+") {
            features.xfer_features = true;
        } else if (item == "vContSupported+") {
            features.vcont = true;
        } else if (item == "multiprocess+") {
            features.multiprocess = true;
        } else if (item == "QStartNoAckMode+") {
            features.no_ack_mode = true;
        }
    }
    return features;
}

RspClient::RspClient(std::unique_ptr<Transport> transport, ClientOptions options)
    : connection_(std::move(transport), options.connection), options_(options) {}

Result<std::unique_ptr<RspClient>> RspClient::connect(const Endpoint& endpoint,
                                                      ClientOptions options) {
    auto transport = SocketTransport::connect(endpoint, options.connect_timeout);
    if (!transport) {
        return std::unexpected(transport.error());
    }
    return open(std::move(*transport), options);
}

Result<std::unique_ptr<RspClient>> RspClient::open(std::unique_ptr<Transport> transport,
                                                   ClientOptions options) {
    std::unique_ptr<RspClient> client(new RspClient(std::move(transport), options));
    if (auto ok = client->handshake(); !ok) {
        return std::unexpected(ok.error());
    }
    return client;
}

Result<> RspClient::handshake() {
    // multiprocess is not requested: it changes `D` and thread ids, and buys nothing for a VM.
    auto reply = connection_.request("qSupported:swbreak+;hwbreak+;vContSupported+;"
                                     "xmlRegisters=i386");
    if (!reply) {
        return wrap(reply.error(), fmt::format("handshake with {}", peer()));
    }
    features_ = parse_supported(*reply);
    // Memory replies are hex: a read must fit in half a packet.
    options_.max_memory_read =
        std::max<std::size_t>(16, std::min(options_.max_memory_read, features_.packet_size / 2));
    if (features_.no_ack_mode) {
        auto ack = connection_.request("QStartNoAckMode");
        if (!ack) {
            return std::unexpected(ack.error());
        }
        if (*ack == "OK") {
            connection_.set_no_ack(true);
        }
    }
    return {};
}

std::vector<StopReply> RspClient::take_unsolicited_stops() {
    std::vector<StopReply> stops;
    for (const auto& packet : connection_.take_unsolicited()) {
        if (auto stop = parse_stop_reply(packet); stop) {
            stops.push_back(*stop);
        }
    }
    return stops;
}

Result<> RspClient::expect_ok(std::string_view request, std::string_view what) {
    auto reply = connection_.request(request);
    if (!reply) {
        return std::unexpected(reply.error());
    }
    if (*reply == "OK") {
        return {};
    }
    if (reply->empty()) {
        return fail("{}: {} does not support '{}'", what, peer(), packet_label(request));
    }
    return fail("{}: {} answered '{}' to '{}'", what, peer(), packet_label(*reply),
                packet_label(request));
}

Result<std::string> RspClient::read_xfer(std::string_view object, std::string_view annex) {
    std::string data;
    // Leave room for the reply's escapes: QEMU caps chunks itself, others may not.
    std::size_t chunk = std::max<std::size_t>(64, features_.packet_size / 2);
    constexpr std::size_t max_object = 16u << 20;
    for (;;) {
        std::string request =
            fmt::format("qXfer:{}:read:{}:{:x},{:x}", object, annex, data.size(), chunk);
        auto reply = connection_.request(request);
        if (!reply) {
            return std::unexpected(reply.error());
        }
        if (reply->empty()) {
            return fail("{} does not support qXfer:{}:read", peer(), object);
        }
        char marker = (*reply)[0];
        if (marker != 'm' && marker != 'l') {
            return fail("reading {} {}: {} answered '{}'", object, annex, peer(),
                        packet_label(*reply));
        }
        auto part = unescape_binary(std::string_view(*reply).substr(1));
        if (!part.ok()) {
            return fail("reading {} {}: {}", object, annex, describe(part.error));
        }
        data += part.data;
        if (marker == 'l') {
            return data;
        }
        if (part.data.empty() || data.size() > max_object) {
            return fail("reading {} {}: stub sent no progress or more than {} bytes", object, annex,
                        max_object);
        }
    }
}

Result<RegisterMap> RspClient::read_target_description() {
    if (!features_.xfer_features) {
        return fail("{} does not offer a target description (no qXfer:features:read)", peer());
    }
    return load_target_description(
        [this](const std::string& annex) { return read_xfer("features", annex); });
}

Result<std::string> RspClient::read_all_registers() {
    auto reply = connection_.request("g");
    if (!reply) {
        return std::unexpected(reply.error());
    }
    if (int code = error_code(*reply); code >= 0) {
        return fail("reading registers from {}: {}", peer(), explain_error(code));
    }
    // Unavailable registers come as "xx" pairs; they read as zero here.
    std::string hex = *reply;
    std::replace(hex.begin(), hex.end(), 'x', '0');
    auto bytes = hex_decode(hex);
    if (!bytes.ok()) {
        return fail("reading registers from {}: reply to 'g' is {}", peer(), describe(bytes.error));
    }
    return std::move(bytes.data);
}

Result<std::string> RspClient::read_register(int regnum) {
    auto request = fmt::format("p{:x}", regnum);
    auto reply = connection_.request(request);
    if (!reply) {
        return std::unexpected(reply.error());
    }
    if (reply->empty()) {
        return fail("reading register {} from {}: 'p' unsupported", regnum, peer());
    }
    if (int code = error_code(*reply); code >= 0) {
        return fail("reading register {} from {}: {}", regnum, peer(), explain_error(code));
    }
    std::string hex = *reply;
    std::replace(hex.begin(), hex.end(), 'x', '0');
    auto bytes = hex_decode(hex);
    if (!bytes.ok()) {
        return fail("reading register {} from {}: {}", regnum, peer(), describe(bytes.error));
    }
    return std::move(bytes.data);
}

Result<> RspClient::write_register(int regnum, std::string_view bytes) {
    return expect_ok(fmt::format("P{:x}={}", regnum, hex_encode(bytes)),
                     fmt::format("writing register {}", regnum));
}

Result<> RspClient::read_memory_chunk(std::uint64_t address, std::span<char> out) {
    {
        auto request = fmt::format("m{:x},{:x}", address, out.size());
        auto reply = connection_.request(request);
        if (!reply) {
            return std::unexpected(reply.error());
        }
        int code = error_code(*reply);
        // A stub with a smaller limit than assumed: learn it and retry in smaller pieces.
        if (code == qemu_einval && out.size() > 16) {
            options_.max_memory_read = std::max<std::size_t>(16, out.size() / 2);
            for (std::size_t done = 0; done < out.size(); done += options_.max_memory_read) {
                auto part =
                    out.subspan(done, std::min(options_.max_memory_read, out.size() - done));
                if (auto ok = read_memory_chunk(address + done, part); !ok) {
                    return ok;
                }
            }
            return {};
        }
        return decode_memory_reply(*reply, address, out);
    }
}

Result<> RspClient::decode_memory_reply(std::string_view reply, std::uint64_t address,
                                        std::span<char> out) {
    const char* space = physical_mode_ ? "physical" : "virtual";
    if (int code = error_code(reply); code >= 0) {
        return fail("cannot read {} memory at {:#x} ({} bytes): {}", space, address, out.size(),
                    explain_error(code));
    }
    if (reply.size() != out.size() * 2) {
        return fail("reading {} memory at {:#x}: {} sent {} bytes for {} requested", space, address,
                    peer(), reply.size() / 2, out.size());
    }
    if (auto error = hex_decode_into(reply, out.data(), out.size()); error != CodecError::none) {
        return fail("reading {} memory at {:#x}: {}", space, address, describe(error));
    }
    return {};
}

Result<> RspClient::read_memory(std::uint64_t address, std::span<char> out) {
    std::size_t done = 0;
    while (done < out.size()) {
        std::uint64_t at = address + done;
        std::size_t to_page_end = options_.page_size - (at % options_.page_size);
        std::size_t length = std::min({out.size() - done, options_.max_memory_read, to_page_end});
        if (auto ok = read_memory_chunk(at, out.subspan(done, length)); !ok) {
            return ok;
        }
        done += length;
    }
    return {};
}

bool RspClient::can_pipeline() {
    if (!pipelining_) {
        // QEMU answers each packet as it arrives and never waits for our acks; a stub in
        // no-ack mode has no acks to wait for. Others (gdbserver) read the ack first.
        bool qemu = false;
        if (!connection_.no_ack()) {
            auto reply = connection_.request("qqemu.Supported");
            qemu = reply && !reply->empty() && error_code(*reply) < 0;
        }
        pipelining_ = connection_.no_ack() || qemu;
    }
    return *pipelining_;
}

Result<> RspClient::read_memory_ranges(std::span<const MemoryRange> ranges) {
    // Every range cut at the packet limit and at pages, as read_memory does.
    std::vector<MemoryRange> chunks;
    for (const auto& range : ranges) {
        for (std::size_t done = 0; done < range.out.size();) {
            std::uint64_t at = range.address + done;
            std::size_t to_page_end = options_.page_size - (at % options_.page_size);
            std::size_t length =
                std::min({range.out.size() - done, options_.max_memory_read, to_page_end});
            chunks.push_back({at, range.out.subspan(done, length)});
            done += length;
        }
    }
    if (chunks.size() <= 1 || !can_pipeline()) {
        for (const auto& chunk : chunks) {
            if (auto ok = read_memory_chunk(chunk.address, chunk.out); !ok) {
                return ok;
            }
        }
        return {};
    }
    std::vector<std::string> requests;
    requests.reserve(chunks.size());
    for (const auto& chunk : chunks) {
        requests.push_back(fmt::format("m{:x},{:x}", chunk.address, chunk.out.size()));
    }
    auto replies = connection_.request_pipelined(requests);
    if (!replies) {
        // A lost or damaged reply: ask again one at a time (that path retransmits).
        for (const auto& chunk : chunks) {
            if (auto ok = read_memory_chunk(chunk.address, chunk.out); !ok) {
                return ok;
            }
        }
        return {};
    }
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        // E22: this stub's limit is smaller than assumed; the one-at-a-time path learns it.
        if (error_code((*replies)[i]) == qemu_einval) {
            if (auto ok = read_memory_chunk(chunks[i].address, chunks[i].out); !ok) {
                return ok;
            }
            continue;
        }
        if (auto ok = decode_memory_reply((*replies)[i], chunks[i].address, chunks[i].out); !ok) {
            return ok;
        }
    }
    return {};
}

Result<std::string> RspClient::read_memory(std::uint64_t address, std::size_t length) {
    std::string data(length, '\0');
    if (auto ok = read_memory(address, std::span<char>(data.data(), data.size())); !ok) {
        return std::unexpected(ok.error());
    }
    return data;
}

Result<> RspClient::write_memory(std::uint64_t address, std::string_view bytes) {
    // "M<addr>,<len>:" plus framing must fit the stub's packet.
    std::size_t max_write = std::max<std::size_t>(16, (features_.packet_size - 48) / 2);
    const char* space = physical_mode_ ? "physical" : "virtual";
    std::size_t done = 0;
    while (done < bytes.size()) {
        std::uint64_t at = address + done;
        std::size_t to_page_end = options_.page_size - (at % options_.page_size);
        std::size_t length = std::min({bytes.size() - done, max_write, to_page_end});
        auto request =
            fmt::format("M{:x},{:x}:{}", at, length, hex_encode(bytes.substr(done, length)));
        auto reply = connection_.request(request);
        if (!reply) {
            return std::unexpected(reply.error());
        }
        if (int code = error_code(*reply); code >= 0) {
            return fail("cannot write {} memory at {:#x} ({} bytes): {}", space, at, length,
                        explain_error(code));
        }
        if (*reply != "OK") {
            return fail("writing {} memory at {:#x}: {} answered '{}'", space, at, peer(),
                        packet_label(*reply));
        }
        done += length;
    }
    return {};
}

Result<> RspClient::set_physical_memory_mode(bool physical) {
    if (physical == physical_mode_) {
        return {};
    }
    auto ok = expect_ok(physical ? "Qqemu.PhyMemMode:1" : "Qqemu.PhyMemMode:0",
                        "switching to physical memory access");
    if (ok) {
        physical_mode_ = physical;
    }
    return ok;
}

Result<StopReply> RspClient::query_stop_reason() {
    auto reply = connection_.request("?");
    if (!reply) {
        return std::unexpected(reply.error());
    }
    return parse_stop_reply(*reply);
}

Result<> RspClient::resume() {
    if (auto sent = connection_.send("c"); !sent) {
        return wrap(sent.error(), "continuing");
    }
    return {};
}

Result<> RspClient::step() {
    if (auto sent = connection_.send("s"); !sent) {
        return wrap(sent.error(), "stepping");
    }
    return {};
}

Result<> RspClient::interrupt() {
    return connection_.send_interrupt();
}

Result<std::optional<StopReply>> RspClient::wait_for_stop(std::chrono::milliseconds wait) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        auto packet = connection_.poll(std::max(left, std::chrono::milliseconds{0}));
        if (!packet) {
            return std::unexpected(packet.error());
        }
        if (!*packet) {
            return std::optional<StopReply>{};
        }
        // Console output of the inferior (not sent by QEMU, but legal here).
        if ((*packet)->starts_with('O') && **packet != "OK") {
            continue;
        }
        auto stop = parse_stop_reply(**packet);
        if (!stop) {
            return wrap(stop.error(), fmt::format("waiting for {} to stop", peer()));
        }
        return std::optional<StopReply>{*stop};
    }
}

Result<> RspClient::select_thread(char operation, const ThreadId& thread) {
    return expect_ok(fmt::format("H{}{}", operation, thread.to_string()),
                     fmt::format("selecting thread {}", thread.to_string()));
}

Result<std::vector<ThreadId>> RspClient::list_threads() {
    std::vector<ThreadId> threads;
    std::string request = "qfThreadInfo";
    constexpr std::size_t max_threads = 65536;
    for (;;) {
        auto reply = connection_.request(request);
        if (!reply) {
            return std::unexpected(reply.error());
        }
        if (*reply == "l") {
            return threads;
        }
        if (reply->empty() || (*reply)[0] != 'm') {
            return fail("listing threads of {}: unexpected reply '{}'", peer(),
                        packet_label(*reply));
        }
        std::string_view list = std::string_view(*reply).substr(1);
        while (!list.empty()) {
            auto comma = list.find(',');
            auto id = parse_thread_id(list.substr(0, comma));
            if (!id) {
                return wrap(id.error(), fmt::format("listing threads of {}", peer()));
            }
            threads.push_back(*id);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        }
        if (threads.size() > max_threads) {
            return fail("listing threads of {}: more than {} threads", peer(), max_threads);
        }
        request = "qsThreadInfo";
    }
}

Result<> RspClient::insert_breakpoint(BreakpointType type, std::uint64_t address,
                                      std::size_t kind) {
    return expect_ok(fmt::format("Z{},{:x},{:x}", static_cast<int>(type), address, kind),
                     fmt::format("inserting breakpoint at {:#x}", address));
}

Result<> RspClient::remove_breakpoint(BreakpointType type, std::uint64_t address,
                                      std::size_t kind) {
    return expect_ok(fmt::format("z{},{:x},{:x}", static_cast<int>(type), address, kind),
                     fmt::format("removing breakpoint at {:#x}", address));
}

Result<std::string> RspClient::monitor(std::string_view command) {
    auto request = "qRcmd," + hex_encode(command);
    if (auto sent = connection_.send(request); !sent) {
        return wrap(sent.error(), fmt::format("monitor '{}'", command));
    }
    std::string output;
    for (;;) {
        auto reply = connection_.receive();
        if (!reply) {
            return wrap(reply.error(), fmt::format("monitor '{}'", command));
        }
        if (*reply == "OK") {
            return output;
        }
        if (reply->empty()) {
            return fail("{} does not support monitor commands", peer());
        }
        if (int code = error_code(*reply); code >= 0) {
            return fail("monitor '{}': {}", command, explain_error(code));
        }
        if ((*reply)[0] != 'O') {
            return fail("monitor '{}': unexpected reply '{}'", command, packet_label(*reply));
        }
        auto text = hex_decode(std::string_view(*reply).substr(1));
        if (!text.ok()) {
            return fail("monitor '{}': output is {}", command, describe(text.error));
        }
        output += text.data;
    }
}

Result<> RspClient::detach() {
    return expect_ok("D", "detaching");
}

} // namespace kdive::rsp
