// Kernel tree paths and its version, read from the top Makefile.
#include "lab/kernel_tree.hpp"

#include "lab/kconfig_file.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "support/text.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <utility>

namespace kdive::lab {

namespace fs = std::filesystem;

namespace {

// $ARCH as Kbuild reads it (x86_64 and i386 are x86's); nullopt when unset or another one.
std::optional<KernelArch> environment_arch() {
    const char* arch = std::getenv("ARCH");
    return arch == nullptr ? std::nullopt : parse_arch(arch);
}

} // namespace

std::optional<KernelArch> config_arch(const fs::path& config) {
    std::error_code ec;
    if (!fs::is_regular_file(config, ec)) {
        return std::nullopt;
    }
    auto file = KconfigFile::read(config.string());
    if (!file) {
        return std::nullopt;
    }
    if (file->value("ARM64") == "y") {
        return KernelArch::arm64;
    }
    if (file->value("X86_64") == "y") {
        return KernelArch::amd64;
    }
    return std::nullopt;
}

Result<KernelTree> KernelTree::open(const fs::path& source, const fs::path& out,
                                    std::optional<KernelArch> arch) {
    std::error_code ec;
    fs::path src = fs::absolute(source, ec).lexically_normal();
    if (!fs::is_regular_file(src / "Makefile", ec) || !fs::is_regular_file(src / "Kconfig", ec)) {
        return fail("{} is not a kernel source tree (no Makefile and Kconfig)", src.string());
    }
    fs::path obj = out.empty() ? src : fs::absolute(out, ec).lexically_normal();
    if (obj.filename().empty()) {
        obj = obj.parent_path();
    }
    if (src.filename().empty()) {
        src = src.parent_path();
    }
    // Kbuild splits its folder names on spaces and colons and stops deep inside make
    // ("source directory cannot contain spaces or colons"): say so before running it.
    for (const auto& [what, dir] :
         {std::pair{"source tree", &src}, std::pair{"output folder", &obj}}) {
        if (dir->string().find_first_of(" \t:") != std::string::npos) {
            return fail("kernel {} {} has a space or a colon in its path, which Kbuild cannot "
                        "build in; use a path without them",
                        what, dir->string());
        }
    }
    if (!arch) {
        arch = config_arch(obj / ".config");
    }
    if (!arch) {
        arch = environment_arch();
    }
    return KernelTree{src, obj, arch.value_or(host_arch())};
}

fs::path KernelTree::image() const {
    return out / "arch" / kbuild_arch(arch) / "boot" / kernel_image_target(arch);
}

std::vector<std::string> KernelTree::make(const std::vector<std::string>& targets) const {
    std::vector<std::string> argv{"make", "-C", source.string()};
    if (out_of_tree()) {
        argv.push_back("O=" + out.string());
    }
    const bool foreign = arch != host_arch();
    if (foreign || std::getenv("ARCH") != nullptr) {
        argv.push_back(fmt::format("ARCH={}", kbuild_arch(arch)));
    }
    if (foreign && std::getenv("CROSS_COMPILE") == nullptr) {
        argv.push_back(fmt::format("CROSS_COMPILE={}", cross_compile_prefix(arch)));
    }
    argv.insert(argv.end(), targets.begin(), targets.end());
    return argv;
}

Result<> KernelTree::check_toolchain() const {
    if (arch == host_arch()) {
        return {};
    }
    const char* prefix = std::getenv("CROSS_COMPILE");
    const std::string gcc = fmt::format("{}gcc", prefix != nullptr ? std::string_view(prefix)
                                                                   : cross_compile_prefix(arch));
    if (find_program(gcc).empty()) {
        return fail("{} not found: building an {} kernel on this {} host needs a cross compiler "
                    "(install {}; scripts/bootstrap.sh does)",
                    gcc, arch_name(arch), arch_name(host_arch()),
                    arch == KernelArch::arm64 ? "gcc-aarch64-linux-gnu" : "gcc-x86-64-linux-gnu");
    }
    return {};
}

Result<std::string> KernelTree::version() const {
    auto text = read_file(source / "Makefile");
    if (!text) {
        return std::unexpected(text.error());
    }
    std::string parts[3];
    const char* names[3] = {"VERSION", "PATCHLEVEL", "SUBLEVEL"};
    std::string_view rest = *text;
    for (int lines = 0; lines < 20 && !rest.empty(); ++lines) {
        auto nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        for (int i = 0; i < 3; ++i) {
            std::string_view name = names[i];
            if (line.starts_with(name) && trim(line.substr(name.size())).starts_with('=')) {
                parts[i] = std::string(trim(trim(line.substr(name.size())).substr(1)));
            }
        }
    }
    if (parts[0].empty() || parts[1].empty()) {
        return fail("{}: no VERSION/PATCHLEVEL at its top", (source / "Makefile").string());
    }
    return fmt::format("{}.{}.{}", parts[0], parts[1], parts[2].empty() ? "0" : parts[2]);
}

Result<BootKernel> KernelTree::built() const {
    std::error_code ec;
    for (const auto& file : {image(), vmlinux()}) {
        if (!fs::is_regular_file(file, ec)) {
            return fail("{} is missing: build it with `kdive build --tree {}{}`", file.string(),
                        source.string(), out_of_tree() ? " --out " + out.string() : "");
        }
    }
    return BootKernel{image(), vmlinux(), arch};
}

std::string KernelTree::up_command() const {
    return fmt::format("kdive up --tree {}{}", source.string(),
                       out_of_tree() ? " --out " + out.string() : "");
}

} // namespace kdive::lab
