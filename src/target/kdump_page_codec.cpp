// The four codecs makedumpfile writes pages with. Each result is checked for length: a page
// that decompresses to anything but a whole block is corrupt, never padded or cut.
#include "target/kdump_page_codec.hpp"

#include "target/kdump_format.hpp"

#include <bit>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

namespace kdive::target {

namespace {

bool lzo_ready() {
    static const bool ready = lzo_init() == LZO_E_OK;
    return ready;
}

const char* as_chars(const std::uint8_t* bytes) {
    return reinterpret_cast<const char*>(bytes);
}

Result<> inflate_zlib(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
    uLongf length = out.size();
    const int status = ::uncompress(out.data(), &length, in.data(), in.size());
    if (status == Z_BUF_ERROR && length == out.size()) {
        return fail_as(ErrorKind::corrupt, "zlib data decompresses to more than {} bytes",
                       out.size());
    }
    if (status != Z_OK) {
        return fail_as(ErrorKind::corrupt, "zlib: {}", zError(status));
    }
    if (length != out.size()) {
        return fail_as(ErrorKind::corrupt, "zlib data decompresses to {} bytes, not {}", length,
                       out.size());
    }
    return {};
}

Result<> inflate_lzo(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
    if (!lzo_ready()) {
        return fail("lzo: the library failed to initialize");
    }
    lzo_uint length = out.size();
    const int status = ::lzo1x_decompress_safe(in.data(), in.size(), out.data(), &length, nullptr);
    if (status == LZO_E_OUTPUT_OVERRUN) {
        return fail_as(ErrorKind::corrupt, "lzo data decompresses to more than {} bytes",
                       out.size());
    }
    if (status != LZO_E_OK) {
        return fail_as(ErrorKind::corrupt, "lzo: error {}", status);
    }
    if (length != out.size()) {
        return fail_as(ErrorKind::corrupt, "lzo data decompresses to {} bytes, not {}", length,
                       out.size());
    }
    return {};
}

Result<> inflate_snappy(std::span<const std::uint8_t> in, std::span<std::uint8_t> out) {
    std::size_t length = 0;
    if (::snappy_uncompressed_length(as_chars(in.data()), in.size(), &length) != SNAPPY_OK) {
        return fail_as(ErrorKind::corrupt, "snappy: not snappy data");
    }
    if (length != out.size()) {
        return fail_as(ErrorKind::corrupt, "snappy data decompresses to {} bytes, not {}", length,
                       out.size());
    }
    if (::snappy_uncompress(as_chars(in.data()), in.size(), reinterpret_cast<char*>(out.data()),
                            &length) != SNAPPY_OK ||
        length != out.size()) {
        return fail_as(ErrorKind::corrupt, "snappy: damaged data");
    }
    return {};
}

} // namespace

struct PageDecompressor::State {
    ZSTD_DCtx* zstd = nullptr;
};

PageDecompressor::PageDecompressor() : state_(std::make_unique<State>()) {}

PageDecompressor::~PageDecompressor() {
    ZSTD_freeDCtx(state_->zstd);
}

Result<> PageDecompressor::decompress(std::uint32_t flags, std::span<const std::uint8_t> in,
                                      std::span<std::uint8_t> out) {
    const std::uint32_t codec = flags & kdump::compression_mask;
    if (std::popcount(codec) > 1) {
        return fail_as(ErrorKind::corrupt, "flags {:#x} name more than one compression", flags);
    }
    switch (codec) {
    case 0:
        if (in.size() != out.size()) {
            return fail_as(ErrorKind::corrupt, "an uncompressed page of {} bytes, not {}",
                           in.size(), out.size());
        }
        std::ranges::copy(in, out.begin());
        return {};
    case kdump::compressed_zlib:
        return inflate_zlib(in, out);
    case kdump::compressed_lzo:
        return inflate_lzo(in, out);
    case kdump::compressed_snappy:
        return inflate_snappy(in, out);
    default:
        break;
    }
    if (state_->zstd == nullptr) {
        state_->zstd = ZSTD_createDCtx();
        if (state_->zstd == nullptr) {
            return fail("zstd: cannot create a decompression context");
        }
    }
    const std::size_t length =
        ZSTD_decompressDCtx(state_->zstd, out.data(), out.size(), in.data(), in.size());
    if (ZSTD_isError(length) != 0) {
        return fail_as(ErrorKind::corrupt, "zstd: {}", ZSTD_getErrorName(length));
    }
    if (length != out.size()) {
        return fail_as(ErrorKind::corrupt, "zstd data decompresses to {} bytes, not {}", length,
                       out.size());
    }
    return {};
}

struct PageCompressor::State {
    std::vector<std::uint8_t> lzo_work;
    ZSTD_CCtx* zstd = nullptr;
};

PageCompressor::PageCompressor(std::uint32_t flag)
    : flag_(flag), state_(std::make_unique<State>()) {}

PageCompressor::~PageCompressor() {
    ZSTD_freeCCtx(state_->zstd);
}

std::span<const std::uint8_t> PageCompressor::compress(std::span<const std::uint8_t> page) {
    std::size_t length = 0;
    switch (flag_) {
    case kdump::compressed_zlib: {
        out_.resize(compressBound(page.size()));
        uLongf size = out_.size();
        // The fastest level, as QEMU and makedumpfile use: dumps are large, time is short.
        if (::compress2(out_.data(), &size, page.data(), page.size(), Z_BEST_SPEED) != Z_OK) {
            return {};
        }
        length = size;
        break;
    }
    case kdump::compressed_lzo: {
        if (!lzo_ready()) {
            return {};
        }
        state_->lzo_work.resize(LZO1X_1_MEM_COMPRESS);
        // lzo's documented worst-case growth.
        out_.resize(page.size() + page.size() / 16 + 64 + 3);
        lzo_uint size = out_.size();
        if (::lzo1x_1_compress(page.data(), page.size(), out_.data(), &size,
                               state_->lzo_work.data()) != LZO_E_OK) {
            return {};
        }
        length = size;
        break;
    }
    case kdump::compressed_snappy: {
        out_.resize(::snappy_max_compressed_length(page.size()));
        length = out_.size();
        if (::snappy_compress(as_chars(page.data()), page.size(),
                              reinterpret_cast<char*>(out_.data()), &length) != SNAPPY_OK) {
            return {};
        }
        break;
    }
    case kdump::compressed_zstd: {
        if (state_->zstd == nullptr) {
            state_->zstd = ZSTD_createCCtx();
            if (state_->zstd == nullptr) {
                return {};
            }
        }
        out_.resize(ZSTD_compressBound(page.size()));
        length =
            ZSTD_compressCCtx(state_->zstd, out_.data(), out_.size(), page.data(), page.size(), 1);
        if (ZSTD_isError(length) != 0) {
            return {};
        }
        break;
    }
    default:
        return {};
    }
    if (length >= page.size()) {
        return {};
    }
    return std::span<const std::uint8_t>(out_).first(length);
}

} // namespace kdive::target
