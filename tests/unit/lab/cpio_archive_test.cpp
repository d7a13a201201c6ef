// newc output checked with GNU cpio: listing, extraction, hard links, reproducibility.
#include "lab/archive_output.hpp"
#include "lab/cpio_archive.hpp"
#include "lab/cpio_spec.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

CpioEntry entry(std::string name, CpioType type, uint32_t mode, std::string data = {}) {
    CpioEntry e;
    e.name = std::move(name);
    e.type = type;
    e.permissions = mode;
    e.data = std::move(data);
    return e;
}

std::string cpio_listing(const std::filesystem::path& archive) {
    RunOptions options;
    options.working_dir = archive.parent_path().string();
    auto listing =
        run_checked({"sh", "-c", "cpio -itv --quiet < '" + archive.string() + "'"}, options);
    return listing ? listing->out : "cpio failed: " + listing.error().message;
}

TEST(CpioArchive, HeaderLayoutMatchesNewc) {
    std::vector<CpioEntry> entries{entry("a", CpioType::File, 0644, "xyz")};
    auto bytes = write_newc(entries, {1234});
    ASSERT_GE(bytes.size(), 110U);
    EXPECT_EQ(bytes.substr(0, 6), "070701");
    EXPECT_EQ(bytes.substr(6, 8), "000002D1");  // first inode 721
    EXPECT_EQ(bytes.substr(14, 8), "000081A4"); // S_IFREG | 0644
    EXPECT_EQ(bytes.substr(46, 8), "000004D2"); // mtime
    EXPECT_EQ(bytes.substr(54, 8), "00000003"); // size
    EXPECT_EQ(bytes.substr(94, 8), "00000002"); // name size with NUL
    EXPECT_EQ(bytes.size() % 4, 0U);
    EXPECT_NE(bytes.find("TRAILER!!!"), std::string::npos);
}

TEST(CpioArchive, GnuCpioListsAndExtractsEveryType) {
    testing::TempDir dir("cpio");
    std::vector<CpioEntry> entries{
        entry("etc", CpioType::Directory, 0755),
        entry("etc/motd", CpioType::File, 0600, "hello\n"),
        entry("bin/sh", CpioType::Symlink, 0777, "busybox"),
        entry("run/fifo", CpioType::Fifo, 0644),
    };
    CpioEntry console = entry("dev/console", CpioType::CharDevice, 0600);
    console.dev_major = 5;
    console.dev_minor = 1;
    entries.push_back(console);
    auto archive = dir / "out.cpio";
    ASSERT_TRUE(write_archive(archive, with_parents_first(entries), {0}, Compression::None));

    std::string listing = cpio_listing(archive);
    EXPECT_NE(listing.find("crw-------"), std::string::npos) << listing;
    EXPECT_NE(listing.find("5,   1"), std::string::npos) << listing;
    EXPECT_NE(listing.find("bin/sh -> busybox"), std::string::npos) << listing;
    EXPECT_NE(listing.find("prw-r--r--"), std::string::npos) << listing;
    // Parents were inserted before their contents.
    EXPECT_LT(listing.find(" bin\n"), listing.find("bin/sh")) << listing;
    EXPECT_LT(listing.find(" dev\n"), listing.find("dev/console")) << listing;

    auto out = dir / "x";
    std::filesystem::create_directories(out);
    RunOptions in_out;
    in_out.working_dir = out.string();
    // Device nodes need root to extract; list them above, extract the rest.
    auto extract = run_checked({"sh", "-c",
                                "cpio -id --quiet --no-absolute-filenames "
                                "--nonmatching 'dev/*' < ../out.cpio"},
                               in_out);
    ASSERT_TRUE(extract) << extract.error().message;
    EXPECT_EQ(*read_file(out / "etc/motd"), "hello\n");
    EXPECT_EQ(std::filesystem::read_symlink(out / "bin/sh"), "busybox");
    EXPECT_EQ(std::filesystem::status(out / "etc/motd").permissions(),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(CpioArchive, HardLinksExtractWithSharedData) {
    testing::TempDir dir("cpio-links");
    auto a = entry("a", CpioType::File, 0644, "shared");
    a.link_group = 1;
    auto b = a;
    b.name = "b";
    auto archive = dir / "links.cpio";
    ASSERT_TRUE(write_archive(archive, {a, b}, {0}, Compression::None));
    RunOptions options;
    options.working_dir = dir.path().string();
    ASSERT_TRUE(
        run_checked({"sh", "-c", "mkdir x && cd x && cpio -id --quiet < ../links.cpio"}, options));
    EXPECT_EQ(*read_file(dir / "x/a"), "shared");
    EXPECT_EQ(*read_file(dir / "x/b"), "shared");
    EXPECT_EQ(std::filesystem::hard_link_count(dir / "x/a"), 2U);
}

TEST(CpioArchive, SameSpecGivesIdenticalBytes) {
    testing::TempDir dir("cpio-repro");
    ASSERT_TRUE(write_file_atomically(dir / "payload", std::string(5000, 'p')));
    auto spec = dir / "list";
    ASSERT_TRUE(write_file_atomically(spec, "dir /x 755 0 0\nfile /x/p payload 644 0 0\n"
                                            "nod /dev/null 666 0 0 c 1 3\n"));
    for (const char* compression : {"none", "gzip", "zstd"}) {
        std::string outputs[2];
        for (int i = 0; i < 2; ++i) {
            auto out = dir / ("out" + std::to_string(i));
            auto run =
                run_checked({KDIVE_BINARY, "cpio", "--spec", spec.string(), "-o", out.string(),
                             "--mtime", "1700000000", "--compress", compression});
            ASSERT_TRUE(run) << run.error().message;
            outputs[i] = *read_file(out);
        }
        EXPECT_EQ(outputs[0], outputs[1]) << compression;
        EXPECT_GT(outputs[0].size(), 100U);
    }
}

TEST(CpioArchive, CommandReportsBadSpecAndWritesNothing) {
    testing::TempDir dir("cpio-bad");
    auto spec = dir / "list";
    ASSERT_TRUE(write_file_atomically(spec, "dir /x 755 0 0\nfile /y missing-file 644 0 0\n"));
    auto out = dir / "out.cpio";
    auto run = run_process({KDIVE_BINARY, "cpio", "--spec", spec.string(), "-o", out.string()});
    ASSERT_TRUE(run);
    EXPECT_NE(run->exit_code, 0);
    EXPECT_NE(run->err.find(spec.string() + ":2:"), std::string::npos) << run->err;
    EXPECT_NE(run->err.find("missing-file"), std::string::npos) << run->err;
    EXPECT_FALSE(std::filesystem::exists(out));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

} // namespace
} // namespace kdive::lab
