// libFuzzer target: arbitrary bytes through the frame decoder and the codec's decoders.
#include "rsp/packet_codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace kdive::rsp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    // The stream in two pieces, as a socket might deliver it, with a small limit so the
    // oversized path is reached too.
    FrameDecoder decoder(256);
    std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
    decoder.feed(input.substr(0, cut));
    for (auto e = decoder.next(); e.kind != FrameEvent::Kind::need_more; e = decoder.next()) {
    }
    decoder.feed(input.substr(cut));
    for (auto e = decoder.next(); e.kind != FrameEvent::Kind::need_more; e = decoder.next()) {
        if (e.payload.size() > 256 * 98)
            std::abort(); // run-length output must respect the limit
    }

    expand_run_length(input, 4096);
    hex_decode(input);
    std::uint64_t value = 0;
    parse_hex_u64(input.substr(0, 20), value);

    // Whatever we encode must decode to the same bytes.
    FrameDecoder round_trip(1u << 20);
    round_trip.feed(encode_packet(input));
    FrameEvent event = round_trip.next();
    if (event.kind != FrameEvent::Kind::packet || event.error != CodecError::none)
        std::abort();
    DecodedBytes back = unescape_binary(event.payload);
    if (!back.ok() || back.data != input)
        std::abort();
    if (hex_decode(hex_encode(input)).data != input)
        std::abort();
    std::string out(input.size() / 2, '\0');
    DecodedBytes reference = hex_decode(input.substr(0, out.size() * 2));
    CodecError direct = hex_decode_into(input.substr(0, out.size() * 2), out.data(), out.size());
    if ((direct == CodecError::none) != reference.ok() || (reference.ok() && reference.data != out))
        std::abort();
    return 0;
}
