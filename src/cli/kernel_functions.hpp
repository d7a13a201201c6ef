// The kernel's convenience functions for expressions: $lx_current(), $lx_per_cpu(),
// $container_of(), $lx_task_by_pid(), $list_count(), $lx_rb_first(), $lx_rb_last(),
// $lx_rb_next(), $lx_rb_prev() (and their names without the lx_ prefix).
#pragma once

#include "cli/kernel_commands.hpp"
#include "eval/function_hooks.hpp"

namespace kdive::cli {

class KernelFunctions final : public eval::FunctionHooks {
public:
    explicit KernelFunctions(KernelCommands& commands) : commands_(commands) {}

    std::optional<Result<eval::Value>> call(std::string_view name,
                                            std::span<const eval::Value> arguments,
                                            eval::EvalContext& context) override;

private:
    Result<eval::Value> current(std::span<const eval::Value> arguments, eval::EvalContext& context);
    Result<eval::Value> per_cpu(std::span<const eval::Value> arguments, eval::EvalContext& context);
    Result<eval::Value> container_of(std::span<const eval::Value> arguments,
                                     eval::EvalContext& context);
    Result<eval::Value> task_by_pid(std::span<const eval::Value> arguments,
                                    eval::EvalContext& context);
    Result<eval::Value> list_count(std::span<const eval::Value> arguments,
                                   eval::EvalContext& context);
    Result<eval::Value> rb_step(std::string_view name, std::span<const eval::Value> arguments,
                                eval::EvalContext& context);

    KernelCommands& commands_;
};

} // namespace kdive::cli
