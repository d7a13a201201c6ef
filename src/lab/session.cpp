// session.json reading and writing.
#include "lab/session.hpp"

#include "support/atomic_file.hpp"

#include <csignal>
#include <nlohmann/json.hpp>

namespace kdive::lab {

Result<Session> Session::load(const std::filesystem::path& dir) {
    auto path = dir / file_name;
    auto text = read_file(path);
    if (!text) {
        return fail("{} is not a kdive session folder ({})", dir.string(), text.error().message);
    }
    auto json = nlohmann::json::parse(*text, nullptr, false);
    if (json.is_discarded() || !json.is_object()) {
        return fail("{}: not valid JSON", path.string());
    }
    Session s;
    s.dir = dir;
    try {
        s.gdb = json.at("gdb").get<std::string>();
        s.qmp = json.at("qmp").get<std::string>();
        s.console_log = json.value("console", std::string());
        s.console_socket = json.value("console_socket", std::string());
        s.pid = json.at("pid").get<pid_t>();
        s.kernel = json.value("kernel", std::string());
        s.bzimage = json.value("bzimage", std::string());
        // Sessions saved before arm64 support have no "arch": they are x86-64.
        const auto arch = json.value("arch", std::string("amd64"));
        auto parsed = parse_arch(arch);
        if (!parsed) {
            return fail("{}: unknown architecture '{}'", path.string(), arch);
        }
        s.arch = *parsed;
        s.vmlinux = json.value("vmlinux", std::string());
        s.initrd = json.value("initrd", std::string());
        s.append = json.value("append", std::string());
        s.smp = json.value("smp", 1);
        s.kvm = json.value("kvm", false);
        s.detached = json.value("detached", false);
    } catch (const nlohmann::json::exception& e) {
        return fail("{}: {}", path.string(), e.what());
    }
    return s;
}

Result<> Session::save() const {
    nlohmann::json json = {
        {"gdb", gdb},
        {"qmp", qmp.string()},
        {"console", console_log.string()},
        {"console_socket", console_socket.string()},
        {"pid", pid},
        {"kernel", kernel},
        {"bzimage", bzimage.string()},
        {"arch", arch_name(arch)},
        {"vmlinux", vmlinux.string()},
        {"initrd", initrd.string()},
        {"append", append},
        {"smp", smp},
        {"kvm", kvm},
        {"detached", detached},
    };
    return write_file_atomically(dir / file_name, json.dump(2) + "\n", 0600);
}

bool is_qemu_alive(pid_t pid) {
    if (pid <= 0 || kill(pid, 0) != 0) {
        return false;
    }
    // /proc/PID/stat is "PID (COMM) STATE ...": a zombie has exited already.
    auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) {
        return false;
    }
    auto open = stat->find('(');
    auto close = stat->rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= stat->size()) {
        return false;
    }
    return stat->compare(open + 1, 4, "qemu") == 0 && (*stat)[close + 2] != 'Z';
}

} // namespace kdive::lab
