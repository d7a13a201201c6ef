// Counters as dev_get_stats() assembles them: a driver's ndo_get_stats64 decides (loopback
// reports its per-CPU lstats as received and sent, dummy as sent; dev_get_tstats64 adds the
// per-CPU tstats to dev->stats); without one, dev->stats, plus the per-CPU tstats or dstats the
// core itself folds in (pcpu_stat_type, 6.6+). Other drivers' own counters are not modelled:
// dev->stats is shown and `counters` says so.
#include "kernel/net_devices.hpp"

#include "kernel/list_walker.hpp"
#include "kernel/per_cpu.hpp"
#include "kernel/visited_nodes.hpp"

namespace kdive::kernel {

namespace {

constexpr std::size_t max_devices = 100'000;
constexpr std::size_t max_addresses = 4096;

struct Sums {
    std::uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
};

// Per-CPU counters of a pcpu_lstats (packets, bytes) or pcpu_sw_netstats (rx/tx packets/bytes).
Result<Sums> per_cpu_counters(Kernel& kernel, PerCpu& percpu, std::uint64_t pointer,
                              std::string_view type) {
    auto layout = kernel.layout(type);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    Sums sums;
    const bool lstats = type == "pcpu_lstats";
    for (const int cpu : percpu.online()) {
        auto at = percpu.address(pointer, cpu);
        if (!at) {
            return std::unexpected(at.error());
        }
        auto record = kernel.read(*at, (*layout)->size());
        if (!record) {
            return wrap(record.error(),
                        fmt::format("reading CPU {}'s {} at {:#x}", cpu, type, *at));
        }
        const auto get = [&](std::string_view member) {
            auto field = (*layout)->field(member);
            return field ? record->get(*field) : 0;
        };
        if (lstats) {
            sums.rx_packets += get("packets");
            sums.rx_bytes += get("bytes");
        } else {
            sums.rx_packets += get("rx_packets");
            sums.rx_bytes += get("rx_bytes");
            sums.tx_packets += get("tx_packets");
            sums.tx_bytes += get("tx_bytes");
        }
    }
    return sums;
}

class DeviceReader {
public:
    DeviceReader(Kernel& kernel, PerCpu& percpu,
                 const std::function<std::string(std::uint64_t)>& function_name)
        : kernel_(kernel), percpu_(percpu), function_name_(function_name) {}

    Result<NetDevice> read(std::uint64_t dev) {
        NetDevice out;
        out.dev = dev;
        auto layout = kernel_.layout("net_device");
        if (!layout) {
            return std::unexpected(layout.error());
        }
        auto name = (*layout)->require("name");
        if (!name) {
            return std::unexpected(name.error());
        }
        auto text = kernel_.read(dev + name->offset, name->size);
        if (!text) {
            return wrap(text.error(), fmt::format("reading the name of net_device {:#x}", dev));
        }
        out.name = text->c_string(0, name->size);
        for (auto [member, into] :
             {std::pair{"ifindex", &ifindex_}, {"flags", &flags_}, {"mtu", &mtu_}}) {
            auto value = kernel_.read_member(dev, "net_device", member);
            if (!value) {
                return std::unexpected(value.error());
            }
            *into = *value;
        }
        out.ifindex = static_cast<int>(ifindex_);
        out.flags = static_cast<std::uint32_t>(flags_);
        out.mtu = static_cast<std::uint32_t>(mtu_);
        if (auto ok = hardware_address(dev, out); !ok) {
            return std::unexpected(ok.error());
        }
        if (auto ok = addresses(dev, out); !ok) {
            return std::unexpected(ok.error());
        }
        if (auto ok = counters(dev, **layout, out); !ok) {
            return std::unexpected(ok.error());
        }
        return out;
    }

private:
    Result<> hardware_address(std::uint64_t dev, NetDevice& out) {
        auto pointer = kernel_.read_member(dev, "net_device", "dev_addr");
        auto length = kernel_.read_member(dev, "net_device", "addr_len");
        if (!pointer || !length) {
            return std::unexpected(!pointer ? pointer.error() : length.error());
        }
        if (*pointer == 0 || *length == 0 || *length > 32) {
            return {};
        }
        auto bytes = kernel_.read(*pointer, *length);
        if (!bytes) {
            return wrap(bytes.error(), fmt::format("reading the address of {}", out.name));
        }
        for (std::size_t i = 0; i < *length; ++i) {
            out.hardware_address += fmt::format("{}{:02x}", i == 0 ? "" : ":", bytes->u8(i));
        }
        return {};
    }

    Result<> addresses(std::uint64_t dev, NetDevice& out) {
        auto in_device = kernel_.read_member(dev, "net_device", "ip_ptr");
        if (!in_device) {
            return std::unexpected(in_device.error());
        }
        if (*in_device == 0) {
            return {};
        }
        auto first = kernel_.read_member(*in_device, "in_device", "ifa_list");
        if (!first) {
            return std::unexpected(first.error());
        }
        VisitedNodes visited(fmt::format("the IPv4 addresses of {}", out.name));
        for (std::uint64_t ifa = *first; ifa != 0;) {
            if (auto ok = visited.visit(ifa); !ok) {
                return ok;
            }
            if (visited.size() > max_addresses) {
                return fail_as(ErrorKind::corrupt, "{} has more than {} IPv4 addresses", out.name,
                               max_addresses);
            }
            auto address = kernel_.read_member(ifa, "in_ifaddr", "ifa_address");
            auto prefix = kernel_.read_member(ifa, "in_ifaddr", "ifa_prefixlen");
            auto next = kernel_.read_member(ifa, "in_ifaddr", "ifa_next");
            if (!address || !prefix || !next) {
                return fail("reading in_ifaddr {:#x} of {}", ifa, out.name);
            }
            // __be32 as it lies in memory: the first byte is the first octet.
            out.ipv4.push_back(fmt::format("{}.{}.{}.{}/{}", *address & 0xff, *address >> 8 & 0xff,
                                           *address >> 16 & 0xff, *address >> 24 & 0xff, *prefix));
            ifa = *next;
        }
        return {};
    }

    Result<> counters(std::uint64_t dev, const StructLayout& layout, NetDevice& out) {
        auto ops = kernel_.read_member(dev, "net_device", "netdev_ops");
        if (!ops) {
            return std::unexpected(ops.error());
        }
        std::string get_stats64;
        if (*ops != 0) {
            auto function = kernel_.read_member(*ops, "net_device_ops", "ndo_get_stats64");
            if (function && *function != 0) {
                get_stats64 = function_name_(*function);
                if (get_stats64.empty()) {
                    get_stats64 = fmt::format("{:#x}", *function);
                }
            }
        }
        // lstats, tstats and dstats share one pointer (a union).
        std::uint64_t per_cpu_at = 0;
        if (layout.has("lstats")) {
            auto pointer = kernel_.read_member(dev, "net_device", "lstats");
            if (!pointer) {
                return std::unexpected(pointer.error());
            }
            per_cpu_at = *pointer;
        }
        if (get_stats64 == "loopback_get_stats64" || get_stats64 == "dummy_get_stats64") {
            auto sums = per_cpu_counters(kernel_, percpu_, per_cpu_at, "pcpu_lstats");
            if (!sums) {
                return std::unexpected(sums.error());
            }
            out.tx_packets = sums->rx_packets;
            out.tx_bytes = sums->rx_bytes;
            if (get_stats64 == "loopback_get_stats64") {
                out.rx_packets = sums->rx_packets;
                out.rx_bytes = sums->rx_bytes;
            }
            out.counters = "lstats (" + get_stats64 + ")";
            return {};
        }
        // dev->stats, then what the core or dev_get_tstats64 folds in.
        for (auto [member, into] : {std::pair{"stats.rx_packets", &out.rx_packets},
                                    {"stats.rx_bytes", &out.rx_bytes},
                                    {"stats.tx_packets", &out.tx_packets},
                                    {"stats.tx_bytes", &out.tx_bytes}}) {
            auto value = kernel_.read_member(dev, "net_device", member);
            if (!value) {
                return std::unexpected(value.error());
            }
            *into = *value;
        }
        out.counters = "dev->stats";
        std::string per_cpu_type;
        if (get_stats64 == "dev_get_tstats64") {
            per_cpu_type = "pcpu_sw_netstats";
        } else if (get_stats64.empty() && layout.has("pcpu_stat_type")) {
            auto kind = kernel_.read_member(dev, "net_device", "pcpu_stat_type");
            auto tstats = kernel_.info().find_enumerator("NETDEV_PCPU_STAT_TSTATS");
            if (kind && tstats && static_cast<std::int64_t>(*kind) == tstats->value) {
                per_cpu_type = "pcpu_sw_netstats";
            }
        } else if (!get_stats64.empty()) {
            out.counters =
                "dev->stats (the driver's own counters, by " + get_stats64 + ", are not read)";
        }
        if (!per_cpu_type.empty() && per_cpu_at != 0) {
            auto sums = per_cpu_counters(kernel_, percpu_, per_cpu_at, per_cpu_type);
            if (!sums) {
                return std::unexpected(sums.error());
            }
            out.rx_packets += sums->rx_packets;
            out.rx_bytes += sums->rx_bytes;
            out.tx_packets += sums->tx_packets;
            out.tx_bytes += sums->tx_bytes;
            out.counters = "dev->stats + tstats";
        }
        return {};
    }

    Kernel& kernel_;
    PerCpu& percpu_;
    const std::function<std::string(std::uint64_t)>& function_name_;
    std::uint64_t ifindex_ = 0, flags_ = 0, mtu_ = 0;
};

} // namespace

Result<std::vector<NetDevice>>
read_net_devices(Kernel& kernel, const std::function<std::string(std::uint64_t)>& function_name) {
    auto net = kernel.address_of("init_net");
    auto net_layout = kernel.layout("net");
    auto dev_layout = kernel.layout("net_device");
    if (!net || !net_layout || !dev_layout) {
        return std::unexpected(!net          ? net.error()
                               : !net_layout ? net_layout.error()
                                             : dev_layout.error());
    }
    auto head = (*net_layout)->offset("dev_base_head");
    auto link = (*dev_layout)->offset("dev_list");
    if (!head || !link) {
        return std::unexpected(!head ? head.error() : link.error());
    }
    auto percpu = PerCpu::load(kernel);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    ListWalk walk;
    walk.start = *net + *head;
    walk.head = true;
    walk.link_offset = *link;
    walk.max_entries = max_devices;
    auto devices = walk_list(kernel, walk);
    if (!devices) {
        return wrap(devices.error(), "walking init_net.dev_base_head");
    }
    DeviceReader reader(kernel, *percpu, function_name);
    std::vector<NetDevice> out;
    for (const std::uint64_t dev : *devices) {
        auto device = reader.read(dev);
        if (!device) {
            return std::unexpected(device.error());
        }
        out.push_back(std::move(*device));
    }
    return out;
}

} // namespace kdive::kernel
