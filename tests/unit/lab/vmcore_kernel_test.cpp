// A dump's kernel by VMCOREINFO (release and build-id) and where its vmlinux comes from: a
// folder, the kernel cache, or a debuginfod server asked by build-id.
#include "debuginfo/debuginfod_client.hpp"
#include "lab/vmcore_kernel.hpp"
#include "support/atomic_file.hpp"
#include "temp_dir.hpp"

#include <cstdlib>
#include <gtest/gtest.h>
#include <optional>

namespace kdive::lab {
namespace {

using testing::TempDir;

// A dump with no memory: VMCOREINFO alone must name the kernel.
class NoMemoryCore : public target::CoreFile {
public:
    std::string describe() const override { return "test"; }
    const std::filesystem::path& path() const override { return path_; }
    const std::vector<target::CoreNote>& notes() const override { return notes_; }
    Result<> read_physical(std::uint64_t address, std::span<std::uint8_t>) override {
        return fail_as(ErrorKind::unmapped, "{:#x} is not in the dump", address);
    }
    std::uint64_t physical_end() const override { return 0; }

private:
    std::filesystem::path path_ = "test.elf";
    std::vector<target::CoreNote> notes_;
};

// Sets (or with nullopt unsets) one variable for a test's lifetime.
class ScopedEnv {
public:
    ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        if (value) {
            setenv(name, value->c_str(), 1);
        } else {
            unsetenv(name);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() {
        if (old_) {
            setenv(name_, old_->c_str(), 1);
        } else {
            unsetenv(name_);
        }
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

const std::string kBuildId = "01d2640d3a13145ee314eb05b155f141b7b7058b";

DumpKernel kernel_of(const std::string& vmcoreinfo) {
    NoMemoryCore core;
    auto kernel = dump_kernel(core, target::VmcoreInfo::parse(vmcoreinfo));
    EXPECT_TRUE(kernel) << kernel.error().message;
    return kernel.value_or(DumpKernel{});
}

TEST(VmcoreKernel, ReleaseAndBuildIdFromVmcoreinfo) {
    auto kernel = kernel_of("OSRELEASE=6.1.0-57-cloud-amd64\nPAGESIZE=4096\n"
                            "BUILD-ID=01D2640D3A13145EE314EB05B155F141B7B7058B\n");
    EXPECT_EQ(kernel.release, "6.1.0-57-cloud-amd64");
    EXPECT_EQ(kernel.found_by, "VMCOREINFO");
    EXPECT_EQ(kernel.build_id, kBuildId);
    // Older kernels (before 5.9) write none.
    EXPECT_EQ(kernel_of("OSRELEASE=5.4.0-1-amd64\n").build_id, "");
}

TEST(VmcoreKernel, HostileBuildIdIsIgnored) {
    for (const char* bad : {"../../etc/passwd", "abc", "0x1234", "12 34", ""}) {
        EXPECT_EQ(kernel_of(std::string("OSRELEASE=6.1.0-57-cloud-amd64\nBUILD-ID=") + bad + "\n")
                      .build_id,
                  "")
            << bad;
    }
    EXPECT_EQ(debuginfo::normalized_build_id(std::string(130, 'a')), std::nullopt);
    EXPECT_EQ(debuginfo::normalized_build_id("AbCd"), "abcd");
}

class FindVmlinux : public ::testing::Test {
protected:
    TempDir cache_{"vmcore-kernel"};
    ScopedEnv kdive_cache_{"KDIVE_CACHE", cache_.path().string()};
    ScopedEnv debuginfod_cache_{"DEBUGINFOD_CACHE_PATH", (cache_ / "debuginfod").string()};
    DumpKernel kernel_{"6.1.0-57-cloud-amd64", "", "VMCOREINFO", kBuildId};
};

TEST_F(FindVmlinux, WithoutDebuginfodTheErrorSaysHowToGetIt) {
    ScopedEnv urls("DEBUGINFOD_URLS", std::nullopt);
    auto found = find_vmlinux(kernel_, "");
    ASSERT_FALSE(found);
    const auto& message = found.error().message;
    EXPECT_NE(message.find("kdive kernel fetch --release 6.1.0-57-cloud-amd64"), std::string::npos)
        << message;
    EXPECT_NE(message.find("DEBUGINFOD_URLS"), std::string::npos) << message;
    EXPECT_NE(message.find(kBuildId), std::string::npos) << message;
}

TEST_F(FindVmlinux, UnreachableServerIsNamedWithTheBuildId) {
    ScopedEnv urls("DEBUGINFOD_URLS", "http://127.0.0.1:9");
    std::string heard;
    auto found = find_vmlinux(kernel_, "", [&heard](std::string_view line) { heard += line; });
    ASSERT_FALSE(found);
    const auto& message = found.error().message;
    EXPECT_NE(message.find("http://127.0.0.1:9"), std::string::npos) << message;
    EXPECT_NE(message.find(kBuildId), std::string::npos) << message;
    EXPECT_NE(heard.find("http://127.0.0.1:9"), std::string::npos) << heard;
}

TEST_F(FindVmlinux, LocalVmlinuxIsUsedBeforeAskingDebuginfod) {
    ScopedEnv urls("DEBUGINFOD_URLS", "http://127.0.0.1:9");
    const auto file = cache_ / "vmlinux-6.1.0-57-cloud-amd64";
    ASSERT_TRUE(write_file_atomically(file, "not really ELF"));
    bool asked = false;
    auto found = find_vmlinux(kernel_, cache_.path(), [&asked](std::string_view) { asked = true; });
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(*found, file);
    EXPECT_FALSE(asked);
}

TEST_F(FindVmlinux, NoBuildIdMeansNoDebuginfod) {
    ScopedEnv urls("DEBUGINFOD_URLS", "http://127.0.0.1:9");
    DumpKernel old{"5.4.0-1-amd64", "", "VMCOREINFO", ""};
    auto found = find_vmlinux(old, "");
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().message.find("debuginfod"), std::string::npos) << found.error().message;
}

} // namespace
} // namespace kdive::lab
