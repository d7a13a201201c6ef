// GDB speaks first and waits for each answer, so while it waits for a monitor reply (or the
// answer to a kernel read) the stub is idle and kdive can use it; the packets kdive sends change
// no state GDB relies on (memory reads, thread listing; the thread and QEMU's physical mode are
// put back).
#include "cli/gdb_relay.hpp"

#include "rsp/client_stream.hpp"
#include "rsp/packet_codec.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <poll.h>
#include <unistd.h>

namespace kdive::cli {

namespace {

// The relay's stub transport, lent to an RspConnection for the length of the relay.
class LentTransport final : public rsp::Transport {
public:
    explicit LentTransport(rsp::Transport& owner) : owner_(owner) {}
    Result<> write_all(std::string_view bytes) override { return owner_.write_all(bytes); }
    Result<std::size_t> read_some(std::span<char> buffer,
                                  std::chrono::milliseconds timeout) override {
        return owner_.read_some(buffer, timeout);
    }
    const std::string& name() const override { return owner_.name(); }

private:
    rsp::Transport& owner_;
};

// Output goes back in `O` packets small enough for any GDB's packet buffer.
constexpr std::size_t output_chunk = 512;

// GDB asks for at most half its packet size; anything larger passes to the stub untouched.
constexpr std::uint64_t max_kernel_read = 0x4000;

} // namespace

std::optional<std::string> kdive_monitor_command(std::string_view payload) {
    constexpr std::string_view prefix = "qRcmd,";
    if (!payload.starts_with(prefix)) {
        return std::nullopt;
    }
    auto text = rsp::hex_decode(payload.substr(prefix.size()));
    if (!text.ok()) {
        return std::nullopt;
    }
    std::string_view command = text.data;
    if (command != "kdive" && !command.starts_with("kdive ")) {
        return std::nullopt;
    }
    command.remove_prefix(std::min<std::size_t>(command.size(), 6));
    return std::string(command);
}

std::optional<rsp::AddressRange> kernel_memory_request(std::string_view payload) {
    if (!payload.starts_with('m')) {
        return std::nullopt;
    }
    auto range = rsp::parse_address_range(payload.substr(1));
    if (!range || (range->address >> 63) == 0 || range->length == 0 ||
        range->length > max_kernel_read) {
        return std::nullopt;
    }
    return range;
}

Result<> GdbRelay::to_debugger(std::string_view bytes) {
    for (std::size_t done = 0; done < bytes.size();) {
        ssize_t n = write(to_debugger_, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return fail("relay: the debugger went away");
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Result<> GdbRelay::take_request(rsp::RspConnection& connection) {
    if (!no_ack_) {
        if (auto ok = to_debugger("+"); !ok) {
            return ok;
        }
    }
    connection.set_no_ack(no_ack_);
    return {};
}

Result<> GdbRelay::answer_monitor(std::string_view command, rsp::RspConnection& connection) {
    if (auto ok = take_request(connection); !ok) {
        return ok;
    }
    const std::string output = answer_(command, connection, debugger_thread_);
    for (std::size_t at = 0; at < output.size(); at += output_chunk) {
        const auto chunk = std::string_view(output).substr(at, output_chunk);
        if (auto ok = to_debugger(rsp::encode_packet("O" + rsp::hex_encode(chunk))); !ok) {
            return ok;
        }
    }
    return to_debugger(rsp::encode_packet("OK"));
}

Result<> GdbRelay::answer_kernel_read(const rsp::AddressRange& read, std::string_view payload,
                                      rsp::RspConnection& connection) {
    if (auto ok = take_request(connection); !ok) {
        return ok;
    }
    auto reply = connection.request(payload);
    if (!reply) {
        return std::unexpected(reply.error());
    }
    if (reply->starts_with('E')) {
        if (auto bytes = kernel_memory_(read.address, static_cast<std::size_t>(read.length),
                                        connection, debugger_thread_)) {
            *reply = std::move(*bytes);
        }
    }
    return to_debugger(rsp::encode_packet(*reply));
}

Result<> GdbRelay::run() {
    rsp::ConnectionOptions options;
    options.defer_acks = false; // GDB's next packet must find the stub with nothing owed
    rsp::RspConnection connection(std::make_unique<LentTransport>(stub_), options);
    rsp::ClientStreamSplitter splitter;
    std::array<char, 65536> buffer{};
    for (;;) {
        pollfd in{from_debugger_, POLLIN, 0};
        const int ready = poll(&in, 1, 2);
        if (ready < 0 && errno != EINTR) {
            return fail("relay: poll: {}", std::strerror(errno));
        }
        if (ready > 0) {
            const ssize_t n = read(from_debugger_, buffer.data(), buffer.size());
            if (n <= 0) {
                return {}; // the debugger went away
            }
            splitter.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
            while (auto piece = splitter.next()) {
                if (piece->packet && answer_) {
                    if (auto command = kdive_monitor_command(piece->payload)) {
                        if (auto ok = answer_monitor(*command, connection); !ok) {
                            return ok;
                        }
                        continue;
                    }
                }
                if (piece->packet && kernel_memory_) {
                    if (auto read = kernel_memory_request(piece->payload)) {
                        if (auto ok = answer_kernel_read(*read, piece->payload, connection); !ok) {
                            return ok;
                        }
                        continue;
                    }
                }
                if (piece->packet && piece->payload.starts_with("Hg")) {
                    debugger_thread_ = piece->payload;
                }
                if (piece->packet && piece->payload == "QStartNoAckMode") {
                    no_ack_ = true; // QEMU accepts it; GDB sends no acks from its reply on
                }
                if (auto ok = stub_.write_all(piece->raw); !ok) {
                    return ok;
                }
            }
        }
        auto got = stub_.read_some(buffer, std::chrono::milliseconds(2));
        if (!got) {
            return std::unexpected(got.error());
        }
        if (auto ok = to_debugger(std::string_view(buffer.data(), *got)); !ok) {
            return {};
        }
    }
}

} // namespace kdive::cli
