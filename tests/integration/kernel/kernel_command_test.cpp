// `kdive kernel` failures: clear messages, non-zero exits and nothing left that looks fetched.
#include "kernel_test_support.hpp"
#include "lab/debian_suites.hpp"
#include "lab/private_apt.hpp"
#include "temp_dir.hpp"

#include <csignal>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace kdive::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::vector<std::string> kNames{"debian-6.1-cloud",       "debian-6.12-cloud",
                                      "debian-5.10-cloud",      "debian-sid-cloud",
                                      "debian-6.1-cloud-arm64", "debian-6.12-cloud-arm64",
                                      "debian-sid-cloud-arm64"};

std::string cache_env(const TempDir& cache) {
    return "KDIVE_CACHE=" + cache.path().string();
}

// Names in <cache>/kernels, hidden ones included.
std::vector<std::string> kernels_entries(const TempDir& cache) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& item : fs::directory_iterator(cache / "kernels", ec)) {
        names.push_back(item.path().filename().string());
    }
    return names;
}

bool has_prefix(const std::vector<std::string>& names, const std::string& prefix) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return n.starts_with(prefix); });
}

void expect_not_fetched(const TempDir& cache, const std::string& name) {
    auto path = run_kernel_command({"path", name}, {cache_env(cache)});
    EXPECT_NE(path.exit_code, 0);
    EXPECT_TRUE(path.out.empty()) << path.out;
    EXPECT_NE(path.err.find("kdive kernel fetch " + name), std::string::npos) << path.err;
    auto list = run_kernel_command({"list", "--json"}, {cache_env(cache)});
    ASSERT_EQ(list.exit_code, 0) << list.err;
    for (const auto& row : nlohmann::json::parse(list.out)) {
        if (row["name"] == name) {
            EXPECT_FALSE(row["fetched"].get<bool>());
        }
    }
}

TEST(KernelCommand, UnknownNameFailsListingTheValidNames) {
    TempDir cache("kernel-unknown");
    auto run = run_kernel_command({"fetch", "debian-4.19-cloud"}, {cache_env(cache)});
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("unknown kernel 'debian-4.19-cloud'"), std::string::npos) << run.err;
    for (const auto& name : kNames) {
        EXPECT_NE(run.err.find(name), std::string::npos) << run.err;
    }
    EXPECT_FALSE(has_prefix(kernels_entries(cache), "debian-4.19"));

    auto path = run_kernel_command({"path", "debian-4.19-cloud"}, {cache_env(cache)});
    EXPECT_NE(path.exit_code, 0);
    EXPECT_NE(path.err.find("unknown kernel"), std::string::npos) << path.err;
}

TEST(KernelCommand, EmptyCacheListsTheCatalogUnfetched) {
    TempDir cache("kernel-list");
    auto run = run_kernel_command({"list", "--json"}, {cache_env(cache)});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    auto rows = nlohmann::json::parse(run.out);
    ASSERT_EQ(rows.size(), kNames.size());
    for (size_t i = 0; i < kNames.size(); ++i) {
        EXPECT_EQ(rows[i]["name"], kNames[i]);
        EXPECT_FALSE(rows[i]["fetched"].get<bool>());
        EXPECT_EQ(rows[i]["path"], (cache / "kernels" / kNames[i]).string());
        EXPECT_EQ(rows[i]["arch"], kNames[i].ends_with("-arm64") ? "arm64" : "amd64");
    }
    expect_not_fetched(cache, "debian-6.1-cloud");
}

TEST(KernelCommand, UnreachableMirrorShowsAptsErrorAndLeavesNothing) {
    TempDir cache("kernel-mirror");
    // What an interrupted earlier fetch leaves: removed by the next fetch of that kernel.
    fs::create_directories(cache / "kernels" / ".debian-5.10-cloud.tmp-1" / ".scratch");
    auto run =
        run_kernel_command({"fetch", "debian-5.10-cloud", "--mirror", "http://127.0.0.1:9/debian"},
                           {cache_env(cache)}, 120s);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("apt-get"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("127.0.0.1"), std::string::npos) << run.err;
    auto entries = kernels_entries(cache);
    EXPECT_FALSE(has_prefix(entries, "debian-5.10-cloud")) << run.err;
    EXPECT_FALSE(has_prefix(entries, ".debian-5.10-cloud.tmp-"));
    expect_not_fetched(cache, "debian-5.10-cloud");
}

TEST(KernelCommand, ReleaseNoSuiteHasFailsNamingTheSuitesSearched) {
    TempDir cache("kernel-release");
    const std::string release = "6.1.0-999-cloud-amd64";
    auto run = run_kernel_command({"fetch", "--release", release}, {cache_env(cache)}, 600s);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.err.find("no Debian suite has kernel release " + release), std::string::npos)
        << run.err;
    for (const char* suite :
         {"bookworm-security", "bookworm-updates", "bullseye-security", "trixie-security", "sid"}) {
        EXPECT_NE(run.err.find(suite), std::string::npos) << suite << "\n" << run.err;
    }
    EXPECT_FALSE(has_prefix(kernels_entries(cache), "release-"));
    EXPECT_FALSE(has_prefix(kernels_entries(cache), ".release-" + release + ".tmp-"));
}

TEST(KernelCommand, ReleaseIsCheckedBeforeAnyDownload) {
    TempDir cache("kernel-release-args");
    auto both =
        run_kernel_command({"fetch", "debian-6.1-cloud", "--release", "6.1.0-57-cloud-amd64"},
                           {cache_env(cache)}, 60s);
    EXPECT_NE(both.exit_code, 0);
    EXPECT_NE(both.err.find("not both"), std::string::npos) << both.err;
    auto bad = run_kernel_command({"fetch", "--release", "../6.1"}, {cache_env(cache)}, 60s);
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("'../6.1' is not a kernel release"), std::string::npos) << bad.err;
    EXPECT_TRUE(kernels_entries(cache).empty());
    EXPECT_FALSE(fs::exists(cache / "apt"));
}

// The private apt itself: a security mirror that cannot be reached costs a note, not the fetch.
TEST(KernelCommand, UnreachableSecuritySuiteIsSkippedWithANote) {
    TempDir cache("kernel-security");
    auto mirrors = lab::host_debian_mirrors("");
    ASSERT_TRUE(mirrors) << mirrors.error().message;
    mirrors->security = "http://127.0.0.1:9/debian-security";
    auto apt = lab::PrivateApt::prepare(cache / "apt", lab::update_suites("bookworm", *mirrors));
    ASSERT_TRUE(apt) << apt.error().message;
    std::string notes;
    auto updated = apt->update([&notes](std::string_view line) { notes += std::string(line); });
    ASSERT_TRUE(updated) << updated.error().message;
    EXPECT_NE(notes.find("skipping bookworm-security at http://127.0.0.1:9/debian-security"),
              std::string::npos)
        << notes;
    EXPECT_EQ(lab::suite_names(apt->sources()), "bookworm, bookworm-updates");
    auto meta = apt->show("linux-image-cloud-amd64");
    EXPECT_TRUE(meta) << meta.error().message;
}

TEST(KernelCommand, InterruptedFetchNeverLooksFetched) {
    TempDir cache("kernel-interrupt");
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        setpgid(0, 0); // its own group, so apt-get and dpkg-deb die with it
        setenv("KDIVE_CACHE", cache.path().c_str(), 1);
        execl(KDIVE_BINARY, KDIVE_BINARY, "kernel", "fetch", "debian-6.1-cloud", nullptr);
        _exit(127);
    }
    setpgid(pid, pid);
    // Wait until the download or unpack is under way, then kill the whole fetch.
    bool under_way = false;
    for (auto deadline = std::chrono::steady_clock::now() + 300s;
         !under_way && std::chrono::steady_clock::now() < deadline;) {
        for (const auto& name : kernels_entries(cache)) {
            std::error_code ec;
            if (name.starts_with(".debian-6.1-cloud.tmp-") &&
                fs::exists(cache / "kernels" / name / ".scratch" / "debs", ec)) {
                under_way = true;
            }
        }
        std::this_thread::sleep_for(20ms);
    }
    kill(-pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(under_way) << "the fetch never started downloading";
    EXPECT_TRUE(has_prefix(kernels_entries(cache), ".debian-6.1-cloud.tmp-"));
    EXPECT_FALSE(fs::exists(cache / "kernels" / "debian-6.1-cloud"));
    expect_not_fetched(cache, "debian-6.1-cloud");

    // The next fetch clears the remains even when it fails itself.
    auto retry =
        run_kernel_command({"fetch", "debian-6.1-cloud", "--mirror", "http://127.0.0.1:9/debian"},
                           {cache_env(cache)}, 120s);
    EXPECT_NE(retry.exit_code, 0);
    EXPECT_FALSE(has_prefix(kernels_entries(cache), ".debian-6.1-cloud.tmp-"));
}

} // namespace
} // namespace kdive::testing
