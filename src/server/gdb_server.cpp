// One packet at a time, in the order the debugger sends them; while the guest runs only the
// interrupt byte can arrive (all-stop mode), so waiting polls both the debugger and the target.
#include "server/gdb_server.hpp"

#include "arch/aarch64/gdb_registers.hpp"
#include "arch/gdb_registers.hpp"
#include "rsp/packet_codec.hpp"
#include "rsp/xml_tags.hpp"
#include "support/guest_text.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace kdive::server {

namespace {

using namespace std::chrono_literals;

constexpr std::size_t packet_size = 0x20000;
// How long the server waits for the guest to stop after an interrupt or at connect.
constexpr auto stop_timeout = 5s;

std::string error_reply(const Error& error) {
    // "E.text" is shown to the user by GDB and LLDB; older clients read the E as a failure.
    return "E." + terminal_text(error.message, TerminalText::message);
}

std::optional<std::uint64_t> parse_hex(std::string_view text) {
    std::uint64_t value = 0;
    if (!rsp::parse_hex_u64(text, value)) {
        return std::nullopt;
    }
    return value;
}

// A thread id of H, T and qThreadExtraInfo: hex, "0" for any, "-1" for all (both nullopt).
std::optional<std::uint64_t> parse_thread(std::string_view text) {
    if (text == "-1" || text == "0" || text.empty()) {
        return std::nullopt;
    }
    return parse_hex(text);
}

// The part of an object from `offset`, as qXfer replies carry it: 'm' when more follows.
std::string xfer_chunk(const std::string& object, std::string_view range) {
    auto parsed = rsp::parse_address_range(range);
    if (!parsed) {
        return "E00";
    }
    const auto [offset, length] = *parsed;
    if (offset >= object.size()) {
        return "l";
    }
    const std::size_t size = std::min<std::uint64_t>(length, packet_size / 2);
    const std::string_view part = std::string_view(object).substr(offset, size);
    const bool last = offset + part.size() >= object.size();
    return (last ? "l" : "m") + std::string(part); // encode_packet escapes it
}

std::string hex_text(std::string_view text) {
    return rsp::hex_encode(text);
}

} // namespace

Result<ResumeRequest> parse_vcont(std::string_view packet) {
    constexpr std::string_view prefix = "vCont;";
    if (!packet.starts_with(prefix)) {
        return fail_as(ErrorKind::invalid_input, "not a vCont packet: {}", packet);
    }
    ResumeRequest request;
    std::string_view rest = packet.substr(prefix.size());
    while (!rest.empty()) {
        const auto end = rest.find(';');
        std::string_view action = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        const auto colon = action.find(':');
        std::string_view kind = action.substr(0, colon);
        std::optional<std::uint64_t> thread;
        if (colon != std::string_view::npos) {
            thread = parse_thread(action.substr(colon + 1));
        }
        if (kind.starts_with('S') || kind.starts_with('s')) {
            if (request.step) {
                return fail_as(ErrorKind::invalid_input,
                               "vCont asks to step two threads at once: {}", packet);
            }
            request.step = true;
            request.thread = thread;
        } else if (!kind.starts_with('C') && !kind.starts_with('c')) {
            return fail_as(ErrorKind::unsupported, "vCont action '{}' is not supported", kind);
        }
    }
    return request;
}

GdbServer::GdbServer(ServerBackend backend)
    : backend_(std::move(backend)), target_(*backend_.target),
      arch_(arch::architecture_of(target_)), threads_(target_, backend_.kernel),
      registers_(target_, backend_.kernel, arch_) {}

std::string GdbServer::read_only_reason() const {
    if (target_.has_execution()) {
        return {};
    }
    const std::string what = target_.describe();
    return what.substr(0, what.find(';')) + " is served read-only";
}

const ServedThread* GdbServer::selected(bool for_step) {
    const auto& chosen = for_step ? continue_thread_ : general_thread_;
    if (chosen) {
        if (const ServedThread* thread = threads_.find(*chosen)) {
            return thread;
        }
    }
    const int vcpu = last_stop_ ? last_stop_->vcpu : target_.current_vcpu();
    if (const ServedThread* thread = threads_.on_vcpu(vcpu)) {
        return thread;
    }
    const auto& all = threads_.threads();
    return all.empty() ? nullptr : &all.front();
}

std::string GdbServer::stop_reply() {
    if (last_stop_ && last_stop_->reason == target::StopEvent::Reason::exited) {
        return fmt::format("W{:02x}", last_stop_->exit_code & 0xff);
    }
    int signal = 5;
    std::string extra;
    if (last_stop_) {
        switch (last_stop_->reason) {
        case target::StopEvent::Reason::interrupted:
            signal = 2;
            break;
        case target::StopEvent::Reason::signal:
            signal = last_stop_->signal;
            break;
        case target::StopEvent::Reason::watchpoint: {
            const auto kind = last_stop_->watch_kind;
            const char* name = kind == target::BreakpointKind::read_watch     ? "rwatch"
                               : kind == target::BreakpointKind::access_watch ? "awatch"
                                                                              : "watch";
            extra = fmt::format("{}:{:x};", name, last_stop_->watch_address);
            break;
        }
        default:
            break;
        }
    }
    const int vcpu = last_stop_ ? last_stop_->vcpu : target_.current_vcpu();
    if (const ServedThread* thread = threads_.on_vcpu(vcpu)) {
        extra += fmt::format("thread:{:x};", thread->id);
    }
    return fmt::format("T{:02x}{}", signal & 0xff, extra);
}

Result<std::string> GdbServer::thread_list(bool first) {
    if (first) {
        thread_list_at_ = 0;
    }
    const auto& all = threads_.threads();
    if (thread_list_at_ >= all.size()) {
        return std::string("l");
    }
    std::string reply = "m";
    for (; thread_list_at_ < all.size() && reply.size() < packet_size / 2; ++thread_list_at_) {
        if (reply.size() > 1) {
            reply += ',';
        }
        reply += fmt::format("{:x}", all[thread_list_at_].id);
    }
    return reply;
}

Result<std::string> GdbServer::transfer(std::string_view packet) {
    // qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH
    std::string_view rest = packet.substr(std::string_view("qXfer:").size());
    const auto object_end = rest.find(':');
    if (object_end == std::string_view::npos) {
        return std::string("E00");
    }
    const std::string_view object = rest.substr(0, object_end);
    rest = rest.substr(object_end + 1);
    if (!rest.starts_with("read:")) {
        return std::string(); // no object is writable
    }
    rest = rest.substr(5);
    const auto annex_end = rest.find(':');
    if (annex_end == std::string_view::npos) {
        return std::string("E00");
    }
    const std::string_view annex = rest.substr(0, annex_end);
    const std::string_view range = rest.substr(annex_end + 1);
    const bool from_start = range.starts_with("0,");
    const std::string key = fmt::format("{}:{}", object, annex);
    auto& document = documents_[key];
    if (object == "features") {
        if (annex != "target.xml") {
            return std::string("E00");
        }
        document = arch::gdb_target_xml(arch_);
    } else if (object == "threads") {
        if (from_start || document.empty()) {
            document = "<?xml version=\"1.0\"?>\n<threads>\n";
            for (const auto& thread : threads_.threads()) {
                document +=
                    fmt::format("<thread id=\"{:x}\" core=\"{}\" name=\"{}\">{}</thread>\n",
                                thread.id, thread.vcpu ? *thread.vcpu : std::max(thread.cpu, 0),
                                rsp::xml_escape(terminal_text(thread.comm)),
                                rsp::xml_escape(thread_description(thread)));
            }
            document += "</threads>\n";
        }
    } else if (object == "libraries") {
        if (from_start || document.empty()) {
            std::vector<std::string> notes;
            const auto modules = backend_.kernel()
                                     ? backend_.modules()
                                     : std::vector<kernel::ModuleDebugInfo::SymbolFile>{};
            document = libraries_.document(modules, notes);
            for (const auto& note : notes) {
                backend_.note(note);
            }
        }
    } else {
        documents_.erase(key);
        return std::string();
    }
    return xfer_chunk(document, range);
}

Result<std::string> GdbServer::offsets() {
    auto view = backend_.kernel();
    if (!view || (*view)->kaslr_offset() == 0) {
        return std::string("Text=0;Data=0;Bss=0");
    }
    // Every segment of the vmlinux moves by the same offset: the first (text) segment's new
    // base says it, and GDB applies it to the segments that follow.
    auto text = (*view)->address_of("_text");
    if (!text) {
        return std::string("Text=0;Data=0;Bss=0");
    }
    return fmt::format("TextSeg={:x}", *text);
}

Result<std::string> GdbServer::monitor(std::string_view hex_command) {
    auto decoded = rsp::hex_decode(hex_command);
    if (!decoded.ok()) {
        return std::string("E01");
    }
    std::string_view command = decoded.data;
    if (command == "kdive" || command.starts_with("kdive ")) {
        command.remove_prefix(std::min<std::size_t>(command.size(), 6)); // kdive's old relay form
    }
    std::optional<int> vcpu;
    if (const ServedThread* thread = selected(false)) {
        if (thread->vcpu) {
            vcpu = thread->vcpu;
        } else if (thread->cpu >= 0 && thread->cpu < target_.vcpu_count()) {
            vcpu = thread->cpu;
        }
    }
    const std::string output = backend_.monitor(command, vcpu);
    // The output goes back in `O` packets small enough for any debugger's buffer.
    constexpr std::size_t chunk = 512;
    for (std::size_t at = 0; at < output.size(); at += chunk) {
        if (auto sent =
                connection_->send("O" + hex_text(std::string_view(output).substr(at, chunk)));
            !sent) {
            return std::unexpected(sent.error());
        }
    }
    return std::string("OK");
}

Result<std::string> GdbServer::query(std::string_view packet) {
    if (packet.starts_with("qSupported")) {
        return fmt::format("PacketSize={:x};QStartNoAckMode+;qXfer:features:read+;"
                           "qXfer:threads:read+;qXfer:libraries:read+;vContSupported+",
                           packet_size);
    }
    if (packet.starts_with("qXfer:")) {
        return transfer(packet);
    }
    if (packet == "qfThreadInfo" || packet == "qsThreadInfo") {
        return thread_list(packet == "qfThreadInfo");
    }
    if (packet.starts_with("qThreadExtraInfo,")) {
        auto id = parse_thread(packet.substr(17));
        const ServedThread* thread = id ? threads_.find(*id) : nullptr;
        if (thread == nullptr) {
            return std::string("E01");
        }
        return hex_text(thread_description(*thread));
    }
    if (packet == "qC") {
        const ServedThread* thread = selected(false);
        return thread ? fmt::format("QC{:x}", thread->id) : std::string();
    }
    if (packet == "qAttached" || packet.starts_with("qAttached:")) {
        return std::string("1"); // quitting detaches: the VM is not the debugger's to kill
    }
    if (packet == "qOffsets") {
        return offsets();
    }
    if (packet.starts_with("qRcmd,")) {
        return monitor(packet.substr(6));
    }
    if (packet.starts_with("qSymbol")) {
        return std::string("OK");
    }
    if (packet.starts_with("qThreadStopInfo")) {
        auto id = parse_hex(packet.substr(15));
        const ServedThread* thread = id ? threads_.find(*id) : nullptr;
        if (thread == nullptr) {
            return std::string("E01");
        }
        // LLDB names its threads from this reply (GDB takes names from qXfer:threads).
        const std::string name = "hexname:" + hex_text(terminal_text(thread->comm)) + ";";
        if (thread->vcpu && last_stop_ && *thread->vcpu == last_stop_->vcpu) {
            return stop_reply() + name;
        }
        return fmt::format("T00thread:{:x};{}", thread->id, name);
    }
    if (packet == "qHostInfo") {
        std::string reply = fmt::format("triple:{};ptrsize:8;endian:little;",
                                        hex_text(arch::gdb_host_triple(arch_)));
        // LLDB strips arm64's pointer-authentication codes from return addresses above this
        // many bits (and sign-extends kernel ones); without it only the top byte.
        if (auto tcr = registers_.translation_control()) {
            if (const unsigned bits = arch::aarch64::kernel_address_bits(*tcr); bits != 0) {
                reply += fmt::format("addressing_bits:{};", bits);
            }
        }
        return reply;
    }
    return std::string();
}

Result<std::string> GdbServer::read_registers(std::optional<std::size_t> regnum) {
    const ServedThread* thread = selected(false);
    if (thread == nullptr) {
        return std::string("E01");
    }
    auto file = registers_.read(*thread);
    if (!file) {
        return error_reply(file.error());
    }
    const auto layout = arch::gdb_registers(arch_);
    if (!regnum) {
        return encode_register_file(**file, layout);
    }
    if (*regnum >= (*file)->size()) {
        return std::string("E01");
    }
    RegisterFile one(layout.size());
    one[*regnum] = (**file)[*regnum];
    const std::string all = encode_register_file(one, layout);
    // The one register's hex: its place in the full encoding.
    std::size_t at = 0;
    for (std::size_t i = 0; i < *regnum; ++i) {
        at += static_cast<std::size_t>(layout[i].bitsize) / 4;
    }
    return all.substr(at, static_cast<std::size_t>(layout[*regnum].bitsize) / 4);
}

Result<std::string> GdbServer::write_register(std::string_view packet) {
    if (auto why = read_only_reason(); !why.empty()) {
        return "E." + why;
    }
    const auto equals = packet.find('=');
    auto regnum = parse_hex(packet.substr(1, equals == std::string_view::npos ? 0 : equals - 1));
    auto bytes = rsp::hex_decode(equals == std::string_view::npos ? "" : packet.substr(equals + 1));
    const ServedThread* thread = selected(false);
    if (!regnum || !bytes.ok() || thread == nullptr) {
        return std::string("E01");
    }
    std::vector<std::uint8_t> value(bytes.data.begin(), bytes.data.end());
    if (auto ok = registers_.write(*thread, *regnum, value); !ok) {
        return error_reply(ok.error());
    }
    return std::string("OK");
}

Result<std::string> GdbServer::read_memory(std::string_view packet) {
    auto range = rsp::parse_address_range(packet.substr(1));
    if (!range) {
        return std::string("E01");
    }
    const auto [address, asked] = *range;
    const std::size_t length = std::min<std::uint64_t>(asked, packet_size / 2);
    std::vector<std::uint8_t> bytes(length);
    if (target_.read_memory(address, bytes)) {
        return rsp::hex_encode(
            std::string_view(reinterpret_cast<const char*>(bytes.data()), length));
    }
    // A read crossing into an unmapped page returns the readable start, as GDB expects.
    std::size_t readable = 0;
    while (readable < length) {
        const std::uint64_t at = address + readable;
        const std::size_t piece = std::min<std::uint64_t>(length - readable, 0x1000 - (at & 0xfff));
        if (!target_.read_memory(at, std::span(bytes).subspan(readable, piece))) {
            break;
        }
        readable += piece;
    }
    if (readable == 0) {
        return std::string("E14");
    }
    return rsp::hex_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), readable));
}

Result<std::string> GdbServer::write_memory(std::string_view packet, bool binary) {
    const auto colon = packet.find(':');
    auto range =
        rsp::parse_address_range(packet.substr(1, colon == std::string_view::npos ? 0 : colon - 1));
    if (!range || colon == std::string_view::npos) {
        return std::string("E01");
    }
    const std::string_view data = packet.substr(colon + 1);
    auto decoded = binary ? rsp::unescape_binary(data) : rsp::hex_decode(data);
    if (!decoded.ok() || decoded.data.size() != range->length) {
        return std::string("E01");
    }
    if (decoded.data.empty()) {
        return std::string("OK"); // GDB's probe for X support
    }
    if (auto why = read_only_reason(); !why.empty()) {
        return "E." + why;
    }
    std::vector<std::uint8_t> bytes(decoded.data.begin(), decoded.data.end());
    if (auto ok = target_.write_memory(range->address, bytes); !ok) {
        return error_reply(ok.error());
    }
    return std::string("OK");
}

Result<std::string> GdbServer::breakpoint(std::string_view packet) {
    // Z/z TYPE,ADDR,KIND
    const bool insert = packet[0] == 'Z';
    if (packet.size() < 3 || packet[2] != ',') {
        return std::string("E01");
    }
    static constexpr target::BreakpointKind kinds[] = {
        target::BreakpointKind::software, target::BreakpointKind::hardware,
        target::BreakpointKind::write_watch, target::BreakpointKind::read_watch,
        target::BreakpointKind::access_watch};
    const int type = packet[1] - '0';
    if (type < 0 || type > 4) {
        return std::string();
    }
    std::string_view rest = packet.substr(3);
    rest = rest.substr(0, rest.find(';')); // conditions are the debugger's to evaluate
    auto range = rsp::parse_address_range(rest);
    if (!range) {
        return std::string("E01");
    }
    if (auto why = read_only_reason(); !why.empty()) {
        return "E." + why;
    }
    target::Breakpoint point{kinds[type], range->address,
                             target::is_watchpoint(kinds[type]) ? range->length : 1};
    auto done = insert ? target_.insert_breakpoint(point) : target_.remove_breakpoint(point);
    if (!done) {
        if (!insert) {
            return std::string("OK"); // already gone
        }
        return error_reply(done.error());
    }
    return std::string("OK");
}

Result<std::string> GdbServer::resume(const ResumeRequest& request) {
    if (auto why = read_only_reason(); !why.empty()) {
        return "E." + why + ": it cannot run or step";
    }
    if (request.step) {
        const ServedThread* thread =
            request.thread ? threads_.find(*request.thread) : selected(true);
        if (thread == nullptr) {
            return std::string("E.no such thread to step");
        }
        if (!thread->vcpu) {
            return fmt::format("E.cannot step pid {} ({}): it is not running on any CPU, it "
                               "sleeps; step a thread that runs, or set a breakpoint where this "
                               "one will wake up",
                               thread->pid, terminal_text(thread->comm));
        }
        if (auto ok = target_.select_vcpu(*thread->vcpu); !ok) {
            return error_reply(ok.error());
        }
        if (auto ok = target_.step(); !ok) {
            return error_reply(ok.error());
        }
    } else if (auto ok = target_.resume(); !ok) {
        return error_reply(ok.error());
    }
    return std::string();
}

Result<std::string> GdbServer::resume_packet(std::string_view packet) {
    ResumeRequest request;
    if (packet.starts_with("vCont;")) {
        auto parsed = parse_vcont(packet);
        if (!parsed) {
            return error_reply(parsed.error());
        }
        request = *parsed;
    } else {
        // c, C, s, S with an optional resume address, which no debugger sends to a kernel.
        request.step = packet[0] == 's' || packet[0] == 'S';
        const auto separator = packet.find(';');
        if ((packet[0] == 'c' || packet[0] == 's') && packet.size() > 1) {
            return std::string("E.resuming at another address is not supported");
        }
        if (separator != std::string_view::npos) {
            return std::string("E.resuming at another address is not supported");
        }
    }
    return resume(request);
}

Result<std::optional<std::string>> GdbServer::run() {
    bool interrupted = false;
    for (;;) {
        auto input = connection_->next(20ms);
        if (!input) {
            return std::unexpected(input.error());
        }
        if (input->kind == rsp::DebuggerInput::Kind::closed) {
            return std::optional<std::string>{};
        }
        if ((input->kind == rsp::DebuggerInput::Kind::interrupt || stop_()) && !interrupted) {
            if (auto ok = target_.interrupt(); !ok) {
                return std::unexpected(ok.error());
            }
            interrupted = true;
        }
        auto stop = target_.wait_for_stop(20ms);
        if (!stop) {
            return std::unexpected(stop.error());
        }
        if (*stop) {
            // The debugger's selection becomes the thread that stopped (selected() falls back
            // to it), as a stop reply tells it.
            last_stop_ = **stop;
            general_thread_.reset();
            continue_thread_.reset();
            return std::optional<std::string>{stop_reply()};
        }
    }
}

void GdbServer::release() {
    if (!target_.has_execution()) {
        return;
    }
    if (target_.running()) {
        if (target_.interrupt()) {
            (void)target_.wait_for_stop(stop_timeout);
        }
    }
    const auto inserted = target_.inserted_breakpoints();
    for (const auto& point : inserted) {
        if (auto ok = target_.remove_breakpoint(point); !ok) {
            backend_.note(ok.error().message);
        }
    }
    if (!target_.running()) {
        if (auto ok = target_.resume(); !ok) {
            backend_.note(ok.error().message);
        }
    }
}

Result<std::string> GdbServer::handle(std::string_view packet, After& after) {
    after = After::reply;
    if (packet.empty()) {
        return std::string();
    }
    switch (packet[0]) {
    case '?':
        return stop_reply();
    case 'q':
        return query(packet);
    case 'Q':
        if (packet == "QStartNoAckMode") {
            return std::string("OK");
        }
        return std::string();
    case 'H': {
        if (packet.size() < 2) {
            return std::string("E01");
        }
        auto id = parse_thread(packet.substr(2));
        if (id && threads_.find(*id) == nullptr) {
            return std::string("E01");
        }
        (packet[1] == 'c' ? continue_thread_ : general_thread_) = id;
        return std::string("OK");
    }
    case 'T': {
        auto id = parse_thread(packet.substr(1));
        return std::string(id && threads_.find(*id) ? "OK" : "E01");
    }
    case 'g':
        return read_registers(std::nullopt);
    case 'p': {
        auto regnum = parse_hex(packet.substr(1));
        if (!regnum) {
            return std::string("E01");
        }
        return read_registers(*regnum);
    }
    case 'P':
        return write_register(packet);
    case 'G':
        return std::string("E.writing all registers at once is not supported; set one");
    case 'm':
        return read_memory(packet);
    case 'M':
        return write_memory(packet, false);
    case 'X':
        return write_memory(packet, true);
    case 'Z':
    case 'z':
        return breakpoint(packet);
    case 'c':
    case 'C':
    case 's':
    case 'S': {
        auto started = resume_packet(packet);
        if (started && started->empty()) {
            after = After::stopped;
        }
        return started;
    }
    case 'v':
        if (packet == "vCont?") {
            return std::string("vCont;c;C;s;S");
        }
        if (packet.starts_with("vCont;")) {
            auto started = resume_packet(packet);
            if (started && started->empty()) {
                after = After::stopped;
            }
            return started;
        }
        if (packet.starts_with("vKill")) {
            after = After::end;
            return std::string("OK");
        }
        return std::string();
    case 'D':
        after = After::end;
        return std::string("OK");
    case 'k':
        after = After::end;
        return std::string(); // no reply to k
    default:
        return std::string();
    }
}

Result<> GdbServer::serve(rsp::DebuggerConnection& connection, std::function<bool()> stop) {
    connection_ = &connection;
    stop_ = std::move(stop);
    general_thread_.reset();
    continue_thread_.reset();
    documents_.clear();
    if (target_.running()) {
        if (auto ok = target_.interrupt(); !ok) {
            return ok;
        }
        auto stopped = target_.wait_for_stop(stop_timeout);
        if (!stopped) {
            return std::unexpected(stopped.error());
        }
        if (*stopped) {
            last_stop_ = **stopped;
        }
    }
    if (!last_stop_) {
        last_stop_ =
            target::StopEvent{target::StopEvent::Reason::interrupted, target_.current_vcpu()};
    }
    Result<> outcome;
    while (!stop_()) {
        auto input = connection.next(200ms);
        if (!input) {
            outcome = std::unexpected(input.error());
            break;
        }
        if (input->kind == rsp::DebuggerInput::Kind::closed) {
            break;
        }
        if (input->kind != rsp::DebuggerInput::Kind::packet) {
            continue; // an interrupt while stopped changes nothing
        }
        After after = After::reply;
        auto reply = handle(input->payload, after);
        if (!reply) {
            outcome = std::unexpected(reply.error());
            break;
        }
        if (after == After::stopped) {
            auto stopped = run();
            if (!stopped) {
                outcome = std::unexpected(stopped.error());
                break;
            }
            if (!*stopped) {
                break; // the debugger went away while the guest ran
            }
            reply = std::move(**stopped);
        }
        if (!(after == After::end && input->payload == "k")) {
            if (auto sent = connection.send(*reply); !sent) {
                outcome = sent;
                break;
            }
        }
        if (input->payload == "QStartNoAckMode") {
            connection.set_no_ack();
        }
        if (after == After::end) {
            break;
        }
    }
    release();
    connection_ = nullptr;
    return outcome;
}

} // namespace kdive::server
