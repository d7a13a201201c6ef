// The guest prints one "KDIVE-<KIND>: ..." line per fact; /proc/PID/stat is parsed as proc(5)
// describes it (comm in parentheses may hold spaces).
#include "guest_facts.hpp"

#include <arpa/inet.h>
#include <array>
#include <cstdint>
#include <fmt/core.h>
#include <optional>
#include <regex>
#include <sstream>

namespace kdive::testing {

std::string facts_script() {
    // The marker sleeps' parent execs into a long sleep, so their ppid stays put.
    return R"script(#!/bin/sh
(for i in 1 2 3 4; do sleep 1000 & done; exec sleep 1001) &
(while :; do cat /sys/class/net/dummy0/statistics/rx_packets; sleep 1; done) >/dev/null 2>&1 &
sleep 1
echo "KDIVE-VERSION: $(cat /proc/version)"
echo "KDIVE-CMDLINE: $(cat /proc/cmdline)"
for d in /proc/[0-9]*; do read -r line < $d/stat && echo "KDIVE-STAT: $line"; done 2>/dev/null
while read -r line; do echo "KDIVE-MODULE: $line"; done < /proc/modules
while read -r line; do echo "KDIVE-MOUNT: $line"; done < /proc/mounts
while read -r line; do echo "KDIVE-SLAB: $line"; done < /proc/slabinfo
while read -r line; do echo "KDIVE-DEVICES: $line"; done < /proc/devices
ip link set lo up
ip link set dummy0 up 2>/dev/null && ip addr add 10.11.12.1/24 dev dummy0
ping -c 2 -W 1 127.0.0.1 >/dev/null 2>&1
ping -c 2 -W 1 10.11.12.2 >/dev/null 2>&1
while read -r line; do case "$line" in *:*) echo "KDIVE-NETDEV: $line";; esac; done < /proc/net/dev
for d in /sys/bus/pci/devices/*; do echo "KDIVE-PCI: ${d##*/} $(cat $d/vendor) $(cat $d/device) $(cat $d/class)"; done
while read -r line; do case "$line" in [0-9]*) echo "KDIVE-IRQ: $line";; esac; done < /proc/interrupts
mkdir -p /tmp
m=KDIVE-SEARCH; echo "$m-MARKER-5f1e9" > /tmp/kdive-marker
sleep 1002 3</proc/version 4>/dev/null 5>/tmp/kdive-out | cat >/dev/null &
nc -l -p 4242 </dev/null >/dev/null 2>&1 &
nc_pid=$!
setsid sh -c 'echo $$ > /tmp/kdive-stopped; trap "echo" USR1; while :; do sleep 1003; done' &
sleep 1
stopped=$(cat /tmp/kdive-stopped)
kill -STOP $stopped
sleep 1
kill -USR1 $stopped
for p in $nc_pid $stopped; do
  echo "KDIVE-SIG: $p $(grep -E '^(SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt)' /proc/$p/status | tr -s '\t\n' '  ')"
done
for d in /proc/[0-9]*; do
  case "$(tr '\0' ' ' < $d/cmdline 2>/dev/null)" in
  "sleep 1002 "|"nc -l -p 4242 ")
    p=${d#/proc/}
    for f in $d/fd/*; do echo "KDIVE-FD: $p ${f##*/} $(readlink $f)"; done
    while read -r line; do echo "KDIVE-MAP: $p $line"; done < $d/maps
    echo "KDIVE-RSS: $p $(grep VmRSS $d/status)";;
  esac
done
syslogd -n -O /tmp/kdive-syslog &
sleep 1005 | nc -l -p 4243 >/dev/null 2>&1 &
sleep 1
sleep 1006 | nc 127.0.0.1 4243 >/dev/null 2>&1 &
sleep 1
for f in tcp tcp6 unix; do
  while read -r line; do echo "KDIVE-SOCKET: $f $line"; done < /proc/net/$f
done
for i in 1 2 3; do (while :; do :; done) & renice -n 19 -p $! >/dev/null; echo "KDIVE-SPINNER: $!"; done
echo 1 > /proc/sys/kernel/kptr_restrict
while read -r range size caller rest; do echo "KDIVE-VMALLOC: $range $size ${caller%%+*}"; done < /proc/vmallocinfo
while read -r line; do echo "KDIVE-MEMINFO: $line"; done < /proc/meminfo
echo "KDIVE-UPTIME: $(cat /proc/uptime)"
echo "KDIVE-DATE: $(date +%s)"
echo KDIVE-READY
)script";
}

namespace {

// /proc/net/tcp's "0100007F" is the __be32 printed as a host (little-endian) number; tcp6 prints
// the address as four such words.
std::string proc_net_address(int family, std::string_view hex) {
    std::array<unsigned char, 16> bytes{};
    for (std::size_t word = 0; word * 8 < hex.size() && word < 4; ++word) {
        const auto value = static_cast<std::uint32_t>(
            std::stoul(std::string(hex.substr(word * 8, 8)), nullptr, 16));
        for (std::size_t i = 0; i < 4; ++i) {
            bytes[word * 4 + i] = static_cast<unsigned char>(value >> (8 * i));
        }
    }
    std::array<char, INET6_ADDRSTRLEN> text{};
    return inet_ntop(family, bytes.data(), text.data(), text.size()) != nullptr ? text.data() : "";
}

// "ADDRESS:PORT" in hex as /proc/net/tcp prints it, written out: "127.0.0.1:4242".
std::string proc_net_endpoint(int family, std::string_view field) {
    const auto colon = field.rfind(':');
    if (colon == std::string_view::npos) {
        return "";
    }
    return fmt::format("{}:{}", proc_net_address(family, field.substr(0, colon)),
                       std::stoul(std::string(field.substr(colon + 1)), nullptr, 16));
}

// "tcp 0: LOCAL REMOTE ST TX:RX TR:WHEN RETRNSMT UID TIMEOUT INODE ..." or
// "unix NUM: REFCOUNT PROTOCOL FLAGS TYPE ST INODE [PATH]"; headers are skipped.
void parse_socket(const std::string& row, GuestFacts& facts) {
    std::istringstream fields(row);
    std::string table, first;
    fields >> table >> first;
    if (first == "sl" || first == "Num" || first.empty()) {
        return;
    }
    if (table == "unix") {
        GuestUnixSocket unix_socket;
        std::string skipped;
        for (int i = 0; i < 5; ++i) {
            fields >> skipped;
        }
        fields >> unix_socket.inode;
        std::getline(fields >> std::ws, unix_socket.path);
        facts.unix_sockets.push_back(unix_socket);
        return;
    }
    GuestTcpSocket tcp;
    tcp.family = table == "tcp6" ? AF_INET6 : AF_INET;
    std::string local, remote, state, skipped;
    fields >> local >> remote >> state;
    for (int i = 0; i < 5; ++i) {
        fields >> skipped;
    }
    fields >> tcp.inode;
    if (!fields) {
        return;
    }
    tcp.local = proc_net_endpoint(tcp.family, local);
    tcp.remote = proc_net_endpoint(tcp.family, remote);
    tcp.state = static_cast<unsigned>(std::stoul(state, nullptr, 16));
    facts.tcp_sockets.push_back(tcp);
}

} // namespace

GuestFacts parse_facts(const std::string& console) {
    GuestFacts facts;
    std::istringstream in(console);
    std::string line;
    const std::regex kernel_line(R"(^\[ *[0-9]+\.[0-9]{6}\] .*)");
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
            line.pop_back();
        }
        const auto value = [&](std::string_view prefix) -> std::optional<std::string> {
            auto at = line.find(prefix);
            if (at == std::string::npos) {
                return std::nullopt;
            }
            return line.substr(at + prefix.size());
        };
        if (auto v = value("KDIVE-VERSION: ")) {
            facts.version = *v;
        } else if (auto c = value("KDIVE-CMDLINE: ")) {
            facts.cmdline = *c;
        } else if (auto date = value("KDIVE-DATE: ")) {
            facts.date = std::stoll(*date);
        } else if (auto u = value("KDIVE-UPTIME: ")) {
            facts.uptime = std::stod(*u);
        } else if (auto s = value("KDIVE-STAT: ")) {
            const auto open = s->find('(');
            const auto close = s->rfind(')');
            if (open == std::string::npos || close == std::string::npos) {
                continue;
            }
            GuestProcess p;
            p.pid = std::stoi(s->substr(0, open));
            p.comm = s->substr(open + 1, close - open - 1);
            std::istringstream rest(s->substr(close + 1));
            rest >> p.state >> p.ppid;
            std::string skipped;
            for (int field = 5; field < 22 && rest >> skipped; ++field) {
            }
            rest >> p.start_ticks;
            facts.processes[p.pid] = p;
        } else if (auto m = value("KDIVE-MODULE: ")) {
            std::istringstream fields(*m);
            GuestModule module;
            std::string deps, state, address;
            fields >> module.name >> module.size >> module.refcount >> deps >> state >> address;
            module.address = std::stoull(address, nullptr, 16);
            facts.modules.push_back(module);
        } else if (auto mount = value("KDIVE-MOUNT: ")) {
            std::istringstream fields(*mount);
            GuestMount entry;
            fields >> entry.device >> entry.path >> entry.type;
            facts.mounts.push_back(entry);
        } else if (auto area = value("KDIVE-VMALLOC: ")) {
            facts.vmalloc.push_back(*area);
        } else if (auto slab = value("KDIVE-SLAB: ")) {
            std::istringstream fields(*slab);
            GuestSlab cache;
            fields >> cache.name >> cache.active_objects >> cache.objects >> cache.object_size >>
                cache.objects_per_slab >> cache.pages_per_slab;
            if (fields && cache.name != "#" && cache.name != "slabinfo") {
                facts.slabs.push_back(cache);
            }
        } else if (auto meminfo = value("KDIVE-MEMINFO: ")) {
            std::istringstream fields(*meminfo);
            std::string name;
            unsigned long long amount = 0;
            if (fields >> name >> amount && name.ends_with(':')) {
                name.pop_back();
                facts.meminfo_kib[name] = amount;
            }
        } else if (auto irq_line = value("KDIVE-IRQ: ")) {
            // "4: 0 22 IO-APIC 4-edge ttyS0" with two CPUs.
            std::istringstream fields(*irq_line);
            GuestIrq irq;
            std::string number;
            fields >> number;
            irq.irq = std::stoul(number);
            for (int cpu = 0; cpu < 2; ++cpu) {
                unsigned long long count = 0;
                fields >> count;
                irq.counts.push_back(count);
            }
            // x86-64: "IO-APIC 2-edge timer"; arm64 (GENERIC_IRQ_SHOW_LEVEL): "GICv3 27 Level
            // arch_timer", without the hwirq when there is no domain and with "-FLOW" after the
            // trigger when the descriptor names its flow.
            const auto is_trigger = [](const std::string& word) {
                return word == "Level" || word == "Edge";
            };
            std::string word;
            fields >> irq.chip >> word;
            if (!is_trigger(word) && !word.empty() &&
                word.find_first_not_of("0123456789") == std::string::npos) {
                fields >> word; // the hwirq; the trigger follows
            }
            if (is_trigger(word)) {
                irq.trigger = word;
                const auto before = fields.tellg();
                if (std::string flow; fields >> flow && flow.starts_with('-')) {
                    irq.flow = flow.substr(1);
                } else {
                    fields.clear();
                    fields.seekg(before);
                }
            } else {
                irq.flow = word.substr(word.find('-') + 1);
            }
            std::getline(fields >> std::ws, irq.actions);
            facts.irqs.push_back(irq);
        } else if (auto sig = value("KDIVE-SIG: ")) {
            // "PID SigPnd: 0000... ShdPnd: ... SigBlk: ... SigIgn: ... SigCgt: ..."
            std::istringstream fields(*sig);
            int pid = 0;
            fields >> pid;
            std::string label, mask;
            while (fields >> label >> mask) {
                label.pop_back();
                facts.signals[pid][label] = mask;
            }
        } else if (auto spinner = value("KDIVE-SPINNER: ")) {
            facts.spinners.push_back(std::stoi(*spinner));
        } else if (auto devices_line = value("KDIVE-DEVICES: ")) {
            facts.devices.push_back(*devices_line);
        } else if (auto pci = value("KDIVE-PCI: ")) {
            facts.pci.push_back(*pci);
        } else if (auto netdev = value("KDIVE-NETDEV: ")) {
            // "lo: RXBYTES RXPACKETS 6 more  TXBYTES TXPACKETS 6 more"
            const auto colon = netdev->find(':');
            if (colon != std::string::npos && netdev->find('|') == std::string::npos) {
                GuestNetDevice counted;
                counted.name = netdev->substr(0, colon);
                std::istringstream fields(netdev->substr(colon + 1));
                std::vector<unsigned long long> numbers;
                for (unsigned long long n = 0; fields >> n;) {
                    numbers.push_back(n);
                }
                if (numbers.size() == 16) {
                    counted.rx_bytes = numbers[0];
                    counted.rx_packets = numbers[1];
                    counted.tx_bytes = numbers[8];
                    counted.tx_packets = numbers[9];
                    facts.net_devices.push_back(counted);
                }
            }
        } else if (auto socket = value("KDIVE-SOCKET: ")) {
            parse_socket(*socket, facts);
        } else if (auto fd = value("KDIVE-FD: ")) {
            std::istringstream fields(*fd);
            int pid = 0;
            int number = 0;
            std::string target;
            fields >> pid >> number;
            std::getline(fields >> std::ws, target);
            facts.files[pid][number] = target;
        } else if (auto map = value("KDIVE-MAP: ")) {
            std::istringstream fields(*map);
            int pid = 0;
            GuestMapping mapping;
            std::string range, device, inode;
            fields >> pid >> range >> mapping.flags >> std::hex >> mapping.offset >> device >>
                inode;
            std::getline(fields >> std::ws, mapping.path);
            const auto dash = range.find('-');
            mapping.start = std::stoull(range.substr(0, dash), nullptr, 16);
            mapping.end = std::stoull(range.substr(dash + 1), nullptr, 16);
            facts.maps[pid].push_back(mapping);
        } else if (auto rss = value("KDIVE-RSS: ")) {
            std::istringstream fields(*rss);
            int pid = 0;
            std::string label;
            unsigned long long kib = 0;
            fields >> pid >> label >> kib;
            facts.rss_kib[pid] = kib;
        } else if (std::regex_match(line, kernel_line)) {
            facts.kernel_lines.push_back(line);
        }
    }
    // The marker sleeps: "sleep" children of the process that became "sleep 1001".
    for (const auto& [pid, p] : facts.processes) {
        if (p.comm != "sleep") {
            continue;
        }
        auto parent = facts.processes.find(p.ppid);
        if (parent != facts.processes.end() && parent->second.comm == "sleep") {
            facts.marked.push_back(pid);
        }
    }
    return facts;
}

} // namespace kdive::testing
