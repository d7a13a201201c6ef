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

// E14 is the stub's "not mapped"; other codes say the request was refused.
ErrorKind kind_of(int code) {
    return code == qemu_efault ? ErrorKind::unmapped : ErrorKind::other;
}

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

bool RegisterBytes::available(std::size_t offset, std::size_t size) const {
    if (unavailable.empty()) {
        return true;
    }
    for (std::size_t i = offset; i < offset + size && i < unavailable.size(); ++i) {
        if (unavailable[i]) {
            return false;
        }
    }
    return true;
}

Result<RegisterBytes> decode_register_bytes(std::string_view hex) {
    if (hex.size() % 2 != 0) {
        return fail_as(ErrorKind::corrupt, "{} hex digits, not pairs", hex.size());
    }
    RegisterBytes out;
    out.bytes.resize(hex.size() / 2);
    for (std::size_t i = 0; i < out.bytes.size(); ++i) {
        std::string_view pair = hex.substr(2 * i, 2);
        if (pair == "xx") {
            if (out.unavailable.empty()) {
                out.unavailable.resize(out.bytes.size());
            }
            out.unavailable[i] = true;
            continue;
        }
        if (hex_decode_into(pair, &out.bytes[i], 1) != CodecError::none) {
            return fail_as(ErrorKind::corrupt, "bad hex '{}' at byte {}", pair, i);
        }
    }
    return out;
}

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
    // multiprocess+ is asked for because QEMU never leaves that mode once a client (GDB) chose
    // it: asking makes the mode known whatever the previous client did, and `D` and thread ids
    // are then written to match it.
    auto reply = connection_.request("qSupported:multiprocess+;swbreak+;hwbreak+;"
                                     "vContSupported+;xmlRegisters=i386");
    // A stop left pending by a previous client may arrive in place of the answer.
    for (int stale = 0; reply && looks_like_stop_reply(*reply) && stale < 4; ++stale) {
        early_stops_.push_back(std::move(*reply));
        reply = connection_.receive();
    }
    if (!reply) {
        return wrap(reply.error(), fmt::format("handshake with {}", peer()));
    }
    features_ = parse_supported(*reply);
    if (features_.vcont) {
        if (auto ok = probe_vcont(); !ok) {
            return wrap(ok.error(), fmt::format("handshake with {}", peer()));
        }
    }
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

Result<> RspClient::probe_vcont() {
    auto reply = connection_.request("vCont?");
    if (!reply) {
        return std::unexpected(reply.error());
    }
    // "vCont;c;C;s;S": the actions, each possibly followed by more letters (`r`, `t`).
    bool step = false;
    bool cont = false;
    std::string_view actions = *reply;
    if (actions.starts_with("vCont")) {
        actions.remove_prefix(5);
        while (!actions.empty()) {
            auto end = actions.find(';', 1);
            std::string_view action = actions.substr(0, end).substr(1);
            step = step || action == "s";
            cont = cont || action == "c";
            actions = end == std::string_view::npos ? std::string_view{} : actions.substr(end);
        }
    }
    vcont_steps_ = step && cont;
    return {};
}

std::vector<StopReply> RspClient::take_unsolicited_stops() {
    std::vector<StopReply> stops;
    auto packets = connection_.take_unsolicited();
    packets.insert(packets.begin(), early_stops_.begin(), early_stops_.end());
    early_stops_.clear();
    for (const auto& packet : packets) {
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
        return fail_as(ErrorKind::unsupported, "{}: {} does not support '{}'", what, peer(),
                       packet_label(request));
    }
    int code = error_code(*reply);
    return fail_as(code >= 0 ? kind_of(code) : ErrorKind::corrupt, "{}: {} answered '{}' to '{}'",
                   what, peer(), packet_label(*reply), packet_label(request));
}

Result<std::string> read_xfer(RspConnection& connection, std::string_view object,
                              std::string_view annex, std::size_t chunk) {
    std::string data;
    constexpr std::size_t max_object = 16u << 20;
    for (;;) {
        std::string request =
            fmt::format("qXfer:{}:read:{}:{:x},{:x}", object, annex, data.size(), chunk);
        auto reply = connection.request(request);
        if (!reply) {
            return std::unexpected(reply.error());
        }
        if (reply->empty()) {
            return fail_as(ErrorKind::unsupported, "{} does not support qXfer:{}:read",
                           connection.peer(), object);
        }
        char marker = (*reply)[0];
        if (marker != 'm' && marker != 'l') {
            int code = error_code(*reply);
            return fail_as(code >= 0 ? kind_of(code) : ErrorKind::corrupt,
                           "reading {} {}: {} answered '{}'", object, annex, connection.peer(),
                           packet_label(*reply));
        }
        auto part = unescape_binary(std::string_view(*reply).substr(1));
        if (!part.ok()) {
            return fail_as(ErrorKind::corrupt, "reading {} {}: {}", object, annex,
                           describe(part.error));
        }
        data += part.data;
        if (marker == 'l') {
            return data;
        }
        if (part.data.empty() || data.size() > max_object) {
            return fail_as(ErrorKind::corrupt,
                           "reading {} {}: stub sent no progress or more than {} bytes", object,
                           annex, max_object);
        }
    }
}

Result<std::string> RspClient::read_xfer(std::string_view object, std::string_view annex) {
    // Leave room for the reply's escapes: QEMU caps chunks itself, others may not.
    return rsp::read_xfer(connection_, object, annex,
                          std::max<std::size_t>(64, features_.packet_size / 2));
}

Result<RegisterMap> RspClient::read_target_description() {
    if (!features_.xfer_features) {
        return fail_as(ErrorKind::unsupported,
                       "{} does not offer a target description (no qXfer:features:read)", peer());
    }
    return load_target_description(
        [this](const std::string& annex) { return read_xfer("features", annex); });
}

Result<RegisterBytes> RspClient::read_all_registers() {
    auto reply = connection_.request("g");
    if (!reply) {
        return std::unexpected(reply.error());
    }
    if (int code = error_code(*reply); code >= 0) {
        return fail_as(kind_of(code), "reading registers from {}: {}", peer(), explain_error(code));
    }
    auto bytes = decode_register_bytes(*reply);
    if (!bytes) {
        return wrap(bytes.error(), fmt::format("reading registers from {}: reply to 'g'", peer()));
    }
    return bytes;
}

Result<RegisterBytes> RspClient::read_register(int regnum) {
    auto request = fmt::format("p{:x}", regnum);
    auto reply = connection_.request(request);
    if (!reply) {
        return std::unexpected(reply.error());
    }
    if (reply->empty()) {
        return fail_as(ErrorKind::unsupported, "reading register {} from {}: 'p' unsupported",
                       regnum, peer());
    }
    // QEMU answers E14 for a register number it does not have.
    if (int code = error_code(*reply); code >= 0) {
        return fail_as(code == qemu_efault ? ErrorKind::unsupported : ErrorKind::other,
                       "reading register {} from {}: {}", regnum, peer(),
                       code == qemu_efault ? "E14, no such register" : explain_error(code));
    }
    auto bytes = decode_register_bytes(*reply);
    if (!bytes) {
        return wrap(bytes.error(), fmt::format("reading register {} from {}", regnum, peer()));
    }
    return bytes;
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
    const char* space = physical_memory_mode() ? "physical" : "virtual";
    if (int code = error_code(reply); code >= 0) {
        return fail_as(kind_of(code), "cannot read {} memory at {:#x} ({} bytes): {}", space,
                       address, out.size(), explain_error(code));
    }
    if (reply.size() != out.size() * 2) {
        return fail_as(ErrorKind::corrupt,
                       "reading {} memory at {:#x}: {} sent {} bytes for {} requested", space,
                       address, peer(), reply.size() / 2, out.size());
    }
    if (auto error = hex_decode_into(reply, out.data(), out.size()); error != CodecError::none) {
        return fail_as(ErrorKind::corrupt, "reading {} memory at {:#x}: {}", space, address,
                       describe(error));
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
        // A lost, late or damaged reply: the batch has settled (every reply owed was read and
        // dropped, or the connection was given up and this fails at once naming why), so asking
        // again one at a time cannot be answered with a reply meant for the batch.
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
    const char* space = physical_memory_mode() ? "physical" : "virtual";
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
            return fail_as(kind_of(code), "cannot write {} memory at {:#x} ({} bytes): {}", space,
                           at, length, explain_error(code));
        }
        if (*reply != "OK") {
            return fail_as(reply->empty() ? ErrorKind::unsupported : ErrorKind::corrupt,
                           "writing {} memory at {:#x}: {} answered '{}'", space, at, peer(),
                           packet_label(*reply));
        }
        done += length;
    }
    return {};
}

Result<> RspClient::set_physical_memory_mode(bool physical) {
    if (physical_mode_ == physical) {
        return {};
    }
    auto ok = expect_ok(physical ? "Qqemu.PhyMemMode:1" : "Qqemu.PhyMemMode:0",
                        physical ? "switching to physical memory access"
                                 : "switching to virtual memory access");
    if (ok) {
        physical_mode_ = physical;
    } else if (!physical && !physical_mode_ && ok.error().is(ErrorKind::unsupported)) {
        physical_mode_ = false; // a stub without the switch only has virtual addresses
        return {};
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
    if (auto sent = connection_.send(vcont_steps_ ? "vCont;c" : "c"); !sent) {
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

Result<> RspClient::step_thread(const ThreadId& thread, bool others_run) {
    if (!vcont_steps_) {
        return fail_as(ErrorKind::unsupported, "stepping: {} has no vCont", peer());
    }
    auto request = fmt::format("vCont;s:{}{}", thread.to_string(), others_run ? ";c" : "");
    if (auto sent = connection_.send(request); !sent) {
        return wrap(sent.error(), fmt::format("stepping thread {}", thread.to_string()));
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

Result<std::vector<ThreadId>> list_threads(RspConnection& connection) {
    std::vector<ThreadId> threads;
    std::string request = "qfThreadInfo";
    constexpr std::size_t max_threads = 65536;
    for (;;) {
        auto reply = connection.request(request);
        if (!reply) {
            return std::unexpected(reply.error());
        }
        if (*reply == "l") {
            return threads;
        }
        if (reply->empty() || (*reply)[0] != 'm') {
            return fail_as(reply->empty() ? ErrorKind::unsupported : ErrorKind::corrupt,
                           "listing threads of {}: unexpected reply '{}'", connection.peer(),
                           packet_label(*reply));
        }
        std::string_view list = std::string_view(*reply).substr(1);
        while (!list.empty()) {
            auto comma = list.find(',');
            auto id = parse_thread_id(list.substr(0, comma));
            if (!id) {
                return wrap(id.error(), fmt::format("listing threads of {}", connection.peer()));
            }
            threads.push_back(*id);
            list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        }
        if (threads.size() > max_threads) {
            return fail_as(ErrorKind::corrupt, "listing threads of {}: more than {} threads",
                           connection.peer(), max_threads);
        }
        request = "qsThreadInfo";
    }
}

Result<std::vector<ThreadId>> RspClient::list_threads() {
    return rsp::list_threads(connection_);
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
            return fail_as(ErrorKind::unsupported, "{} does not support monitor commands", peer());
        }
        if (int code = error_code(*reply); code >= 0) {
            return fail_as(kind_of(code), "monitor '{}': {}", command, explain_error(code));
        }
        if ((*reply)[0] != 'O') {
            return fail_as(ErrorKind::corrupt, "monitor '{}': unexpected reply '{}'", command,
                           packet_label(*reply));
        }
        auto text = hex_decode(std::string_view(*reply).substr(1));
        if (!text.ok()) {
            return fail_as(ErrorKind::corrupt, "monitor '{}': output is {}", command,
                           describe(text.error));
        }
        output += text.data;
    }
}

Result<> RspClient::detach(std::int64_t pid) {
    // In multiprocess mode QEMU 7.2 refuses `D` without a pid (E22); outside it, it ignores one.
    if (features_.multiprocess) {
        return expect_ok(fmt::format("D;{:x}", pid), "detaching");
    }
    return expect_ok("D", "detaching");
}

} // namespace kdive::rsp
