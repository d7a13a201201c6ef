// BusyBox rootfs layout: applet links, init files, device nodes, modules, user additions.
#include "lab/rootfs_builder.hpp"

#include "lab/compression.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>
#include <sys/stat.h>

namespace kdive::lab {

namespace {

constexpr std::string_view fstab = "proc     /proc             proc     defaults 0 0\n"
                                   "tmpfs    /tmp              tmpfs    defaults 0 0\n"
                                   "sysfs    /sys              sysfs    defaults 0 0\n"
                                   "tmpfs    /dev              tmpfs    mode=0755 0 0\n"
                                   "debugfs  /sys/kernel/debug debugfs  defaults 0 0\n";

constexpr std::string_view inittab = "::sysinit:/etc/init.d/rcS\n"
                                     "::respawn:-/bin/sh\n"
                                     "::ctrlaltdel:/sbin/reboot\n"
                                     "::shutdown:/bin/umount -a -r\n";

std::string rc_script(bool has_modules, bool has_user_script) {
    std::string s = "#!/bin/sh\n"
                    "# kdive rootfs start-up: filesystems, device nodes, hotplug, modules.\n"
                    "mount -a\n"
                    "mkdir -p /dev/pts /dev/shm\n"
                    "mount -t devpts devpts /dev/pts\n"
                    "# The uevent helper exists only with CONFIG_UEVENT_HELPER.\n"
                    "if [ -e /proc/sys/kernel/hotplug ]; then\n"
                    "    echo /sbin/mdev > /proc/sys/kernel/hotplug\n"
                    "fi\n"
                    "mdev -s\n";
    if (has_modules) {
        s += "while read -r module; do\n"
             "    insmod \"/lib/modules/$module\" || echo \"kdive: cannot load $module\"\n"
             "done < /etc/kdive-modules\n";
    }
    if (has_user_script) {
        s += "/etc/init.d/rc.user\n";
    }
    s += fmt::format("echo \"{}\"\n", rootfs_ready_marker);
    return s;
}

CpioEntry make_dir(std::string name, uint32_t mode = 0755) {
    CpioEntry e;
    e.name = std::move(name);
    e.type = CpioType::Directory;
    e.permissions = mode;
    return e;
}

CpioEntry make_file(std::string name, std::string data, uint32_t mode) {
    CpioEntry e;
    e.name = std::move(name);
    e.permissions = mode;
    e.data = std::move(data);
    return e;
}

CpioEntry make_symlink(std::string name, std::string target) {
    CpioEntry e;
    e.name = std::move(name);
    e.type = CpioType::Symlink;
    e.permissions = 0777;
    e.data = std::move(target);
    return e;
}

CpioEntry make_char_device(std::string name, uint32_t mode, uint32_t major, uint32_t minor) {
    CpioEntry e;
    e.name = std::move(name);
    e.type = CpioType::CharDevice;
    e.permissions = mode;
    e.dev_major = major;
    e.dev_minor = minor;
    return e;
}

// Asks the busybox binary itself which applets it has and where they live.
Result<std::vector<std::string>> applet_paths(const std::filesystem::path& busybox) {
    auto listing = run_checked({busybox.string(), "--list-full"});
    if (!listing) {
        return wrap(listing.error(), "listing applets of " + busybox.string());
    }
    std::vector<std::string> paths;
    size_t pos = 0;
    const std::string& out = listing->out;
    while (pos < out.size()) {
        size_t end = out.find('\n', pos);
        if (end == std::string::npos) {
            end = out.size();
        }
        auto line = out.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty()) {
            continue;
        }
        auto name = normalize_member_name(line);
        if (!name) {
            return fail("{} --list-full: {}", busybox.string(), name.error().message);
        }
        paths.push_back(*name);
    }
    if (paths.empty()) {
        return fail("{} lists no applets; is it a BusyBox binary?", busybox.string());
    }
    return paths;
}

// Adds a host file or directory tree under `destination`, keeping permission bits.
Result<> add_host_path(const std::filesystem::path& source, const std::string& destination,
                       std::vector<CpioEntry>& entries) {
    auto dest = normalize_member_name(destination);
    if (!dest) {
        return fail("--add {}:{}: {}", source.string(), destination, dest.error().message);
    }
    auto add_one = [&](const std::filesystem::path& path, const std::string& name) -> Result<> {
        struct stat st {};
        if (lstat(path.c_str(), &st) != 0) {
            return fail("--add: cannot read '{}'", path.string());
        }
        uint32_t perms = st.st_mode & 07777;
        if (S_ISDIR(st.st_mode)) {
            entries.push_back(make_dir(name, perms));
        } else if (S_ISLNK(st.st_mode)) {
            std::error_code ec;
            entries.push_back(make_symlink(name, std::filesystem::read_symlink(path, ec)));
        } else if (S_ISREG(st.st_mode)) {
            auto data = read_file(path);
            if (!data) {
                return std::unexpected(data.error());
            }
            entries.push_back(make_file(name, std::move(*data), perms));
        } else {
            return fail("--add: '{}' is not a file, directory or symlink", path.string());
        }
        return {};
    };
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(source, ec))) {
        return fail("--add: source '{}' does not exist", source.string());
    }
    if (auto r = add_one(source, *dest); !r) {
        return r;
    }
    if (!std::filesystem::is_directory(std::filesystem::symlink_status(source, ec))) {
        return {};
    }
    std::vector<std::filesystem::path> children;
    for (const auto& item : std::filesystem::recursive_directory_iterator(source, ec)) {
        children.push_back(item.path());
    }
    if (ec) {
        return fail("--add: cannot list '{}': {}", source.string(), ec.message());
    }
    std::sort(children.begin(), children.end()); // stable order keeps the archive reproducible
    for (const auto& child : children) {
        auto name = *dest + "/" + std::filesystem::relative(child, source).string();
        if (auto r = add_one(child, name); !r) {
            return r;
        }
    }
    return {};
}

std::string module_file_name(const std::filesystem::path& path) {
    std::string name = path.filename().string();
    for (std::string_view suffix : {".xz", ".zst", ".gz"}) {
        if (name.ends_with(suffix)) {
            name.resize(name.size() - suffix.size());
        }
    }
    return name;
}

} // namespace

std::filesystem::path default_busybox() {
    return "/bin/busybox";
}

Result<RootfsOptions::Addition> parse_addition(std::string_view spec) {
    auto colon = spec.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == spec.size()) {
        return fail("--add '{}': expected SRC:DEST", spec);
    }
    return RootfsOptions::Addition{std::string(spec.substr(0, colon)),
                                   std::string(spec.substr(colon + 1))};
}

Result<std::vector<CpioEntry>> build_rootfs(const RootfsOptions& options) {
    std::filesystem::path busybox = options.busybox.empty() ? default_busybox() : options.busybox;
    auto busybox_data = read_file(busybox);
    if (!busybox_data) {
        return fail("busybox binary: {} (install busybox-static or pass --busybox)",
                    busybox_data.error().message);
    }
    auto applets = applet_paths(busybox);
    if (!applets) {
        return std::unexpected(applets.error());
    }

    std::vector<CpioEntry> entries;
    for (const char* dir :
         {"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "etc/init.d", "proc", "sys", "dev",
          "tmp", "root", "mnt", "var", "run", "lib", "lib/modules"}) {
        entries.push_back(make_dir(dir, std::string_view(dir) == "tmp" ? 01777 : 0755));
    }
    entries.push_back(make_char_device("dev/console", 0600, 5, 1));
    entries.push_back(make_char_device("dev/null", 0666, 1, 3));
    entries.push_back(make_file("bin/busybox", std::move(*busybox_data), 0755));
    entries.push_back(make_symlink("linuxrc", "bin/busybox"));
    entries.push_back(make_symlink("init", "bin/busybox"));
    std::set<std::string> taken{"bin/busybox", "linuxrc", "init"};
    for (const auto& applet : *applets) {
        if (taken.insert(applet).second) {
            entries.push_back(make_symlink(applet, "/bin/busybox"));
        }
    }
    entries.push_back(make_file("etc/fstab", std::string(fstab), 0644));
    entries.push_back(make_file("etc/inittab", std::string(inittab), 0644));
    entries.push_back(make_file(
        "etc/init.d/rcS", rc_script(!options.modules.empty(), !options.init_script.empty()), 0755));

    if (!options.modules.empty()) {
        std::string load_list;
        for (const auto& module : options.modules) {
            auto raw = read_file(module);
            if (!raw) {
                return fail("--module: {}", raw.error().message);
            }
            auto plain = decompress_module(*raw, module.string());
            if (!plain) {
                return std::unexpected(plain.error());
            }
            if (!plain->starts_with("\x7f"
                                    "ELF")) {
                return fail("--module {}: not an ELF kernel module", module.string());
            }
            std::string name = module_file_name(module);
            entries.push_back(make_file("lib/modules/" + name, std::move(*plain), 0644));
            load_list += name + "\n";
        }
        entries.push_back(make_file("etc/kdive-modules", load_list, 0644));
    }
    if (!options.init_script.empty()) {
        auto script = read_file(options.init_script);
        if (!script) {
            return fail("--init-script: {}", script.error().message);
        }
        entries.push_back(make_file("etc/init.d/rc.user", std::move(*script), 0755));
    }
    for (const auto& addition : options.additions) {
        if (auto r = add_host_path(addition.source, addition.destination, entries); !r) {
            return std::unexpected(r.error());
        }
    }
    return with_parents_first(std::move(entries));
}

} // namespace kdive::lab
