// What the guest reported about itself on the console (from /proc), to check kdive against.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace kdive::testing {

struct GuestProcess {
    int pid = 0;
    std::string comm;
    char state = '?';
    int ppid = 0;
    unsigned long long start_ticks = 0; // stat's starttime, in USER_HZ (100) ticks since boot
};

struct GuestModule {
    std::string name;
    unsigned long size = 0;
    int refcount = 0;
    unsigned long long address = 0;
};

struct GuestMount {
    std::string device, path, type;
};

// One line of /proc/slabinfo.
struct GuestSlab {
    std::string name;
    unsigned long long active_objects = 0, objects = 0, object_size = 0, objects_per_slab = 0,
                       pages_per_slab = 0;
};

// One line of /proc/PID/maps.
struct GuestMapping {
    unsigned long long start = 0, end = 0, offset = 0;
    std::string flags; // "r-xp"
    std::string path;  // file, [heap], [stack], [vdso]..., or empty
};

// One numbered line of /proc/interrupts (two CPUs).
struct GuestIrq {
    unsigned irq = 0;
    std::vector<unsigned long long> counts;
    std::string chip, flow, actions;
    std::string trigger; // "Level" or "Edge" where /proc prints it (arm64); else ""
};

// One device line of /proc/net/dev.
struct GuestNetDevice {
    std::string name;
    unsigned long long rx_bytes = 0, rx_packets = 0, tx_bytes = 0, tx_packets = 0;
};

// A row of /proc/net/tcp or tcp6, addresses written out ("127.0.0.1:4242", "::1:22").
struct GuestTcpSocket {
    int family = 0; // AF_INET, AF_INET6
    std::string local, remote;
    unsigned state = 0; // TCP_* (01 ESTABLISHED, 0A LISTEN)
    unsigned long long inode = 0;
};

// A row of /proc/net/unix.
struct GuestUnixSocket {
    unsigned long long inode = 0;
    std::string path; // empty when unbound
};

struct GuestFacts {
    std::string version;
    std::string cmdline;
    double uptime = 0;
    long long date = 0; // date +%s, right after the uptime
    std::map<int, GuestProcess> processes;
    std::vector<int> marked; // pids of the marker sleeps (sleep 1000)
    std::vector<GuestModule> modules;
    std::vector<GuestMount> mounts;
    std::vector<GuestSlab> slabs;
    // /proc/vmallocinfo's areas that have a caller: "START-END SIZE CALLER" (caller without
    // its +offset/size).
    std::vector<std::string> vmalloc;
    std::vector<GuestIrq> irqs;
    std::vector<GuestNetDevice> net_devices; // after pinging 127.0.0.1 and through dummy0
    std::vector<std::string> devices; // /proc/devices lines, headers and blanks left out by read
    std::vector<std::string> pci;     // "0000:00:01.1 0x8086 0x7010 0x010180"
    std::vector<int> spinners;        // niced busy loops: always runnable
    // nc, and a stopped shell that catches SIGUSR1 (in a session of its own, so that the
    // script's end does not hang it up) with SIGUSR1 pending: "SigPnd" -> mask.
    std::map<int, std::map<std::string, std::string>> signals;
    std::map<std::string, unsigned long long> meminfo_kib; // /proc/meminfo: "MemFree" -> kB
    // Of the tasks with known files and mappings ("sleep 1002" with fds 3-5 and a pipe, and a
    // listening "nc"): fd -> readlink text, the maps lines, VmRSS.
    std::map<int, std::map<int, std::string>> files;
    std::map<int, std::vector<GuestMapping>> maps;
    std::map<int, unsigned long long> rss_kib;
    // /proc/net/tcp, tcp6 and unix once nc listens on 4242, a second nc pair is connected over
    // 127.0.0.1:4243 and syslogd has bound /dev/log.
    std::vector<GuestTcpSocket> tcp_sockets;
    std::vector<GuestUnixSocket> unix_sockets;
    std::vector<std::string> kernel_lines; // "[    1.234567] text" lines of the console
};

// The init script that prints the facts; it ends with `ready_marker`.
std::string facts_script();
inline constexpr const char* ready_marker = "KDIVE-READY";
GuestFacts parse_facts(const std::string& console);

} // namespace kdive::testing
