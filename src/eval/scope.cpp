// Names addresses after ELF symbols for printing.
#include "eval/scope.hpp"

namespace kdive::eval {

namespace {

// The kernel image's mapping. Zero-based per-CPU offsets lie far below it and do not move.
constexpr std::uint64_t kernel_image_start = 0xffffffff80000000ULL;

} // namespace

Result<debuginfo::Variable> DebugInfoScope::find_variable(std::string_view name) {
    auto variable = info_.find_variable(name);
    if (variable && load_offset_ != 0 && variable->address >= kernel_image_start)
        variable->address += load_offset_;
    return variable;
}

std::uint64_t DebugInfoScope::to_file_address(std::uint64_t address) const {
    if (load_offset_ != 0 && address >= kernel_image_start + load_offset_)
        return address - load_offset_;
    return address;
}

std::optional<std::string> DebugInfoScope::symbolize(std::uint64_t address) {
    auto found = info_.symbols().lookup(to_file_address(address));
    if (!found) {
        return std::nullopt;
    }
    if (found->offset == 0) {
        return std::string(found->symbol->name);
    }
    return fmt::format("{}+{}", found->symbol->name, found->offset);
}

} // namespace kdive::eval
