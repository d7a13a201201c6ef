// Memory read latency and throughput through kdive's RSP client and Target, against the same
// reads hand-rolled on a bare socket, so kdive's own overhead on top of the stub is visible.
//
// Usage: rsp_memory_read [unix:PATH]   (default: starts a paused QEMU with no kernel)
#include "rsp/packet_codec.hpp"
#include "rsp/rsp_client.hpp"
#include "rsp/socket_transport.hpp"
#include "target/rsp_target.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fmt/core.h>
#include <functional>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace kdive;
using Clock = std::chrono::steady_clock;

namespace {

// RAM below 512 MiB; at the reset vector paging is off, so virtual equals physical.
constexpr std::uint64_t base_address = 0x200000;
const std::size_t sizes[] = {8, 64, 512, 2048, 4096, 65536};

std::size_t iterations_for(std::size_t size) {
    return size >= 65536 ? 200 : 2000;
}

struct Figures {
    double median_us = 0;
    double mean_us = 0;
};

Figures summarise(std::vector<double> samples) {
    std::sort(samples.begin(), samples.end());
    double sum = 0;
    for (double s : samples)
        sum += s;
    return {samples[samples.size() / 2], sum / static_cast<double>(samples.size())};
}

// Runs the contenders alternately, so load from other processes hits them alike.
template <std::size_t N>
std::array<Figures, N>
measure_interleaved(std::size_t iterations,
                    const std::array<std::function<void(std::size_t)>, N>& runs) {
    std::array<std::vector<double>, N> samples;
    for (std::size_t i = 0; i < 20; ++i)
        for (const auto& run : runs)
            run(i); // warm-up
    for (std::size_t i = 0; i < iterations; ++i)
        for (std::size_t k = 0; k < N; ++k) {
            auto start = Clock::now();
            runs[k](i);
            samples[k].push_back(
                std::chrono::duration<double, std::micro>(Clock::now() - start).count());
        }
    std::array<Figures, N> figures;
    for (std::size_t k = 0; k < N; ++k)
        figures[k] = summarise(std::move(samples[k]));
    return figures;
}

int connect_unix(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        std::perror("connect");
        std::exit(1);
    }
    return fd;
}

// The least a client can do: one write per request (ack of the previous reply included), read
// until the checksum, no parsing beyond finding '#'.
class RawStub {
public:
    explicit RawStub(int fd) : fd_(fd) {}
    void read(std::uint64_t address, std::size_t length) {
        for (std::size_t done = 0; done < length; done += 2048) {
            std::size_t n = std::min<std::size_t>(2048, length - done);
            std::string body = fmt::format("m{:x},{:x}", address + done, n);
            std::string frame =
                (acked_ ? "" : "+") + fmt::format("${}#{:02x}", body, rsp::checksum(body));
            acked_ = true;
            (void)!::write(fd_, frame.data(), frame.size());
            // '+', '$', 2n hex digits, '#', two checksum digits.
            std::size_t want = 1 + 1 + 2 * n + 3, got = 0;
            while (got < want) {
                ssize_t r = ::recv(fd_, buffer_ + got, sizeof buffer_ - got, 0);
                if (r <= 0) {
                    std::fprintf(stderr, "raw read failed\n");
                    std::exit(1);
                }
                got += static_cast<std::size_t>(r);
            }
            acked_ = false; // the next request carries the ack of this reply
        }
    }

private:
    int fd_;
    bool acked_ = true;
    char buffer_[8192];
};

pid_t start_qemu(const std::string& socket) {
    pid_t pid = ::fork();
    if (pid == 0) {
        std::string gdb = "unix:" + socket + ",server=on,wait=off";
        ::execlp("qemu-system-x86_64", "qemu-system-x86_64", "-S", "-gdb", gdb.c_str(), "-display",
                 "none", "-nodefaults", "-m", "512", "-accel", "tcg", static_cast<char*>(nullptr));
        _exit(127);
    }
    for (int i = 0; i < 100 && !std::filesystem::exists(socket); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return pid;
}

} // namespace

int main(int argc, char** argv) {
    std::string socket;
    pid_t qemu = -1;
    if (argc > 1) {
        std::string endpoint = argv[1];
        if (!endpoint.starts_with("unix:")) {
            std::fprintf(stderr, "rsp_memory_read: only unix:PATH endpoints are supported\n");
            return 2;
        }
        socket = endpoint.substr(5);
    } else {
        socket = fmt::format("/tmp/kdive-bench-{}.sock", ::getpid());
        qemu = start_qemu(socket);
    }

    // One socket: kdive's client owns a duplicate of it, the hand-rolled reads use the other.
    int fd = connect_unix(socket);
    auto client = rsp::RspClient::open(std::make_unique<rsp::SocketTransport>(::dup(fd), socket));
    if (!client) {
        std::fprintf(stderr, "rsp_memory_read: %s\n", client.error().message.c_str());
        return 1;
    }
    auto target = target::RspTarget::attach(std::move(*client));
    if (!target) {
        std::fprintf(stderr, "rsp_memory_read: %s\n", target.error().message.c_str());
        return 1;
    }
    RawStub raw(fd);
    auto& rsp_client = (*target)->client();
    auto fail_read = [](const Error& error) {
        std::fprintf(stderr, "read failed: %s\n", error.message.c_str());
        std::exit(1);
    };

    fmt::print("memory reads against QEMU's gdbstub ({}), median / mean µs per read\n", socket);
    fmt::print("{:>7} | {:>17} | {:>17} | {:>9} | {:>10}\n", "size", "raw stub", "kdive RspClient",
               "overhead", "MB/s kdive");
    for (std::size_t size : sizes) {
        std::string buffer(size, '\0');
        auto figures = measure_interleaved<2>(
            iterations_for(size),
            {[&](std::size_t i) { raw.read(base_address + (i % 64) * 65536, size); },
             [&](std::size_t i) {
                 if (auto ok = rsp_client.read_memory(base_address + (i % 64) * 65536,
                                                      std::span<char>(buffer.data(), size));
                     !ok)
                     fail_read(ok.error());
             }});
        double overhead = (figures[1].median_us / figures[0].median_us - 1) * 100;
        fmt::print("{:>7} | {:>7.1f} / {:>7.1f} | {:>7.1f} / {:>7.1f} | {:>8.1f}% | {:>10.1f}\n",
                   size, figures[0].median_us, figures[0].mean_us, figures[1].median_us,
                   figures[1].mean_us, overhead, static_cast<double>(size) / figures[1].median_us);
    }

    // Through Target with its page cache: a cold small read fetches the whole 4 KiB page (two
    // 2 KiB requests); later reads of the page are local until the guest resumes.
    std::uint8_t word[8];
    std::size_t page = 0;
    auto cold = measure_interleaved<1>(
        1000, {[&](std::size_t) {
            if (auto ok = (*target)->read_memory(base_address + 4096 * (++page), word); !ok)
                fail_read(ok.error());
        }});
    auto hit = measure_interleaved<1>(
        2000, {[&](std::size_t i) {
            if (auto ok = (*target)->read_memory(base_address + (i % 512) * 8, word); !ok)
                fail_read(ok.error());
        }});
    fmt::print("Target, 8 B read, page cache miss (whole page fetched): {:.1f} / {:.1f}\n",
               cold[0].median_us, cold[0].mean_us);
    fmt::print("Target, 8 B read, page cache hit: {:.2f} / {:.2f}\n", hit[0].median_us,
               hit[0].mean_us);
    (void)(*target)->detach();
    target->reset();
    if (qemu > 0) {
        ::kill(qemu, SIGKILL);
        ::waitpid(qemu, nullptr, 0);
        std::filesystem::remove(socket);
    }
    return 0;
}
