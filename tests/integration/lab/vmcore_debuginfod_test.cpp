// A vmcore whose kernel is in no local cache: kdive asks a local debuginfod server (Debian's,
// serving a -dbg .deb) for the vmlinux by the build-id in the dump's VMCOREINFO.
#include "lab/console_log.hpp"
#include "lab/kernel_store.hpp"
#include "lab/rootfs_builder.hpp"
#include "prerequisite.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"
#include "test_vm.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <regex>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace kdive::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A port nobody listens on now; debuginfod takes it a moment later.
int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    int port = -1;
    if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
        port = ntohs(address.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

// The body of GET http://127.0.0.1:PORT/PATH, or empty when nothing answers.
std::string http_get(int port, const std::string& path) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return {};
    }
    timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string reply;
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
            char buffer[4096];
            for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) {
                reply.append(buffer, static_cast<std::size_t>(n));
            }
        }
    }
    close(fd);
    auto body = reply.find("\r\n\r\n");
    return body == std::string::npos ? std::string() : reply.substr(body + 4);
}

// Debian's debuginfod scanning .deb files under one folder, killed with its process group when
// the test ends, however it ends.
class DebuginfodServer {
public:
    DebuginfodServer(const fs::path& debs, const fs::path& work, int port) : port_(port) {
        const std::string log = (work / "debuginfod.log").string();
        const std::string database = (work / "debuginfod.sqlite").string();
        const std::string port_text = std::to_string(port);
        pid_ = fork();
        if (pid_ == 0) {
            setpgid(0, 0);
            int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (out >= 0) {
                dup2(out, 1);
                dup2(out, 2);
            }
            // -t 0 -g 0: scan once, never groom; -c 2: the machines have two cores.
            execlp("debuginfod", "debuginfod", "-U", "-d", database.c_str(), "-p",
                   port_text.c_str(), "-t", "0", "-g", "0", "-c", "2", debs.c_str(), nullptr);
            _exit(127);
        }
        if (pid_ > 0) {
            setpgid(pid_, pid_);
        }
    }
    DebuginfodServer(const DebuginfodServer&) = delete;
    DebuginfodServer& operator=(const DebuginfodServer&) = delete;
    ~DebuginfodServer() {
        if (pid_ <= 0) {
            return;
        }
        kill(-pid_, SIGTERM);
        for (int i = 0; i < 50; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                return;
            }
            std::this_thread::sleep_for(100ms);
        }
        kill(-pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }

    bool started() const { return pid_ > 0; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // The scan of the .deb files is over once debug files were found and no scanner is busy.
    bool wait_until_scanned(std::chrono::seconds limit) const {
        static const std::regex found(
            R"re(found_debuginfo_total\{source=".deb archive"\} [1-9])re");
        for (auto deadline = std::chrono::steady_clock::now() + limit;
             std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(200ms)) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                return false; // it died: the log says why
            }
            const std::string metrics = http_get(port_, "/metrics");
            if (std::regex_search(metrics, found) &&
                metrics.find("thread_busy{role=\"scan\"} 0") != std::string::npos) {
                return true;
            }
        }
        return false;
    }

private:
    int port_;
    pid_t pid_ = -1;
};

// The kernel's debug package as Debian lays it out (usr/lib/debug/boot/vmlinux-R), holding
// the fetched vmlinux only and stored uncompressed: Debian's own -dbg .deb (260-350 MB of xz
// with every module's debug file) takes debuginfod ~20 s to scan and ~12 s to extract from, and
// the cache keeps no .deb to serve.
Result<fs::path> make_dbg_deb(const fs::path& vmlinux, const lab::KernelManifest& manifest,
                              const fs::path& work) {
    const fs::path root = work / "pkg";
    const fs::path debs = work / "debs";
    std::error_code ec;
    fs::create_directories(root / "DEBIAN", ec);
    fs::create_directories(root / "usr/lib/debug/boot", ec);
    fs::create_directories(debs, ec);
    const fs::path target = root / "usr/lib/debug/boot" / ("vmlinux-" + manifest.release);
    fs::create_hard_link(vmlinux, target, ec);
    if (ec && !fs::copy_file(vmlinux, target, ec)) {
        return fail("copying {}: {}", vmlinux.string(), ec.message());
    }
    std::string version = "1";
    for (const auto& package : manifest.packages) {
        if (package.name.ends_with("-dbg")) {
            version = package.version;
        }
    }
    const std::string package = "linux-image-" + manifest.release + "-dbg";
    if (auto written = write_file_atomically(
            root / "DEBIAN" / "control",
            fmt::format("Package: {}\nVersion: {}\nArchitecture: amd64\nMaintainer: kdive tests "
                        "<kdive@localhost>\nDescription: vmlinux of {} for a debuginfod test\n",
                        package, version, manifest.release));
        !written) {
        return std::unexpected(written.error());
    }
    const fs::path deb = debs / fmt::format("{}_{}_amd64.deb", package, version);
    RunOptions options;
    options.timeout = 2min;
    auto built = run_checked(
        {"dpkg-deb", "-Znone", "--root-owner-group", "--build", root.string(), deb.string()},
        options);
    if (!built) {
        return std::unexpected(built.error());
    }
    fs::remove_all(root, ec);
    return debs;
}

TEST(VmcoreDebuginfod, AttachFetchesTheVmlinuxByBuildId) {
    const auto started = std::chrono::steady_clock::now();
    const std::string kernel = "debian-6.1-cloud";
    auto manifest = lab::KernelStore::fetched(kernel);
    if (!manifest) {
        KDIVE_MISSING_PREREQUISITE()
            << kernel << " is not fetched: run `kdive kernel fetch " << kernel << "`";
    }
    for (const char* program : {"debuginfod", "bsdtar", "dpkg-deb"}) {
        if (find_program(program).empty()) {
            KDIVE_MISSING_PREREQUISITE() << program << " is not installed (scripts/bootstrap.sh)";
        }
    }
    TempDir work("vmcore-debuginfod");

    // A dump with VMCOREINFO (the default rootfs loads qemu_fw_cfg) of a small guest.
    const fs::path dump = work / "vmcore.elf";
    {
        auto vm = TestVm::boot(kernel, {"--mem", "256"});
        ASSERT_TRUE(vm) << vm.error().message;
        auto ready = vm->wait_for(lab::rootfs_ready_marker);
        ASSERT_TRUE(ready) << ready.error().message;
        auto dumped = run_kdive({"dump", vm->session().dir.string(), "-o", dump.string()});
        ASSERT_TRUE(dumped) << dumped.error().message;
        ASSERT_TRUE(vm->stop());
    }

    auto debs = make_dbg_deb(lab::KernelStore::dir(kernel) / "vmlinux", *manifest, work.path());
    ASSERT_TRUE(debs) << debs.error().message;
    const int port = free_port();
    ASSERT_GT(port, 0);
    DebuginfodServer server(*debs, work.path(), port);
    ASSERT_TRUE(server.started());
    ASSERT_TRUE(server.wait_until_scanned(90s))
        << "debuginfod did not index " << debs->string() << ":\n"
        << read_file(work / "debuginfod.log").value_or("(no log)");

    // An empty home: no kernel cache, an empty debuginfod client cache.
    const fs::path home = work / "home";
    fs::create_directories(home / ".cache");
    RunOptions options;
    options.timeout = 3min;
    auto attach = run_process(
        {"env", "-u", "KDIVE_CACHE", "-u", "DEBUGINFOD_CACHE_PATH", "HOME=" + home.string(),
         "XDG_CACHE_HOME=" + (home / ".cache").string(), "DEBUGINFOD_URLS=" + server.url(),
         // No detached indexer outliving the test's home folder.
         "KDIVE_NO_BACKGROUND_INDEX=1", KDIVE_BINARY, "attach", dump.string(), "--batch", "-ex",
         "version"},
        options);
    ASSERT_TRUE(attach) << attach.error().message;
    EXPECT_EQ(attach->exit_code, 0) << attach->err;
    EXPECT_NE(attach->out.find("Linux version " + manifest->release + " "), std::string::npos)
        << attach->out << attach->err;
    EXPECT_NE(attach->out.find("the vmlinux matches"), std::string::npos) << attach->out;
    EXPECT_NE(attach->err.find("asking debuginfod (" + server.url() + ")"), std::string::npos)
        << attach->err;
    // What debuginfod served sits in its client cache under the dump's build-id.
    bool cached = false;
    std::error_code ec;
    for (const auto& item : fs::directory_iterator(home / ".cache" / "debuginfod_client", ec)) {
        cached = cached || fs::is_regular_file(item.path() / "debuginfo", ec);
    }
    EXPECT_TRUE(cached);
    EXPECT_FALSE(fs::exists(home / ".cache" / "kdive" / "kernels"));
    const auto seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("boot, dump, serve and attach through debuginfod in %.1f s\n", seconds);
}

} // namespace
} // namespace kdive::testing
