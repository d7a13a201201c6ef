// Output is collected in an unnamed temporary file, read back and emptied after each command.
#include "cli/relay_monitor.hpp"

namespace kdive::cli {

RelayMonitor::~RelayMonitor() = default;

Result<> RelayMonitor::prepare(rsp::RspConnection& stub) {
    if (stack_) {
        return {};
    }
    if (vmlinux_.empty()) {
        return fail("no vmlinux for this session: kdive's kernel commands need one");
    }
    auto capture = OutputCapture::create();
    if (!capture) {
        return std::unexpected(capture.error());
    }
    out_ = std::move(*capture);
    target_ = std::make_unique<target::BorrowedStubTarget>(stub);
    DebuggerOptions options;
    options.batch = true;
    options.source_note = false;
    auto stack = DebuggerStack::create(*target_, vmlinux_, options, out_->file());
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
    std::string text = out_->take();
    if (!done) {
        text += "kdive: " + done.error().message + "\n";
    } else if (!restored) {
        text += "kdive: " + restored.error().message + "\n";
    }
    return text;
}

} // namespace kdive::cli
