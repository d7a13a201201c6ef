// One kdump page through zlib, lzo, snappy or zstd, chosen by the page descriptor's flag bits.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace kdive::target {

// Decompression state kept across pages (zstd's context).
class PageDecompressor {
public:
    PageDecompressor();
    ~PageDecompressor();
    PageDecompressor(const PageDecompressor&) = delete;
    PageDecompressor& operator=(const PageDecompressor&) = delete;

    // Fills all of `out` from `in` stored with descriptor `flags`; anything but exactly
    // out.size() bytes is a `corrupt` error saying what came out (the caller names the page).
    Result<> decompress(std::uint32_t flags, std::span<const std::uint8_t> in,
                        std::span<std::uint8_t> out);

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Compression state kept across pages (lzo's work memory, zstd's context).
class PageCompressor {
public:
    // `flag` is one of kdump::compressed_* or 0 for none.
    explicit PageCompressor(std::uint32_t flag);
    ~PageCompressor();
    PageCompressor(const PageCompressor&) = delete;
    PageCompressor& operator=(const PageCompressor&) = delete;

    // The compressed bytes of `page`, or an empty span when the codec fails or does not make
    // the page smaller (the page is then stored raw). Valid until the next call.
    std::span<const std::uint8_t> compress(std::span<const std::uint8_t> page);

private:
    struct State;
    std::uint32_t flag_;
    std::unique_ptr<State> state_;
    std::vector<std::uint8_t> out_;
};

} // namespace kdive::target
