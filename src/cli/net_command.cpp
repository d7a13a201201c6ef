// `net` (crash's): the network devices of the initial namespace with their addresses and
// counters, as `ip addr` and /proc/net/dev show them; `net -s [PID]` (crash's) a task's sockets,
// `net --tcp` and `net --unix` the socket tables as /proc/net/tcp, tcp6 and unix list them.
#include "cli/kernel_commands.hpp"
#include "cli/socket_output.hpp"
#include "kernel/net_devices.hpp"
#include "kernel/socket_tables.hpp"
#include "kernel/task_sockets.hpp"
#include "support/guest_text.hpp"

#include <nlohmann/json.hpp>

namespace kdive::cli {

std::string KernelCommands::function_name(std::uint64_t address) {
    kernel::Kernel& view = **kernel();
    if (std::string name = view.symbol_at(address); !name.empty()) {
        return name;
    }
    if (auto image = modules().describe(address); image && image->offset == 0) {
        return image->symbol;
    }
    return "";
}

Result<std::string> KernelCommands::net(std::vector<std::string>& args, bool json) {
    const bool tcp = take_flag(args, "--tcp");
    const bool unix_sockets = take_flag(args, "--unix");
    const bool task_sockets = take_flag(args, "-s");
    if (int{tcp} + int{unix_sockets} + int{task_sockets} > 1) {
        return fail_as(ErrorKind::invalid_input, "net: -s, --tcp and --unix go one at a time");
    }
    if (task_sockets) {
        // crash's `net -s`: without a PID, the task running on the selected CPU.
        if (args.size() > 1) {
            return fail_as(ErrorKind::invalid_input, "usage: net -s [PID]");
        }
        auto task = args.empty() ? current_task(std::nullopt) : task_of_pid_word("net -s", args[0]);
        auto sockets = task
                           ? kernel::read_task_sockets(**kernel(), *task)
                           : Result<std::vector<kernel::TaskSocket>>(std::unexpected(task.error()));
        if (!sockets) {
            return std::unexpected(sockets.error());
        }
        if (json) {
            return task_sockets_json(*sockets);
        }
        auto info = describe_task(*task);
        if (!info) {
            return std::unexpected(info.error());
        }
        return task_sockets_text(*info, *sockets);
    }
    if ((tcp || unix_sockets) && !args.empty()) {
        return fail_as(ErrorKind::invalid_input, "net: unexpected {}", args.front());
    }
    if (tcp || unix_sockets) {
        auto sockets =
            tcp ? kernel::read_tcp_sockets(**kernel()) : kernel::read_unix_sockets(**kernel());
        if (!sockets) {
            return std::unexpected(sockets.error());
        }
        if (tcp) {
            return json ? tcp_sockets_json(*sockets) : tcp_sockets_text(*sockets);
        }
        return json ? unix_sockets_json(*sockets) : unix_sockets_text(*sockets);
    }
    if (!args.empty()) {
        return fail_as(ErrorKind::invalid_input, "net: unknown option {}", args.front());
    }
    auto devices = kernel::read_net_devices(
        **kernel(), [this](std::uint64_t address) { return function_name(address); });
    if (!devices) {
        return std::unexpected(devices.error());
    }
    nlohmann::json rows = nlohmann::json::array();
    std::string text =
        fmt::format("{:<18} {:<16} {:>5} {:>6} {:<17} {:>12} {:>12}  {}\n", "NET_DEVICE", "NAME",
                    "INDEX", "MTU", "ADDRESS", "RX_BYTES", "TX_BYTES", "IPV4");
    for (const auto& device : *devices) {
        nlohmann::json ipv4 = nlohmann::json::array();
        std::string addresses;
        for (const auto& address : device.ipv4) {
            ipv4.push_back(address);
            addresses += (addresses.empty() ? "" : " ") + address;
        }
        rows.push_back({{"name", json_text(device.name)},
                        {"net_device", fmt::format("{:#x}", device.dev)},
                        {"ifindex", device.ifindex},
                        {"flags", device.flags},
                        {"mtu", device.mtu},
                        {"address", device.hardware_address},
                        {"ipv4", ipv4},
                        {"rx_packets", device.rx_packets},
                        {"rx_bytes", device.rx_bytes},
                        {"tx_packets", device.tx_packets},
                        {"tx_bytes", device.tx_bytes},
                        {"counters", device.counters}});
        text +=
            fmt::format("{:<18x} {:<16} {:>5} {:>6} {:<17} {:>12} {:>12}  {}\n", device.dev,
                        terminal_text(device.name, TerminalText::field), device.ifindex, device.mtu,
                        device.hardware_address.empty() ? "-" : device.hardware_address,
                        device.rx_bytes, device.tx_bytes, addresses);
    }
    return json ? dump_json(rows) : text;
}

} // namespace kdive::cli
