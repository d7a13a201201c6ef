// A real guest instruction run under KVM, with a short timeout.
#include "lab/kvm_probe.hpp"

#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"

#include <chrono>
#include <unistd.h>

namespace kdive::lab {

Result<KvmMode> parse_kvm_mode(std::string_view text) {
    if (text == "off") {
        return KvmMode::Off;
    }
    if (text == "on") {
        return KvmMode::On;
    }
    if (text == "auto") {
        return KvmMode::Auto;
    }
    return fail("--kvm '{}': expected auto, on or off", text);
}

Result<> probe_kvm(const std::filesystem::path& scratch) {
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        return fail("/dev/kvm is missing or not accessible");
    }
    // Reset vector at 0xffff0 (offset 0xfff0 of the image): mov al,1; out 0xf4,al; hlt.
    std::string firmware(0x10000, '\xf4');
    const char code[] = {'\xb0', '\x01', '\xe6', '\xf4', '\xf4'};
    firmware.replace(0xfff0, sizeof(code), code, sizeof(code));
    auto image = scratch / "kvm-probe.bin";
    if (auto r = write_file_atomically(image, firmware); !r) {
        return r;
    }
    RunOptions options;
    options.timeout = std::chrono::milliseconds(3000);
    auto result = run_process({"qemu-system-x86_64", "-accel", "kvm", "-bios", image.string(),
                               "-display", "none", "-nodefaults", "-no-reboot", "-device",
                               "isa-debug-exit,iobase=0xf4,iosize=0x04"},
                              options);
    std::filesystem::remove(image);
    if (!result) {
        return fail("KVM probe: {}", result.error().message);
    }
    // isa-debug-exit exits with (value << 1) | 1.
    if (result->exit_code != 3) {
        return fail("KVM probe: QEMU exited with {}: {}", result->exit_code, result->err);
    }
    return {};
}

} // namespace kdive::lab
