// Names addresses after ELF symbols for printing.
#include "eval/scope.hpp"

namespace kdive::eval {

std::optional<std::string> DebugInfoScope::symbolize(std::uint64_t address) {
    auto found = info_.symbols().lookup(address);
    if (!found) {
        return std::nullopt;
    }
    if (found->offset == 0) {
        return std::string(found->symbol->name);
    }
    return fmt::format("{}+{}", found->symbol->name, found->offset);
}

} // namespace kdive::eval
