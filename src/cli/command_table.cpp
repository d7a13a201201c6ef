// The REPL's commands and the GDB rules for the words that name them: an exact name or alias
// wins, then a prefix of exactly one command's name.
#include "cli/command_table.hpp"

#include <algorithm>
#include <fmt/core.h>

namespace kdive::cli {

namespace {

std::string_view trim_left(std::string_view text) {
    const auto at = text.find_first_not_of(" \t");
    return at == std::string_view::npos ? std::string_view{} : text.substr(at);
}

std::pair<std::string_view, std::string_view> first_word(std::string_view text) {
    text = trim_left(text);
    const auto end = text.find_first_of(" \t");
    if (end == std::string_view::npos) {
        return {text, {}};
    }
    return {text.substr(0, end), text.substr(end)};
}

// "info registers" is under "info"; "print" under nothing.
std::pair<std::string_view, std::string_view> split_name(std::string_view name) {
    const auto space = name.find(' ');
    if (space == std::string_view::npos) {
        return {{}, name};
    }
    return {name.substr(0, space), name.substr(space + 1)};
}

std::vector<CommandInfo> repl_commands() {
    using A = ArgumentKind;
    const std::string run = "Running and stepping";
    const std::string stops = "Breakpoints and watchpoints";
    const std::string data = "Data and source";
    const std::string frames = "Stacks and frames";
    const std::string kernel = "The kernel";
    const std::string session = "Session";
    const std::string info = "Status (info)";
    return {
        {"continue",
         {"c", "cont"},
         "continue [&]",
         "resume every vCPU until a stop or Ctrl-C; with & return to the prompt at once",
         run},
        {"interrupt", {}, "interrupt", "stop a guest resumed with 'continue &'", run},
        {"step", {"s"}, "step [N]", "one source line, into calls", run},
        {"next", {"n"}, "next [N]", "one source line, over calls", run},
        {"stepi", {"si"}, "stepi [N]", "one instruction on the selected vCPU", run},
        {"until",
         {"u"},
         "until [LOCATION]",
         "the next line past a loop, or run to LOCATION within this frame",
         run,
         A::location},
        {"advance",
         {},
         "advance LOCATION",
         "run to LOCATION or until this frame returns",
         run,
         A::location},
        {"finish", {"fin"}, "finish", "run until the selected frame returns; show its value", run},
        {"cpu", {}, "cpu N", "select vCPU N (from 0)", run},
        {"break",
         {"b", "br"},
         "break LOCATION",
         "software breakpoint at a symbol or *EXPRESSION",
         stops,
         A::location},
        {"hbreak",
         {"hb"},
         "hbreak LOCATION",
         "hardware breakpoint (also before the kernel's text is writable)",
         stops,
         A::location},
        {"watch", {}, "watch *ADDRESS [LEN]", "write watchpoint (LEN 8)", stops, A::expression},
        {"rwatch", {}, "rwatch *ADDRESS [LEN]", "read watchpoint", stops, A::expression},
        {"awatch", {}, "awatch *ADDRESS [LEN]", "access watchpoint", stops, A::expression},
        {"delete", {"d"}, "delete [N...]", "remove breakpoints (all without N)", stops},
        {"print",
         {"p", "inspect", "output"},
         "print[/FMT] EXPRESSION",
         "a C expression's value: variables, types, $lx_current(), $lx_per_cpu(), casts",
         data,
         A::expression},
        {"ptype",
         {},
         "ptype TYPE|EXPRESSION",
         "a type in full, members and offsets",
         data,
         A::expression},
        {"whatis", {}, "whatis TYPE|EXPRESSION", "the name of a type", data, A::expression},
        {"x",
         {},
         "x/NFU ADDRESS",
         "examine memory: F = x d u s i, U = b h w g",
         data,
         A::expression},
        {"set",
         {},
         "set var LVALUE = VALUE | set scheduler-locking off|step | set substitute-path FROM TO",
         "write guest memory or a register; whether other vCPUs run during steps; where "
         "the sources are",
         data,
         A::expression},
        {"show", {}, "show scheduler-locking|substitute-path", "a setting", data},
        {"list",
         {"l"},
         "list [FUNCTION|FILE:LINE|LINE] | list [-H] [-o OFFSET|STRUCT.MEMBER] "
         "[-s STRUCT[.MEMBER,...]] [-c MAX] START [--json]",
         "ten source lines around a place; bare: around the stop, then onwards. With crash's "
         "options (-H, -o, -s, -c): walk a kernel linked list (list_head, hlist, llist); -H when "
         "START is the head",
         data,
         A::location},
        {"directory",
         {"dir"},
         "directory [DIR]",
         "the kernel source tree relative and build paths are found in",
         data,
         A::file},
        {"backtrace",
         {"bt", "where"},
         "backtrace [full] | bt PID|-a|CPU... [--json]",
         "the selected vCPU's stack (full: with locals); a task's or every CPU's",
         frames},
        {"frame", {"f"}, "frame [N]", "select and show frame N", frames},
        {"up", {}, "up [N]", "select the caller's frame", frames},
        {"down", {}, "down [N]", "select the callee's frame", frames},
        {"foreach", {}, "foreach bt [--json]", "every task's stack, alike ones grouped", frames},
        {"current", {}, "current [CPU] [--json]", "the task running on each CPU", kernel},
        {"ps",
         {"lx-ps"},
         "ps [-G] [-t [PID...] | -a PID... | -p PID | -c PID] [--json]",
         "every task: pid, state, CPU, name; -G leaders, -t times, -a arguments, -p parents, -c "
         "children",
         kernel},
        {"per-cpu",
         {"per_cpu", "percpu"},
         "per-cpu VARIABLE [CPU] [--json]",
         "a per-CPU variable on each CPU",
         kernel,
         A::expression},
        {"dmesg", {"lx-dmesg"}, "dmesg [--json]", "the kernel log", kernel},
        {"lsmod",
         {"lx-lsmod", "mod"},
         "lsmod [--symbols] [--json]",
         "loaded modules; --symbols: debug files and section addresses (add-symbol-file)",
         kernel},
        {"vtop",
         {},
         "vtop ADDRESS [--json]",
         "a virtual address through the page tables",
         kernel,
         A::expression},
        {"cmdline", {"lx-cmdline"}, "cmdline [--json]", "the kernel command line", kernel},
        {"version", {"lx-version"}, "version [--json]", "the running kernel's banner", kernel},
        {"cpus", {}, "cpus [--json]", "possible, present and online CPUs", kernel},
        {"mounts", {"lx-mounts", "mount"}, "mounts [--json]", "mounted file systems", kernel},
        {"uptime", {}, "uptime [--json]", "time since boot", kernel},
        {"sys",
         {},
         "sys [--json]",
         "the system at a glance, as crash shows it: CPUs, uptime, load, tasks, utsname, memory, "
         "panic",
         kernel},
        {"kmem",
         {},
         "kmem -s [NAME] | -i | -p PFN|ADDR | -v | ADDR|EXPR [--json]",
         "slab caches as /proc/slabinfo counts them (-s); memory totals as /proc/meminfo (-i); "
         "a struct page decoded (-p); the vmalloc areas (-v, as vmalloc); what an address is: slab "
         "object (allocated or free), "
         "page, task stack, module, vmalloc area, image symbol, per-CPU variable",
         kernel},
        {"search",
         {},
         "search [-k | -u PID | -p] [-s START] [-e END] [-l | -i | -h] VALUE | -c STRING [--json]",
         "where a value (8, 4 or 2 bytes, aligned) or a string sits: kernel memory (the direct "
         "map, image and modules, or START..END), a task's user mappings (-u), or physical RAM "
         "(-p); Ctrl-C stops it with the hits so far",
         kernel},
        {"vmalloc",
         {},
         "vmalloc [--json]",
         "the busy vmalloc areas as /proc/vmallocinfo lists them: range, size, caller, pages, "
         "kind",
         kernel},
        {"lx-slabinfo",
         {},
         "lx-slabinfo [--json]",
         "kmem -s, as the kernel's GDB scripts name it",
         kernel},
        {"files",
         {},
         "files PID [--json]",
         "a task's open files as /proc/PID/fd shows them: fd, file, inode, type, flags, path",
         kernel},
        {"vm",
         {},
         "vm [--rss] PID [--json]",
         "a task's mappings as /proc/PID/maps lists them; --rss: its resident set by counter",
         kernel},
        {"irq",
         {"lx-interruptlist"},
         "irq [IRQ] [--json]",
         "interrupts as /proc/interrupts shows them: counts per CPU, chip, trigger, actions",
         kernel},
        {"sig",
         {},
         "sig PID [--json]",
         "a task's pending, blocked, ignored and caught signals and handlers, as /proc/PID/status",
         kernel},
        {"runq",
         {},
         "runq [--json]",
         "per CPU the running task and the queued ones: deadline, RT by priority, CFS in tree "
         "order",
         kernel},
        {"log",
         {},
         "log [-T] [-m] [--json]",
         "the printk ring as crash shows it: -T dates from the guest's wall clock, -m levels",
         kernel},
        {"struct",
         {},
         "struct TYPE[.MEMBER,...] [ADDRESS] [--json]",
         "a structure's members with their offsets, or its value at an address",
         kernel},
        {"task",
         {},
         "task PID [-R MEMBER,...] [--json]",
         "a task's task_struct, whole or the members named",
         kernel},
        {"waitq",
         {},
         "waitq ADDRESS|EXPRESSION [--json]",
         "who sleeps on a wait queue: each entry's task and wake function",
         kernel,
         A::expression},
        {"tree",
         {},
         "tree -t rbtree|xarray|radix|maple [-o OFF|STRUCT.MEMBER] [-s STRUCT[.M,...]] ROOT",
         "the entries of a kernel tree in order, with -s members of the structures they are",
         kernel,
         A::expression},
        {"timer",
         {"lx-timerlist"},
         "timer [--json]",
         "per CPU the pending hrtimers and timer-wheel timers: expiry and function",
         kernel},
        {"dev",
         {},
         "dev [-p] [--json]",
         "character and block device majors as /proc/devices lists them; -p PCI devices",
         kernel},
        {"net",
         {},
         "net [-s [PID] | --tcp | --unix] [--json]",
         "network devices with addresses and counters, as /proc/net/dev; -s a task's sockets; "
         "--tcp and --unix the socket tables as /proc/net/tcp, tcp6 and unix list them",
         kernel},
        {"kconfig", {"lx-configdump"}, "kconfig", "the kernel's .config (CONFIG_IKCONFIG)", kernel},
        {"info",
         {"i"},
         "info SUBCOMMAND",
         "status: registers, breakpoints, threads, frame, ...",
         info},
        {"info registers",
         {"r", "reg", "all-registers"},
         "info registers [NAME...]",
         "registers of the selected vCPU, as GDB shows them",
         info},
        {"info breakpoints",
         {"b", "break", "watchpoints"},
         "info breakpoints",
         "breakpoints and watchpoints",
         info},
        {"info threads", {}, "info threads", "each vCPU and where it is", info},
        {"info target",
         {"files"},
         "info target",
         "what is being debugged: the gdbstub and the memory path, or the vmcore",
         info},
        {"info frame",
         {"f"},
         "info frame",
         "the selected frame: addresses, caller, saved registers",
         info},
        {"info locals", {}, "info locals", "the selected frame's local variables", info},
        {"info args", {}, "info args", "the selected frame's arguments", info},
        {"info line",
         {},
         "info line [*ADDRESS|FUNCTION]",
         "where a line's code is",
         info,
         A::location},
        {"info symbol",
         {"sym"},
         "info symbol ADDRESS",
         "the symbol at an address",
         info,
         A::expression},
        {"info address",
         {"addr"},
         "info address SYMBOL",
         "where a symbol lives",
         info,
         A::expression},
        {"monitor", {"mon"}, "monitor COMMAND", "a QEMU monitor command", session},
        {"python",
         {"py"},
         "python [CODE]",
         "run Python with `prog` bound to this session (import kdive); bare: the console",
         session},
        {"python-interactive",
         {"pi"},
         "python-interactive",
         "Python's console with `prog` bound to this session, until Ctrl-D",
         session},
        {"source", {}, "source FILE.py", "run a Python script with `prog` bound", session, A::file},
        {"shell", {"!"}, "shell COMMAND", "a command of the host's shell", session, A::file},
        {"help",
         {"h"},
         "help [COMMAND]",
         "these lists, or one command's usage",
         session,
         A::command},
        {"detach", {}, "detach", "remove kdive's breakpoints and leave the guest running", session},
        {"quit", {"q", "exit"}, "quit", "detach and leave kdive", session},
    };
}

} // namespace

const CommandTable& CommandTable::repl() {
    static const CommandTable table(repl_commands());
    return table;
}

CommandTable::CommandTable(std::vector<CommandInfo> commands) : commands_(std::move(commands)) {}

CommandTable::Match CommandTable::match(std::string_view word, std::string_view prefix) const {
    Match found;
    if (word.empty()) {
        return found;
    }
    for (const auto& command : commands_) {
        const auto [parent, name] = split_name(command.name);
        if (parent != prefix) {
            continue;
        }
        if (name == word || std::find(command.aliases.begin(), command.aliases.end(), word) !=
                                command.aliases.end()) {
            return Match{{&command}, true};
        }
    }
    for (const auto& command : commands_) {
        const auto [parent, name] = split_name(command.name);
        if (parent != prefix) {
            continue;
        }
        // Aliases are whole words only: "e" must not be taken for "exit".
        if (name.starts_with(word)) {
            found.commands.push_back(&command);
        }
    }
    return found;
}

const CommandInfo* CommandTable::find(std::string_view word, std::string_view prefix) const {
    auto found = match(word, prefix);
    return found.commands.size() == 1 ? found.commands.front() : nullptr;
}

Result<std::string> CommandTable::spell_out(std::string_view line) const {
    const std::string_view trimmed = trim_left(line);
    if (trimmed.starts_with('!')) {
        return "shell " + std::string(trimmed.substr(1));
    }
    auto [word, rest] = first_word(trimmed);
    // "x/4gx" and "print/x": the format belongs to the word.
    std::string_view suffix;
    if (const auto slash = word.find('/'); slash != std::string_view::npos && slash > 0) {
        suffix = word.substr(slash);
        word = word.substr(0, slash);
    }
    auto found = match(word, {});
    if (found.commands.empty()) {
        return std::string(line);
    }
    if (found.commands.size() > 1) {
        std::vector<std::string> names;
        names.reserve(found.commands.size());
        for (const auto* command : found.commands) {
            names.push_back(command->name);
        }
        return fail_as(ErrorKind::invalid_input, "Ambiguous command \"{}\": {}.", word,
                       fmt::join(names, ", "));
    }
    const CommandInfo& command = *found.commands.front();
    std::string out = command.name + std::string(suffix);
    if (command.name == "info") {
        auto [sub, more] = first_word(rest);
        auto inner = match(sub, "info");
        if (inner.commands.size() == 1) {
            return inner.commands.front()->name + std::string(more);
        }
        if (inner.commands.size() > 1) {
            std::vector<std::string> names;
            names.reserve(inner.commands.size());
            for (const auto* candidate : inner.commands) {
                names.push_back(std::string(split_name(candidate->name).second));
            }
            return fail_as(ErrorKind::invalid_input, "Ambiguous info command \"{}\": {}.", sub,
                           fmt::join(names, ", "));
        }
    }
    return out + std::string(rest);
}

std::vector<std::string> CommandTable::names_starting(std::string_view partial,
                                                      std::string_view prefix) const {
    std::vector<std::string> names;
    for (const auto& command : commands_) {
        const auto [parent, name] = split_name(command.name);
        if (parent != prefix) {
            continue;
        }
        if (name.starts_with(partial)) {
            names.emplace_back(name);
            continue; // "fin" completes to finish, not to its alias too
        }
        for (const auto& alias : command.aliases) {
            // Short aliases would only crowd the list; a typed one is complete anyway.
            if (alias.size() > 2 && alias.starts_with(partial)) {
                names.push_back(alias);
            }
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

std::string CommandTable::help() const {
    std::vector<std::string> groups;
    for (const auto& command : commands_) {
        if (std::find(groups.begin(), groups.end(), command.group) == groups.end()) {
            groups.push_back(command.group);
        }
    }
    std::string out;
    for (const auto& group : groups) {
        out += group + ":\n";
        for (const auto& command : commands_) {
            if (command.group != group) {
                continue;
            }
            std::string names = command.name;
            if (!command.aliases.empty()) {
                names += fmt::format(" ({})", fmt::join(command.aliases, ", "));
            }
            out += fmt::format("  {:<34} {}\n", names, command.help);
        }
    }
    out += "\n'help COMMAND' shows its usage. A command may be shortened to any unique prefix "
           "(cont, i r, fin); Tab completes commands, symbols, types and members. Ctrl-C stops "
           "a running guest.\n";
    return out;
}

Result<std::string> CommandTable::help(std::string_view command) const {
    auto spelt = spell_out(command);
    if (!spelt) {
        return std::unexpected(spelt.error());
    }
    auto [word, rest] = first_word(*spelt);
    auto [sub, more] = first_word(rest);
    const CommandInfo* found = nullptr;
    for (const auto& candidate : commands_) {
        if (candidate.name == word ||
            (!sub.empty() && candidate.name == fmt::format("{} {}", word, sub))) {
            found = &candidate;
        }
    }
    if (found == nullptr) {
        return fail_as(ErrorKind::invalid_input, "Undefined command: \"{}\".  Try \"help\".",
                       command);
    }
    std::string out = fmt::format("Usage: {}\n{}.\n", found->usage, found->help);
    if (!found->aliases.empty()) {
        out += fmt::format("Aliases: {}.\n", fmt::join(found->aliases, ", "));
    }
    if (found->name == "info") {
        out += "\nSubcommands:\n";
        for (const auto& candidate : commands_) {
            if (split_name(candidate.name).first == "info") {
                out += fmt::format("  {:<34} {}\n", candidate.usage, candidate.help);
            }
        }
    }
    return out;
}

} // namespace kdive::cli
