// kernel/configs.c wraps the gzipped .config in markers; kernel_config_data_end (5.2+) or the
// symbol's size bounds it.
#include "kernel/kernel_config.hpp"

#include <algorithm>
#include <zlib.h>

namespace kdive::kernel {

namespace {

constexpr std::string_view start_marker = "IKCFG_ST";
constexpr std::string_view end_marker = "IKCFG_ED";
constexpr std::size_t max_config = 64u << 20;

std::size_t find(std::span<const std::byte> bytes, std::string_view text, std::size_t from) {
    auto it =
        std::search(bytes.begin() + static_cast<long>(from), bytes.end(), text.begin(), text.end(),
                    [](std::byte b, char c) { return static_cast<char>(b) == c; });
    return it == bytes.end() ? std::string_view::npos
                             : static_cast<std::size_t>(it - bytes.begin());
}

} // namespace

Result<std::string> extract_ikconfig(std::span<const std::byte> blob) {
    const std::size_t start = find(blob, start_marker, 0);
    if (start == std::string_view::npos) {
        return fail("no IKCFG_ST marker in kernel_config_data");
    }
    const std::size_t begin = start + start_marker.size();
    std::size_t end = find(blob, end_marker, begin);
    if (end == std::string_view::npos) {
        end = blob.size();
    }
    z_stream stream{};
    // 16 + MAX_WBITS: expect a gzip header.
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) {
        return fail("zlib: cannot start inflating");
    }
    std::string out;
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(blob.data() + begin));
    stream.avail_in = static_cast<uInt>(end - begin);
    int status = Z_OK;
    while (status == Z_OK) {
        char chunk[16384];
        stream.next_out = reinterpret_cast<Bytef*>(chunk);
        stream.avail_out = sizeof chunk;
        status = inflate(&stream, Z_NO_FLUSH);
        out.append(chunk, sizeof chunk - stream.avail_out);
        if (out.size() > max_config) {
            status = Z_DATA_ERROR;
        }
        if (status == Z_BUF_ERROR && stream.avail_in == 0) {
            break;
        }
    }
    inflateEnd(&stream);
    if (status != Z_STREAM_END) {
        return fail("kernel_config_data is not a complete gzip stream (zlib status {})", status);
    }
    return out;
}

Result<std::string> read_kernel_config(Kernel& kernel) {
    const debuginfo::Symbol* data = kernel.info().symbols().find("kernel_config_data");
    if (data == nullptr) {
        return fail("this kernel was built without CONFIG_IKCONFIG: it carries no .config");
    }
    std::uint64_t size = data->size;
    if (const auto* end = kernel.info().symbols().find("kernel_config_data_end");
        end != nullptr && end->address > data->address) {
        size = end->address - data->address;
    }
    if (size == 0 || size > max_config) {
        return fail("kernel_config_data has no usable size ({})", size);
    }
    auto bytes = kernel.read(kernel.relocate(data->address), size);
    if (!bytes) {
        return wrap(bytes.error(), "reading kernel_config_data");
    }
    return extract_ikconfig(bytes->bytes());
}

Result<std::string> read_command_line(Kernel& kernel) {
    auto pointer = kernel.address_of("saved_command_line");
    if (!pointer) {
        return std::unexpected(pointer.error());
    }
    auto text = kernel.read_u64(*pointer);
    if (!text) {
        return wrap(text.error(), "reading saved_command_line");
    }
    if (*text == 0) {
        return std::string();
    }
    return kernel.read_c_string(*text, 4096);
}

} // namespace kdive::kernel
