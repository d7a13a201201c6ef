// Host apt sources parsing in both formats and the choice of the Debian mirror.
#include "lab/apt_sources.hpp"
#include "support/atomic_file.hpp"
#include "temp_dir.hpp"

#include <gtest/gtest.h>

namespace kdive::lab {
namespace {

TEST(AptSources, OneLineEntriesWithOptionsAndComments) {
    auto entries = AptSources::parse_one_line(
        "# deb http://old.example/debian buster main\n"
        "\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror.example/debian "
        "bookworm main contrib # trailing\n"
        "deb-src http://mirror.example/debian bookworm main\n"
        "deb http://security.example/debian-security bookworm-security main\n"
        "deb [ trusted=yes ] file:/srv/repo ./\n"
        "broken-line\n");
    ASSERT_EQ(entries.size(), 4U);
    EXPECT_EQ(entries[0].types, std::vector<std::string>{"deb"});
    EXPECT_EQ(entries[0].uris.front(), "http://mirror.example/debian");
    EXPECT_EQ(entries[0].suites.front(), "bookworm");
    EXPECT_EQ(entries[0].components, (std::vector<std::string>{"main", "contrib"}));
    EXPECT_EQ(entries[0].options.at("arch"), "amd64");
    EXPECT_EQ(entries[0].options.at("signed-by"), "/usr/share/keyrings/k.gpg");
    EXPECT_EQ(entries[1].types.front(), "deb-src");
    EXPECT_EQ(entries[3].options.at("trusted"), "yes");
    EXPECT_EQ(entries[3].suites.front(), "./");
}

TEST(AptSources, Deb822ParagraphsAsOnThisHost) {
    // /etc/apt/sources.list.d/debian.sources of the Debian 12 image kdive is developed on.
    auto entries =
        AptSources::parse_deb822("Types: deb\n"
                                 "# http://snapshot.debian.org/archive/debian/20250520T000000Z\n"
                                 "URIs: http://deb.debian.org/debian\n"
                                 "Suites: bookworm bookworm-updates\n"
                                 "Components: main\n"
                                 "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
                                 "\n"
                                 "Types: deb\n"
                                 "URIs: http://deb.debian.org/debian-security\n"
                                 "Suites: bookworm-security\n"
                                 "Components: main\n"
                                 "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(entries[0].suites, (std::vector<std::string>{"bookworm", "bookworm-updates"}));
    EXPECT_EQ(entries[0].uris.front(), "http://deb.debian.org/debian");
    EXPECT_EQ(entries[0].options.at("signed-by"), "/usr/share/keyrings/debian-archive-keyring.gpg");
    EXPECT_EQ(entries[1].suites.front(), "bookworm-security");
}

TEST(AptSources, Deb822DisabledAndEmbeddedKeys) {
    auto entries = AptSources::parse_deb822("Types: deb deb-src\n"
                                            "URIs: https://a.example/debian\n"
                                            "Suites: trixie\n"
                                            "Components: main\n"
                                            "Enabled: no\n"
                                            "\n"
                                            "Types: deb\n"
                                            "URIs: https://b.example/debian\n"
                                            "Suites: trixie\n"
                                            "Components: main non-free-firmware\n"
                                            "Signed-By:\n"
                                            " -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
                                            " .\n"
                                            " mQINBGPL0BUBEADmW5\n"
                                            " -----END PGP PUBLIC KEY BLOCK-----\n");
    ASSERT_EQ(entries.size(), 1U);
    EXPECT_EQ(entries[0].uris.front(), "https://b.example/debian");
    EXPECT_EQ(entries[0].components.size(), 2U);
    EXPECT_NE(entries[0].options.at("signed-by").find("END PGP"), std::string::npos);
}

TEST(AptSources, OsRelease) {
    auto release = AptSources::parse_os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
                                                "VERSION_CODENAME=bookworm\n"
                                                "ID=debian\n");
    EXPECT_EQ(release.id, "debian");
    EXPECT_EQ(release.codename, "bookworm");
}

TEST(AptSources, MirrorServesTheHostSuiteNotSecurityOrThirdParty) {
    std::vector<AptSourceEntry> entries =
        AptSources::parse_one_line("deb https://deb.nodesource.example/node_20.x nodistro main\n"
                                   "deb http://sec.example/debian-security bookworm-security main\n"
                                   "deb http://mirror.example/debian bookworm-updates main\n"
                                   "deb http://mirror.example/debian bookworm main\n");
    auto mirror = AptSources::debian_mirror(entries, {"debian", "bookworm"});
    ASSERT_TRUE(mirror) << mirror.error().message;
    EXPECT_EQ(*mirror, "http://mirror.example/debian");
}

TEST(AptSources, SidHostWithoutCodenameUsesTheSuiteAlias) {
    auto entries = AptSources::parse_one_line("deb http://ftp.example/debian unstable main\n");
    auto mirror = AptSources::debian_mirror(entries, {"debian", ""});
    ASSERT_TRUE(mirror) << mirror.error().message;
    EXPECT_EQ(*mirror, "http://ftp.example/debian");
}

TEST(AptSources, NoDebianSourceIsAnErrorSuggestingMirror) {
    auto entries = AptSources::parse_one_line("deb http://x.example/repo nodistro main\n");
    auto mirror = AptSources::debian_mirror(entries, {"debian", "bookworm"});
    ASSERT_FALSE(mirror);
    EXPECT_NE(mirror.error().message.find("--mirror"), std::string::npos);
    EXPECT_NE(mirror.error().message.find("bookworm"), std::string::npos);

    auto ubuntu = AptSources::debian_mirror(
        AptSources::parse_one_line("deb http://archive.example/ubuntu jammy main\n"),
        {"ubuntu", "jammy"});
    ASSERT_FALSE(ubuntu);
    EXPECT_NE(ubuntu.error().message.find("ubuntu"), std::string::npos);
}

TEST(AptSources, ReadsHostFilesAndSkipsOtherNames) {
    testing::TempDir root("apt-sources");
    auto etc = root.path() / "etc" / "apt";
    std::filesystem::create_directories(etc / "sources.list.d");
    ASSERT_TRUE(write_file_atomically(etc / "sources.list", "# empty on deb822 hosts\n"));
    ASSERT_TRUE(write_file_atomically(etc / "sources.list.d" / "debian.sources",
                                      "Types: deb\nURIs: http://m.example/debian\n"
                                      "Suites: trixie\nComponents: main\n"));
    ASSERT_TRUE(write_file_atomically(etc / "sources.list.d" / "extra.list",
                                      "deb http://x.example/debian trixie main\n"));
    ASSERT_TRUE(write_file_atomically(etc / "sources.list.d" / "old.list.disabled",
                                      "deb http://disabled.example/debian trixie main\n"));
    ASSERT_TRUE(write_file_atomically(etc.parent_path() / "os-release",
                                      "ID=debian\nVERSION_CODENAME=trixie\n"));
    auto entries = AptSources::read_host(root.path());
    ASSERT_EQ(entries.size(), 2U);
    auto mirror = AptSources::debian_mirror(entries, AptSources::read_host_release(root.path()));
    ASSERT_TRUE(mirror) << mirror.error().message;
    EXPECT_EQ(*mirror, "http://m.example/debian"); // debian.sources sorts before extra.list
}

} // namespace
} // namespace kdive::lab
