// The first bytes of a file, for telling its format by its magic numbers.
#include "support/file_prefix.hpp"

#include <fstream>

namespace kdive {

std::string read_file_prefix(const std::filesystem::path& file, std::size_t bytes) {
    std::ifstream in(file, std::ios::binary);
    std::string data(bytes, '\0');
    in.read(data.data(), static_cast<std::streamsize>(bytes));
    data.resize(static_cast<std::size_t>(in.gcount()));
    return data;
}

} // namespace kdive
