// Convenience functions ($name(args) in expressions) that layers above the evaluator provide.
#pragma once

#include "eval/value.hpp"
#include "support/error.hpp"

#include <optional>
#include <span>
#include <string_view>

namespace kdive::eval {

struct EvalContext;

class FunctionHooks {
public:
    virtual ~FunctionHooks() = default;
    // `name` without the '$'. nullopt when this provider has no such function.
    virtual std::optional<Result<Value>>
    call(std::string_view name, std::span<const Value> arguments, EvalContext& context) = 0;
};

} // namespace kdive::eval
