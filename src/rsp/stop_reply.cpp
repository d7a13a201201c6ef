// Parsing of stop replies: only the fields a debugger acts on; unknown pairs are ignored as the
// protocol requires.
#include "rsp/stop_reply.hpp"

#include "rsp/packet_codec.hpp"

namespace kdive::rsp {

namespace {

// Thread ids are hex, "-1" means all threads.
bool parse_id_part(std::string_view text, std::int64_t& value) {
    if (text == "-1") {
        value = -1;
        return true;
    }
    std::uint64_t v = 0;
    if (!parse_hex_u64(text, v) || v > static_cast<std::uint64_t>(INT64_MAX))
        return false;
    value = static_cast<std::int64_t>(v);
    return true;
}

Result<int> parse_byte(std::string_view text, std::string_view payload) {
    std::uint64_t value = 0;
    if (text.size() != 2 || !parse_hex_u64(text, value))
        return fail_as(ErrorKind::corrupt, "stop reply '{}': expected two hex digits after '{}'",
                       payload, payload[0]);
    return static_cast<int>(value);
}

} // namespace

std::string ThreadId::to_string() const {
    auto part = [](std::int64_t v) { return v < 0 ? std::string("-1") : fmt::format("{:x}", v); };
    if (pid)
        return "p" + part(*pid) + "." + part(tid);
    return part(tid);
}

Result<ThreadId> parse_thread_id(std::string_view text) {
    ThreadId id;
    if (text.starts_with('p')) {
        auto dot = text.find('.');
        std::int64_t pid = 0;
        if (!parse_id_part(text.substr(1, dot == std::string_view::npos ? text.npos : dot - 1),
                           pid))
            return fail_as(ErrorKind::corrupt, "bad thread id '{}'", text);
        id.pid = pid;
        // "pPID" alone means all threads of that process.
        if (dot == std::string_view::npos) {
            id.tid = ThreadId::all;
            return id;
        }
        text = text.substr(dot + 1);
    }
    if (!parse_id_part(text, id.tid))
        return fail_as(ErrorKind::corrupt, "bad thread id '{}'", text);
    return id;
}

bool looks_like_stop_reply(std::string_view payload) {
    if (payload.size() < 3)
        return false;
    char c = payload[0];
    return c == 'T' || c == 'S' || c == 'W' || c == 'X';
}

Result<StopReply> parse_stop_reply(std::string_view payload) {
    if (payload.empty())
        return fail_as(ErrorKind::corrupt, "empty stop reply");
    StopReply reply;
    char kind = payload[0];
    if (kind != 'T' && kind != 'S' && kind != 'W' && kind != 'X')
        return fail_as(ErrorKind::corrupt, "stop reply '{}': unknown kind '{}'", payload, kind);
    auto code = parse_byte(payload.substr(1, 2), payload);
    if (!code)
        return std::unexpected(code.error());
    switch (kind) {
    case 'W':
        reply.kind = StopReply::Kind::exited;
        reply.exit_code = *code;
        break;
    case 'X':
        reply.kind = StopReply::Kind::terminated;
        reply.signal = *code;
        break;
    default:
        reply.signal = *code;
        break;
    }
    // W and X may carry ";process:PID"; T carries "name:value;" pairs.
    std::string_view rest = payload.substr(3);
    if (kind == 'S' && !rest.empty())
        return fail_as(ErrorKind::corrupt, "stop reply '{}': trailing data after S", payload);
    while (!rest.empty()) {
        if (rest.front() == ';') {
            rest.remove_prefix(1);
            continue;
        }
        auto end = rest.find(';');
        std::string_view pair = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        auto colon = pair.find(':');
        if (colon == std::string_view::npos)
            return fail_as(ErrorKind::corrupt, "stop reply '{}': field '{}' has no ':'", payload,
                           pair);
        std::string_view name = pair.substr(0, colon);
        std::string_view value = pair.substr(colon + 1);
        if (name == "thread") {
            auto id = parse_thread_id(value);
            if (!id)
                return wrap(id.error(), fmt::format("stop reply '{}'", payload));
            reply.thread = *id;
        } else if (name == "watch" || name == "rwatch" || name == "awatch") {
            if (!parse_hex_u64(value, reply.watch_address))
                return fail_as(ErrorKind::corrupt, "stop reply '{}': bad watchpoint address '{}'",
                               payload, value);
            reply.watch = name == "watch"    ? WatchKind::write
                          : name == "rwatch" ? WatchKind::read
                                             : WatchKind::access;
        } else if (name == "swbreak") {
            reply.software_breakpoint = true;
        } else if (name == "hwbreak") {
            reply.hardware_breakpoint = true;
        }
    }
    return reply;
}

} // namespace kdive::rsp
