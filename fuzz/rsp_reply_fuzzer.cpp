// libFuzzer target: stop replies, thread ids and target description XML from a hostile stub.
#include "rsp/stop_reply.hpp"
#include "rsp/target_description.hpp"
#include "rsp/xml_tags.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace kdive;
using namespace kdive::rsp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    (void)parse_stop_reply(input);
    (void)parse_thread_id(input);
    (void)scan_xml_tags(input);
    // Every annex has the same text: exercises includes, cycles and depth limits.
    (void)load_target_description(
        [&input](const std::string&) -> Result<std::string> { return input; });
    return 0;
}
