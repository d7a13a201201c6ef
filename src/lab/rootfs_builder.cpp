// BusyBox rootfs layout: applet links, init files, device nodes, modules, user additions.
#include "lab/rootfs_builder.hpp"

#include "lab/compression.hpp"
#include "lab/kernel_arch.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <optional>
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

// Turns `--list-full`-style lines into archive member names; `what` names their source.
Result<std::vector<std::string>> member_names(const std::vector<std::string>& lines,
                                              const std::string& what) {
    std::vector<std::string> paths;
    for (const auto& line : lines) {
        if (line.empty()) {
            continue;
        }
        auto name = normalize_member_name(line);
        if (!name) {
            return fail("{}: {}", what, name.error().message);
        }
        paths.push_back(*name);
    }
    if (paths.empty()) {
        return fail("{} lists no applets; is it a BusyBox binary?", what);
    }
    return paths;
}

// Which applets the busybox binary has and where they live: a binary the host can run is asked
// (`busybox --list-full`); one of another architecture is read (parse_busybox_applets).
Result<std::vector<std::string>> applet_paths(const std::filesystem::path& busybox,
                                              std::string_view binary) {
    auto arch = elf_arch(binary.substr(0, 64));
    if (arch && *arch != host_arch()) {
        auto parsed = parse_busybox_applets(binary);
        if (!parsed) {
            return fail("reading the applets of {} ({} binary): {}", busybox.string(),
                        arch_name(*arch), parsed.error().message);
        }
        return member_names(*parsed, busybox.string());
    }
    auto listing = run_checked({busybox.string(), "--list-full"});
    if (!listing) {
        return wrap(listing.error(), "listing applets of " + busybox.string());
    }
    std::vector<std::string> lines;
    size_t pos = 0;
    const std::string& out = listing->out;
    while (pos < out.size()) {
        size_t end = out.find('\n', pos);
        if (end == std::string::npos) {
            end = out.size();
        }
        lines.push_back(out.substr(pos, end - pos));
        pos = end + 1;
    }
    return member_names(lines, busybox.string() + " --list-full");
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

namespace {

bool applet_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '+' || c == '[';
}

// The names of a sorted NUL-separated run starting at `at` and ending in an empty name; empty
// when the run there is not one.
std::vector<std::string_view> sorted_run(std::string_view data, std::size_t at) {
    std::vector<std::string_view> names;
    while (at < data.size()) {
        std::size_t end = data.find('\0', at);
        if (end == std::string_view::npos) {
            return {};
        }
        std::string_view name = data.substr(at, end - at);
        if (name.empty()) {
            return names; // the table's closing NUL
        }
        if (name.size() > 32 || !std::all_of(name.begin(), name.end(), applet_name_char) ||
            (!names.empty() && name <= names.back())) {
            return {};
        }
        names.push_back(name);
        at = end + 1;
    }
    return {};
}

// BusyBox's install folders by code (include/busybox.h: BB_DIR_ROOT ... BB_DIR_USR_SBIN).
constexpr std::array<std::string_view, 5> install_folders{"", "bin/", "sbin/", "usr/bin/",
                                                          "usr/sbin/"};

// Applets whose folder BusyBox's source fixes, whatever the configuration.
constexpr std::array<std::pair<std::string_view, unsigned>, 5> fixed_folders{{
    {"sh", 1},
    {"mount", 1},
    {"mdev", 2},
    {"[", 3},
    {"chroot", 4},
}};

unsigned nibble(std::string_view table, std::size_t index) {
    const auto byte = static_cast<unsigned char>(table[index / 2]);
    return index % 2 == 0 ? byte & 0x0fU : byte >> 4U;
}

} // namespace

Result<std::vector<std::string>> parse_busybox_applets(std::string_view binary) {
    // applet_names[]: the longest sorted run that ends in an empty name.
    std::vector<std::string_view> names;
    std::size_t names_at = 0;
    for (std::size_t at = 1; at < binary.size(); ++at) {
        if (binary[at - 1] != '\0' || binary[at] == '\0') {
            continue;
        }
        auto run = sorted_run(binary, at);
        if (run.size() > names.size()) {
            names = std::move(run);
            names_at = at;
        }
    }
    if (names.size() < 2) {
        return fail("no applet name table (a sorted, NUL-separated list of names) found");
    }
    // applet_install_loc[]: ceil(n/2) bytes of folder codes.
    std::vector<std::pair<std::size_t, unsigned>> anchors;
    for (const auto& [name, folder] : fixed_folders) {
        auto it = std::lower_bound(names.begin(), names.end(), name);
        if (it != names.end() && *it == name) {
            anchors.emplace_back(static_cast<std::size_t>(it - names.begin()), folder);
        }
    }
    if (anchors.empty()) {
        return fail("none of the applets sh, mount, mdev, [ or chroot is in its name table, so "
                    "their folders cannot be located");
    }
    const std::size_t length = (names.size() + 1) / 2;
    std::optional<std::size_t> best;
    auto distance = [names_at](std::size_t at) {
        return at > names_at ? at - names_at : names_at - at;
    };
    for (std::size_t at = 0; at + length <= binary.size(); ++at) {
        std::string_view table = binary.substr(at, length);
        if (!std::all_of(anchors.begin(), anchors.end(), [&table](const auto& anchor) {
                return nibble(table, anchor.first) == anchor.second;
            })) {
            continue;
        }
        bool codes = true;
        for (std::size_t i = 0; i < length * 2 && codes; ++i) {
            // An odd count leaves the last high nibble zero.
            codes = i < names.size() ? nibble(table, i) < install_folders.size()
                                     : nibble(table, i) == 0;
        }
        if (codes && (!best || distance(at) < distance(*best))) {
            best = at;
        }
    }
    if (!best) {
        return fail("no applet folder table (BusyBox built without FEATURE_INSTALLER?) beside its "
                    "{} applet names",
                    names.size());
    }
    std::string_view table = binary.substr(*best, length);
    std::vector<std::string> applets;
    applets.reserve(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        applets.push_back(std::string(install_folders[nibble(table, i)]) + std::string(names[i]));
    }
    return applets;
}

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

namespace {

Result<std::string> read_module(const std::filesystem::path& module) {
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
    return plain;
}

} // namespace

Result<std::optional<KernelArch>> module_arch(const std::filesystem::path& module) {
    auto plain = read_module(module);
    if (!plain) {
        return std::unexpected(plain.error());
    }
    return elf_arch(std::string_view(*plain).substr(0, 64));
}

Result<std::vector<CpioEntry>> build_rootfs(const RootfsOptions& options) {
    std::filesystem::path busybox = options.busybox.empty() ? default_busybox() : options.busybox;
    auto busybox_data = read_file(busybox);
    if (!busybox_data) {
        return fail("busybox binary: {} (install busybox-static or pass --busybox)",
                    busybox_data.error().message);
    }
    auto applets = applet_paths(busybox, *busybox_data);
    if (!applets) {
        return std::unexpected(applets.error());
    }
    const std::string busybox_header = busybox_data->substr(0, 64);

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
        const auto busybox_arch = elf_arch(std::string_view(busybox_header));
        for (const auto& module : options.modules) {
            auto plain = read_module(module);
            if (!plain) {
                return std::unexpected(plain.error());
            }
            const auto arch = elf_arch(std::string_view(*plain).substr(0, 64));
            if (arch && busybox_arch && *arch != *busybox_arch) {
                return fail("--module {} is built for {}, the busybox for {} (give --arch {})",
                            module.string(), arch_name(*arch), arch_name(*busybox_arch),
                            arch_name(*arch));
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
