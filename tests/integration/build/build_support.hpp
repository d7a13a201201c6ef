// Shared by the build tests: the source tree `kdive kernel source` prints as its last line.
#pragma once

#include "test_vm.hpp"

#include <string>

namespace kdive::testing {

inline Result<std::string> last_line(const std::string& text) {
    auto end = text.find_last_not_of('\n');
    if (end == std::string::npos) {
        return fail("no output");
    }
    auto start = text.rfind('\n', end);
    return text.substr(start == std::string::npos ? 0 : start + 1,
                       end - (start == std::string::npos ? 0 : start + 1) + 1);
}

inline Result<std::string> debian_61_source() {
    auto out = run_kdive({"kernel", "source", "debian-6.1"});
    if (!out) {
        return std::unexpected(out.error());
    }
    return last_line(*out);
}

} // namespace kdive::testing
