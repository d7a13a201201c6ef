// Output is collected in an unnamed temporary file, read back and emptied after each command.
#include "cli/relay_monitor.hpp"

#include "arch/kernel_translator.hpp"
#include "rsp/packet_codec.hpp"

#include <vector>

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
    borrow(stub);
    DebuggerOptions options;
    options.batch = true;
    options.source_note = false;
    auto stack = DebuggerStack::create(*target_, vmlinux_, options, out_->file());
    if (!stack) {
        return std::unexpected(stack.error());
    }
    stack_ = std::move(*stack);
    return {};
}

void RelayMonitor::borrow(rsp::RspConnection& stub) {
    if (!target_) {
        target_ = std::make_unique<target::BorrowedStubTarget>(stub);
        target_->set_translator(arch::live_kernel_translator(*target_));
    }
}

std::optional<std::string> RelayMonitor::read_kernel_memory(std::uint64_t address,
                                                            std::size_t length,
                                                            rsp::RspConnection& stub,
                                                            const std::string& debugger_thread) {
    borrow(stub);
    target_->begin_request(debugger_thread);
    std::vector<std::uint8_t> bytes(length);
    auto read = target_->read_translated(address, bytes); // the stub has just refused it
    auto restored = target_->end_request();
    if (!read || !restored) {
        return std::nullopt;
    }
    return rsp::hex_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), length));
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
