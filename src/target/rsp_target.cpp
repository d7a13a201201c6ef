// RSP backend of Target: caches registers and pages per stop, tracks breakpoints for detach.
#include "target/rsp_target.hpp"

#include <algorithm>

namespace kdive::target {

namespace {

rsp::BreakpointType to_rsp(BreakpointKind kind) {
    switch (kind) {
    case BreakpointKind::software:
        return rsp::BreakpointType::software;
    case BreakpointKind::hardware:
        return rsp::BreakpointType::hardware;
    case BreakpointKind::write_watch:
        return rsp::BreakpointType::write_watch;
    case BreakpointKind::read_watch:
        return rsp::BreakpointType::read_watch;
    case BreakpointKind::access_watch:
        return rsp::BreakpointType::access_watch;
    }
    return rsp::BreakpointType::software;
}

constexpr int sigint = 2;
constexpr int sigtrap = 5;

} // namespace

RspTarget::RspTarget(std::unique_ptr<rsp::RspClient> client, RspTargetOptions options)
    : client_(std::move(client)), options_(options), virtual_cache_(options.client.page_size),
      physical_cache_(options.client.page_size) {}

Result<std::unique_ptr<RspTarget>> RspTarget::attach(const rsp::Endpoint& endpoint,
                                                     RspTargetOptions options) {
    auto client = rsp::RspClient::connect(endpoint, options.client);
    if (!client) {
        return std::unexpected(client.error());
    }
    return attach(std::move(*client), options);
}

Result<std::unique_ptr<RspTarget>> RspTarget::attach(std::unique_ptr<rsp::RspClient> client,
                                                     RspTargetOptions options) {
    std::unique_ptr<RspTarget> target(new RspTarget(std::move(client), options));
    if (auto ok = target->initialise(); !ok) {
        return wrap(ok.error(), fmt::format("attaching to {}", target->client_->peer()));
    }
    return target;
}

Result<> RspTarget::initialise() {
    // QEMU stops a running guest when a debugger connects, so the target is stopped from here.
    client_->take_unsolicited_stops();
    // Before QEMU 8.2, `p` answers nothing until target.xml has been read.
    auto map = client_->read_target_description();
    if (!map) {
        return std::unexpected(map.error());
    }
    map_ = std::move(*map);
    for (const auto& info : map_.registers) {
        descriptions_.push_back({info.name, info.bitsize, info.type});
    }
    auto threads = client_->list_threads();
    if (!threads) {
        return std::unexpected(threads.error());
    }
    if (threads->empty()) {
        return fail_as(ErrorKind::corrupt, "{} reports no vCPUs", client_->peer());
    }
    threads_ = std::move(*threads);
    // `?` names the vCPU the stub has selected; QEMU also drops breakpoints here, and we
    // have inserted none yet.
    auto stop = client_->query_stop_reason();
    if (!stop) {
        return std::unexpected(stop.error());
    }
    current_ = stop->thread ? std::max(0, vcpu_of(*stop->thread)) : 0;
    // A previous client may have left another vCPU selected for registers and memory: say
    // which one kdive means. (Hc is sent before a step that needs it.)
    if (auto ok = client_->select_thread('g', threads_[static_cast<std::size_t>(current_)]); !ok) {
        return ok;
    }
    attached_ = true;
    return {};
}

RspTarget::~RspTarget() {
    if (attached_) {
        (void)detach();
    }
}

int RspTarget::vcpu_of(const rsp::ThreadId& thread) const {
    for (std::size_t i = 0; i < threads_.size(); ++i) {
        if (threads_[i].tid == thread.tid) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

Result<> RspTarget::require_stopped(std::string_view what) const {
    if (exit_reason_) {
        return fail_as(ErrorKind::transport, "{}: {}", what, *exit_reason_);
    }
    if (!attached_) {
        return fail_as(ErrorKind::transport, "{}: not attached", what);
    }
    if (running_) {
        return fail("{}: the guest is running (interrupt it first)", what);
    }
    return {};
}

void RspTarget::forget_state() {
    bump_generation();
    registers_.reset();
    other_registers_.clear();
    virtual_cache_.clear();
    physical_cache_.clear();
    if (translator_) {
        translator_->invalidate();
    }
}

std::string RspTarget::describe() const {
    return fmt::format("gdbstub {}, {} vCPU{}; memory: {}", client_->peer(), vcpu_count(),
                       vcpu_count() == 1 ? "" : "s",
                       ram_ ? "guest RAM read directly, " + ram_->describe()
                            : std::string("through the gdbstub"));
}

void RspTarget::set_direct_memory(std::unique_ptr<GuestRam> ram,
                                  std::unique_ptr<AddressTranslator> translator) {
    ram_ = std::move(ram);
    translator_ = std::move(translator);
}

std::optional<Result<>> RspTarget::read_direct(std::uint64_t address, std::span<std::uint8_t> out) {
    if (!ram_ || !translator_) {
        return std::nullopt;
    }
    std::size_t done = 0;
    while (done < out.size()) {
        auto run = translator_->translate(address + done, current_);
        if (!run) {
            // Not mapped by the page tables: the stub would say the same (E14).
            if (run.error().is(ErrorKind::unmapped)) {
                return Result<>(wrap(
                    run.error(), fmt::format("reading {} bytes at {:#x}", out.size(), address)));
            }
            return std::nullopt;
        }
        const std::size_t length = static_cast<std::size_t>(
            std::min<std::uint64_t>(out.size() - done, std::max<std::uint64_t>(run->length, 1)));
        if (!ram_->read(run->physical, out.subspan(done, length))) {
            return std::nullopt; // device memory or a hole: the stub knows what reads there
        }
        done += length;
    }
    return Result<>{};
}

void RspTarget::set_translator(std::unique_ptr<AddressTranslator> translator) {
    translator_ = std::move(translator);
}

Result<> RspTarget::read_translated(std::uint64_t address, std::span<std::uint8_t> out) {
    return for_each_physical_run(
        *translator_, current_, address, out.size(),
        [&](std::uint64_t physical, std::size_t offset, std::size_t length) {
            return read_physical(physical, out.subspan(offset, length));
        });
}

Result<> RspTarget::use_physical(bool physical) {
    return client_->set_physical_memory_mode(physical);
}

Result<> RspTarget::read_uncached(std::uint64_t address, std::span<std::uint8_t> out,
                                  bool physical) {
    if (auto ok = use_physical(physical); !ok) {
        return ok;
    }
    return client_->read_memory(address,
                                std::span<char>(reinterpret_cast<char*>(out.data()), out.size()));
}

Result<> RspTarget::read_memory(std::uint64_t address, std::span<std::uint8_t> out) {
    if (auto ok = require_stopped("reading memory"); !ok) {
        return ok;
    }
    if (auto direct = read_direct(address, out)) {
        return *direct;
    }
    Result<> ok = options_.cache_memory
                      ? virtual_cache_.read(address, out,
                                            [this](std::uint64_t page, auto bytes) {
                                                return read_uncached(page, bytes, false);
                                            })
                      : read_uncached(address, out, false);
    if (!ok && !ram_ && translator_ && (address >> 63) != 0) {
        if (auto translated = read_translated(address, out)) {
            return translated;
        }
    }
    // The stub's error names the page that failed; say what was asked for too.
    if (!ok) {
        return wrap(ok.error(), fmt::format("reading {} bytes at {:#x}", out.size(), address));
    }
    return ok;
}

Result<> RspTarget::read_memory_ranges(std::span<const MemoryRange> ranges) {
    if (auto ok = require_stopped("reading memory"); !ok) {
        return ok;
    }
    // Exact ranges, not whole pages: a walk over scattered structures (every task_struct)
    // needs a few hundred bytes of each, and the stub's time grows with the bytes it sends.
    std::vector<rsp::RspClient::MemoryRange> missing;
    for (const auto& range : ranges) {
        if (auto direct = read_direct(range.address, range.out)) {
            if (!*direct) {
                return *direct;
            }
            continue;
        }
        if (options_.cache_memory && virtual_cache_.read_cached(range.address, range.out)) {
            continue;
        }
        missing.push_back({range.address, std::span<char>(reinterpret_cast<char*>(range.out.data()),
                                                          range.out.size())});
    }
    if (missing.empty()) {
        return {};
    }
    if (auto ok = use_physical(false); !ok) {
        return ok;
    }
    if (auto ok = client_->read_memory_ranges(missing); !ok) {
        if (ram_ || !translator_) {
            return ok;
        }
        // Some range the selected vCPU cannot map: each on its own, through the translator
        // where the stub refuses.
        for (const auto& range : missing) {
            auto bytes =
                std::span(reinterpret_cast<std::uint8_t*>(range.out.data()), range.out.size());
            if (auto one = read_memory(range.address, bytes); !one) {
                return one;
            }
        }
        return {};
    }
    if (options_.cache_memory) {
        for (const auto& range : missing) {
            virtual_cache_.store_range(
                range.address, std::span(reinterpret_cast<const std::uint8_t*>(range.out.data()),
                                         range.out.size()));
        }
    }
    return {};
}

Result<> RspTarget::read_physical(std::uint64_t address, std::span<std::uint8_t> out) {
    if (auto ok = require_stopped("reading physical memory"); !ok) {
        return ok;
    }
    if (ram_ && ram_->read(address, out)) {
        return {};
    }
    Result<> ok = options_.cache_memory
                      ? physical_cache_.read(address, out,
                                             [this](std::uint64_t page, auto bytes) {
                                                 return read_uncached(page, bytes, true);
                                             })
                      : read_uncached(address, out, true);
    if (!ok) {
        return wrap(ok.error(),
                    fmt::format("reading {} bytes at physical {:#x}", out.size(), address));
    }
    return ok;
}

Result<> RspTarget::write(std::uint64_t address, std::span<const std::uint8_t> bytes,
                          bool physical) {
    if (auto ok = require_stopped("writing memory"); !ok) {
        return ok;
    }
    // Virtual and physical views alias each other (and kernel data derived from them): drop all.
    forget_state();
    if (auto ok = use_physical(physical); !ok) {
        return ok;
    }
    return client_->write_memory(
        address, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<> RspTarget::write_memory(std::uint64_t address, std::span<const std::uint8_t> bytes) {
    auto ok = write(address, bytes, false);
    if (ok || ram_ || !translator_ || (address >> 63) == 0) {
        return ok;
    }
    // A kernel address the selected vCPU cannot map (see set_translator): written physically,
    // page by page.
    std::size_t done = 0;
    while (done < bytes.size()) {
        auto run = translator_->translate(address + done, current_);
        if (!run) {
            return ok;
        }
        const std::size_t length = static_cast<std::size_t>(
            std::min<std::uint64_t>(bytes.size() - done, std::max<std::uint64_t>(run->length, 1)));
        if (auto written = write(run->physical, bytes.subspan(done, length), true); !written) {
            return written;
        }
        done += length;
    }
    return {};
}

Result<> RspTarget::write_physical(std::uint64_t address, std::span<const std::uint8_t> bytes) {
    return write(address, bytes, true);
}

Result<std::vector<std::uint8_t>> RspTarget::read_register_bytes(std::string_view name) {
    if (auto ok = require_stopped("reading registers"); !ok) {
        return std::unexpected(ok.error());
    }
    const auto* info = map_.find(name);
    if (info == nullptr) {
        return fail_as(ErrorKind::invalid_input, "no register named '{}'", name);
    }
    if (!registers_) {
        auto all = client_->read_all_registers();
        if (!all) {
            return std::unexpected(all.error());
        }
        registers_ = std::move(*all);
    }
    // The reply's length is checked every time: a stub whose layout shrinks (a 32-bit view
    // of a CPU in real mode) still answers `p` for what `g` left out.
    const auto unavailable = [&] {
        return fail_as(ErrorKind::unsupported,
                       "register {}: <unavailable> ({} has no value for it)", name,
                       client_->peer());
    };
    if (info->offset + info->size() <= registers_->bytes.size()) {
        if (!registers_->available(info->offset, info->size())) {
            return unavailable();
        }
        auto begin = registers_->bytes.begin() + static_cast<std::ptrdiff_t>(info->offset);
        return std::vector<std::uint8_t>(begin, begin + static_cast<std::ptrdiff_t>(info->size()));
    }
    auto one = client_->read_register(info->regnum);
    if (!one) {
        return std::unexpected(one.error());
    }
    if (one->bytes.size() != info->size()) {
        return fail_as(ErrorKind::corrupt, "register {}: {} sent {} bytes, expected {}", name,
                       client_->peer(), one->bytes.size(), info->size());
    }
    if (!one->available(0, info->size())) {
        return unavailable();
    }
    return std::vector<std::uint8_t>(one->bytes.begin(), one->bytes.end());
}

Result<std::vector<std::uint8_t>> RspTarget::read_cpu_register_bytes(int vcpu,
                                                                     std::string_view name) {
    if (vcpu == current_) {
        return read_register_bytes(name);
    }
    if (auto ok = require_stopped("reading registers"); !ok) {
        return std::unexpected(ok.error());
    }
    if (vcpu < 0 || vcpu >= vcpu_count()) {
        return fail_as(ErrorKind::invalid_input, "no vCPU {} (the guest has {})", vcpu,
                       vcpu_count());
    }
    const auto* info = map_.find(name);
    if (info == nullptr) {
        return fail_as(ErrorKind::invalid_input, "no register named '{}'", name);
    }
    auto cached = other_registers_.find(vcpu);
    if (cached == other_registers_.end()) {
        if (auto ok = client_->select_thread('g', threads_[static_cast<std::size_t>(vcpu)]); !ok) {
            return std::unexpected(ok.error());
        }
        auto all = client_->read_all_registers();
        // The stub's selection goes back before anything else can read through it.
        auto back = client_->select_thread('g', threads_[static_cast<std::size_t>(current_)]);
        if (!all) {
            return std::unexpected(all.error());
        }
        if (!back) {
            return std::unexpected(back.error());
        }
        cached = other_registers_.emplace(vcpu, std::move(*all)).first;
    }
    const auto& bytes = cached->second;
    if (info->offset + info->size() > bytes.bytes.size() ||
        !bytes.available(info->offset, info->size())) {
        return fail_as(ErrorKind::unsupported,
                       "register {} of vCPU {}: <unavailable> ({} has no value for it)", name, vcpu,
                       client_->peer());
    }
    auto begin = bytes.bytes.begin() + static_cast<std::ptrdiff_t>(info->offset);
    return std::vector<std::uint8_t>(begin, begin + static_cast<std::ptrdiff_t>(info->size()));
}

Result<> RspTarget::write_register_bytes(std::string_view name,
                                         std::span<const std::uint8_t> bytes) {
    if (auto ok = require_stopped("writing registers"); !ok) {
        return ok;
    }
    const auto* info = map_.find(name);
    if (info == nullptr) {
        return fail_as(ErrorKind::invalid_input, "no register named '{}'", name);
    }
    if (bytes.size() != info->size()) {
        return fail_as(ErrorKind::invalid_input, "register {} holds {} bytes, not {}", name,
                       info->size(), bytes.size());
    }
    // A new cr3 or segment base changes what every cached page means.
    forget_state();
    return client_->write_register(
        info->regnum, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Result<> RspTarget::step_over_breakpoint() {
    // x86-64 names its program counter rip, arm64 pc.
    auto pc = read_register("rip");
    if (!pc) {
        pc = read_register("pc");
    }
    if (!pc) {
        return {}; // no registers to tell: nothing kdive could step over
    }
    std::vector<Breakpoint> lifted;
    for (const auto& breakpoint : breakpoints_) {
        if (!is_watchpoint(breakpoint.kind) && breakpoint.address == *pc) {
            lifted.push_back(breakpoint);
        }
    }
    if (lifted.empty()) {
        return {};
    }
    for (const auto& breakpoint : lifted) {
        if (auto ok = remove_breakpoint(breakpoint); !ok) {
            return ok;
        }
    }
    const bool others_ran = options_.others_run_while_stepping;
    options_.others_run_while_stepping = false; // honoured where the stub has vCont
    auto stepped = step();
    options_.others_run_while_stepping = others_ran;
    Result<std::optional<StopEvent>> stop = std::optional<StopEvent>();
    if (stepped) {
        stop = wait_for_stop(std::max(options_.stop_timeout, std::chrono::milliseconds(5000)));
    }
    std::optional<Error> failure;
    for (const auto& breakpoint : lifted) {
        if (auto ok = insert_breakpoint(breakpoint); !ok && !failure) {
            failure = ok.error();
        }
    }
    if (!stepped) {
        return stepped;
    }
    if (!stop) {
        return std::unexpected(stop.error());
    }
    if (!*stop) {
        return fail_as(ErrorKind::transport,
                       "stepping over the breakpoint at 0x{:x}: vCPU {} did not stop", *pc,
                       current_);
    }
    if (failure) {
        return std::unexpected(*failure);
    }
    return {};
}

Result<> RspTarget::resume() {
    if (auto ok = require_stopped("continuing"); !ok) {
        return ok;
    }
    if (auto ok = step_over_breakpoint(); !ok) {
        return wrap(ok.error(), "continuing");
    }
    forget_state();
    if (auto ok = client_->resume(); !ok) {
        return ok;
    }
    running_ = true;
    return {};
}

Result<> RspTarget::step() {
    if (auto ok = require_stopped("stepping"); !ok) {
        return ok;
    }
    forget_state();
    const auto& thread = threads_[static_cast<std::size_t>(current_)];
    if (client_->vcont_steps()) {
        // vCont names the vCPU itself, and says what the others do meanwhile.
        if (auto ok = client_->step_thread(thread, options_.others_run_while_stepping); !ok) {
            return ok;
        }
        running_ = true;
        return {};
    }
    if (step_thread_ != current_) {
        if (auto ok = client_->select_thread('c', thread); !ok) {
            return ok;
        }
        step_thread_ = current_;
    }
    if (auto ok = client_->step(); !ok) {
        return ok;
    }
    running_ = true;
    return {};
}

Result<> RspTarget::set_others_run_while_stepping(bool run) {
    if (!run && !client_->vcont_steps()) {
        return fail_as(ErrorKind::unsupported,
                       "{} cannot keep the other vCPUs stopped during a step (no vCont)",
                       client_->peer());
    }
    options_.others_run_while_stepping = run;
    return {};
}

Result<> RspTarget::interrupt() {
    if (exit_reason_) {
        return fail_as(ErrorKind::transport, "interrupting: {}", *exit_reason_);
    }
    if (!running_) {
        return {};
    }
    return client_->interrupt();
}

StopEvent RspTarget::translate(const rsp::StopReply& reply) {
    StopEvent event;
    event.vcpu = current_;
    if (reply.thread) {
        if (int vcpu = vcpu_of(*reply.thread); vcpu >= 0) {
            event.vcpu = vcpu;
        }
    }
    event.signal = reply.signal;
    switch (reply.kind) {
    case rsp::StopReply::Kind::exited:
        event.reason = StopEvent::Reason::exited;
        event.exit_code = reply.exit_code;
        return event;
    case rsp::StopReply::Kind::terminated:
        event.reason = StopEvent::Reason::exited;
        return event;
    case rsp::StopReply::Kind::signal:
        break;
    }
    if (reply.watch != rsp::WatchKind::none) {
        event.reason = StopEvent::Reason::watchpoint;
        event.watch_address = reply.watch_address;
        event.watch_kind = reply.watch == rsp::WatchKind::write  ? BreakpointKind::write_watch
                           : reply.watch == rsp::WatchKind::read ? BreakpointKind::read_watch
                                                                 : BreakpointKind::access_watch;
    } else if (reply.signal == sigtrap) {
        event.reason = StopEvent::Reason::breakpoint;
    } else if (reply.signal == sigint) {
        event.reason = StopEvent::Reason::interrupted;
    } else {
        event.reason = StopEvent::Reason::signal;
    }
    return event;
}

Result<std::optional<StopEvent>> RspTarget::wait_for_stop(std::chrono::milliseconds wait) {
    if (exit_reason_) {
        return fail_as(ErrorKind::transport, "waiting for a stop: {}", *exit_reason_);
    }
    if (!running_) {
        return fail("waiting for a stop: the guest is not running");
    }
    auto reply = client_->wait_for_stop(wait);
    if (!reply) {
        return std::unexpected(reply.error());
    }
    if (!*reply) {
        return std::optional<StopEvent>{};
    }
    running_ = false;
    bump_generation();
    StopEvent event = translate(**reply);
    if (event.reason == StopEvent::Reason::exited) {
        exit_reason_ = fmt::format("the VM exited (code {})", event.exit_code);
        attached_ = false;
        breakpoints_.clear();
        return std::optional<StopEvent>{event};
    }
    // QEMU points both Hg and Hc at the vCPU that stopped.
    current_ = event.vcpu;
    step_thread_ = event.vcpu;
    return std::optional<StopEvent>{event};
}

Result<> RspTarget::insert_breakpoint(const Breakpoint& breakpoint) {
    if (auto ok = require_stopped("inserting a breakpoint"); !ok) {
        return ok;
    }
    if (std::find(breakpoints_.begin(), breakpoints_.end(), breakpoint) != breakpoints_.end()) {
        return {};
    }
    if (auto ok = client_->insert_breakpoint(to_rsp(breakpoint.kind), breakpoint.address,
                                             breakpoint.length);
        !ok) {
        return ok;
    }
    breakpoints_.push_back(breakpoint);
    return {};
}

Result<> RspTarget::remove_breakpoint(const Breakpoint& breakpoint) {
    if (auto ok = require_stopped("removing a breakpoint"); !ok) {
        return ok;
    }
    auto found = std::find(breakpoints_.begin(), breakpoints_.end(), breakpoint);
    if (found == breakpoints_.end()) {
        return fail_as(ErrorKind::invalid_input, "no {} at {:#x} was inserted",
                       to_string(breakpoint.kind), breakpoint.address);
    }
    if (auto ok = client_->remove_breakpoint(to_rsp(breakpoint.kind), breakpoint.address,
                                             breakpoint.length);
        !ok) {
        return ok;
    }
    breakpoints_.erase(found);
    return {};
}

Result<> RspTarget::select_vcpu(int index) {
    if (auto ok = require_stopped("selecting a vCPU"); !ok) {
        return ok;
    }
    if (index < 0 || index >= vcpu_count()) {
        return fail_as(ErrorKind::invalid_input, "no vCPU {} (the guest has {})", index,
                       vcpu_count());
    }
    if (index == current_) {
        return {};
    }
    if (auto ok = client_->select_thread('g', threads_[static_cast<std::size_t>(index)]); !ok) {
        return ok;
    }
    current_ = index;
    // Virtual addresses now go through another vCPU's page tables, frames are another's.
    bump_selection_generation();
    registers_.reset();
    virtual_cache_.clear();
    return {};
}

Result<std::string> RspTarget::monitor(std::string_view command) {
    if (auto ok = require_stopped("running a monitor command"); !ok) {
        return std::unexpected(ok.error());
    }
    // The command may change anything (memory, registers, reset).
    forget_state();
    return client_->monitor(command);
}

Result<> RspTarget::detach() {
    if (!attached_) {
        return exit_reason_ ? fail_as(ErrorKind::transport, "detaching: {}", *exit_reason_)
                            : fail_as(ErrorKind::transport, "not attached");
    }
    if (running_) {
        if (auto ok = client_->interrupt(); !ok) {
            return ok;
        }
        auto stop = wait_for_stop(options_.stop_timeout);
        if (!stop) {
            return std::unexpected(stop.error());
        }
        if (!*stop) {
            return fail_as(ErrorKind::transport, "detaching: {} did not stop within {} ms",
                           client_->peer(), options_.stop_timeout.count());
        }
        if (!attached_) {
            return {}; // the VM exited meanwhile
        }
    }
    std::optional<Error> first_error;
    for (const auto& breakpoint : std::vector<Breakpoint>(breakpoints_)) {
        if (auto ok = remove_breakpoint(breakpoint); !ok && !first_error) {
            first_error = ok.error();
        }
    }
    // PhyMemMode is global in QEMU: leave it as the next debugger expects it.
    if (auto ok = use_physical(false); !ok && !first_error) {
        first_error = ok.error();
    }
    attached_ = false;
    forget_state();
    // QEMU resumes the guest when its last debugger detaches. Its threads all belong to one
    // process (pid 1 on x86-64 and arm64 virt); the pid matters only in multiprocess mode.
    if (auto ok = client_->detach(threads_.empty() ? 1 : threads_.front().pid.value_or(1)); !ok) {
        return ok;
    }
    if (first_error) {
        return wrap(*first_error, "detached, but");
    }
    return {};
}

} // namespace kdive::target
