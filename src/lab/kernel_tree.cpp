// Kernel tree paths and its version, read from the top Makefile.
#include "lab/kernel_tree.hpp"

#include "support/atomic_file.hpp"
#include "support/text.hpp"

#include <fmt/format.h>
#include <utility>

namespace kdive::lab {

namespace fs = std::filesystem;

Result<KernelTree> KernelTree::open(const fs::path& source, const fs::path& out) {
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
    return KernelTree{src, obj};
}

std::vector<std::string> KernelTree::make(const std::vector<std::string>& targets) const {
    std::vector<std::string> argv{"make", "-C", source.string()};
    if (out_of_tree()) {
        argv.push_back("O=" + out.string());
    }
    argv.insert(argv.end(), targets.begin(), targets.end());
    return argv;
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
    for (const auto& file : {bzimage(), vmlinux()}) {
        if (!fs::is_regular_file(file, ec)) {
            return fail("{} is missing: build it with `kdive build --tree {}{}`", file.string(),
                        source.string(), out_of_tree() ? " --out " + out.string() : "");
        }
    }
    return BootKernel{bzimage(), vmlinux()};
}

std::string KernelTree::up_command() const {
    return fmt::format("kdive up --tree {}{}", source.string(),
                       out_of_tree() ? " --out " + out.string() : "");
}

} // namespace kdive::lab
