// Builds source frames from machine frames and DWARF scopes; prints them the way GDB does.
#include "cli/frame_commands.hpp"

#include "arch/architecture.hpp"
#include "debuginfo/dwarf_types.hpp"
#include "support/guest_text.hpp"
#include "support/text.hpp"

#include <charconv>
#include <cstring>
#include <dwarf.h>
#include <fstream>

namespace kdive::cli {

namespace {

std::pair<std::string_view, std::string_view> split_word(std::string_view line) {
    line = trim(line);
    auto end = line.find_first_of(" \t");
    if (end == std::string_view::npos) {
        return {line, {}};
    }
    return {line.substr(0, end), trim(line.substr(end))};
}

bool is_scalar(const debuginfo::Type* type) {
    const auto* t = debuginfo::strip_typedefs(type);
    return t->kind != debuginfo::TypeKind::structure &&
           t->kind != debuginfo::TypeKind::union_type && t->kind != debuginfo::TypeKind::array;
}

} // namespace

FrameCommands::FrameCommands(target::Target& target, DebuggerSession& session, Locations& locations,
                             debuginfo::DebugInfo& info, EvalCommands& eval,
                             eval::MemoryReader* memory, eval::RegisterReader* registers,
                             std::FILE* out)
    : target_(target), session_(session), locations_(locations), info_(info), eval_(eval),
      memory_(memory), registers_(registers), out_(out), variables_(info, memory),
      stepper_(target, session, info, [this] { return eval_.scope().load_offset(); }) {
    eval_.scope().set_local_lookup(
        [this](std::string_view name) -> std::optional<Result<eval::Value>> {
            // A name in an expression needs the selected frame's scope, not the whole stack.
            if (target_.running() || !ensure_frames(/*top_only=*/true) || frames_.empty()) {
                return std::nullopt;
            }
            const SourceFrame& frame = frames_[selected_];
            if (!frame.has_scope) {
                return std::nullopt;
            }
            return variables_.find(frame.state, name);
        });
}

Result<> FrameCommands::ensure_frames(bool top_only) {
    const std::uint64_t generation = target_.stop_generation();
    if (built_at_ == generation || (top_only && top_built_at_ == generation)) {
        return {};
    }
    const std::uint64_t guest = target_.guest_generation();
    const bool entered_inlined = entered_inlined_at_ == guest;
    // Only kdive's own look at another vCPU happened since: the user's frame stays selected.
    const bool keep_selection =
        built_at_ && built_vcpu_ == target_.current_vcpu() && built_guest_at_ == guest;
    // The innermost machine frame alone (its inlined scopes included) is what a fresh stop
    // selects; a selection kept from before may be deeper, so that needs every frame.
    top_only = top_only && !keep_selection;
    const std::size_t previous_selected = selected_;
    built_at_.reset();
    frames_.clear();
    machine_.clear();
    selected_ = 0;
    skipped_inline_ = 0;
    if (registers_ == nullptr) {
        return fail("No registers.");
    }
    const arch::Architecture& arch = info_.architecture();
    debuginfo::FrameRegisters start;
    for (unsigned reg = 0; reg < start.size(); ++reg) {
        if (auto value = registers_->read_register(eval::dwarf_register_gdb_name(arch, reg))) {
            start[reg] = *value;
        }
    }
    if (!start[arch.dwarf_pc] || !start[arch.dwarf_sp]) {
        return fail("No stack.");
    }
    machine_.clear();
    if (unwinder_ && !top_only) {
        if (auto unwound = unwinder_(start); unwound && !unwound->empty()) {
            machine_ = std::move(*unwound);
        }
    }
    if (machine_.empty()) {
        machine_.push_back(MachineFrame{*start[arch.dwarf_pc], start});
    }
    auto& scope = eval_.scope();
    const std::uint64_t load_offset = scope.load_offset();
    frames_.clear();
    for (std::size_t i = 0; i < machine_.size(); ++i) {
        const MachineFrame& machine = machine_[i];
        const std::uint64_t file_pc = scope.to_file_address(machine.pc);
        // A caller's pc is a return address: the call itself is the byte before it.
        const std::uint64_t lookup = i == 0 ? file_pc : file_pc - 1;
        auto line = info_.source_line(lookup);
        auto scopes = debuginfo::function_scopes_at(info_.dwarf(), lookup);
        if (!scopes || scopes->empty()) {
            SourceFrame frame;
            frame.machine = i;
            frame.pc = machine.pc;
            const debuginfo::Symbol* symbol = info_.symbols().function_at(lookup);
            frame.function = symbol != nullptr ? std::string(symbol->name) : "??";
            // Module code: named from the module's symbols, as bt names it.
            auto* images = scope.loaded_images();
            if (symbol == nullptr && images != nullptr &&
                info_.elf().section_at(file_pc) == nullptr) {
                if (auto where = images->describe(i == 0 ? machine.pc : machine.pc - 1);
                    where && !where->symbol.empty()) {
                    frame.function = where->symbol;
                    frame.module = where->image;
                    if (where->line && !line) {
                        frame.file = where->line->file;
                        frame.line = where->line->line;
                        // A module's debug info is read at its runtime addresses.
                        frame.line_start = where->line->start;
                    }
                }
            }
            if (line) {
                frame.file = line->file;
                frame.line = line->line;
                frame.line_start = machine.pc - (file_pc - line->start);
            }
            frames_.push_back(std::move(frame));
            continue;
        }
        // Inlined calls that begin exactly here show as their call site in the caller.
        const std::size_t skipped =
            i == 0 && !entered_inlined ? debuginfo::inlined_calls_entered_at(*scopes, lookup) : 0;
        if (i == 0) {
            skipped_inline_ = skipped;
        }
        for (std::size_t j = skipped; j < scopes->size(); ++j) {
            SourceFrame frame;
            frame.machine = i;
            frame.innermost = j == skipped;
            frame.pc = machine.pc;
            frame.has_scope = true;
            frame.state = eval::FrameState{(*scopes)[j], machine.registers, lookup, load_offset};
            frame.function = (*scopes)[j].name;
            if (j == 0) {
                if (line) {
                    frame.file = line->file;
                    frame.line = line->line;
                    frame.line_start = machine.pc - (file_pc - line->start);
                }
            } else if (j == skipped) {
                frame.file = (*scopes)[j - 1].call_file;
                frame.line = (*scopes)[j - 1].call_line;
                frame.line_start = machine.pc; // GDB shows no address at a call site
            } else {
                frame.file = (*scopes)[j - 1].call_file;
                frame.line = (*scopes)[j - 1].call_line;
            }
            frames_.push_back(std::move(frame));
        }
    }
    if (top_only) {
        top_built_at_ = generation; // every other use builds the whole stack
        return {};
    }
    built_at_ = generation;
    built_vcpu_ = target_.current_vcpu();
    built_guest_at_ = guest;
    if (keep_selection && previous_selected < frames_.size()) {
        selected_ = previous_selected;
    }
    return {};
}

std::string FrameCommands::arguments(const SourceFrame& frame) {
    std::string out;
    for (const auto& parameter : frame.state.scope.parameters) {
        if (!out.empty()) {
            out += ", ";
        }
        out += parameter.name + "=";
        auto value = variables_.value_of(frame.state, parameter);
        if (!value) {
            out += fmt::format("<error: {}>", value.error().message);
        } else if (!value->is_optimized_out() && !is_scalar(value->type())) {
            out += "..."; // GDB's "print frame-arguments scalars"
        } else {
            out += eval_.format_nested(*value);
        }
    }
    return out;
}

std::string FrameCommands::frame_description(std::size_t level) {
    const SourceFrame& frame = frames_[level];
    std::string text;
    if (frame.innermost && (frame.machine > 0 || frame.line == 0 || frame.pc != frame.line_start)) {
        text += fmt::format("{:#018x} in ", frame.pc);
    }
    text += fmt::format("{} ({})", frame.function, frame.has_scope ? arguments(frame) : "");
    if (!frame.file.empty()) {
        text += fmt::format(" at {}:{}", frame.file, frame.line);
    }
    if (!frame.module.empty()) {
        text += fmt::format(" [{}]", frame.module);
    }
    return text;
}

std::string FrameCommands::source_text(const SourceFrame& frame) {
    if (frame.line == 0) {
        return "";
    }
    auto& sources = eval_.sources();
    if (auto path = sources.find(frame.file)) {
        if (const auto* lines = sources.lines(*path);
            lines != nullptr && static_cast<std::size_t>(frame.line) <= lines->size()) {
            return terminal_text(fmt::format("{}\t{}\n", frame.line,
                                             (*lines)[static_cast<std::size_t>(frame.line - 1)]),
                                 TerminalText::message);
        }
    }
    return fmt::format("{}\tin {}\n", frame.line, frame.file);
}

Result<std::string> FrameCommands::select(std::optional<int> level, int delta) {
    if (auto ok = ensure_frames(); !ok) {
        return std::unexpected(ok.error());
    }
    if (level) {
        if (static_cast<std::size_t>(*level) >= frames_.size()) {
            return fail("No frame at level {}.", *level);
        }
        selected_ = static_cast<std::size_t>(*level);
    } else if (delta > 0) {
        if (selected_ + 1 >= frames_.size()) {
            return fail("Initial frame selected; you cannot go up.");
        }
        selected_ = std::min(frames_.size() - 1, selected_ + static_cast<std::size_t>(delta));
    } else if (delta < 0) {
        if (selected_ == 0) {
            return fail("Bottom (innermost) frame selected; you cannot go down.");
        }
        const auto down = static_cast<std::size_t>(-delta);
        selected_ = down > selected_ ? 0 : selected_ - down;
    }
    return frame_line(selected_) + "\n" + source_text(frames_[selected_]);
}

Result<std::string> FrameCommands::info_variables(bool parameters) {
    if (auto ok = ensure_frames(); !ok) {
        return std::unexpected(ok.error());
    }
    const SourceFrame& frame = frames_[selected_];
    if (!frame.has_scope) {
        return fail("No symbol table info available.");
    }
    return variable_lines(frame, parameters, "");
}

std::string FrameCommands::variable_lines(const SourceFrame& frame, bool parameters,
                                          std::string_view indent) {
    const auto& list = parameters ? frame.state.scope.parameters : frame.state.scope.locals;
    if (!frame.has_scope || list.empty()) {
        return parameters ? "No arguments.\n" : "No locals.\n";
    }
    std::string out;
    for (const auto& variable : list) {
        auto value = variables_.value_of(frame.state, variable);
        out += fmt::format("{}{} = {}\n", indent, variable.name,
                           value ? eval_.format_nested(*value)
                                 : fmt::format("<error: {}>", value.error().message));
    }
    return out;
}

Result<std::string> FrameCommands::info_frame() {
    if (auto ok = ensure_frames(); !ok) {
        return std::unexpected(ok.error());
    }
    const SourceFrame& frame = frames_[selected_];
    std::optional<std::uint64_t> cfa;
    if (frame.has_scope) {
        if (auto found = variables_.cfa(frame.state)) {
            cfa = *found;
        }
    }
    std::string out = fmt::format("Stack level {}, frame at {}:\n", selected_,
                                  cfa ? fmt::format("{:#x}", *cfa) : "<unknown>");
    // GDB names the pc as the architecture does (rip, pc); only x86-64's calls leave the return
    // address right below the CFA.
    const arch::Architecture& arch = info_.architecture();
    const bool return_address_below_cfa = arch.machine == arch::Machine::x86_64;
    out += fmt::format(" {} = {:#x} in {}", arch.pc, frame.pc, frame.function);
    if (!frame.file.empty()) {
        out += fmt::format(" ({}:{})", frame.file, frame.line);
    }
    std::optional<std::uint64_t> saved_pc;
    if (frame.innermost && selected_ + 1 < frames_.size()) {
        for (std::size_t up = selected_ + 1; up < frames_.size(); ++up) {
            if (frames_[up].machine != frame.machine) {
                saved_pc = frames_[up].pc;
                break;
            }
        }
    }
    if (!saved_pc && frame.innermost && cfa && memory_ != nullptr && return_address_below_cfa) {
        if (auto bytes = memory_->read(*cfa - 8, 8); bytes && bytes->size() == 8) {
            std::uint64_t value = 0;
            std::memcpy(&value, bytes->data(), 8);
            saved_pc = value;
        }
    }
    if (saved_pc) {
        out += fmt::format("; saved {} = {:#x}", arch.pc, *saved_pc);
    }
    out += "\n";
    if (frame.has_scope && frame.state.scope.inlined) {
        out += fmt::format(" inlined into frame {}\n", selected_ + 1);
    }
    if (selected_ + 1 < frames_.size()) {
        out += fmt::format(" called by frame at level {}\n", selected_ + 1);
    }
    if (selected_ > 0) {
        out += fmt::format(" caller of frame at level {}\n", selected_ - 1);
    }
    if (frame.has_scope) {
        out += " source language c.\n";
        auto base = variables_.frame_base(frame.state);
        std::string at = base ? fmt::format("{:#x}", *base) : "<unknown>";
        out += fmt::format(" Arglist at {}, args: {}\n", at, arguments(frame));
        out += fmt::format(" Locals at {}, Previous frame's sp is {}\n", at,
                           cfa ? fmt::format("{:#x}", *cfa) : "<unknown>");
    }
    if (cfa && frame.innermost && return_address_below_cfa) {
        out += fmt::format(" Saved registers:\n  {} at {:#x}\n", arch.pc, *cfa - 8);
    }
    return out;
}

std::vector<std::uint64_t> FrameCommands::current_chain() {
    std::vector<std::uint64_t> chain;
    if (!ensure_frames() || frames_.empty()) {
        return chain;
    }
    // The function by its symbol too: code the debug info has no scope for (arm64's ftrace
    // NOPs before a function's first line, assembly) leaves every scope offset 0, and `advance`
    // from one such place to another must still say it reached a new function.
    const auto& scope = eval_.scope();
    const debuginfo::Symbol* symbol =
        info_.symbols().function_at(scope.to_file_address(frames_.front().pc));
    chain.push_back(symbol != nullptr ? symbol->address : 0);
    for (const auto& frame : frames_) {
        if (frame.machine != 0) {
            break;
        }
        chain.push_back(frame.state.scope.die_offset);
    }
    return chain;
}

std::string FrameCommands::describe_stop(const std::vector<std::uint64_t>& chain_before) {
    if (!ensure_frames() || frames_.empty()) {
        return "";
    }
    const SourceFrame& frame = frames_[0];
    if (current_chain() != chain_before) {
        return frame_description(0) + "\n" + source_text(frame);
    }
    if (frame.line != 0 && frame.pc != frame.line_start) {
        return fmt::format("{:#018x}\t{}", frame.pc, source_text(frame));
    }
    return source_text(frame);
}

std::optional<Result<std::string>> FrameCommands::run_ended(const Result<StepOutcome>& outcome) {
    if (!outcome) {
        return std::unexpected(outcome.error());
    }
    if (outcome->other_stop) {
        return report_other_stop(*outcome->other_stop);
    }
    return std::nullopt;
}

Result<std::string> FrameCommands::report_other_stop(const target::StopEvent& stop) {
    session_.report_stop(stop);
    return std::string();
}

Result<std::string> FrameCommands::step(StepMode mode, std::string_view args) {
    int count = 1;
    if (!trim(args).empty()) {
        auto parsed = parse_count(args, "step count");
        if (!parsed) {
            return std::unexpected(parsed.error());
        }
        count = std::max(1, *parsed);
    }
    if (target_.running()) {
        return fail("the guest is running");
    }
    if (auto ok = ensure_frames(); !ok) {
        return std::unexpected(ok.error());
    }
    if (mode == StepMode::step && skipped_inline_ > 0) {
        // At the call site of inlined code: step goes into it without running (GDB's
        // step_into_inline_frame).
        entered_inlined_at_ = target_.guest_generation();
        built_at_.reset();
        if (auto ok = ensure_frames(); !ok) {
            return std::unexpected(ok.error());
        }
        return frame_description(0) + "\n" + source_text(frames_[0]);
    }
    const auto before = current_chain();
    for (int i = 0; i < count; ++i) {
        auto outcome = stepper_.step_line(mode);
        if (auto ended = run_ended(outcome)) {
            return *ended;
        }
        if (outcome->entered_inlined) {
            entered_inlined_at_ = target_.guest_generation();
        }
    }
    return describe_stop(before);
}

Result<std::string> FrameCommands::finish() {
    if (target_.running()) {
        return fail("the guest is running");
    }
    if (auto ok = ensure_frames(); !ok) {
        return std::unexpected(ok.error());
    }
    const SourceFrame frame = frames_[selected_];
    if (selected_ + 1 >= frames_.size() && machine_.size() > 1) {
        return fail("\"finish\" not meaningful in the outermost frame.");
    }
    if (frame.has_scope && frame.state.scope.inlined) {
        // Inlined: no return value; step until the call's code is left (GDB does the same).
        if (frame.machine != 0) {
            return fail("\"finish\" out of an inlined frame works in the innermost frames only");
        }
        std::size_t depth = skipped_inline_ + selected_ + 1;
        fmt::print(out_, "Run till exit from {}\n", frame_line(selected_));
        (void)std::fflush(out_);
        const auto before = current_chain();
        auto outcome = stepper_.finish_inlined(depth);
        if (auto ended = run_ended(outcome)) {
            return *ended;
        }
        return describe_stop(before);
    }
    TemporaryStop stop;
    if (frame.machine + 1 < machine_.size()) {
        const MachineFrame& caller = machine_[frame.machine + 1];
        stop =
            TemporaryStop{caller.pc, caller.registers[info_.architecture().dwarf_sp], std::nullopt};
    } else if (frame.machine == 0) {
        auto found = stepper_.return_stop();
        if (!found) {
            return std::unexpected(found.error());
        }
        stop = *found;
    } else {
        return fail("\"finish\" not meaningful in the outermost frame.");
    }
    fmt::print(out_, "Run till exit from {}\n", frame_line(selected_));
    (void)std::fflush(out_);
    // The function's return type, read before the stop invalidates the frames.
    const debuginfo::Type* return_type = nullptr;
    if (frame.has_scope) {
        if (auto die = debuginfo::die_at(info_.dwarf(), frame.state.scope.function_die_offset)) {
            Dwarf_Attribute attr;
            Dwarf_Die type_die;
            if (dwarf_formref_die(dwarf_attr_integrate(&*die, DW_AT_type, &attr), &type_die) &&
                info_.dwarf_types() != nullptr) {
                return_type = info_.dwarf_types()->type_at(dwarf_dieoffset(&type_die));
            }
        }
    }
    auto outcome = stepper_.run_to({stop});
    if (auto ended = run_ended(outcome)) {
        return *ended;
    }
    if (auto ok = ensure_frames(); !ok) {
        return std::unexpected(ok.error());
    }
    std::string out = frame_description(0) + "\n" + source_text(frames_[0]);
    if (return_type != nullptr && registers_ != nullptr) {
        const auto* type = debuginfo::strip_typedefs(return_type);
        const arch::Architecture& arch = info_.architecture();
        auto rax = registers_->read_register(arch.return_value);
        if (rax && type->kind != debuginfo::TypeKind::floating && type->size > 0) {
            std::optional<eval::Value> value;
            if (type->size <= 8) {
                value = eval::Value::from_integer(return_type, *rax);
            } else if (type->size <= 16) {
                auto rdx = registers_->read_register(arch.return_value_high);
                if (rdx) {
                    std::vector<std::byte> bytes(16);
                    std::memcpy(bytes.data(), &*rax, 8);
                    std::memcpy(bytes.data() + 8, &*rdx, 8);
                    bytes.resize(type->size);
                    value = eval::Value::computed(return_type, std::move(bytes));
                }
            } else if (arch.returns_memory_address) {
                value = eval::Value::at(return_type, *rax); // returned in memory, rax points at it
            }
            if (value) {
                auto printed = eval_.print_value(*value);
                if (printed) {
                    out += fmt::format("Value returned is {}\n", *printed);
                }
            }
        }
    }
    return out;
}

Result<std::string> FrameCommands::run_to_location(std::string_view location, bool advance) {
    if (target_.running()) {
        return fail("the guest is running");
    }
    auto address = locations_.breakpoint_location(location);
    if (!address) {
        return std::unexpected(address.error());
    }
    auto sp = target_.read_register(info_.architecture().sp);
    if (!sp) {
        return std::unexpected(sp.error());
    }
    const auto before = current_chain();
    std::vector<TemporaryStop> stops{
        TemporaryStop{*address, std::nullopt, advance ? std::nullopt : std::optional(*sp)}};
    // Both stop when the current function returns first.
    if (auto caller = stepper_.return_stop()) {
        stops.push_back(*caller);
    }
    auto outcome = stepper_.run_to(stops);
    if (auto ended = run_ended(outcome)) {
        return *ended;
    }
    return describe_stop(before);
}

Result<std::string> FrameCommands::backtrace_full() {
    if (auto ok = ensure_frames(); !ok) {
        return std::unexpected(ok.error());
    }
    std::string out;
    for (std::size_t level = 0; level < frames_.size(); ++level) {
        out += frame_line(level) + "\n" + variable_lines(frames_[level], false, "        ");
    }
    return out;
}

std::optional<Result<std::string>> FrameCommands::run(std::string_view line) {
    auto [word, rest] = split_word(line);
    // GDB's `bt full`: source frames (inlined calls too) with their arguments and locals. Other
    // forms of bt are the kernel's (any task, any CPU).
    if ((word == "bt" || word == "backtrace" || word == "where") &&
        (trim(rest) == "full" || trim(rest) == "-full")) {
        return backtrace_full();
    }
    if (word == "list" && trim(rest).empty() && !target_.running() && ensure_frames() &&
        !frames_.empty()) {
        const auto here = std::tuple{target_.guest_generation(), target_.current_vcpu(), selected_};
        const SourceFrame& frame = frames_[selected_];
        if (listed_at_ != here && frame.line > 0) {
            listed_at_ = here;
            return eval_.list_around(frame.file, frame.line);
        }
        return std::nullopt; // the expression commands go on from the last listing
    }
    if (word == "frame" || word == "f") {
        if (rest.empty()) {
            return select(std::nullopt, 0);
        }
        auto level = parse_count(rest, "frame number");
        if (!level) {
            return std::unexpected(level.error());
        }
        return select(*level, 0);
    }
    if (word == "up" || word == "down") {
        int count = 1;
        if (!rest.empty()) {
            auto parsed = parse_count(rest, "frame count");
            if (!parsed) {
                return std::unexpected(parsed.error());
            }
            count = *parsed;
        }
        return select(std::nullopt, word == "up" ? count : -count);
    }
    if (word == "info" || word == "i") {
        auto [what, more] = split_word(rest);
        if (what == "frame" || what == "f") {
            return info_frame();
        }
        if (what == "locals") {
            return info_variables(false);
        }
        if (what == "args") {
            return info_variables(true);
        }
        return std::nullopt;
    }
    if (word == "step" || word == "s") {
        return step(StepMode::step, rest);
    }
    if (word == "next" || word == "n") {
        return step(StepMode::next, rest);
    }
    if (word == "until" || word == "u") {
        if (rest.empty()) {
            return step(StepMode::until, rest);
        }
        return run_to_location(rest, false);
    }
    if (word == "advance") {
        if (rest.empty()) {
            return fail("Argument required (a location).");
        }
        return run_to_location(rest, true);
    }
    if (word == "finish" || word == "fin") {
        return finish();
    }
    return std::nullopt;
}

} // namespace kdive::cli
