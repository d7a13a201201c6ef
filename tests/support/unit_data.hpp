// The files unit tests read from tests/unit/*/data/ (real captures: QEMU's target description,
// packets). Include from a test built with KDIVE_SOURCE_DIR.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace kdive::testing {

// The contents of tests/unit/FOLDER/data/NAME, empty when it cannot be read.
inline std::string read_unit_data(const std::string& folder, const std::string& name) {
    std::ifstream in(std::string(KDIVE_SOURCE_DIR) + "/tests/unit/" + folder + "/data/" + name,
                     std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace kdive::testing
