// Symbol and expression locations through the expression evaluator.
#include "cli/expression_location.hpp"

namespace kdive::cli {

Result<std::optional<std::uint64_t>> ExpressionLocationResolver::resolve(std::string_view text) {
    auto address = eval_.address_of_expression(text);
    if (!address)
        return std::unexpected(address.error());
    return std::optional<std::uint64_t>{*address};
}

} // namespace kdive::cli
