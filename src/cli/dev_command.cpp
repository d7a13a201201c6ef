// `dev [-p]` (crash's): the character and block device majors as /proc/devices lists them;
// -p the PCI devices as lspci -n shows them.
#include "cli/kernel_commands.hpp"
#include "kernel/device_list.hpp"
#include "support/guest_text.hpp"

#include <nlohmann/json.hpp>

namespace kdive::cli {

Result<std::string> KernelCommands::dev(std::vector<std::string>& args, bool json) {
    const bool pci = take_flag(args, "-p");
    if (!args.empty()) {
        return fail_as(ErrorKind::invalid_input, "dev: unknown option {} (known: -p)",
                       args.front());
    }
    kernel::Kernel& view = **kernel();
    if (pci) {
        auto devices = kernel::read_pci_devices(view);
        if (!devices) {
            return std::unexpected(devices.error());
        }
        nlohmann::json rows = nlohmann::json::array();
        std::string text;
        for (const auto& device : *devices) {
            const std::string slot = fmt::format("{:04x}:{:02x}:{:02x}.{}", device.domain,
                                                 device.bus, device.slot, device.function);
            rows.push_back({{"slot", slot},
                            {"vendor", device.vendor},
                            {"device", device.device},
                            {"class", device.class_code},
                            {"pci_dev", fmt::format("{:#x}", device.dev)}});
            text += fmt::format("{} {:04x}: {:04x}:{:04x}  {:x}\n", slot, device.class_code >> 8,
                                device.vendor, device.device, device.dev);
        }
        return json ? dump_json(rows) : text;
    }
    auto chars = kernel::read_char_devices(view);
    if (!chars) {
        return std::unexpected(chars.error());
    }
    auto blocks = kernel::read_block_devices(view);
    if (!blocks) {
        return std::unexpected(blocks.error());
    }
    nlohmann::json out;
    std::string text;
    for (auto [title, key, list] : {std::tuple{"Character devices:", "character", &*chars},
                                    {"Block devices:", "block", &*blocks}}) {
        nlohmann::json rows = nlohmann::json::array();
        text += text.empty() ? "" : "\n";
        text += std::string(title) + "\n";
        for (const auto& entry : *list) {
            rows.push_back({{"major", entry.major}, {"name", json_text(entry.name)}});
            text += fmt::format("{:3} {}\n", entry.major,
                                terminal_text(entry.name, TerminalText::field));
        }
        out[key] = std::move(rows);
    }
    return json ? dump_json(out) : text;
}

} // namespace kdive::cli
