// QEMU creates the memfd itself and keeps no name for it on disk: kdive opens it through the
// QEMU process's fd table, which a process of the same user may read. Nothing is left behind
// when QEMU ends.
#include "lab/guest_ram_source.hpp"

#include "lab/qmp_client.hpp"

#include <charconv>
#include <unistd.h>

namespace kdive::lab {

namespace {

constexpr std::string_view memfd_link_prefix = "/memfd:memory-backend-memfd";

std::optional<std::uint64_t> hex_number(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

} // namespace

std::vector<std::string> guest_ram_arguments(int mem_mb) {
    return {
        "-object",
        fmt::format("memory-backend-memfd,id={},size={}M,share=on", guest_ram_backend_id, mem_mb),
        "-machine", fmt::format("memory-backend={}", guest_ram_backend_id)};
}

std::vector<target::RamRegion> parse_ram_regions(std::string_view mtree,
                                                 std::string_view backend_id) {
    // Flat views list the address spaces they render first (` AS "memory", root: system`); the
    // one for "memory" is the CPUs' view, and its position among the views changes once the
    // guest has set up PCI.
    std::vector<target::RamRegion> regions;
    bool in_memory_view = false;
    bool seen_memory_view = false;
    while (!mtree.empty()) {
        const auto end = mtree.find('\n');
        std::string_view line = mtree.substr(0, end);
        mtree = end == std::string_view::npos ? std::string_view{} : mtree.substr(end + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.starts_with("FlatView #")) {
            if (seen_memory_view) {
                break;
            }
            in_memory_view = false;
            continue;
        }
        if (line.starts_with(" AS \"memory\"")) {
            in_memory_view = seen_memory_view = true;
            continue;
        }
        if (!in_memory_view) {
            continue;
        }
        // "  START-END (prio N, ram): NAME[ @OFFSET][ KVM]"
        const auto first = line.find_first_not_of(' ');
        const auto dash = line.find('-');
        const auto open = line.find(" (");
        const auto close = line.find("): ");
        if (first == std::string_view::npos || dash == std::string_view::npos ||
            open == std::string_view::npos || close == std::string_view::npos || dash > open) {
            continue;
        }
        if (line.substr(open, close - open).find(", ram") == std::string_view::npos) {
            continue;
        }
        std::string_view rest = line.substr(close + 3);
        const auto space = rest.find(' ');
        if (!backend_id.empty() && rest.substr(0, space) != backend_id) {
            continue;
        }
        auto start = hex_number(line.substr(first, dash - first));
        auto last = hex_number(line.substr(dash + 1, open - dash - 1));
        std::uint64_t offset = 0;
        if (auto at = rest.find(" @"); at != std::string_view::npos) {
            auto number = rest.substr(at + 2);
            number = number.substr(0, number.find(' '));
            auto parsed = hex_number(number);
            if (!parsed) {
                continue;
            }
            offset = *parsed;
        }
        if (!start || !last || *last < *start) {
            continue;
        }
        regions.push_back({*start, *last - *start + 1, offset});
    }
    return regions;
}

Result<std::unique_ptr<target::GuestRam>> map_guest_ram(const Session& session) {
    if (session.pid <= 0 || !is_qemu_alive(session.pid)) {
        return fail("QEMU of session {} is not running", session.dir.string());
    }
    const std::filesystem::path fds = fmt::format("/proc/{}/fd", session.pid);
    std::filesystem::path backend;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(fds, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        std::error_code link_ec;
        auto target = std::filesystem::read_symlink(it->path(), link_ec);
        if (!link_ec && target.string().starts_with(memfd_link_prefix)) {
            backend = it->path();
            break;
        }
    }
    if (ec) {
        return fail("cannot list {}: {}", fds.string(), ec.message());
    }
    if (backend.empty()) {
        return fail("QEMU (pid {}) has no shareable RAM backend (a VM kdive did not launch)",
                    session.pid);
    }
    auto qmp = QmpClient::connect(session.qmp, std::chrono::seconds(5));
    if (!qmp) {
        return std::unexpected(qmp.error());
    }
    auto mtree = qmp->execute("human-monitor-command", {{"command-line", "info mtree -f"}});
    if (!mtree || !mtree->is_string()) {
        return fail("QMP info mtree -f: {}", mtree ? "not text" : mtree.error().message);
    }
    auto regions = parse_ram_regions(mtree->get<std::string>(), guest_ram_backend_id);
    if (regions.empty()) {
        return fail("QEMU's memory map shows no {} region", guest_ram_backend_id);
    }
    return target::GuestRam::map(backend, std::move(regions));
}

std::optional<std::uint64_t> parse_gpa2hva(std::string_view reply) {
    const auto is = reply.rfind(" is 0x");
    if (is == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view number = reply.substr(is + 6);
    const auto end = number.find_first_not_of("0123456789abcdefABCDEF");
    return hex_number(number.substr(0, end));
}

Result<std::unique_ptr<target::GuestRam>>
guest_ram_through_qmp(const std::filesystem::path& qmp_socket) {
    auto qmp = QmpClient::connect(qmp_socket, std::chrono::seconds(5));
    if (!qmp) {
        return std::unexpected(qmp.error());
    }
    auto pid = qmp->peer_pid();
    if (!pid) {
        return std::unexpected(pid.error());
    }
    auto mtree = qmp->execute("human-monitor-command", {{"command-line", "info mtree -f"}});
    if (!mtree || !mtree->is_string()) {
        return fail("QMP info mtree -f: {}", mtree ? "not text" : mtree.error().message);
    }
    auto regions = parse_ram_regions(mtree->get<std::string>(), "");
    if (regions.empty()) {
        return fail("QEMU's memory map shows no RAM");
    }
    for (auto& region : regions) {
        auto reply =
            qmp->execute("human-monitor-command",
                         {{"command-line", fmt::format("gpa2hva {:#x}", region.guest_physical)}});
        if (!reply || !reply->is_string()) {
            return fail("QMP gpa2hva {:#x}: {}", region.guest_physical,
                        reply ? "not text" : reply.error().message);
        }
        auto address = parse_gpa2hva(reply->get<std::string>());
        if (!address) {
            return fail("QMP gpa2hva {:#x}: unexpected answer '{}'", region.guest_physical,
                        reply->get<std::string>());
        }
        region.offset = *address;
    }
    return target::GuestRam::in_process(*pid, std::move(regions));
}

} // namespace kdive::lab
