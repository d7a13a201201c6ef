// libFuzzer target: a hostile vmcore (ELF, or kdump-compressed plain or flattened). The input is
// the whole file; it is opened like one on disk, a few physical ranges are read from it, and
// kernel-virtual ones through the page tables it holds, as `kdive attach VMCORE` does.
#include "arch/architecture.hpp"
#include "arch/kernel_translator.hpp"
#include "target/core_file.hpp"
#include "target/core_target.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

using namespace kdive::target;

namespace {

// A memory-backed file, reused across runs: the reader opens it by path like a dump.
int input_file() {
    static const int fd = memfd_create("core-fuzz-input", MFD_CLOEXEC);
    return fd;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const int fd = input_file();
    if (fd < 0 || ftruncate(fd, 0) != 0 ||
        pwrite(fd, data, size, 0) != static_cast<ssize_t>(size)) {
        return 0;
    }
    auto dump = open_core_file("/proc/self/fd/" + std::to_string(fd));
    if (!dump) {
        return 0;
    }
    CoreFile& file = **dump;
    volatile std::size_t seen = file.describe().size() + file.notes().size();
    (void)seen;
    std::vector<std::uint8_t> buffer(3 * 4096);
    const std::uint64_t end = file.physical_end();
    // The first pages whole, twice (the second time from the cache), then ranges that cross
    // pages and the very end.
    for (int round = 0; round < 2; ++round) {
        for (std::uint64_t address = 0; address < std::min<std::uint64_t>(end, 16 * 4096);
             address += 4096) {
            (void)file.read_physical(address, std::span(buffer).first(4096));
        }
    }
    (void)file.read_physical(4090, std::span(buffer).first(20));
    (void)file.read_physical(end / 2, buffer);
    if (end >= 8) {
        (void)file.read_physical(end - 8, std::span(buffer).first(16));
    }
    (void)file.read_physical(~std::uint64_t{0} - 4, std::span(buffer).first(16));

    // As a target: registers from the notes, virtual reads through the page tables they name.
    auto target = CoreTarget::open(std::move(*dump));
    if (!target) {
        return 0;
    }
    auto& core = **target;
    const auto& arch = kdive::arch::architecture_of(core);
    core.set_translator(kdive::arch::dump_kernel_translator(core, core.vmcore_info(), arch));
    for (int vcpu = 0; vcpu < std::min(core.vcpu_count(), 4); ++vcpu) {
        (void)core.select_vcpu(vcpu);
        (void)core.read_register(arch.pc);
        // x86-64's image and direct map, arm64's image and linear map, user, the very top.
        for (std::uint64_t address :
             {0xffffffff81000000ull, 0xffff888000001000ull, 0xffff800008000000ull,
              0xffff000000001000ull, 0x400000ull, 0xfffffffffffff000ull}) {
            (void)core.read_memory(address, std::span(buffer).first(64));
        }
    }
    return 0;
}
