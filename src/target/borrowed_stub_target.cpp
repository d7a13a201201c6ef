// Reads go out as `m` packets, pipelined; anything that would change the stub's state is
// refused with a message that says why.
#include "target/borrowed_stub_target.hpp"

#include "rsp/packet_codec.hpp"
#include "rsp/rsp_client.hpp"

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
    auto ok = read_through_stub(ranges);
    if (ok || !translator_) {
        return ok;
    }
    // Some range the selected vCPU cannot map: each on its own, kernel addresses through the
    // kernel's tables where the stub refuses.
    for (const auto& range : ranges) {
        if (read_through_stub(std::span<const MemoryRange>(&range, 1))) {
            continue;
        }
        if ((range.address >> 63) == 0) {
            return ok;
        }
        if (auto translated = read_translated(range.address, range.out); !translated) {
            return wrap(translated.error(),
                        fmt::format("reading {} bytes at {:#x}", range.out.size(), range.address));
        }
    }
    return {};
}

void BorrowedStubTarget::set_translator(std::unique_ptr<AddressTranslator> translator) {
    translator_ = std::move(translator);
}

Result<> BorrowedStubTarget::read_translated(std::uint64_t address, std::span<std::uint8_t> out) {
    if (!translator_) {
        return fail_as(ErrorKind::unsupported,
                       "reading {:#x} through the kernel's page tables: no translator", address);
    }
    return for_each_physical_run(
        *translator_, current_, address, out.size(),
        [&](std::uint64_t physical, std::size_t offset, std::size_t length) {
            return read_physical(physical, out.subspan(offset, length));
        });
}

Result<> BorrowedStubTarget::read_through_stub(std::span<const MemoryRange> ranges) {
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

Result<> BorrowedStubTarget::read_physical(std::uint64_t address, std::span<std::uint8_t> out) {
    // QEMU's physical mode is global: it is back off before GDB's next packet.
    auto on = stub_.request("Qqemu.PhyMemMode:1");
    if (!on) {
        return std::unexpected(on.error());
    }
    if (*on != "OK") {
        return fail_as(ErrorKind::unsupported,
                       "reading physical memory at {:#x}: {} has no physical mode", address,
                       stub_.peer());
    }
    MemoryRange range{address, out};
    auto read = read_through_stub(std::span<const MemoryRange>(&range, 1));
    auto off = stub_.request("Qqemu.PhyMemMode:0");
    if (!off) {
        return std::unexpected(off.error());
    }
    return read;
}

Result<> BorrowedStubTarget::write_physical(std::uint64_t address, std::span<const std::uint8_t>) {
    return refused(fmt::format("writing physical memory at {:#x}", address));
}

const rsp::RegisterMap* BorrowedStubTarget::register_map() const {
    if (!map_) {
        auto loaded = rsp::load_target_description([this](const std::string& annex) {
            return rsp::read_xfer(stub_, "features", annex, 0x400);
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

const std::vector<rsp::ThreadId>& BorrowedStubTarget::threads() const {
    if (!threads_) {
        auto listed = rsp::list_threads(stub_);
        threads_ = listed ? std::move(*listed) : std::vector<rsp::ThreadId>{};
    }
    return *threads_;
}

int BorrowedStubTarget::vcpu_count() const {
    return std::max(1, static_cast<int>(threads().size()));
}

void BorrowedStubTarget::begin_request(std::string debugger_thread) {
    bump_generation();
    if (translator_) {
        translator_->invalidate();
    }
    debugger_thread_ = std::move(debugger_thread);
    moved_ = false;
    current_ = 0;
    // The debugger's selection is the vCPU kdive starts from, when it names one.
    const auto selected =
        rsp::parse_thread_id(std::string_view(debugger_thread_)
                                 .substr(std::min<std::size_t>(2, debugger_thread_.size())));
    const auto& ids = threads();
    for (std::size_t i = 0; selected && i < ids.size(); ++i) {
        if (ids[i].tid == selected->tid) {
            current_ = static_cast<int>(i);
        }
    }
}

Result<> BorrowedStubTarget::end_request() {
    if (!moved_) {
        return {};
    }
    moved_ = false;
    const std::string restore = debugger_thread_.empty() ? "Hg0" : debugger_thread_;
    auto reply = stub_.request(restore);
    if (!reply) {
        return std::unexpected(reply.error());
    }
    if (*reply != "OK") {
        return fail("putting back the debugger's thread ({}): {} answered '{}'", restore,
                    stub_.peer(), reply->substr(0, std::min<std::size_t>(reply->size(), 16)));
    }
    return {};
}

Result<> BorrowedStubTarget::select_vcpu(int index) {
    const auto& ids = threads();
    if (index < 0 || static_cast<std::size_t>(index) >= ids.size()) {
        return fail_as(ErrorKind::invalid_input, "no vCPU {} (the guest has {})", index,
                       ids.size());
    }
    if (index == current_) {
        return {};
    }
    auto reply = stub_.request("Hg" + ids[static_cast<std::size_t>(index)].to_string());
    if (!reply) {
        return std::unexpected(reply.error());
    }
    moved_ = true;
    if (*reply != "OK") {
        return fail("selecting vCPU {}: {} answered '{}'", index, stub_.peer(),
                    reply->substr(0, std::min<std::size_t>(reply->size(), 16)));
    }
    current_ = index;
    bump_selection_generation();
    return {};
}

Result<std::string> BorrowedStubTarget::monitor(std::string_view command) {
    return refused(fmt::format("monitor {}", command));
}

} // namespace kdive::target
