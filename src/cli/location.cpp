// Address expressions: deliberately tiny until the C expression evaluator can take over.
#include "cli/location.hpp"

#include "support/text.hpp"

#include <algorithm>
#include <cctype>

namespace kdive::cli {

Result<std::optional<std::uint64_t>> AddressExpressionResolver::resolve(std::string_view text) {
    text = trim(text);
    if (text.empty()) {
        return std::optional<std::uint64_t>{};
    }
    std::uint64_t total = 0;
    bool negate = false;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t end = text.find_first_of("+-", i);
        std::string_view term =
            trim(text.substr(i, end == std::string_view::npos ? text.npos : end - i));
        if (term.empty()) {
            return std::optional<std::uint64_t>{};
        }
        std::uint64_t value = 0;
        if (term.front() == '$') {
            auto reg = target_.read_register(term.substr(1));
            if (!reg) {
                return std::unexpected(reg.error());
            }
            value = *reg;
        } else if (auto number = parse_unsigned(term)) {
            value = *number;
        } else {
            return std::optional<std::uint64_t>{}; // not ours: a symbol, perhaps
        }
        total = negate ? total - value : total + value;
        if (end == std::string_view::npos) {
            break;
        }
        negate = text[end] == '-';
        i = end + 1;
    }
    return std::optional<std::uint64_t>{total};
}

Result<std::uint64_t> Locations::address(std::string_view text) {
    for (auto& resolver : resolvers_) {
        auto address = resolver->resolve(text);
        if (!address) {
            return std::unexpected(address.error());
        }
        if (*address) {
            return **address;
        }
    }
    return fail("cannot resolve '{}' (symbols are not loaded yet: use an address or $register)",
                trim(text));
}

Result<std::uint64_t> Locations::breakpoint_location(std::string_view text) {
    text = trim(text);
    if (text.starts_with('*')) {
        return address(text.substr(1));
    }
    auto found = address(text);
    // A name, not a number: "dummy_get_stats64", not "0xffff800000be00b0".
    const bool name =
        !text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) == 0 &&
        std::ranges::all_of(text, [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
        });
    if (!found || !name || !function_entry_) {
        return found;
    }
    return function_entry_(*found);
}

} // namespace kdive::cli
