// zlib, libzstd and liblzma wrappers.
#include "lab/compression.hpp"

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

namespace kdive::lab {

namespace {

Result<std::string> gzip(std::string_view data) {
    z_stream stream{};
    // windowBits 15 + 16 selects the gzip wrapper; its header carries mtime 0 and no name.
    if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        return fail("gzip: cannot initialise zlib");
    }
    std::string out(deflateBound(&stream, data.size()), '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (rc != Z_STREAM_END) {
        return fail("gzip: compression failed ({})", rc);
    }
    return out;
}

Result<std::string> zstd(std::string_view data) {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 19);
    if (ZSTD_isError(n)) {
        return fail("zstd: {}", ZSTD_getErrorName(n));
    }
    out.resize(n);
    return out;
}

Result<std::string> unxz(std::string_view data, std::string_view what) {
    lzma_stream stream = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&stream, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
        return fail("{}: cannot initialise the xz decoder", what);
    }
    std::string out;
    std::string chunk(1 << 20, '\0');
    stream.next_in = reinterpret_cast<const uint8_t*>(data.data());
    stream.avail_in = data.size();
    lzma_ret rc = LZMA_OK;
    while (rc == LZMA_OK) {
        stream.next_out = reinterpret_cast<uint8_t*>(chunk.data());
        stream.avail_out = chunk.size();
        rc = lzma_code(&stream, LZMA_FINISH);
        out.append(chunk.data(), chunk.size() - stream.avail_out);
    }
    lzma_end(&stream);
    if (rc != LZMA_STREAM_END) {
        return fail("{}: corrupt or truncated xz data (liblzma error {})", what,
                    static_cast<int>(rc));
    }
    return out;
}

Result<std::string> unzstd(std::string_view data, std::string_view what) {
    ZSTD_DCtx* ctx = ZSTD_createDCtx();
    std::string out;
    std::string chunk(ZSTD_DStreamOutSize(), '\0');
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    size_t rc = 1;
    while (true) {
        ZSTD_outBuffer buffer{chunk.data(), chunk.size(), 0};
        rc = ZSTD_decompressStream(ctx, &buffer, &in);
        if (ZSTD_isError(rc)) {
            ZSTD_freeDCtx(ctx);
            return fail("{}: corrupt zstd data ({})", what, ZSTD_getErrorName(rc));
        }
        out.append(chunk.data(), buffer.pos);
        bool input_done = in.pos == in.size;
        if (input_done && (rc == 0 || buffer.pos < buffer.size)) {
            break;
        }
    }
    ZSTD_freeDCtx(ctx);
    if (rc != 0) {
        return fail("{}: truncated zstd data", what);
    }
    return out;
}

} // namespace

Result<Compression> parse_compression(std::string_view name) {
    if (name == "gzip") {
        return Compression::Gzip;
    }
    if (name == "zstd") {
        return Compression::Zstd;
    }
    if (name == "none") {
        return Compression::None;
    }
    return fail("unknown compression '{}' (expected gzip, zstd or none)", name);
}

Result<std::string> compress(std::string_view data, Compression method) {
    switch (method) {
    case Compression::Gzip:
        return gzip(data);
    case Compression::Zstd:
        return zstd(data);
    default:
        return std::string(data);
    }
}

bool is_gzip(std::string_view data) {
    return data.starts_with("\x1f\x8b");
}

Result<std::string> gunzip(std::string_view data, std::string_view what, std::size_t limit) {
    z_stream stream{};
    // windowBits 15 + 16: the gzip wrapper only.
    if (inflateInit2(&stream, 15 + 16) != Z_OK) {
        return fail("{}: cannot initialise zlib", what);
    }
    std::string out;
    std::string chunk(1 << 20, '\0');
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    int rc = Z_OK;
    while (rc == Z_OK && out.size() < limit) {
        stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
        stream.avail_out = static_cast<uInt>(chunk.size());
        rc = inflate(&stream, Z_NO_FLUSH);
        out.append(chunk.data(), chunk.size() - stream.avail_out);
        if (rc == Z_BUF_ERROR && stream.avail_in == 0) {
            break; // the input ended before the stream did
        }
    }
    inflateEnd(&stream);
    if (limit != std::string::npos && out.size() >= limit) {
        out.resize(limit);
        return out;
    }
    if (rc != Z_STREAM_END) {
        return fail("{}: corrupt or truncated gzip data (zlib error {})", what, rc);
    }
    return out;
}

Result<std::string> decompress_module(std::string_view data, std::string_view what) {
    static constexpr std::string_view xz_magic("\xFD"
                                               "7zXZ\0",
                                               6);
    static constexpr std::string_view zstd_magic("\x28\xB5\x2F\xFD", 4);
    if (data.starts_with(xz_magic)) {
        return unxz(data, what);
    }
    if (data.starts_with(zstd_magic)) {
        return unzstd(data, what);
    }
    return std::string(data);
}

} // namespace kdive::lab
