// Wiring of command sets and location resolvers around a DebuggerSession.
#include "cli/debugger_stack.hpp"

#include "cli/expression_location.hpp"
#include "cli/interrupt_flag.hpp"
#include "cli/report.hpp"
#include "cli/target_opening.hpp"
#include "kernel/stack_unwinder.hpp"
#include "lab/kernel_source.hpp"
#include "support/cache_dir.hpp"

#include <cstring>

namespace kdive::cli {

namespace {

// arm64 kernels reserve ftrace's patchable entry (two instructions, the first turned into
// `mov x9, x30` once ftrace initialised it) before the compiler's first line row, so the
// function's entry lies in the line row of the code before it. `break FUNCTION` stops at the
// function's first line instead, as it does on x86-64, whose __fentry__ call is inside that
// line. Entries with no line row within a few instructions (assembly) stay where they are.
std::uint64_t first_line_of_function(debuginfo::DebugInfo& info, EvalCommands& eval,
                                     std::uint64_t entry) {
    constexpr std::uint64_t max_entry_instructions = 4;
    auto& scope = eval.scope();
    const auto line_starts_at = [&](std::uint64_t address) {
        const std::uint64_t file_address = scope.to_file_address(address);
        if (auto line = info.source_line(file_address)) {
            return line->start == file_address;
        }
        if (auto* images = scope.loaded_images()) {
            auto where = images->describe(address);
            return where && where->line && where->line->start == address;
        }
        return false;
    };
    for (std::uint64_t i = 0; i <= max_entry_instructions; ++i) {
        if (line_starts_at(entry + 4 * i)) {
            return entry + 4 * i;
        }
    }
    return entry;
}

} // namespace

Result<std::unique_ptr<DebuggerStack>> DebuggerStack::create(target::Target& target,
                                                             const std::filesystem::path& vmlinux,
                                                             DebuggerOptions options,
                                                             std::FILE* out) {
    std::unique_ptr<DebuggerStack> stack(new DebuggerStack());
    stack->target_ = &target;
    stack->locations_.add(std::make_unique<AddressExpressionResolver>(target));
    if (!vmlinux.empty()) {
        debuginfo::DebugInfoOptions info_options;
        info_options.cache_root = cache_dir();
        info_options.finish_index_detached = true; // a short --batch run ends with its answers
        auto opened = debuginfo::DebugInfo::open(vmlinux, info_options);
        if (!opened) {
            return std::unexpected(opened.error());
        }
        stack->info_ = std::move(*opened);
        stack->kernel_ = std::make_unique<KernelCommands>(*stack->info_, target);
        auto& memory = stack->kernel_->memory();
        stack->eval_ = std::make_unique<EvalCommands>(*stack->info_, &memory, &memory);
        // A fetched Debian kernel's source, when its linux-source is in the cache: stops and
        // list show lines. A kdive build's vmlinux names its real files already.
        if (auto tree = lab::source_tree_for_vmlinux(vmlinux)) {
            stack->eval_->set_source_dir(tree->tree);
            if (!tree->note.empty() && options.source_note) {
                fmt::print(stderr, "note: {}\n", tree->note);
            }
        }
        stack->kernel_->serve(*stack->eval_);
        stack->locations_.add(std::make_unique<ExpressionLocationResolver>(*stack->eval_));
        if (stack->info_->architecture().machine == arch::Machine::aarch64) {
            stack->locations_.set_function_entry(
                [info = stack->info_.get(), eval = stack->eval_.get()](std::uint64_t entry) {
                    return first_line_of_function(*info, *eval, entry);
                });
        }
    }
    stack->session_ = std::make_unique<DebuggerSession>(target, stack->locations_, out, options);
    if (stack->eval_) {
        auto* eval = stack->eval_.get();
        auto* kernel = stack->kernel_.get();
        auto& memory = stack->kernel_->memory();
        stack->frames_ =
            std::make_unique<FrameCommands>(target, *stack->session_, stack->locations_,
                                            *stack->info_, *eval, &memory, &memory, out);
        auto* frames = stack->frames_.get();
        // Frames first: "info frame/locals/args" are theirs, other "info" lines fall through.
        stack->session_->add_handler([frames](std::string_view line) { return frames->run(line); });
        frames->set_unwinder([kernel, unwinder = std::shared_ptr<kernel::StackUnwinder>()](
                                 const debuginfo::FrameRegisters& registers) mutable
                             -> Result<std::vector<MachineFrame>> {
            auto view = kernel->kernel();
            if (!view) {
                return std::unexpected(view.error());
            }
            if (!unwinder) {
                auto created = kernel::StackUnwinder::create(**view);
                if (!created) {
                    return std::unexpected(created.error());
                }
                unwinder = std::move(*created);
            }
            unwinder->invalidate(); // frames are asked for once per stop
            auto trace = unwinder->unwind(kernel::RegisterSet{registers});
            if (!trace) {
                return std::unexpected(trace.error());
            }
            std::vector<MachineFrame> machine;
            for (const auto& frame : trace->frames) {
                machine.push_back(MachineFrame{frame.pc, frame.regs});
            }
            return machine;
        });
        stack->session_->add_handler([eval](std::string_view line) { return eval->run(line); });
        stack->session_->set_source_liner(
            [eval](std::uint64_t address) { return eval->source_line_text(address); });
        stack->session_->set_expression_completer(
            [eval](std::string_view text) { return eval->complete(text); });
        stack->session_->set_symbolizer(
            [eval](std::uint64_t address) { return eval->describe_code_address(address); });
        stack->session_->set_code_labeler(
            [eval](std::uint64_t address) { return eval->symbol_offset(address); });
        stack->session_->add_handler([kernel](std::string_view line) { return kernel->run(line); });
        auto* self = stack.get();
        stack->session_->add_handler(
            [self](std::string_view line) { return self->run_script_command(line); });
    }
    return stack;
}

DebuggerStack::~DebuggerStack() {
    scripts_.reset(); // Python's `prog` is closed before the debugger it borrows goes
}

Result<ScriptHost*> DebuggerStack::scripts() {
    if (!scripts_) {
        auto made = make_script_host(*target_, *this);
        if (!made) {
            return std::unexpected(made.error());
        }
        scripts_ = std::move(*made);
    }
    return scripts_.get();
}

std::optional<Result<std::string>> DebuggerStack::run_script_command(std::string_view line) {
    const auto word_end = line.find_first_of(" \t");
    const std::string_view word = line.substr(0, word_end);
    std::string_view rest =
        word_end == std::string_view::npos ? std::string_view{} : line.substr(word_end + 1);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) {
        rest.remove_prefix(1);
    }
    const bool code = word == "python" || word == "py";
    const bool console = word == "python-interactive" || word == "pi";
    const bool source = word == "source";
    if (!code && !console && !source) {
        return std::nullopt;
    }
    auto host = scripts();
    if (!host) {
        return std::unexpected(host.error());
    }
    Result<> ran;
    if (source) {
        if (rest.empty()) {
            return fail_as(ErrorKind::invalid_input, "source: which file? (source FILE.py)");
        }
        if (!rest.ends_with(".py")) {
            return fail_as(ErrorKind::invalid_input,
                           "source {}: kdive sources Python files (FILE.py)", rest);
        }
        ran = (*host)->run_file(std::string(rest), {});
    } else if (console || rest.empty()) {
        ran = (*host)->interactive();
    } else {
        ran = (*host)->run_code(rest);
    }
    if (!ran) {
        return std::unexpected(ran.error());
    }
    return std::string();
}

void warn_unless_running_kernel(DebuggerStack& stack, target::Target& target) {
    if (auto* kernel = stack.kernel()) {
        if (auto view = check_kernel_view(*kernel, target); !view) {
            fmt::print(stderr, "warning: {}\n", printable(view.error().message));
        }
    }
}

int end_session(DebuggerSession& session, bool ok) {
    if (auto done = session.finish(); !done) {
        fmt::print(stderr, "kdive: {}\n", printable(done.error().message));
        ok = false;
    }
    if (int sig = termination_signal(); sig != 0) {
        fmt::print(stderr, "kdive: {}: detached and stopped\n", strsignal(sig));
        return 128 + sig;
    }
    return ok ? 0 : 1;
}

} // namespace kdive::cli
