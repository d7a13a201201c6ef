// Names addresses after ELF symbols for printing.
#include "eval/scope.hpp"

namespace kdive::eval {

const Type* DebugInfoScope::find_type(std::string_view name, TypeTag tag) {
    const Type* type = info_.find_type(name, tag);
    if (type == nullptr && images_ != nullptr) {
        type = images_->find_type(name, tag);
    }
    return type;
}

Result<debuginfo::Variable> DebugInfoScope::find_variable(std::string_view name) {
    auto variable = info_.find_variable(name);
    if (!variable && images_ != nullptr) {
        if (auto loaded = images_->find_variable(name)) {
            return *loaded;
        }
    }
    if (variable && load_offset_ != 0 && info_.image_range().contains(variable->address)) {
        variable->address += load_offset_;
    }
    return variable;
}

bool DebugInfoScope::has_symbol(std::string_view name) {
    if (info_.symbols().find(name) != nullptr) {
        return true;
    }
    return images_ != nullptr && images_->find_variable(name).has_value();
}

std::uint64_t DebugInfoScope::to_file_address(std::uint64_t address) const {
    if (load_offset_ != 0 && info_.image_range().contains(address - load_offset_)) {
        return address - load_offset_;
    }
    return address;
}

std::optional<std::string> DebugInfoScope::symbolize(std::uint64_t address) {
    // Kernel addresses outside the image: modules (above it on x86-64, below on arm64).
    if (images_ != nullptr && (address >> 63) != 0 &&
        !info_.image_range().contains(address - load_offset_)) {
        auto where = images_->describe(address);
        if (!where || where->symbol.empty()) {
            return std::nullopt;
        }
        return where->offset == 0 ? where->symbol
                                  : fmt::format("{}+{}", where->symbol, where->offset);
    }
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
