// Where each Debian release puts kernel files, and the checks that they are the real thing.
#include "lab/kernel_layout.hpp"

#include "lab/compression.hpp"
#include "support/atomic_file.hpp"
#include "support/file_prefix.hpp"

#include <array>
#include <optional>

namespace kdive::lab {

namespace fs = std::filesystem;

namespace {

// The image package's System.map is a placeholder pointing at the -dbg package; real ones are
// megabytes.
constexpr std::uintmax_t placeholder_limit = 4096;

// x86 boot protocol: "HdrS" at offset 0x202 of every bzImage.
constexpr std::string_view boot_header_magic = "HdrS";
constexpr std::string_view elf_magic = "\x7f"
                                       "ELF";

// Follows symbolic links the way they would resolve once installed, but inside `root`: the
// 7.x -dbg package has boot/vmlinux-R pointing at lib/modules/R/vmlinux.
std::optional<fs::path> resolve_inside(const fs::path& root, fs::path path) {
    std::error_code ec;
    for (int hops = 0; hops < 8; ++hops) {
        auto status = fs::symlink_status(path, ec);
        if (ec || !fs::exists(status)) {
            return std::nullopt;
        }
        if (!fs::is_symlink(status)) {
            return fs::is_regular_file(status) ? std::optional(path) : std::nullopt;
        }
        fs::path target = fs::read_symlink(path, ec);
        if (ec) {
            return std::nullopt;
        }
        path = (target.is_absolute() ? root / target.relative_path() : path.parent_path() / target)
                   .lexically_normal();
        auto inside = path.lexically_relative(root);
        if (inside.empty() || *inside.begin() == "..") {
            return std::nullopt; // a link leaving the package's root is not the package's file
        }
    }
    return std::nullopt;
}

std::optional<fs::path> first_existing(const fs::path& root,
                                       const std::vector<fs::path>& candidates,
                                       std::uintmax_t min_size = 0) {
    std::error_code ec;
    for (const auto& c : candidates) {
        auto file = resolve_inside(root, c);
        if (file && fs::file_size(*file, ec) > min_size && !ec) {
            return file;
        }
    }
    return std::nullopt;
}

// The image package's vmlinuz as the file QEMU boots: a bzImage is used as it is; arm64's is a
// gzip-compressed Image (or already a raw one), checked by its "ARM\x64" header either way.
Result<fs::path> boot_image(const fs::path& vmlinuz, KernelArch arch, const fs::path& scratch) {
    if (arch == KernelArch::amd64) {
        if (!read_file_prefix(vmlinuz, 0x206).ends_with(boot_header_magic)) {
            return fail("{} is not an x86 bzImage (no HdrS boot header)", vmlinuz.string());
        }
        return vmlinuz;
    }
    if (!is_gzip(read_file_prefix(vmlinuz, 2))) {
        if (image_arch(vmlinuz) != KernelArch::arm64) {
            return fail("{} is neither an arm64 Image nor a gzip-compressed one (no ARM\\x64 "
                        "header at 0x38)",
                        vmlinuz.string());
        }
        return vmlinuz;
    }
    auto packed = read_file(vmlinuz);
    if (!packed) {
        return std::unexpected(packed.error());
    }
    auto image = gunzip(*packed, vmlinuz.string());
    if (!image) {
        return std::unexpected(image.error());
    }
    if (image->size() < 0x40 || image->substr(0x38, 4) != std::string_view("ARM\x64", 4)) {
        return fail("{} inflates to something that is not an arm64 Image (no ARM\\x64 header at "
                    "0x38)",
                    vmlinuz.string());
    }
    if (auto written = write_file_atomically(scratch, *image); !written) {
        return std::unexpected(written.error());
    }
    // Gone like a moved bzImage, so the 7.x modules folder does not keep it.
    std::error_code ec;
    fs::remove(vmlinuz, ec);
    return scratch;
}

Result<> move_into(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::rename(from, to, ec);
    if (ec) {
        return fail("moving {} to {}: {}", from.string(), to.string(), ec.message());
    }
    return {};
}

// Moves every entry of `from` into `to` (created when missing), merging folders.
Result<> merge_tree(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    if (!fs::exists(to, ec)) {
        return move_into(from, to);
    }
    for (const auto& entry : fs::directory_iterator(from, ec)) {
        auto target = to / entry.path().filename();
        if (entry.is_directory(ec) && fs::is_directory(target, ec)) {
            if (auto merged = merge_tree(entry.path(), target); !merged) {
                return merged;
            }
        } else if (auto moved = move_into(entry.path(), target); !moved) {
            return moved;
        }
    }
    if (ec) {
        return fail("reading {}: {}", from.string(), ec.message());
    }
    return {};
}

} // namespace

std::vector<std::string> kernel_layout_members(const std::string& release) {
    return {
        "./boot",                                    // vmlinuz-R, config-R (up to 6.x)
        "./lib/modules/" + release,                  // modules (up to 6.x)
        "./usr/lib/modules/" + release,              // vmlinuz, config, modules (7.x split)
        "./usr/lib/debug/boot",                      // vmlinux-R, System.map-R (-dbg, up to 6.x)
        "./usr/lib/debug/lib/modules/" + release,    // module debug files; vmlinux in 7.x
        "./usr/lib/debug/usr/lib/modules/" + release // merged-/usr debug layout
    };
}

std::string kernel_image_file(KernelArch arch) {
    return std::string(kernel_image_target(arch));
}

Result<> assemble_kernel_layout(const fs::path& unpacked, const std::string& release,
                                const fs::path& out, KernelArch arch) {
    const fs::path modules_old = unpacked / "lib/modules" / release;
    const fs::path modules_usr = unpacked / "usr/lib/modules" / release;
    const fs::path debug_boot = unpacked / "usr/lib/debug/boot";
    const fs::path debug_old = unpacked / "usr/lib/debug/lib/modules" / release;
    const fs::path debug_usr = unpacked / "usr/lib/debug/usr/lib/modules" / release;

    auto vmlinuz = first_existing(
        unpacked, {unpacked / "boot" / ("vmlinuz-" + release), modules_usr / "vmlinuz"});
    if (!vmlinuz) {
        return fail("no kernel image (boot/vmlinuz-{0} or usr/lib/modules/{0}/vmlinuz) in the "
                    "image packages",
                    release);
    }
    auto image = boot_image(*vmlinuz, arch, unpacked / "kdive-Image");
    if (!image) {
        return std::unexpected(image.error());
    }
    auto vmlinux = first_existing(unpacked, {debug_boot / ("vmlinux-" + release),
                                             debug_old / "vmlinux", debug_usr / "vmlinux"});
    if (!vmlinux) {
        return fail("no vmlinux (usr/lib/debug/boot/vmlinux-{0} or "
                    "usr/lib/debug/lib/modules/{0}/vmlinux) in the -dbg package",
                    release);
    }
    if (read_file_prefix(*vmlinux, 4) != elf_magic) {
        return fail("{} is not an ELF file", vmlinux->string());
    }
    auto system_map = first_existing(
        unpacked,
        {debug_boot / ("System.map-" + release), debug_old / "System.map", debug_usr / "System.map",
         unpacked / "boot" / ("System.map-" + release), modules_usr / "System.map"},
        placeholder_limit);
    if (!system_map) {
        return fail("no System.map with symbols for {} (the image package's is a placeholder; "
                    "the -dbg package should have one)",
                    release);
    }
    auto config = first_existing(
        unpacked, {unpacked / "boot" / ("config-" + release), modules_usr / "config"});
    if (!config) {
        return fail("no kernel config (boot/config-{0} or usr/lib/modules/{0}/config) in the image "
                    "packages",
                    release);
    }

    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) {
        return fail("creating {}: {}", out.string(), ec.message());
    }
    const std::string image_name = kernel_image_file(arch);
    for (const auto& [from, name] :
         std::array<std::pair<fs::path, const char*>, 4>{{{*image, image_name.c_str()},
                                                          {*vmlinux, "vmlinux"},
                                                          {*system_map, "System.map"},
                                                          {*config, "config"}}}) {
        if (auto moved = move_into(from, out / name); !moved) {
            return moved;
        }
    }

    // Modules: whichever of the two trees exist, merged; boot files already moved out of the
    // 7.x one, and its System.map placeholder dropped.
    fs::path modules = out / "modules";
    for (const auto& tree : {modules_old, modules_usr}) {
        if (fs::is_directory(tree, ec)) {
            if (auto merged = merge_tree(tree, modules); !merged) {
                return merged;
            }
        }
    }
    if (!fs::is_directory(modules, ec)) {
        return fail("no modules folder (lib/modules/{0} or usr/lib/modules/{0}) in the image "
                    "packages",
                    release);
    }
    fs::remove(modules / "System.map", ec);

    fs::path modules_dbg = out / "modules-dbg";
    for (const auto& tree : {debug_old, debug_usr}) {
        if (fs::is_directory(tree, ec)) {
            if (auto merged = merge_tree(tree, modules_dbg); !merged) {
                return merged;
            }
        }
    }
    // The -dbg trees also name vmlinux and System.map (files or links to boot/), which now live
    // at the top of the folder.
    for (const char* duplicate : {"vmlinux", "System.map"}) {
        fs::remove(modules_dbg / duplicate, ec);
    }
    fs::create_directories(modules_dbg, ec);
    if (ec) {
        return fail("creating {}: {}", modules_dbg.string(), ec.message());
    }
    return {};
}

} // namespace kdive::lab
