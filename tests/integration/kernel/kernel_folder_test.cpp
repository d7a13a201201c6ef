// A fetched kernel folder holds the real kernel: checked against the files themselves.
#include "debuginfo/debug_info.hpp"
#include "debuginfo/index_cache.hpp"
#include "kernel_test_support.hpp"
#include "lab/kernel_arch.hpp"
#include "lab/kernel_manifest.hpp"
#include "support/atomic_file.hpp"
#include "support/cache_dir.hpp"

#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <gelf.h>
#include <gtest/gtest.h>
#include <libelf.h>
#include <nlohmann/json.hpp>
#include <thread>
#include <unistd.h>

namespace kdive::testing {
namespace {

namespace fs = std::filesystem;

fs::path fetched_dir() {
    auto run = run_kernel_command({"path", kernel_under_test()});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    std::string out = run.out;
    while (!out.empty() && out.back() == '\n') {
        out.pop_back();
    }
    return out;
}

std::vector<std::string> elf_section_names(const fs::path& file, GElf_Half& machine) {
    std::vector<std::string> names;
    elf_version(EV_CURRENT);
    int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return names;
    }
    Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    size_t shstrndx = 0;
    GElf_Ehdr ehdr;
    if (elf != nullptr && gelf_getehdr(elf, &ehdr) != nullptr &&
        elf_getshdrstrndx(elf, &shstrndx) == 0) {
        machine = ehdr.e_machine;
        for (Elf_Scn* scn = elf_nextscn(elf, nullptr); scn != nullptr;
             scn = elf_nextscn(elf, scn)) {
            GElf_Shdr shdr;
            if (gelf_getshdr(scn, &shdr) != nullptr && shdr.sh_size > 0) {
                const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
                names.emplace_back(name != nullptr ? name : "");
            }
        }
    }
    elf_end(elf);
    close(fd);
    return names;
}

bool is_module(const fs::path& p) {
    std::string name = p.filename().string();
    return name.ends_with(".ko") || name.ends_with(".ko.xz") || name.ends_with(".ko.zst") ||
           name.ends_with(".ko.gz");
}

// The kernel's architecture, as its kernel.json records it.
lab::KernelArch fetched_arch(const fs::path& dir) {
    auto manifest = lab::KernelManifest::read(dir / "kernel.json");
    EXPECT_TRUE(manifest) << manifest.error().message;
    return manifest ? manifest->arch : lab::KernelArch::amd64;
}

TEST(KernelFolder, HasEveryFileOfTheLayoutAndAManifest) {
    auto dir = fetched_dir();
    ASSERT_FALSE(dir.empty());
    const std::string image(lab::kernel_image_target(fetched_arch(dir)));
    for (const char* file : {image.c_str(), "vmlinux", "config", "System.map", "kernel.json"}) {
        EXPECT_TRUE(fs::is_regular_file(dir / file)) << file;
        EXPECT_FALSE(fs::is_symlink(dir / file)) << file;
        EXPECT_GT(fs::file_size(dir / file), 100U) << file;
    }
    EXPECT_TRUE(fs::is_directory(dir / "modules"));
    EXPECT_TRUE(fs::is_regular_file(dir / "modules" / "modules.order"));
    EXPECT_TRUE(fs::is_directory(dir / "modules-dbg"));
    auto manifest = lab::KernelManifest::read(dir / "kernel.json");
    ASSERT_TRUE(manifest) << manifest.error().message;
    EXPECT_EQ(manifest->name, kernel_under_test());
    EXPECT_EQ(manifest->arch, kernel_under_test().ends_with("-arm64") ? lab::KernelArch::arm64
                                                                      : lab::KernelArch::amd64);
    EXPECT_FALSE(manifest->mirror.empty());
    EXPECT_GE(manifest->packages.size(), 2U);
    // No downloads or scratch space are kept, and no temporary sibling is left over.
    for (const auto& item : fs::recursive_directory_iterator(dir)) {
        EXPECT_NE(item.path().extension(), ".deb") << item.path();
        EXPECT_NE(item.path().filename(), ".scratch") << item.path();
    }
    for (const auto& item : fs::directory_iterator(dir.parent_path())) {
        EXPECT_FALSE(
            item.path().filename().string().starts_with("." + kernel_under_test() + ".tmp-"))
            << item.path();
    }
}

TEST(KernelFolder, VmlinuxIsAnElfOfItsArchitectureWithDwarf) {
    auto dir = fetched_dir();
    GElf_Half machine = 0;
    auto sections = elf_section_names(dir / "vmlinux", machine);
    EXPECT_EQ(machine, lab::elf_machine(fetched_arch(dir)));
    for (const char* wanted : {".debug_info", ".debug_abbrev", ".debug_line", ".text"}) {
        EXPECT_NE(std::find(sections.begin(), sections.end(), wanted), sections.end()) << wanted;
    }
}

TEST(KernelFolder, ImageAndModulesMatchTheManifestRelease) {
    auto dir = fetched_dir();
    auto manifest = lab::KernelManifest::read(dir / "kernel.json");
    ASSERT_TRUE(manifest) << manifest.error().message;
    const bool arm64 = manifest->arch == lab::KernelArch::arm64;
    std::ifstream in(dir / std::string(lab::kernel_image_target(manifest->arch)), std::ios::binary);
    std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(image.size(), 0x1000U);
    if (arm64) {
        // arm64 boot protocol: "ARM\x64" at 0x38 of the (inflated) Image; the banner inside.
        EXPECT_EQ(image.substr(0x38, 4), std::string("ARM\x64", 4));
        EXPECT_NE(image.find("Linux version " + manifest->release + " "), std::string::npos);
    } else {
        // x86 boot protocol: "HdrS" at 0x202; at 0x20e the offset (minus 0x200) of the version
        // text.
        EXPECT_EQ(image.substr(0x202, 4), "HdrS");
        auto offset = static_cast<size_t>(static_cast<unsigned char>(image[0x20e]) |
                                          (static_cast<unsigned char>(image[0x20f]) << 8)) +
                      0x200;
        ASSERT_LT(offset, image.size());
        EXPECT_EQ(image.substr(offset, manifest->release.size() + 1), manifest->release + " ");
    }

    auto map = read_file(dir / "System.map");
    ASSERT_TRUE(map);
    EXPECT_NE(map->find(" T start_kernel\n"), std::string::npos);
    auto config = read_file(dir / "config");
    ASSERT_TRUE(config);
    EXPECT_NE(config->find(arm64 ? "CONFIG_ARM64=y\n" : "CONFIG_X86_64=y\n"), std::string::npos);
}

TEST(KernelFolder, EveryModuleHasItsDebugFile) {
    auto dir = fetched_dir();
    size_t modules = 0;
    std::vector<std::string> missing;
    for (const auto& item : fs::recursive_directory_iterator(dir / "modules")) {
        if (!item.is_regular_file() || !is_module(item.path())) {
            continue;
        }
        ++modules;
        auto relative = fs::relative(item.path(), dir / "modules").string();
        relative = relative.substr(0, relative.rfind(".ko") + 3);
        if (!fs::is_regular_file(dir / "modules-dbg" / relative)) {
            missing.push_back(relative);
        }
    }
    EXPECT_GT(modules, 100U);
    EXPECT_TRUE(missing.empty()) << missing.size() << " missing, first " << missing.front();
}

TEST(KernelFolder, ListJsonReportsIt) {
    auto dir = fetched_dir();
    auto run = run_kernel_command({"list", "--json"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto rows = nlohmann::json::parse(run.out);
    auto manifest = lab::KernelManifest::read(dir / "kernel.json");
    ASSERT_TRUE(manifest);
    bool found = false;
    for (const auto& row : rows) {
        if (row["name"] == kernel_under_test()) {
            found = true;
            EXPECT_TRUE(row["fetched"].get<bool>());
            EXPECT_EQ(row["release"], manifest->release);
            EXPECT_EQ(row["path"], dir.string());
        }
    }
    EXPECT_TRUE(found) << run.out;
}

TEST(KernelFolder, SecondFetchIsAFastNoOp) {
    auto dir = fetched_dir();
    auto before = fs::last_write_time(dir / "kernel.json");
    auto started = std::chrono::steady_clock::now();
    auto run = run_kernel_command({"fetch", kernel_under_test()});
    auto took = std::chrono::steady_clock::now() - started;
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, dir.string() + "\n");
    EXPECT_NE(run.err.find("already fetched"), std::string::npos) << run.err;
    EXPECT_LT(took, std::chrono::seconds(5));
    EXPECT_EQ(fs::last_write_time(dir / "kernel.json"), before);
}

// A fetch, even one with nothing to download, leaves the DWARF index building in the background
// when the cache lacks it: the first question that needs DWARF then finds it warm.
TEST(KernelFolder, FetchBuildsTheDwarfIndexInTheBackground) {
    debuginfo::DebugInfoOptions options;
    options.cache_root = cache_dir();
    auto info = debuginfo::DebugInfo::open(fetched_dir() / "vmlinux", options);
    ASSERT_TRUE(info) << info.error().message;
    const auto& build_id = (*info)->elf().build_id();
    ASSERT_TRUE(build_id);
    const auto path = debuginfo::index_cache_path(options.cache_root, *build_id);
    std::error_code ec;
    fs::remove(path, ec);
    auto run = run_kernel_command({"fetch", kernel_under_test()});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
    while (!fs::exists(path) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ASSERT_TRUE(fs::exists(path)) << "no index at " << path << " after the fetch";
    // Written whole (atomically): it loads as the index of this vmlinux.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto loaded = debuginfo::load_index_cache(
        path, debuginfo::IndexKey{*build_id, (*info)->elf().file_size()});
    EXPECT_TRUE(loaded) << loaded.error().message;
}

} // namespace
} // namespace kdive::testing
