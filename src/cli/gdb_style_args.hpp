// GDB's "-ex CMD" pairs: CLI11 has no single-dash long options, so they arrive as extras.
#pragma once

#include "support/error.hpp"

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace kdive::cli {

// Appends each "-ex CMD" (or "--eval-command CMD") among the command's leftover arguments to
// `commands`; other words go to `words` when given (a script's arguments); anything else is an
// error naming the argument.
inline Result<> take_ex_commands(const CLI::App& cmd, std::vector<std::string>& commands,
                                 std::vector<std::string>* words = nullptr) {
    const auto extras = cmd.remaining();
    for (std::size_t i = 0; i < extras.size(); ++i) {
        bool ex = extras[i] == "-ex" || extras[i] == "--eval-command";
        if (!ex && words != nullptr && !extras[i].starts_with("-")) {
            words->push_back(extras[i]);
            continue;
        }
        if (!ex || i + 1 >= extras.size()) {
            return fail("{}: unexpected argument '{}'", cmd.get_name(), extras[i]);
        }
        commands.push_back(extras[++i]);
    }
    return {};
}

} // namespace kdive::cli
