// GDB's line-stepping rules (infrun's process_event_stop_test), reduced to what a kernel needs.
#include "cli/stepper.hpp"

#include "arch/architecture.hpp"
#include "debuginfo/function_scope.hpp"
#include "eval/frame_variables.hpp"

#include <algorithm>

namespace kdive::cli {

namespace {

using target::StopEvent;

// A line that runs longer than this is not a line but a loop the guest is stuck in.
constexpr std::size_t max_single_steps = 2'000'000;
// x86-64 kernel stacks are 16 KiB and aligned to their size (THREAD_SIZE); two stack pointers
// under one such span are on one task's stack.
constexpr std::uint64_t stack_span_mask = 0x3fff;
// A call instruction is at most this long: the return address lies this close after it.
constexpr std::uint64_t max_call_length = 16;
// arm64 kernels with ftrace's call ops put up to four NOPs at a function's entry.
constexpr int max_entry_nops = 4;

bool is_code_breakpoint(const target::Breakpoint& bp) {
    return bp.kind == target::BreakpointKind::software ||
           bp.kind == target::BreakpointKind::hardware;
}

} // namespace

std::uint64_t Stepper::to_file(std::uint64_t address) {
    const std::uint64_t offset = load_offset_ ? load_offset_() : 0;
    return address >= info_.image_range().start + offset ? address - offset : address;
}

std::uint64_t Stepper::to_runtime(std::uint64_t file_address) {
    const std::uint64_t offset = load_offset_ ? load_offset_() : 0;
    return file_address >= info_.image_range().start ? file_address + offset : file_address;
}

std::vector<std::uint64_t> Stepper::chain_of(const std::vector<debuginfo::FunctionScope>& scopes,
                                             std::size_t skipped) {
    std::vector<std::uint64_t> chain;
    for (std::size_t i = scopes.size(); i-- > skipped;) {
        chain.push_back(scopes[i].die_offset);
    }
    return chain;
}

std::vector<std::uint64_t> Stepper::scope_chain(std::uint64_t pc) {
    auto scopes = debuginfo::function_scopes_at(info_.dwarf(), pc);
    return scopes ? chain_of(*scopes, 0) : std::vector<std::uint64_t>{};
}

Result<bool> Stepper::single_step(StepOutcome& outcome,
                                  std::optional<std::chrono::steady_clock::time_point> since) {
    if (auto ok = target_.step(); !ok) {
        return std::unexpected(ok.error());
    }
    auto stop = session_.wait_for_stop(since);
    if (!stop) {
        return std::unexpected(stop.error());
    }
    ++outcome.single_steps;
    if (stop->reason != StopEvent::Reason::breakpoint) {
        outcome.other_stop = *stop;
        return false;
    }
    // QEMU's single-step passes over breakpoints; GDB stops at a user's breakpoint it lands on.
    auto rip = target_.read_register(info_.architecture().pc);
    if (!rip) {
        return std::unexpected(rip.error());
    }
    for (const auto& bp : target_.inserted_breakpoints()) {
        if (is_code_breakpoint(bp) && bp.address == *rip) {
            outcome.other_stop = *stop;
            return false;
        }
    }
    return true;
}

Result<StepOutcome> Stepper::run_to(const std::vector<TemporaryStop>& stops) {
    StepOutcome outcome;
    const int vcpu = target_.current_vcpu();
    const auto started = std::chrono::steady_clock::now();
    std::vector<target::Breakpoint> inserted;
    // Every way out of here removes what this run inserted, the guest stopped first.
    auto cleanup = [&]() -> Result<> {
        if (target_.running()) {
            (void)target_.interrupt();
            (void)target_.wait_for_stop(std::chrono::seconds(10));
        }
        std::optional<Error> first_error;
        for (const auto& bp : inserted) {
            if (auto ok = target_.remove_breakpoint(bp); !ok && !first_error) {
                first_error = ok.error();
            }
        }
        inserted.clear();
        if (first_error) {
            return std::unexpected(*first_error);
        }
        return {};
    };
    auto finish = [&](Result<StepOutcome> result) -> Result<StepOutcome> {
        auto cleaned = cleanup();
        if (result && !cleaned) {
            return std::unexpected(cleaned.error());
        }
        return result;
    };
    const auto& present = target_.inserted_breakpoints();
    for (const auto& stop : stops) {
        target::Breakpoint bp{target::BreakpointKind::software, stop.address, 1};
        if (std::find(present.begin(), present.end(), bp) != present.end() ||
            std::find(inserted.begin(), inserted.end(), bp) != inserted.end()) {
            continue;
        }
        if (auto ok = target_.insert_breakpoint(bp); !ok) {
            return finish(std::unexpected(ok.error()));
        }
        inserted.push_back(bp);
    }
    for (;;) {
        if (auto ok = target_.resume(); !ok) {
            return finish(std::unexpected(ok.error()));
        }
        auto stop = session_.wait_for_stop(started);
        if (!stop) {
            return finish(std::unexpected(stop.error()));
        }
        if (stop->reason != StopEvent::Reason::breakpoint) {
            outcome.other_stop = *stop;
            return finish(outcome);
        }
        auto rip = target_.read_register(info_.architecture().pc);
        auto sp = target_.read_register(info_.architecture().sp);
        if (!rip || !sp) {
            return finish(std::unexpected(!rip ? rip.error() : sp.error()));
        }
        auto reached = std::find_if(stops.begin(), stops.end(),
                                    [&](const auto& s) { return s.address == *rip; });
        target::Breakpoint here{target::BreakpointKind::software, *rip, 1};
        const bool ours = std::find(inserted.begin(), inserted.end(), here) != inserted.end();
        if (reached == stops.end() || (!ours && stop->vcpu != vcpu)) {
            outcome.other_stop = *stop; // a user's breakpoint
            return finish(outcome);
        }
        // Above the awaited frame on the same kernel stack, that frame is gone (it returned
        // while another vCPU was being stepped past this breakpoint): waiting on would never
        // end, so stop here as GDB does. Another task's stack says nothing about it.
        const bool frame_gone = reached->sp && *sp > *reached->sp &&
                                (*sp & ~stack_span_mask) == (*reached->sp & ~stack_span_mask);
        const bool right_frame = stop->vcpu == vcpu &&
                                 (!reached->sp || *reached->sp == *sp || frame_gone) &&
                                 (!reached->min_sp || *sp >= *reached->min_sp);
        if (right_frame) {
            outcome.which = static_cast<std::size_t>(reached - stops.begin());
            return finish(outcome);
        }
        if (!ours) {
            outcome.other_stop = *stop; // the user's breakpoint, hit in another frame
            return finish(outcome);
        }
        // Another vCPU, or a deeper call of the same function: step it past the breakpoint
        // and go on.
        if (auto ok = target_.remove_breakpoint(here); !ok) {
            return finish(std::unexpected(ok.error()));
        }
        std::erase(inserted, here);
        // The others stay put meanwhile where the stub allows: with the breakpoint out, the
        // awaited vCPU could otherwise run past it.
        const bool others_ran = target_.others_run_while_stepping();
        const bool held = others_ran && target_.set_others_run_while_stepping(false).has_value();
        StepOutcome past;
        auto stepped = single_step(past, started);
        if (held) {
            (void)target_.set_others_run_while_stepping(true);
        }
        if (!stepped) {
            return finish(std::unexpected(stepped.error()));
        }
        if (past.other_stop && past.other_stop->reason != StopEvent::Reason::breakpoint) {
            outcome.other_stop = past.other_stop;
            return finish(outcome);
        }
        if (auto ok = target_.insert_breakpoint(here); !ok) {
            return finish(std::unexpected(ok.error()));
        }
        inserted.push_back(here);
        if (target_.current_vcpu() != vcpu) {
            if (auto ok = target_.select_vcpu(vcpu); !ok) {
                return finish(std::unexpected(ok.error()));
            }
        }
    }
}

std::optional<TemporaryStop> Stepper::tail_jump_to_undebuggable(std::uint64_t file_pc,
                                                                std::uint64_t sp) {
    auto symbol = info_.symbols().lookup(file_pc);
    if (!symbol || symbol->offset != 0 || !scope_chain(file_pc).empty()) {
        return std::nullopt;
    }
    auto ret = return_address_after_call(sp);
    if (!ret) {
        return std::nullopt;
    }
    const bool pushed = info_.architecture().machine == arch::Machine::x86_64;
    return TemporaryStop{*ret, pushed ? sp + 8 : sp, std::nullopt};
}

bool Stepper::entered_call(std::uint64_t old_pc, std::uint64_t old_sp, std::uint64_t sp) {
    const arch::Architecture& arch = info_.architecture();
    if (arch.machine == arch::Machine::aarch64) {
        auto lr = target_.read_register(arch.link);
        return sp == old_sp && lr && arch::strip_pointer_auth(*lr) == old_pc + 4;
    }
    return sp == old_sp - 8;
}

Result<std::uint64_t> Stepper::return_address_after_call(std::uint64_t sp) {
    const arch::Architecture& arch = info_.architecture();
    if (arch.machine == arch::Machine::aarch64) {
        auto lr = target_.read_register(arch.link);
        if (!lr) {
            return std::unexpected(lr.error());
        }
        return arch::strip_pointer_auth(*lr);
    }
    return target_.read_u64(sp);
}

std::uint64_t Stepper::after_prologue(std::uint64_t entry) {
    if (info_.architecture().machine == arch::Machine::aarch64) {
        return after_frame_record(entry);
    }
    auto code = target_.read_bytes(entry, 8);
    if (!code) {
        return entry;
    }
    const auto& b = *code;
    std::size_t at = 0;
    if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa) {
        at = 4; // endbr64
    }
    // GDB skips only a frame-pointer set-up; a frameless function stops at its entry.
    if (b[at] == 0x55 && b[at + 1] == 0x48 && b[at + 2] == 0x89 && b[at + 3] == 0xe5) {
        return entry + at + 4;
    }
    return entry;
}

bool Stepper::has_lines_at_entry(std::uint64_t file_address) {
    if (info_.source_line(file_address)) {
        return true;
    }
    // arm64's ftrace NOPs come before the function's first line.
    if (info_.architecture().machine != arch::Machine::aarch64) {
        return false;
    }
    for (int nop = 1; nop <= max_entry_nops; ++nop) {
        if (info_.source_line(file_address + 4 * static_cast<std::uint64_t>(nop))) {
            return true;
        }
    }
    return false;
}

bool Stepper::is_nop(std::uint64_t pc) {
    auto code = target_.read_bytes(pc, 4);
    return code && (*code)[0] == 0x1f && (*code)[1] == 0x20 && (*code)[2] == 0x03 &&
           (*code)[3] == 0xd5; // d503201f
}

std::uint64_t Stepper::after_frame_record(std::uint64_t entry) {
    constexpr std::size_t words = 16;
    auto code = target_.read_bytes(entry, 4 * words);
    if (!code) {
        return entry;
    }
    auto word = [&](std::size_t i) {
        std::uint32_t w = 0;
        for (std::size_t b = 0; b < 4; ++b) {
            w |= std::uint32_t{(*code)[4 * i + b]} << (8 * b);
        }
        return w;
    };
    // stp x29, x30, [sp, ...] then mov x29, sp (add x29, sp, #M), with other instructions
    // scheduled among them: the frame is set up after the second.
    bool stored = false;
    for (std::size_t i = 0; i < words; ++i) {
        const std::uint32_t w = word(i);
        if ((w & 0xffc07fff) == 0xa9807bfd || (w & 0xffc07fff) == 0xa9007bfd) {
            stored = true;
        } else if (stored && (w & 0xffc003ff) == 0x910003fd) {
            return entry + 4 * (i + 1);
        }
    }
    // A frameless function: its first line, past ftrace's NOPs.
    for (int nop = 0; nop <= max_entry_nops; ++nop) {
        const std::uint64_t at = entry + 4 * static_cast<std::uint64_t>(nop);
        if (info_.source_line(to_file(at))) {
            return at;
        }
    }
    return entry;
}

Result<TemporaryStop> Stepper::return_stop() {
    const arch::Architecture& arch = info_.architecture();
    debuginfo::FrameRegisters registers;
    for (unsigned reg = 0; reg < registers.size(); ++reg) {
        auto value = target_.read_register(eval::dwarf_register_gdb_name(arch, reg));
        if (value) {
            registers[reg] = *value;
        }
    }
    if (!registers[arch.dwarf_pc]) {
        return fail("cannot read {}", arch.pc);
    }
    auto cfa =
        debuginfo::call_frame_cfa(info_.dwarf(), to_file(*registers[arch.dwarf_pc]), registers);
    if (!cfa) {
        return wrap(cfa.error(), "finding the caller");
    }
    if (arch.machine == arch::Machine::aarch64) {
        // The return address is in the link register until the function saves its frame
        // record below the CFA and points the frame pointer at it; then it is the record's
        // second word. A leaf function never saves it.
        const auto fp = registers[arch.dwarf_fp];
        const auto lr = registers[30];
        if (fp && *fp < *cfa && *fp >= registers[arch.dwarf_sp].value_or(0)) {
            auto saved = target_.read_u64(*fp + 8);
            if (!saved) {
                return std::unexpected(saved.error());
            }
            return TemporaryStop{arch::strip_pointer_auth(*saved), *cfa, std::nullopt};
        }
        if (!lr) {
            return fail("cannot read x30");
        }
        return TemporaryStop{arch::strip_pointer_auth(*lr), *cfa, std::nullopt};
    }
    auto ret = target_.read_u64(*cfa - 8);
    if (!ret) {
        return std::unexpected(ret.error());
    }
    return TemporaryStop{*ret, *cfa, std::nullopt};
}

Result<StepOutcome> Stepper::step_line(StepMode mode) {
    auto rip = target_.read_register(info_.architecture().pc);
    if (!rip) {
        return std::unexpected(rip.error());
    }
    std::uint64_t pc = *rip;
    auto line = info_.source_line(to_file(pc));
    auto scopes = debuginfo::function_scopes_at(info_.dwarf(), to_file(pc));
    // arm64's ftrace entry: a function's symbol starts with NOPs that precede its DWARF range
    // (-fpatchable-function-entry). Stepped through, they lead to its first line.
    StepOutcome entry;
    for (int nop = 0; (!line || !scopes) && nop < max_entry_nops &&
                      info_.architecture().machine == arch::Machine::aarch64 && is_nop(pc);
         ++nop) {
        auto stepped = single_step(entry);
        if (!stepped) {
            return std::unexpected(stepped.error());
        }
        if (!*stepped) {
            return entry;
        }
        auto now = target_.read_register(info_.architecture().pc);
        if (!now) {
            return std::unexpected(now.error());
        }
        pc = *now;
        line = info_.source_line(to_file(pc));
        scopes = debuginfo::function_scopes_at(info_.dwarf(), to_file(pc));
    }
    // Assembly has lines but no DWARF function: it is stepped line by line all the same.
    if (!line || !scopes) {
        return fail("Cannot find bounds of current function");
    }
    // Stopped where inlined calls begin, the frame is their caller, at the call's line.
    const std::size_t skipped = debuginfo::inlined_calls_entered_at(*scopes, to_file(pc));
    std::vector<std::uint64_t> stepping_chain = chain_of(*scopes, skipped);
    std::uint64_t start = to_runtime(line->start);
    std::uint64_t end = to_runtime(line->end);
    if (mode == StepMode::until && !scopes->empty()) {
        // until never stops on a jump backwards: the range reaches back to the function entry.
        start = std::min(start, to_runtime((*scopes)[skipped].low_pc));
    }
    int current_line = skipped > 0 ? (*scopes)[skipped - 1].call_line : line->line;
    std::string current_file = skipped > 0 ? (*scopes)[skipped - 1].call_file : line->file;
    auto outcome = step_range(mode, start, end, std::move(stepping_chain), current_line,
                              std::move(current_file));
    if (outcome) {
        outcome->single_steps += entry.single_steps;
    }
    return outcome;
}

Result<StepOutcome> Stepper::finish_inlined(std::size_t depth) {
    auto rip = target_.read_register(info_.architecture().pc);
    if (!rip) {
        return std::unexpected(rip.error());
    }
    auto scopes = debuginfo::function_scopes_at(info_.dwarf(), to_file(*rip));
    if (!scopes || scopes->size() <= depth) {
        return fail("no inlined call to finish at {:#x}", *rip);
    }
    // GDB's way: step in the caller with an empty range and no current line, so the first
    // statement start outside the inlined call ends it.
    return step_range(StepMode::next, *rip, *rip, chain_of(*scopes, depth), 0, "");
}

Result<StepOutcome> Stepper::step_range(StepMode mode, std::uint64_t start, std::uint64_t end,
                                        std::vector<std::uint64_t> stepping_chain, int current_line,
                                        std::string current_file) {
    auto rip = target_.read_register(info_.architecture().pc);
    auto rsp = target_.read_register(info_.architecture().sp);
    if (!rip || !rsp) {
        return std::unexpected(!rip ? rip.error() : rsp.error());
    }
    std::uint64_t pc = *rip;
    std::uint64_t sp = *rsp;
    std::optional<debuginfo::SourceLine> line;
    StepOutcome outcome;
    while (outcome.single_steps < max_single_steps) {
        const std::uint64_t old_pc = pc;
        const std::uint64_t old_sp = sp;
        auto going = single_step(outcome);
        if (!going) {
            return std::unexpected(going.error());
        }
        if (!*going) {
            return outcome;
        }
        rip = target_.read_register(info_.architecture().pc);
        rsp = target_.read_register(info_.architecture().sp);
        if (!rip || !rsp) {
            return std::unexpected(!rip ? rip.error() : rsp.error());
        }
        pc = *rip;
        sp = *rsp;
        if ((pc < start || pc >= end) && entered_call(old_pc, old_sp, sp)) {
            auto ret = return_address_after_call(sp);
            if (ret && *ret > old_pc && *ret <= old_pc + max_call_length) {
                const std::uint64_t callee = to_file(pc);
                // GDB steps into anything with line information, assembly included.
                if (mode == StepMode::step && has_lines_at_entry(callee)) {
                    const std::uint64_t body = after_prologue(pc);
                    while (pc != body && outcome.single_steps < max_single_steps) {
                        auto stepped = single_step(outcome);
                        if (!stepped) {
                            return std::unexpected(stepped.error());
                        }
                        if (!*stepped) {
                            return outcome;
                        }
                        rip = target_.read_register(info_.architecture().pc);
                        if (!rip) {
                            return std::unexpected(rip.error());
                        }
                        pc = *rip;
                    }
                    return outcome;
                }
                // The callee returns with the stack pointer back at its value before the call.
                auto over = run_to({TemporaryStop{*ret, old_sp, std::nullopt}});
                if (!over) {
                    return std::unexpected(over.error());
                }
                ++outcome.calls_stepped_over;
                outcome.single_steps += over->single_steps;
                if (over->other_stop) {
                    outcome.other_stop = over->other_stop;
                    return outcome;
                }
                pc = *ret;
                sp = old_sp;
            }
        }
        if (pc >= start && pc < end) {
            continue;
        }
        std::uint64_t file_pc = to_file(pc);
        if (auto tail = tail_jump_to_undebuggable(file_pc, sp)) {
            // A jump to the entry of a function without DWARF (a return thunk): it returns
            // for the code that jumped, so run to that return as GDB steps over it.
            auto over = run_to({*tail});
            if (!over) {
                return std::unexpected(over.error());
            }
            outcome.single_steps += over->single_steps;
            if (over->other_stop) {
                outcome.other_stop = over->other_stop;
                return outcome;
            }
            pc = tail->address;
            sp = *tail->sp;
            file_pc = to_file(pc);
            if (pc >= start && pc < end) {
                continue;
            }
        }
        auto here = debuginfo::function_scopes_at(info_.dwarf(), file_pc);
        std::vector<std::uint64_t> chain = here ? chain_of(*here, 0) : std::vector<std::uint64_t>{};
        if (chain.size() > stepping_chain.size() &&
            std::equal(stepping_chain.begin(), stepping_chain.end(), chain.begin())) {
            const std::size_t deeper = chain.size() - stepping_chain.size();
            if (debuginfo::inlined_calls_entered_at(*here, file_pc) >= deeper) {
                // At the start of an inlined call made from the stepping frame: GDB stops at
                // its call site unless that is the line being stepped.
                const auto& call = (*here)[deeper - 1];
                const bool same_line =
                    call.call_line == current_line && call.call_file == current_file;
                if (mode == StepMode::step) {
                    outcome.entered_inlined = same_line;
                    return outcome;
                }
                if (!same_line) {
                    return outcome;
                }
                continue;
            }
            // Inside a function inlined here: next steps through it, step stops in it.
            if (mode == StepMode::step) {
                outcome.entered_inlined = true;
                return outcome;
            }
            continue;
        }
        line = info_.source_line(file_pc);
        if (!line && chain.empty()) {
            continue; // out-of-line code without debug info (.altinstr_aux): step through it
        }
        if (!line) {
            return outcome; // no line information: stop, as GDB does
        }
        const bool same_frame = chain == stepping_chain;
        bool refresh = true;
        int new_line = line->line;
        if (file_pc == line->start && (line->line != current_line || line->file != current_file)) {
            if (line->is_stmt) {
                return outcome;
            }
            if (same_frame) {
                refresh = false;
            } else {
                new_line = 0; // a new frame, but not a statement: stop at its next line
            }
        }
        start = to_runtime(line->start);
        end = to_runtime(line->end);
        if (refresh) {
            current_line = new_line;
            current_file = line->file;
            stepping_chain = std::move(chain);
        }
    }
    return fail("stepping gave up after {} instructions on one line", max_single_steps);
}

} // namespace kdive::cli
