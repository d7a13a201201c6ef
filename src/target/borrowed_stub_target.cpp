// Reads go out as `m` packets, pipelined; anything that would change the stub's state is
// refused with a message that says why.
#include "target/borrowed_stub_target.hpp"

#include "rsp/packet_codec.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace kdive::target {

namespace {

// QEMU refuses `m` for more than half its 4 KiB packet buffer.
constexpr std::size_t max_read = 0x800;

std::unexpected<Error> refused(std::string_view what) {
    return fail_as(ErrorKind::unsupported,
                   "{}: not from a monitor command in GDB (GDB owns the stub)", what);
}

} // namespace

Result<> BorrowedStubTarget::read_memory(std::uint64_t address, std::span<std::uint8_t> out) {
    MemoryRange range{address, out};
    return read_memory_ranges(std::span<const MemoryRange>(&range, 1));
}

Result<> BorrowedStubTarget::read_memory_ranges(std::span<const MemoryRange> ranges) {
    struct Piece {
        std::uint64_t address;
        std::uint8_t* out;
        std::size_t size;
    };
    std::vector<Piece> pieces;
    std::vector<std::string> requests;
    for (const auto& range : ranges) {
        for (std::size_t done = 0; done < range.out.size(); done += max_read) {
            const std::size_t size = std::min(max_read, range.out.size() - done);
            pieces.push_back({range.address + done, range.out.data() + done, size});
            requests.push_back(fmt::format("m{:x},{:x}", range.address + done, size));
        }
    }
    if (requests.empty()) {
        return {};
    }
    auto replies = stub_.request_pipelined(requests);
    if (!replies) {
        return std::unexpected(replies.error());
    }
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        const std::string& reply = (*replies)[i];
        if (reply.size() != pieces[i].size * 2 ||
            rsp::hex_decode_into(reply, reinterpret_cast<char*>(pieces[i].out), pieces[i].size) !=
                rsp::CodecError::none) {
            return fail_as(ErrorKind::unmapped, "cannot read {} bytes at {:#x}: {} answered '{}'",
                           pieces[i].size, pieces[i].address, stub_.peer(),
                           reply.substr(0, std::min<std::size_t>(reply.size(), 16)));
        }
    }
    return {};
}

Result<> BorrowedStubTarget::write_memory(std::uint64_t address, std::span<const std::uint8_t>) {
    return refused(fmt::format("writing memory at {:#x}", address));
}

Result<> BorrowedStubTarget::read_physical(std::uint64_t address, std::span<std::uint8_t>) {
    return refused(fmt::format("reading physical memory at {:#x}", address));
}

Result<> BorrowedStubTarget::write_physical(std::uint64_t address, std::span<const std::uint8_t>) {
    return refused(fmt::format("writing physical memory at {:#x}", address));
}

const rsp::RegisterMap* BorrowedStubTarget::register_map() const {
    if (!map_) {
        auto loaded =
            rsp::load_target_description([this](const std::string& annex) -> Result<std::string> {
                std::string data;
                for (;;) {
                    auto reply = stub_.request(
                        fmt::format("qXfer:features:read:{}:{:x},{:x}", annex, data.size(), 0x400));
                    if (!reply) {
                        return std::unexpected(reply.error());
                    }
                    if (reply->empty() || ((*reply)[0] != 'm' && (*reply)[0] != 'l')) {
                        return fail("reading {} from {}: answered '{}'", annex, stub_.peer(),
                                    reply->substr(0, std::min<std::size_t>(reply->size(), 16)));
                    }
                    auto part = rsp::unescape_binary(std::string_view(*reply).substr(1));
                    if (!part.ok() || (part.data.empty() && (*reply)[0] == 'm') ||
                        data.size() > (1u << 20)) {
                        return fail("reading {} from {}: a broken reply", annex, stub_.peer());
                    }
                    data += part.data;
                    if ((*reply)[0] == 'l') {
                        return data;
                    }
                }
            });
        map_ = loaded ? std::move(*loaded) : rsp::RegisterMap{};
        for (const auto& info : map_->registers) {
            descriptions_.push_back({info.name, info.bitsize, info.type});
        }
    }
    return &*map_;
}

const std::vector<RegisterDescription>& BorrowedStubTarget::registers() const {
    (void)register_map();
    return descriptions_;
}

Result<std::vector<std::uint8_t>> BorrowedStubTarget::read_register_bytes(std::string_view name) {
    const auto* info = register_map()->find(name);
    if (info == nullptr) {
        return fail_as(ErrorKind::invalid_input, "no register named '{}' at {}", name,
                       stub_.peer());
    }
    auto reply = stub_.request(fmt::format("p{:x}", info->regnum));
    if (!reply) {
        return std::unexpected(reply.error());
    }
    std::vector<std::uint8_t> bytes(info->size());
    if (reply->size() != bytes.size() * 2 ||
        rsp::hex_decode_into(*reply, reinterpret_cast<char*>(bytes.data()), bytes.size()) !=
            rsp::CodecError::none) {
        return fail_as(ErrorKind::unsupported, "register {}: {} answered '{}'", name, stub_.peer(),
                       reply->substr(0, std::min<std::size_t>(reply->size(), 16)));
    }
    return bytes;
}

Result<> BorrowedStubTarget::resume() {
    return refused("continuing");
}
Result<> BorrowedStubTarget::step() {
    return refused("stepping");
}
Result<> BorrowedStubTarget::interrupt() {
    return refused("interrupting");
}

Result<std::optional<StopEvent>> BorrowedStubTarget::wait_for_stop(std::chrono::milliseconds) {
    return refused("waiting for a stop");
}

Result<> BorrowedStubTarget::insert_breakpoint(const Breakpoint& breakpoint) {
    return refused(fmt::format("a breakpoint at {:#x}", breakpoint.address));
}

Result<> BorrowedStubTarget::remove_breakpoint(const Breakpoint& breakpoint) {
    return refused(fmt::format("a breakpoint at {:#x}", breakpoint.address));
}

int BorrowedStubTarget::vcpu_count() const {
    if (!vcpus_) {
        // qfThreadInfo/qsThreadInfo only list; the stub keeps no state from them.
        int count = 0;
        for (std::string request = "qfThreadInfo";; request = "qsThreadInfo") {
            auto reply = stub_.request(request);
            if (!reply || reply->empty() || (*reply)[0] != 'm') {
                break;
            }
            count += static_cast<int>(std::count(reply->begin(), reply->end(), ',')) + 1;
        }
        vcpus_ = std::max(count, 1);
    }
    return *vcpus_;
}

Result<> BorrowedStubTarget::select_vcpu(int index) {
    if (index == 0) {
        return {};
    }
    return refused(fmt::format("selecting vCPU {} (pass the CPU to the command instead)", index));
}

Result<std::string> BorrowedStubTarget::monitor(std::string_view command) {
    return refused(fmt::format("monitor {}", command));
}

} // namespace kdive::target
