// Locations named by symbols and C expressions ("start_kernel", "&init_task", "$rsp + 8").
#pragma once

#include "cli/eval_commands.hpp"
#include "cli/location.hpp"

namespace kdive::cli {

class ExpressionLocationResolver final : public LocationResolver {
public:
    explicit ExpressionLocationResolver(EvalCommands& eval) : eval_(eval) {}
    Result<std::optional<std::uint64_t>> resolve(std::string_view text) override;

private:
    EvalCommands& eval_;
};

} // namespace kdive::cli
