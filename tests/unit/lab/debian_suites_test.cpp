// The suites a Debian release updates from, where they are served, the search order for an
// exact kernel release, and which suites apt reports as failing.
#include "lab/debian_suites.hpp"
#include "lab/kernel_locator.hpp"
#include "lab/private_apt.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace kdive::lab {
namespace {

// This host's /etc/apt/sources.list.d/debian.sources, as the parser gives it.
std::vector<AptSourceEntry> host_entries() {
    return AptSources::parse_deb822("Types: deb\n"
                                    "URIs: http://deb.debian.org/debian\n"
                                    "Suites: bookworm bookworm-updates\n"
                                    "Components: main\n"
                                    "\n"
                                    "Types: deb\n"
                                    "URIs: http://deb.debian.org/debian-security\n"
                                    "Suites: bookworm-security\n"
                                    "Components: main\n");
}

const HostRelease bookworm_host{"debian", "bookworm"};

TEST(DebianSuites, MirrorsAreTheOnesTheHostNames) {
    auto mirrors = debian_mirrors(host_entries(), bookworm_host, "");
    ASSERT_TRUE(mirrors) << mirrors.error().message;
    EXPECT_EQ(mirrors->archive, "http://deb.debian.org/debian");
    EXPECT_EQ(mirrors->security, "http://deb.debian.org/debian-security");
}

TEST(DebianSuites, SecurityOfAnotherReleaseStillCounts) {
    // A trixie host that only lists trixie-security still says where security lives.
    auto entries =
        AptSources::parse_one_line("deb http://ftp.example/debian trixie main\n"
                                   "deb http://sec.example/debian-security trixie-security main\n");
    auto mirrors = debian_mirrors(entries, HostRelease{"debian", "bookworm"}, "http://m/debian");
    ASSERT_TRUE(mirrors) << mirrors.error().message;
    EXPECT_EQ(mirrors->archive, "http://m/debian");
    EXPECT_EQ(mirrors->security, "http://sec.example/debian-security");
}

TEST(DebianSuites, DebiansSecurityArchiveOnlyWhenTheHostNamesNone) {
    auto entries = AptSources::parse_one_line("deb http://ftp.example/debian bookworm main\n"
                                              "deb cdrom:[Debian]/ bookworm-security main\n");
    auto mirrors = debian_mirrors(entries, bookworm_host, "");
    ASSERT_TRUE(mirrors) << mirrors.error().message;
    EXPECT_EQ(mirrors->archive, "http://ftp.example/debian");
    EXPECT_EQ(mirrors->security, default_security_mirror);
    EXPECT_EQ(std::string(default_security_mirror), "http://security.debian.org/debian-security");
}

TEST(DebianSuites, NonDebianHostNeedsAMirror) {
    auto mirrors = debian_mirrors({}, HostRelease{"ubuntu", "noble"}, "");
    ASSERT_FALSE(mirrors);
    EXPECT_NE(mirrors.error().message.find("--mirror"), std::string::npos);
    auto given = debian_mirrors({}, HostRelease{"ubuntu", "noble"}, "http://m/debian");
    ASSERT_TRUE(given) << given.error().message;
    EXPECT_EQ(given->security, default_security_mirror);
}

TEST(DebianSuites, AReleaseUpdatesFromItsUpdatesAndSecuritySuites) {
    const DebianMirrors mirrors{"http://a/debian", "http://s/debian-security"};
    EXPECT_EQ(update_suites("bookworm", mirrors),
              (std::vector<SuiteSource>{{"http://a/debian", "bookworm"},
                                        {"http://a/debian", "bookworm-updates"},
                                        {"http://s/debian-security", "bookworm-security"}}));
    EXPECT_EQ(suite_names(update_suites("bullseye", mirrors)),
              "bullseye, bullseye-updates, bullseye-security");
    // Unstable has neither add-on.
    EXPECT_EQ(update_suites("sid", mirrors),
              (std::vector<SuiteSource>{{"http://a/debian", "sid"}}));
}

TEST(DebianSuites, SearchOrderFollowsTheReleasesAbi) {
    using Order = std::vector<std::string>;
    EXPECT_EQ(release_search_order("6.1.0-57-cloud-amd64"),
              (Order{"bookworm", "bullseye", "trixie", "sid"}));
    EXPECT_EQ(release_search_order("5.10.0-32-cloud-amd64"),
              (Order{"bullseye", "bookworm", "trixie", "sid"}));
    EXPECT_EQ(release_search_order("6.12.57+deb13-cloud-amd64"),
              (Order{"trixie", "bullseye", "bookworm", "sid"}));
    // bookworm's backport of 6.12 is bookworm's, whatever its series says.
    EXPECT_EQ(release_search_order("6.12.43+deb12-amd64"),
              (Order{"bookworm", "bullseye", "trixie", "sid"}));
    EXPECT_EQ(release_search_order("6.1.0-0.deb11.21-amd64"),
              (Order{"bullseye", "bookworm", "trixie", "sid"}));
    EXPECT_EQ(release_search_order("7.2.13+deb14-cloud-amd64"),
              (Order{"sid", "bullseye", "bookworm", "trixie"}));
    // Unknown: everything, oldest first.
    EXPECT_EQ(release_search_order("4.19.0-27-amd64"),
              (Order{"bullseye", "bookworm", "trixie", "sid"}));
}

TEST(DebianSuites, KernelReleaseNames) {
    for (const char* good : {"6.1.0-57-cloud-amd64", "6.12.57+deb13-cloud-amd64",
                             "6.1.0-0.deb11.21-amd64", "5.10.0-32-rt-amd64", "7.0~rc1-amd64"}) {
        EXPECT_TRUE(valid_kernel_release(good)) << good;
    }
    for (const char* bad : {"", "cloud-amd64", "6.1/../../etc", "6.1 -o x", "6.1;rm", "6.1\n",
                            "6.1.0-57-cloud-amd64=1.0"}) {
        EXPECT_FALSE(valid_kernel_release(bad)) << bad;
    }
    EXPECT_FALSE(valid_kernel_release(std::string(101, '6')));
}

// apt-get update's stderr (QEMU host, Debian 12's apt 2.6) with one unreachable suite.
constexpr const char* kUnreachableSecurity =
    "W: Skipping acquire of configured file 'main/binary-amd64/Packages'\n"
    "E: Failed to fetch http://127.0.0.1:9/debian-security/dists/bookworm-security/InRelease  "
    "Could not connect to 127.0.0.1:9 (127.0.0.1). - connect (111: Connection refused)\n"
    "E: Some index files failed to download. They have been ignored, or old ones used "
    "instead.\n";

TEST(PrivateAptUpdate, FailingSuitesAreTheOnesAptNames) {
    const std::vector<SuiteSource> sources{
        {"http://deb.debian.org/debian", "bookworm"},
        {"http://deb.debian.org/debian", "bookworm-updates"},
        {"http://127.0.0.1:9/debian-security/", "bookworm-security"}};
    EXPECT_EQ(failed_sources(sources, kUnreachableSecurity), (std::vector<std::size_t>{2}));
    // The repository form, and the main suite failing as well; bookworm does not match
    // bookworm-updates.
    const std::string both =
        "E: The repository 'http://deb.debian.org/debian bookworm-updates Release' does not "
        "have a Release file.\n"
        "E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  404\n";
    EXPECT_EQ(failed_sources(sources, both), (std::vector<std::size_t>{0, 1}));
    EXPECT_TRUE(failed_sources(sources, "E: Could not open lock file\n").empty());
}

// The private configuration names its own architecture; the host's is never asked.
TEST(PrivateAptOptions, ArchitectureIsThePrivateConfigurations) {
    if (access(debian_archive_keyring, R_OK) != 0) {
        GTEST_SKIP() << debian_archive_keyring << " is missing";
    }
    testing::TempDir dir("private-apt");
    const std::vector<SuiteSource> sources{{"http://deb.debian.org/debian", "bookworm"}};
    auto has = [](const std::vector<std::string>& options, const std::string& value) {
        for (std::size_t i = 0; i + 1 < options.size(); ++i) {
            if (options[i] == "-o" && options[i + 1] == value) {
                return true;
            }
        }
        return false;
    };
    auto amd64 = PrivateApt::prepare(dir / "amd64", sources);
    ASSERT_TRUE(amd64) << amd64.error().message;
    EXPECT_EQ(amd64->arch(), KernelArch::amd64);
    EXPECT_TRUE(has(amd64->options(), "APT::Architecture=amd64"));
    EXPECT_TRUE(has(amd64->options(), "APT::Architectures=amd64"));
    auto arm64 = PrivateApt::prepare(dir / "arm64", sources, KernelArch::arm64);
    ASSERT_TRUE(arm64) << arm64.error().message;
    EXPECT_EQ(arm64->arch(), KernelArch::arm64);
    const auto options = arm64->options();
    EXPECT_TRUE(has(options, "APT::Architecture=arm64"));
    EXPECT_TRUE(has(options, "APT::Architectures=arm64"));
    EXPECT_FALSE(has(options, "APT::Architecture=amd64"));
    EXPECT_TRUE(has(options, "Dir::State::Lists=" + (dir / "arm64" / "lists").string()));
    EXPECT_TRUE(has(options, "Dir::Etc::SourceParts=/dev/null"));
    // Each architecture keeps lists of its own; amd64 stays where it always was.
    EXPECT_EQ(private_apt_root("bookworm").filename(), "bookworm");
    EXPECT_EQ(private_apt_root("bookworm", KernelArch::arm64).parent_path().filename(), "arm64");
    EXPECT_NE(private_apt_root("bookworm"), private_apt_root("bookworm", KernelArch::arm64));
}

} // namespace
} // namespace kdive::lab
