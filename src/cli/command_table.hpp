// Every REPL command once: its name, aliases, usage and one-line help. Dispatch resolves the
// words a user typed through it (aliases, unique prefixes as GDB allows), and help and
// completion read it.
#pragma once

#include "support/error.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::cli {

// What a command's arguments are, for completion.
enum class ArgumentKind {
    none,
    expression, // symbols, struct/union/enum names, members after . and ->
    location,   // a symbol or *EXPRESSION
    command,    // another command's name (help)
    file,       // a host file name
};

struct CommandInfo {
    std::string name;                 // "print"; "info registers" for a subcommand of info
    std::vector<std::string> aliases; // "p", "inspect"
    std::string usage;                // "print[/FMT] EXPRESSION"
    std::string help;                 // one line
    std::string group;                // where help lists it
    ArgumentKind arguments = ArgumentKind::none;
};

// Words that may end a partly typed line: each replaces the text from `start` on.
struct Completion {
    std::size_t start = 0;
    std::vector<std::string> candidates;
};

class CommandTable {
public:
    // The commands of kdive's REPL.
    static const CommandTable& repl();

    explicit CommandTable(std::vector<CommandInfo> commands);

    // The line with its command word (and an info subcommand) spelt out: "i r rip" gives
    // "info registers rip", "bac" gives "backtrace". A word no command starts with stays as
    // typed; a prefix of several is an error naming them, as GDB's "Ambiguous command".
    Result<std::string> spell_out(std::string_view line) const;

    // The command a word names (name, alias or unique prefix), under `prefix` ("info").
    const CommandInfo* find(std::string_view word, std::string_view prefix = {}) const;

    // Command names (and aliases) starting with `partial`, under `prefix`, sorted.
    std::vector<std::string> names_starting(std::string_view partial,
                                            std::string_view prefix = {}) const;

    // `help`: every command by group; `help CMD`: its usage, aliases and help, or the
    // subcommands of a prefix command such as info.
    std::string help() const;
    Result<std::string> help(std::string_view command) const;

private:
    struct Match {
        std::vector<const CommandInfo*> commands;
        bool exact = false;
    };
    Match match(std::string_view word, std::string_view prefix) const;

    std::vector<CommandInfo> commands_;
};

} // namespace kdive::cli
