// Command dispatch and GDB-like output. Everything goes through Target; nothing here sees RSP.
#include "cli/debugger_session.hpp"

#include "arch/architecture.hpp"
#include "cli/command_table.hpp"
#include "cli/interrupt_flag.hpp"
#include "cli/memory_format.hpp"
#include "support/guest_text.hpp"
#include "support/text.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <sys/wait.h>

namespace kdive::cli {

namespace {

using namespace std::chrono_literals;
using target::BreakpointKind;
using target::StopEvent;

constexpr auto poll_slice = 100ms;
// After an interrupt the stub answers at once; this only guards against a wedged VM.
constexpr auto interrupt_grace = 10s;

// Splits "word rest of line" (the word ends at a space or a '/', as in "x/4gx").
std::pair<std::string_view, std::string_view> split_command(std::string_view line) {
    line = trim(line);
    std::size_t end = 0;
    while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end])) &&
           line[end] != '/') {
        ++end;
    }
    return {line.substr(0, end), line.substr(end)};
}

// The general registers `info registers` shows by default, in GDB's order.
// One `info registers` row laid out as GDB's: the raw value from column 15, the natural one from
// column 35, each after at least one space.
std::string register_row(std::string_view name, std::string_view raw, std::string_view natural) {
    std::string row(name);
    const auto pad_to = [&row](std::size_t column) {
        row += ' ';
        if (row.size() < column) {
            row.append(column - row.size(), ' ');
        }
    };
    pad_to(15);
    row += raw;
    pad_to(35);
    row += natural;
    return row;
}

// The registers GDB's `info registers` shows: not the x87 state (st0-7 and its control words),
// vectors or mxcsr; fs and fs_base are general ones.
bool is_general_register(const target::RegisterDescription& reg) {
    static constexpr std::string_view x87_control[] = {"fctrl", "fstat", "ftag",  "fiseg",
                                                       "fioff", "foseg", "fooff", "fop"};
    return reg.bitsize <= 64 && reg.type != "i387_ext" && reg.name != "mxcsr" &&
           std::find(std::begin(x87_control), std::end(x87_control), reg.name) ==
               std::end(x87_control);
}

} // namespace

Result<int> parse_count(std::string_view text, std::string_view what) {
    text = trim(text);
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 0) {
        return fail("bad {} '{}'", what, text);
    }
    return value;
}

DebuggerSession::DebuggerSession(target::Target& target, Locations& locations, std::FILE* out,
                                 DebuggerOptions options)
    : target_(target), locations_(locations), out_(out), options_(options) {}

Result<> DebuggerSession::execute(std::string_view line) {
    // A command that throws (a bug, bad_alloc from a hostile size) fails on its own: the
    // session, its breakpoints and the way out through detach stay intact.
    try {
        auto done = dispatch(line);
        if (!done && done.error().is(ErrorKind::transport)) {
            connection_lost_ = true;
        }
        return done;
    } catch (const std::exception& e) {
        return fail("internal error in '{}': {}", trim(line), e.what());
    } catch (...) {
        return fail("internal error in '{}': unknown exception", trim(line));
    }
}

Result<> DebuggerSession::dispatch(std::string_view line) {
    if (auto pending = report_pending_stop(); !pending) {
        return pending;
    }
    auto spelt = CommandTable::repl().spell_out(line);
    if (!spelt) {
        return std::unexpected(spelt.error());
    }
    line = *spelt;
    auto [command, args] = split_command(line);
    if (command.empty()) {
        return {};
    }
    if (command == "shell") {
        return shell(args);
    }
    if (command == "help") {
        return help(args);
    }
    if (command == "info" || command == "i") {
        return info(args);
    }
    if (command == "x") {
        if (!args.starts_with('/')) {
            return examine("", args);
        }
        auto space = args.find_first_of(" \t");
        return examine(args.substr(0, space),
                       space == std::string_view::npos ? std::string_view{} : args.substr(space));
    }
    if (command == "break" || command == "b" || command == "br") {
        return add_breakpoint(BreakpointKind::software, args);
    }
    if (command == "hbreak" || command == "hb") {
        return add_breakpoint(BreakpointKind::hardware, args);
    }
    if (command == "watch") {
        return add_breakpoint(BreakpointKind::write_watch, args);
    }
    if (command == "rwatch") {
        return add_breakpoint(BreakpointKind::read_watch, args);
    }
    if (command == "awatch") {
        return add_breakpoint(BreakpointKind::access_watch, args);
    }
    if (command == "delete" || command == "d") {
        return delete_breakpoints(args);
    }
    if (command == "continue" || command == "c" || command == "cont") {
        return resume(args);
    }
    if (command == "stepi" || command == "si") {
        return stepi(args);
    }
    if (command == "interrupt") {
        return interrupt();
    }
    if (command == "cpu") {
        return select_cpu(args);
    }
    if (command == "monitor" || command == "mon") {
        return monitor(args);
    }
    if (command == "set" && split_command(args).first == "scheduler-locking") {
        return scheduler_locking(split_command(args).second);
    }
    if (command == "show" && trim(args) == "scheduler-locking") {
        fmt::print(out_, "Mode for locking scheduler during execution is \"{}\".\n",
                   target_.others_run_while_stepping() ? "off" : "step");
        return {};
    }
    if (command == "detach") {
        return detach();
    }
    if (command == "quit" || command == "q" || command == "exit") {
        return detach();
    }
    return run_handlers(line, fmt::format("unknown command '{}' (try 'help')", command));
}

Result<> DebuggerSession::scheduler_locking(std::string_view mode) {
    // GDB's modes: "on" would also keep the others stopped during continue, which a kernel
    // waiting on another CPU cannot survive; "replay" is "off" for a live target.
    mode = trim(mode);
    if (mode == "off" || mode == "replay") {
        return target_.set_others_run_while_stepping(true);
    }
    if (mode == "step") {
        return target_.set_others_run_while_stepping(false);
    }
    return fail_as(ErrorKind::invalid_input,
                   "set scheduler-locking: '{}' is not one of off, step, replay", mode);
}

Result<> DebuggerSession::help(std::string_view command) {
    command = trim(command);
    if (command.empty()) {
        fmt::print(out_, "{}", CommandTable::repl().help());
        return {};
    }
    auto text = CommandTable::repl().help(command);
    if (!text) {
        return std::unexpected(text.error());
    }
    fmt::print(out_, "{}", *text);
    return {};
}

Result<> DebuggerSession::shell(std::string_view command) {
    command = trim(command);
    if (command.empty()) {
        return fail_as(ErrorKind::invalid_input, "shell: which command? (shell COMMAND)");
    }
    (void)std::fflush(out_);
    (void)std::fflush(stdout);
    // system() runs /bin/sh -c with SIGINT ignored here, so Ctrl-C reaches the command only.
    const int status = std::system(std::string(command).c_str());
    if (status == -1) {
        return fail("shell: cannot run /bin/sh: {}", std::strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        return fail("shell: '{}' exited with status {}", command, WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return fail("shell: '{}' was killed by signal {}", command, WTERMSIG(status));
    }
    return {};
}

Result<> DebuggerSession::info_threads() {
    const int selected = target_.current_vcpu();
    fmt::print(out_, "  Id   Target Id         Frame\n");
    for (int vcpu = 0; vcpu < target_.vcpu_count(); ++vcpu) {
        std::string frame = "<unavailable>";
        if (auto chosen = target_.select_vcpu(vcpu); chosen) {
            if (auto rip = target_.read_register(arch::architecture_of(target_).pc); rip) {
                frame = fmt::format("{:#018x}", *rip);
                if (symbolizer_) {
                    frame += " in " + terminal_text(symbolizer_(*rip), TerminalText::message);
                }
            }
        }
        fmt::print(out_, "{} {:<4} vCPU {:<12} {}\n", vcpu == selected ? '*' : ' ', vcpu, vcpu,
                   frame);
    }
    return target_.select_vcpu(selected);
}

Result<> DebuggerSession::info(std::string_view args) {
    auto [what, rest] = split_command(args);
    if (what == "registers" || what == "reg" || what == "r" || what == "all-registers") {
        return info_registers(rest);
    }
    if (what == "breakpoints" || what == "break" || what == "b" || what == "watchpoints") {
        return info_breakpoints();
    }
    if (what == "threads") {
        return info_threads();
    }
    if (what == "target" || what == "files") {
        fmt::print(out_, "{}\n", terminal_text(target_.describe(), TerminalText::message));
        return {};
    }
    if (what.empty()) {
        return help("info");
    }
    return run_handlers("info " + std::string(args), "info: expected 'registers' or 'breakpoints'");
}

Result<> DebuggerSession::run_handlers(std::string_view line, std::string_view unknown) {
    for (auto& handler : handlers_) {
        auto handled = handler(line);
        if (!handled) {
            continue;
        }
        if (!*handled) {
            return std::unexpected(handled->error());
        }
        // Handlers escape the guest's strings; this is the net for any they missed.
        const std::string text = terminal_text(**handled, TerminalText::message);
        if (!text.empty()) {
            fmt::print(out_, "{}{}", text, text.ends_with('\n') ? "" : "\n");
        }
        return {};
    }
    return fail("{}", unknown);
}

Result<> DebuggerSession::info_registers(std::string_view args) {
    std::vector<std::string> names;
    args = trim(args);
    while (!args.empty()) {
        auto end = args.find(' ');
        std::string_view name = args.substr(0, end);
        if (name.starts_with('$')) {
            name.remove_prefix(1);
        }
        names.emplace_back(name);
        args = end == std::string_view::npos ? std::string_view{} : trim(args.substr(end));
    }
    if (names.empty()) {
        for (const auto& reg : target_.registers()) {
            if (is_general_register(reg)) {
                names.push_back(reg.name);
            }
        }
    }
    for (const auto& name : names) {
        auto bytes = target_.read_register_bytes(name);
        if (!bytes && bytes.error().message.find("<unavailable>") != std::string::npos) {
            fmt::print(out_, "{:<15}<unavailable>\n", name); // as GDB shows it
            continue;
        }
        if (!bytes) {
            return std::unexpected(bytes.error());
        }
        const auto described = std::find_if(target_.registers().begin(), target_.registers().end(),
                                            [&](const auto& reg) { return reg.name == name; });
        const std::string type = described != target_.registers().end() ? described->type : "";
        if (bytes->size() <= 8) {
            std::uint64_t value = 0;
            for (std::size_t i = 0; i < bytes->size(); ++i) {
                value |= std::uint64_t{(*bytes)[i]} << (8 * i);
            }
            // GDB's natural format by the register's type: pointers in hex, a code pointer with
            // the symbol it points into, integers in decimal.
            std::string natural = bytes->size() == 8
                                      ? fmt::format("{}", static_cast<std::int64_t>(value))
                                      : fmt::format("{}", value);
            if (type == "code_ptr" || type == "data_ptr") {
                natural = fmt::format("{:#x}", value);
                const std::string label =
                    type == "code_ptr" && code_labeler_ ? code_labeler_(value) : std::string();
                if (!label.empty()) {
                    natural += fmt::format(" <{}>", terminal_text(label, TerminalText::message));
                }
            }
            fmt::print(out_, "{}\n", register_row(name, fmt::format("{:#x}", value), natural));
        } else {
            std::string hex;
            for (auto it = bytes->rbegin(); it != bytes->rend(); ++it) {
                hex += fmt::format("{:02x}", *it);
            }
            fmt::print(out_, "{:<15}0x{}\n", name, hex);
        }
    }
    return {};
}

Result<> DebuggerSession::info_breakpoints() {
    if (breakpoints_.empty()) {
        fmt::print(out_, "No breakpoints or watchpoints.\n");
        return {};
    }
    fmt::print(out_, "{:<4}{:<16}{:<20}{}\n", "Num", "Type", "Address", "What");
    for (const auto& entry : breakpoints_) {
        const auto& bp = entry.breakpoint;
        std::string what = target::is_watchpoint(bp.kind) ? fmt::format("{} bytes", bp.length) : "";
        if (entry.hits > 0) {
            what += fmt::format("{}hit {} time{}", what.empty() ? "" : ", ", entry.hits,
                                entry.hits == 1 ? "" : "s");
        }
        fmt::print(out_, "{:<4}{:<16}{:<20}{}\n", entry.number, target::to_string(bp.kind),
                   fmt::format("{:#018x}", bp.address), what);
    }
    return {};
}

Result<> DebuggerSession::examine(std::string_view spec, std::string_view args) {
    auto format = parse_examine_format(spec);
    if (!format) {
        return std::unexpected(format.error());
    }
    if (trim(args).empty()) {
        return fail("x: expected an address");
    }
    auto address = locations_.address(args);
    if (!address) {
        return std::unexpected(address.error());
    }
    CpuMode mode = format->format == 'i' ? cpu_mode(target_) : CpuMode::long64;
    auto text = cli::examine(target_, *address, *format, mode);
    if (!text) {
        return std::unexpected(text.error());
    }
    fmt::print(out_, "{}", terminal_text(*text, TerminalText::message));
    return {};
}

Result<> DebuggerSession::add_breakpoint(BreakpointKind kind, std::string_view args) {
    args = trim(args);
    if (args.empty()) {
        return fail("{}: expected a location such as *0xffffffff81000000", target::to_string(kind));
    }
    std::size_t length = 1;
    if (target::is_watchpoint(kind)) {
        length = 8;
        // An optional length after the address: "watch *0x1000 4".
        auto space = args.rfind(' ');
        if (space != std::string_view::npos) {
            auto parsed = parse_count(args.substr(space + 1), "watch length");
            if (parsed) {
                if (*parsed != 1 && *parsed != 2 && *parsed != 4 && *parsed != 8) {
                    return fail("watch length must be 1, 2, 4 or 8");
                }
                length = static_cast<std::size_t>(*parsed);
                args = trim(args.substr(0, space));
            }
        }
    }
    auto address = locations_.breakpoint_location(args);
    if (!address) {
        return std::unexpected(address.error());
    }
    target::Breakpoint bp{kind, *address, length};
    for (const auto& entry : breakpoints_) {
        if (entry.breakpoint == bp) {
            return fail("{} {} is already at {:#x}", target::to_string(kind), entry.number,
                        *address);
        }
    }
    if (auto ok = target_.insert_breakpoint(bp); !ok) {
        return ok;
    }
    int number = next_number_++;
    breakpoints_.push_back({number, bp, 0});
    std::string label(target::to_string(kind));
    label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
    fmt::print(out_, "{} {} at {:#x}\n", label, number, *address);
    return {};
}

Result<> DebuggerSession::delete_breakpoints(std::string_view args) {
    args = trim(args);
    std::vector<int> numbers;
    if (args.empty()) {
        for (const auto& entry : breakpoints_) {
            numbers.push_back(entry.number);
        }
    } else {
        while (!args.empty()) {
            auto end = args.find(' ');
            auto number = parse_count(args.substr(0, end), "breakpoint number");
            if (!number) {
                return std::unexpected(number.error());
            }
            numbers.push_back(*number);
            args = end == std::string_view::npos ? std::string_view{} : trim(args.substr(end));
        }
    }
    for (int number : numbers) {
        auto found = std::find_if(breakpoints_.begin(), breakpoints_.end(),
                                  [number](const auto& e) { return e.number == number; });
        if (found == breakpoints_.end()) {
            return fail("no breakpoint number {}", number);
        }
        if (auto ok = target_.remove_breakpoint(found->breakpoint); !ok) {
            return ok;
        }
        breakpoints_.erase(found);
    }
    return {};
}

Result<StopEvent>
DebuggerSession::wait_for_stop(std::optional<std::chrono::steady_clock::time_point> since) {
    auto started = since.value_or(std::chrono::steady_clock::now());
    std::optional<std::chrono::steady_clock::time_point> interrupted_at;
    take_interrupt_request(); // a Ctrl-C typed before resuming is not meant for this run
    for (;;) {
        auto stop = target_.wait_for_stop(poll_slice);
        if (!stop) {
            return std::unexpected(stop.error());
        }
        if (*stop) {
            return **stop;
        }
        auto now = std::chrono::steady_clock::now();
        if (interrupted_at) {
            if (now - *interrupted_at > interrupt_grace) {
                return fail("the guest did not stop within {} s of an interrupt",
                            interrupt_grace.count());
            }
            continue;
        }
        bool timed_out = options_.stop_timeout && now - started > *options_.stop_timeout;
        // SIGTERM/SIGHUP stop the guest too, even when they came before this run began.
        const bool asked = take_interrupt_request() || termination_signal() != 0;
        if (asked || timed_out) {
            if (auto ok = target_.interrupt(); !ok) {
                return std::unexpected(ok.error());
            }
            interrupted_at = now;
            if (timed_out) {
                auto stopped = target_.wait_for_stop(interrupt_grace);
                if (stopped && *stopped) {
                    report_stop(**stopped);
                }
                return fail("no stop within {} ms: interrupted the guest",
                            options_.stop_timeout->count());
            }
        }
    }
}

void DebuggerSession::print_location() {
    auto rip = target_.read_register(arch::architecture_of(target_).pc);
    if (!rip) {
        return;
    }
    if (source_liner_) {
        if (const std::string line = source_liner_(*rip); !line.empty()) {
            fmt::print(out_, "{}\n", line);
            return;
        }
    }
    auto text = cli::examine(target_, *rip, ExamineFormat{1, 'i', 1}, cpu_mode(target_));
    if (text) {
        fmt::print(out_, "=> {}", terminal_text(*text, TerminalText::message));
    } else {
        fmt::print(out_, "=> {:#x}\n", *rip);
    }
}

void DebuggerSession::report_stop(const StopEvent& stop) {
    switch (stop.reason) {
    case StopEvent::Reason::exited:
        fmt::print(out_, "The VM exited (code {}).\n", stop.exit_code);
        finished_ = true;
        return;
    case StopEvent::Reason::watchpoint: {
        std::string which;
        for (auto& entry : breakpoints_) {
            if (target::is_watchpoint(entry.breakpoint.kind) &&
                entry.breakpoint.address == stop.watch_address) {
                ++entry.hits;
                which = fmt::format(" {}", entry.number);
            }
        }
        fmt::print(out_, "\n{}{}: *{:#x} (vCPU {})\n", target::to_string(stop.watch_kind), which,
                   stop.watch_address, stop.vcpu);
        break;
    }
    case StopEvent::Reason::breakpoint: {
        auto rip = target_.read_register(arch::architecture_of(target_).pc);
        bool reported = false;
        for (auto& entry : breakpoints_) {
            if (!target::is_watchpoint(entry.breakpoint.kind) && rip &&
                entry.breakpoint.address == *rip) {
                ++entry.hits;
                // Module symbols may come from guest memory.
                std::string where = symbolizer_
                                        ? terminal_text(symbolizer_(*rip), TerminalText::message)
                                        : std::string();
                fmt::print(out_, "\nBreakpoint {}, {:#x}{}{} (vCPU {})\n", entry.number, *rip,
                           where.empty() ? "" : " in ", where, stop.vcpu);
                reported = true;
                break;
            }
        }
        if (!reported && stop.vcpu != 0) {
            fmt::print(out_, "[vCPU {}]\n", stop.vcpu);
        }
        break;
    }
    case StopEvent::Reason::interrupted:
        fmt::print(out_, "\nInterrupted (vCPU {}).\n", stop.vcpu);
        break;
    case StopEvent::Reason::signal:
        fmt::print(out_, "\nStopped with signal {} (vCPU {}).\n", stop.signal, stop.vcpu);
        break;
    }
    print_location();
}

Result<> DebuggerSession::report_pending_stop() {
    if (!target_.running()) {
        return {};
    }
    auto stop = target_.wait_for_stop(std::chrono::milliseconds{0});
    if (!stop) {
        return std::unexpected(stop.error());
    }
    if (*stop) {
        report_stop(**stop);
    }
    return {};
}

Result<> DebuggerSession::resume(std::string_view args) {
    bool background = trim(args) == "&";
    if (!background && !trim(args).empty()) {
        return fail("continue: unexpected '{}'", trim(args));
    }
    if (target_.running()) {
        return fail("the guest is already running");
    }
    if (auto ok = target_.resume(); !ok) {
        return ok;
    }
    if (background) {
        fmt::print(out_, "Continuing in the background ('interrupt' stops it).\n");
        return {};
    }
    fmt::print(out_, "Continuing.\n");
    (void)std::fflush(out_);
    auto stop = wait_for_stop();
    if (!stop) {
        return std::unexpected(stop.error());
    }
    report_stop(*stop);
    return {};
}

Result<> DebuggerSession::stepi(std::string_view args) {
    int count = 1;
    if (!trim(args).empty()) {
        auto parsed = parse_count(args, "step count");
        if (!parsed) {
            return std::unexpected(parsed.error());
        }
        count = std::max(1, *parsed);
    }
    for (int i = 0; i < count; ++i) {
        if (auto ok = target_.step(); !ok) {
            return ok;
        }
        auto stop = wait_for_stop();
        if (!stop) {
            return std::unexpected(stop.error());
        }
        // Anything but the step's own SIGTRAP (a watchpoint, the VM exiting) ends the run.
        if (stop->reason != StopEvent::Reason::breakpoint || i + 1 == count) {
            report_stop(*stop);
            break;
        }
    }
    return {};
}

Result<> DebuggerSession::interrupt() {
    if (!target_.running()) {
        return fail("the guest is not running");
    }
    if (auto ok = target_.interrupt(); !ok) {
        return ok;
    }
    auto stop = target_.wait_for_stop(interrupt_grace);
    if (!stop) {
        return std::unexpected(stop.error());
    }
    if (!*stop) {
        return fail("the guest did not stop within {} s", interrupt_grace.count());
    }
    report_stop(**stop);
    return {};
}

Result<> DebuggerSession::select_cpu(std::string_view args) {
    if (trim(args).empty()) {
        fmt::print(out_, "vCPU {} of {}\n", target_.current_vcpu(), target_.vcpu_count());
        return {};
    }
    auto index = parse_count(args, "vCPU number");
    if (!index) {
        return std::unexpected(index.error());
    }
    if (auto ok = target_.select_vcpu(*index); !ok) {
        return ok;
    }
    fmt::print(out_, "[Switching to vCPU {}]\n", *index);
    print_location();
    return {};
}

Result<> DebuggerSession::monitor(std::string_view args) {
    auto output = target_.monitor(trim(args));
    if (!output) {
        return std::unexpected(output.error());
    }
    // HMP ends lines with \r\n.
    std::string text = *output;
    std::erase(text, '\r');
    fmt::print(out_, "{}", terminal_text(text, TerminalText::message));
    return {};
}

Result<> DebuggerSession::detach() {
    finished_ = true;
    auto ok = target_.detach();
    breakpoints_.clear();
    if (ok && target_.has_execution()) {
        fmt::print(options_.batch ? stderr : out_, "Detached; the guest is running.\n");
    }
    return ok;
}

Result<> DebuggerSession::finish() {
    if (finished_) {
        return {};
    }
    auto ok = detach();
    if (!ok && connection_lost_ && ok.error().is(ErrorKind::transport)) {
        return {};
    }
    return ok;
}

} // namespace kdive::cli
