// System.map lookups for integration tests.
#include "kernel_symbols.hpp"

#include "support/cache_dir.hpp"

#include <fstream>
#include <sstream>

namespace kdive::testing {

std::filesystem::path system_map_of(const std::string& kernel) {
    std::filesystem::path path(kernel);
    if (path.is_absolute())
        return path.parent_path() / "System.map";
    return cache_dir() / "kernels" / kernel / "System.map";
}

Result<std::uint64_t> symbol_address(const std::string& kernel, const std::string& name) {
    auto path = system_map_of(kernel);
    std::ifstream in(path);
    if (!in)
        return fail("cannot open {}", path.string());
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string address, type, symbol;
        fields >> address >> type >> symbol;
        if (symbol == name)
            return std::stoull(address, nullptr, 16);
    }
    return fail("{} not in {}", name, path.string());
}

} // namespace kdive::testing
