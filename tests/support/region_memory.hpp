// Memory made of byte regions at chosen addresses, for kernel-structure decoding tests.
#pragma once

#include "eval/memory_reader.hpp"
#include "arch/physical_reader.hpp"

#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

namespace kdive::testing {

class RegionMemory final : public eval::MemoryReader, public arch::PhysicalReader {
public:
    // A zero-filled region; returns its bytes for the test to fill.
    std::vector<std::byte>& region(std::uint64_t address, std::size_t size) {
        auto& bytes = regions_[address];
        bytes.resize(size);
        return bytes;
    }
    void put(std::uint64_t address, const void* data, std::size_t size) {
        for (auto& [base, bytes] : regions_) {
            if (address >= base && address + size <= base + bytes.size()) {
                std::memcpy(bytes.data() + (address - base), data, size);
                return;
            }
        }
        std::memcpy(region(address, size).data(), data, size);
    }
    template <typename T> void put_value(std::uint64_t address, T value) {
        put(address, &value, sizeof value);
    }

    Result<std::vector<std::byte>> read(std::uint64_t address, std::size_t length) override {
        ++reads;
        for (const auto& [base, bytes] : regions_) {
            // Written so that addresses near 2^64 cannot wrap around into a region.
            if (address >= base && length <= bytes.size() &&
                address - base <= bytes.size() - length) {
                auto begin = bytes.begin() + static_cast<long>(address - base);
                return std::vector<std::byte>(begin, begin + static_cast<long>(length));
            }
        }
        return fail("Cannot access memory at address {:#x}", address);
    }
    Result<> write(std::uint64_t address, std::span<const std::byte>) override {
        return fail("read-only memory at {:#x}", address);
    }
    Result<std::vector<std::byte>> read_physical(std::uint64_t address,
                                                 std::size_t length) override {
        return read(address, length);
    }

    int reads = 0;

private:
    std::map<std::uint64_t, std::vector<std::byte>> regions_;
};

} // namespace kdive::testing
