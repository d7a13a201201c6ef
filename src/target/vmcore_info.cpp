// Parsing VMCOREINFO's KEY=VALUE lines; values stay text until a caller asks for a number.
#include "target/vmcore_info.hpp"

#include <charconv>

namespace kdive::target {

VmcoreInfo VmcoreInfo::parse(std::string_view text) {
    VmcoreInfo info;
    if (auto nul = text.find('\0'); nul != std::string_view::npos) {
        text = text.substr(0, nul);
    }
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        const auto equals = line.find('=');
        if (equals == std::string_view::npos || equals == 0) {
            continue;
        }
        info.values_.emplace(std::string(line.substr(0, equals)),
                             std::string(line.substr(equals + 1)));
    }
    return info;
}

std::optional<std::string_view> VmcoreInfo::text(std::string_view key) const {
    auto found = values_.find(key);
    if (found == values_.end()) {
        return std::nullopt;
    }
    return std::string_view(found->second);
}

std::optional<std::uint64_t> VmcoreInfo::hex(std::string_view key) const {
    auto value = text(key);
    if (!value) {
        return std::nullopt;
    }
    std::string_view digits = *value;
    if (digits.starts_with("0x") || digits.starts_with("0X")) {
        digits.remove_prefix(2);
    }
    std::uint64_t number = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number, 16);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty()) {
        return std::nullopt;
    }
    return number;
}

std::optional<std::int64_t> VmcoreInfo::decimal(std::string_view key) const {
    auto value = text(key);
    if (!value) {
        return std::nullopt;
    }
    std::int64_t number = 0;
    auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), number, 10);
    if (ec != std::errc{} || end != value->data() + value->size() || value->empty()) {
        return std::nullopt;
    }
    return number;
}

} // namespace kdive::target
