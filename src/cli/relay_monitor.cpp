// Output is collected in an unnamed temporary file, read back and emptied after each command.
#include "cli/relay_monitor.hpp"

#include <unistd.h>

namespace kdive::cli {

RelayMonitor::~RelayMonitor() {
    if (out_ != nullptr) {
        (void)std::fclose(out_);
    }
}

Result<> RelayMonitor::prepare(rsp::RspConnection& stub) {
    if (stack_) {
        return {};
    }
    if (vmlinux_.empty()) {
        return fail("no vmlinux for this session: kdive's kernel commands need one");
    }
    out_ = std::tmpfile();
    if (out_ == nullptr) {
        return fail("cannot create a temporary file for command output");
    }
    target_ = std::make_unique<target::BorrowedStubTarget>(stub);
    DebuggerOptions options;
    options.batch = true;
    auto stack = DebuggerStack::create(*target_, vmlinux_, options, out_);
    if (!stack) {
        target_.reset();
        return std::unexpected(stack.error());
    }
    stack_ = std::move(*stack);
    return {};
}

std::string RelayMonitor::answer(std::string_view command, rsp::RspConnection& stub,
                                 const std::string& debugger_thread) {
    if (auto ok = prepare(stub); !ok) {
        return "kdive: " + ok.error().message + "\n";
    }
    target_->begin_request(debugger_thread);
    auto done = stack_->session().execute(command);
    auto restored = target_->end_request();
    std::string text;
    (void)std::fflush(out_);
    if (const long size = std::ftell(out_); size > 0) {
        text.resize(static_cast<std::size_t>(size));
        std::rewind(out_);
        text.resize(std::fread(text.data(), 1, text.size(), out_));
    }
    std::rewind(out_);
    (void)ftruncate(fileno(out_), 0);
    if (!done) {
        text += "kdive: " + done.error().message + "\n";
    } else if (!restored) {
        text += "kdive: " + restored.error().message + "\n";
    }
    return text;
}

} // namespace kdive::cli
