// chrdevs[] and major_names[] are hashes of 255 chains by major % 255; /proc/devices prints a
// chain's entries of one major at a time, which a stable sort by major reproduces. PCI buses
// hang off pci_root_buses by pci_bus.node, their child buses by children, devices by bus_list.
#include "kernel/device_list.hpp"

#include "kernel/list_walker.hpp"
#include "kernel/visited_nodes.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::size_t max_chain = 100'000;
constexpr std::size_t max_buses = 65'536;

Result<std::vector<DeviceMajor>> read_majors(Kernel& kernel, std::string_view table,
                                             std::string_view type) {
    auto array = kernel.variable(table);
    auto layout = kernel.layout(type);
    if (!array || !layout) {
        return std::unexpected(!array ? array.error() : layout.error());
    }
    auto next = (*layout)->offset("next");
    auto major = (*layout)->require("major");
    auto name = (*layout)->require("name");
    if (!next || !major || !name) {
        return fail("struct {} lacks next, major or name", type);
    }
    const debuginfo::Type* resolved = debuginfo::strip_typedefs(array->type);
    const std::uint64_t slots = resolved != nullptr && resolved->count ? *resolved->count : 255;
    auto heads = kernel.read(array->address, slots * 8);
    if (!heads) {
        return wrap(heads.error(), fmt::format("reading {}", table));
    }
    std::vector<DeviceMajor> out;
    for (std::uint64_t slot = 0; slot < slots; ++slot) {
        VisitedNodes visited(fmt::format("{}[{}]", table, slot));
        for (std::uint64_t entry = heads->u64(8 * slot); entry != 0;) {
            if (auto ok = visited.visit(entry); !ok) {
                return std::unexpected(ok.error());
            }
            if (visited.size() > max_chain) {
                return fail_as(ErrorKind::corrupt, "{}[{}] does not end", table, slot);
            }
            auto record = kernel.read(entry, (*layout)->size());
            if (!record) {
                return wrap(record.error(), fmt::format("reading {} {:#x}", type, entry));
            }
            out.push_back({static_cast<unsigned>(record->get(*major)),
                           record->c_string(name->offset, name->size)});
            entry = record->u64(*next);
        }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.major < b.major; });
    return out;
}

class PciWalker {
public:
    explicit PciWalker(Kernel& kernel) : kernel_(kernel), buses_("the PCI buses") {}

    Result<> load() {
        auto bus = kernel_.layout("pci_bus");
        auto dev = kernel_.layout("pci_dev");
        if (!bus || !dev) {
            return std::unexpected(!bus ? bus.error() : dev.error());
        }
        bus_ = *bus;
        dev_ = *dev;
        sysdata_ = kernel_.find_layout("pci_sysdata");
        return {};
    }

    Result<> walk_buses(std::uint64_t head, std::vector<PciDevice>& out) {
        auto node = bus_->offset("node");
        if (!node) {
            return std::unexpected(node.error());
        }
        ListWalk walk;
        walk.start = head;
        walk.head = true;
        walk.link_offset = *node;
        walk.max_entries = max_buses;
        auto buses = walk_list(kernel_, walk);
        if (!buses) {
            return std::unexpected(buses.error());
        }
        for (const std::uint64_t bus : *buses) {
            if (auto ok = buses_.visit(bus); !ok) {
                return ok;
            }
            if (auto ok = walk_bus(bus, out); !ok) {
                return ok;
            }
        }
        return {};
    }

private:
    Result<> walk_bus(std::uint64_t bus, std::vector<PciDevice>& out) {
        auto number = kernel_.read_member(bus, "pci_bus", "number");
        auto devices_at = bus_->offset("devices");
        auto children_at = bus_->offset("children");
        auto link = dev_->offset("bus_list");
        if (!number || !devices_at || !children_at || !link) {
            return fail("the PCI bus {:#x} is not readable here", bus);
        }
        unsigned domain = 0;
        if (sysdata_ != nullptr && sysdata_->has("domain")) {
            auto sysdata = kernel_.read_member(bus, "pci_bus", "sysdata");
            if (sysdata && *sysdata != 0) {
                auto value = kernel_.read_member(*sysdata, "pci_sysdata", "domain");
                domain = value ? static_cast<unsigned>(*value) : 0;
            }
        }
        ListWalk walk;
        walk.start = bus + *devices_at;
        walk.head = true;
        walk.link_offset = *link;
        walk.max_entries = 256;
        auto devices = walk_list(kernel_, walk);
        if (!devices) {
            return wrap(devices.error(), fmt::format("the devices of PCI bus {:#x}", bus));
        }
        for (const std::uint64_t dev : *devices) {
            PciDevice entry;
            entry.dev = dev;
            entry.domain = domain;
            entry.bus = static_cast<unsigned>(*number);
            std::uint64_t devfn = 0, vendor = 0, device = 0, class_code = 0;
            for (auto [member, into] : {std::pair{"devfn", &devfn},
                                        {"vendor", &vendor},
                                        {"device", &device},
                                        {"class", &class_code}}) {
                auto value = kernel_.read_member(dev, "pci_dev", member);
                if (!value) {
                    return std::unexpected(value.error());
                }
                *into = *value;
            }
            entry.slot = static_cast<unsigned>(devfn >> 3);
            entry.function = static_cast<unsigned>(devfn & 7);
            entry.vendor = static_cast<unsigned>(vendor);
            entry.device = static_cast<unsigned>(device);
            entry.class_code = static_cast<std::uint32_t>(class_code);
            out.push_back(entry);
        }
        return walk_buses(bus + *children_at, out);
    }

    Kernel& kernel_;
    VisitedNodes buses_;
    const StructLayout* bus_ = nullptr;
    const StructLayout* dev_ = nullptr;
    const StructLayout* sysdata_ = nullptr;
};

} // namespace

Result<std::vector<DeviceMajor>> read_char_devices(Kernel& kernel) {
    return read_majors(kernel, "chrdevs", "char_device_struct");
}

Result<std::vector<DeviceMajor>> read_block_devices(Kernel& kernel) {
    return read_majors(kernel, "major_names", "blk_major_name");
}

Result<std::vector<PciDevice>> read_pci_devices(Kernel& kernel) {
    PciWalker walker(kernel);
    if (auto ok = walker.load(); !ok) {
        return std::unexpected(ok.error());
    }
    auto roots = kernel.address_of("pci_root_buses");
    if (!roots) {
        return std::unexpected(roots.error());
    }
    std::vector<PciDevice> out;
    if (auto ok = walker.walk_buses(*roots, out); !ok) {
        return std::unexpected(ok.error());
    }
    return out;
}

} // namespace kdive::kernel
