// Parses expression command lines and formats their answers like GDB.
#include "cli/eval_commands.hpp"

#include "cli/kernel_commands.hpp"
#include "eval/expression_parser.hpp"
#include "eval/type_printer.hpp"
#include "eval/value_printer.hpp"
#include "support/guest_text.hpp"
#include "support/text.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace kdive::cli {

using debuginfo::strip_typedefs;
using debuginfo::TypeKind;

namespace {

// A runtime address's source line, from a module's debug info when a module holds it.
std::optional<debuginfo::SourceLine> line_at(debuginfo::DebugInfo& info,
                                             eval::DebugInfoScope& scope, std::uint64_t address) {
    const std::uint64_t file_address = scope.to_file_address(address);
    if (auto* images = scope.loaded_images();
        images != nullptr && info.elf().section_at(file_address) == nullptr) {
        if (auto where = images->describe(address)) {
            return where->line;
        }
    }
    return info.source_line(file_address);
}

// Splits "print/x foo" into ("print", "x", "foo") and "p /x foo" likewise.
struct CommandLine {
    std::string_view word;
    std::string_view format;
    std::string_view rest;
};

CommandLine split(std::string_view line) {
    line = trim(line);
    std::size_t end = 0;
    while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end])) &&
           line[end] != '/') {
        ++end;
    }
    CommandLine out{line.substr(0, end), {}, trim(line.substr(end))};
    if (!out.rest.empty() && out.rest.front() == '/') {
        std::size_t f = 1;
        while (f < out.rest.size() && std::isalnum(static_cast<unsigned char>(out.rest[f]))) {
            ++f;
        }
        out.format = out.rest.substr(1, f - 1);
        out.rest = trim(out.rest.substr(f));
    }
    return out;
}

bool starts_with_word(std::string_view text, std::string_view word) {
    return text.substr(0, word.size()) == word &&
           (text.size() == word.size() ||
            std::isspace(static_cast<unsigned char>(text[word.size()])));
}

} // namespace

EvalCommands::EvalCommands(debuginfo::DebugInfo& info, eval::MemoryReader* memory,
                           eval::RegisterReader* registers)
    : info_(info), scope_(info), file_memory_(info.elf()),
      memory_(memory != nullptr ? memory : &file_memory_), registers_(registers) {}

void EvalCommands::set_memory(eval::MemoryReader* memory) {
    memory_ = memory != nullptr ? memory : &file_memory_;
}

std::string EvalCommands::describe_code_address(std::uint64_t address) {
    (void)context(); // brings the load offset up to date
    if (auto* images = scope_.loaded_images();
        images != nullptr && info_.elf().section_at(scope_.to_file_address(address)) == nullptr) {
        auto where = images->describe(address);
        if (!where || where->symbol.empty()) {
            return {};
        }
        std::string text = fmt::format("{} ()", where->symbol);
        if (where->line) {
            text += fmt::format(" at {}:{}", where->line->file, where->line->line);
        }
        return text + fmt::format(" [{}]", where->image);
    }
    std::uint64_t file_address = scope_.to_file_address(address);
    auto found = info_.symbols().lookup(file_address);
    if (!found) {
        return {};
    }
    std::string text = fmt::format("{} ()", found->symbol->name);
    if (auto line = info_.source_line(file_address)) {
        text += fmt::format(" at {}:{}", line->file, line->line);
    }
    return text;
}

std::string EvalCommands::symbol_offset(std::uint64_t address) {
    (void)context(); // brings the load offset up to date
    const auto label = [](std::string_view name, std::uint64_t offset) {
        return offset == 0 ? std::string(name) : fmt::format("{}+{}", name, offset);
    };
    const std::uint64_t file_address = scope_.to_file_address(address);
    if (info_.elf().section_at(file_address) != nullptr) {
        auto found = info_.symbols().lookup(file_address);
        return found ? label(found->symbol->name, found->offset) : std::string();
    }
    if (auto* images = scope_.loaded_images()) {
        if (auto where = images->describe(address); where && !where->symbol.empty()) {
            return label(where->symbol, where->offset);
        }
    }
    return {};
}

eval::EvalContext EvalCommands::context() {
    if (load_offset_source_) {
        scope_.set_load_offset(load_offset_source_());
    }
    return eval::EvalContext{
        scope_, arena_, history_, memory_, registers_, functions_, &info_.architecture()};
}

std::optional<Result<std::string>> EvalCommands::run(std::string_view line) {
    const CommandLine command = split(line);
    const std::string_view word = command.word;
    if (word == "p" || word == "print" || word == "inspect" || word == "output") {
        return print(command.format, command.rest);
    }
    if (word == "ptype" || word == "whatis") {
        return ptype(command.rest, word == "whatis");
    }
    if (word == "list" || word == "l") {
        if (is_list_walk(command.rest)) {
            return std::nullopt; // crash's list walk: the kernel commands take it
        }
        return list(command.rest);
    }
    if (word == "set") {
        std::string_view rest = command.rest;
        if (starts_with_word(rest, "substitute-path")) {
            return set_source_option(rest);
        }
        if (starts_with_word(rest, "var") || starts_with_word(rest, "variable")) {
            rest = trim(rest.substr(rest.find_first_of(" \t")));
        } else if (rest.empty() || rest.front() != '$') {
            return std::nullopt; // other "set" commands belong to someone else
        }
        auto value = evaluate(rest);
        if (!value) {
            return std::unexpected(value.error());
        }
        return std::string();
    }
    if (word == "directory" || word == "dir") {
        // The whole rest: split() would take a leading '/' for a print format.
        const std::string_view dir = trim(trim(line).substr(word.size()));
        if (!dir.empty()) {
            sources_.set_directory(std::string(dir));
        }
        return fmt::format("Source directories searched: {}",
                           sources_.directory().empty() ? "(none)" : sources_.directory().string());
    }
    if (word == "show" && trim(command.rest) == "substitute-path") {
        std::string out = "List of all source path substitution rules:";
        for (const auto& [from, to] : sources_.substitutions()) {
            out += fmt::format("\n  `{}' -> `{}'.", from, to);
        }
        return out;
    }
    if (word == "info" || word == "i") {
        const CommandLine sub = split(command.rest);
        if (sub.word == "address" || sub.word == "addr") {
            return info_address(sub.rest);
        }
        if (sub.word == "symbol" || sub.word == "sym") {
            return info_symbol(sub.rest);
        }
        if (sub.word == "line") {
            return info_line(sub.rest);
        }
    }
    return std::nullopt;
}

Result<eval::Value> EvalCommands::evaluate(std::string_view expression) {
    eval::ExpressionParser parser(scope_, arena_);
    auto parsed = parser.parse_expression(expression);
    if (!parsed) {
        return std::unexpected(parsed.error());
    }
    eval::ExpressionEvaluator evaluator(context());
    return evaluator.evaluate(**parsed);
}

Result<std::string> EvalCommands::print(std::string_view format, std::string_view expression) {
    eval::PrintOptions options;
    for (char c : format) {
        if (std::isdigit(static_cast<unsigned char>(c))) {
            continue;
        }
        if (std::string_view("xduotacsz").find(c) == std::string_view::npos) {
            return fail("Undefined output format \"{}\".", c);
        }
        options.format = c;
    }
    Result<eval::Value> value = expression.empty() ? history_.relative(0) : evaluate(expression);
    if (!value) {
        return std::unexpected(value.error());
    }
    return print_value(*value, options);
}

Result<std::string> EvalCommands::print_value(const eval::Value& value) {
    return print_value(value, eval::PrintOptions{});
}

std::string EvalCommands::format_nested(const eval::Value& value) {
    eval::ValuePrinter printer(scope_, memory_);
    auto text = printer.format_nested(value);
    return text ? *text : fmt::format("<error: {}>", text.error().message);
}

Result<std::string> EvalCommands::print_value(const eval::Value& original,
                                              const eval::PrintOptions& options) {
    const eval::Value* value = &original;
    eval::ValuePrinter printer(scope_, memory_, options);
    auto text = printer.format(*value);
    if (!text) {
        return std::unexpected(text.error());
    }
    // History keeps a snapshot, as GDB does: later $N shows the value as printed.
    eval::Value snapshot = *value;
    if (auto bytes = value->bytes(memory_); bytes && value->bit_size() == 0) {
        snapshot = value->address() ? *value : eval::Value::computed(value->type(), **bytes);
    }
    const std::size_t number = history_.record(snapshot);
    return fmt::format("${} = {}", number, *text);
}

Result<std::string> EvalCommands::ptype(std::string_view argument, bool whatis) {
    if (argument.empty()) {
        return fail("Argument required (one or more choice items).");
    }
    eval::ExpressionParser parser(scope_, arena_);
    auto type = parser.parse_type_name(argument);
    if (!type) {
        return std::unexpected(type.error());
    }
    if (*type) {
        const debuginfo::Type* t = **type;
        if (whatis) {
            // whatis on a typedef name peels exactly one level, as GDB does.
            if (t->kind == TypeKind::typedef_type) {
                t = t->target.get();
            }
            return "type = " + eval::format_declaration(t, "", -1);
        }
        return "type = " + eval::format_declaration(t, "", 1);
    }
    auto parsed = parser.parse_expression(argument);
    if (!parsed) {
        return std::unexpected(parsed.error());
    }
    eval::ExpressionEvaluator evaluator(context());
    auto value = evaluator.evaluate_type_only(**parsed);
    if (!value) {
        return std::unexpected(value.error());
    }
    return "type = " + eval::format_declaration(value->type(), "", whatis ? -1 : 1);
}

Result<std::string> EvalCommands::info_address(std::string_view name) {
    name = trim(name);
    if (name.empty()) {
        return fail("Argument required.");
    }
    auto variable = info_.find_variable(name);
    if (!variable) {
        if (info_.find_enumerator(name)) {
            return fmt::format("Symbol \"{}\" is constant.", name);
        }
        return std::unexpected(variable.error());
    }
    if (variable->is_function) {
        return fmt::format("Symbol \"{}\" is a function at address {:#x}.", name,
                           variable->address);
    }
    return fmt::format("Symbol \"{}\" is static storage at address {:#x}.", name,
                       variable->address);
}

Result<std::string> EvalCommands::info_symbol(std::string_view expression) {
    if (trim(expression).empty()) {
        return fail("Argument required (address).");
    }
    auto address = address_of_expression(expression);
    if (!address) {
        return std::unexpected(address.error());
    }
    if (auto* images = scope_.loaded_images();
        images != nullptr && info_.elf().section_at(scope_.to_file_address(*address)) == nullptr) {
        if (auto where = images->describe(*address); where && !where->symbol.empty()) {
            if (where->offset == 0) {
                return fmt::format("{} in section {} of {}", where->symbol, where->section,
                                   where->image);
            }
            return fmt::format("{} + {} in section {} of {}", where->symbol, where->offset,
                               where->section, where->image);
        }
    }
    auto found = info_.symbols().lookup(scope_.to_file_address(*address));
    if (!found) {
        return fmt::format("No symbol matches {}.", trim(expression));
    }
    std::string section;
    const auto& sections = info_.elf().sections();
    if (found->symbol->section_index > 0 && found->symbol->section_index <= sections.size()) {
        section = sections[found->symbol->section_index - 1].name;
    }
    if (found->offset == 0) {
        return fmt::format("{} in section {}", found->symbol->name, section);
    }
    return fmt::format("{} + {} in section {}", found->symbol->name, found->offset, section);
}

Result<std::optional<std::uint64_t>> EvalCommands::resolve_location(std::string_view text) {
    text = trim(text);
    if (text.empty()) {
        return std::optional<std::uint64_t>();
    }
    if (text.front() == '*') {
        auto address = address_of_expression(text.substr(1));
        if (!address) {
            return std::unexpected(address.error());
        }
        return std::optional<std::uint64_t>(*address);
    }
    // Through the scope: relocated under KASLR, and module symbols too.
    (void)context();
    if (auto variable = scope_.find_variable(text)) {
        return std::optional<std::uint64_t>(variable->address);
    }
    return std::optional<std::uint64_t>();
}

Result<std::uint64_t> EvalCommands::address_of_expression(std::string_view expression) {
    auto value = evaluate(expression);
    if (!value) {
        return std::unexpected(value.error());
    }
    const debuginfo::Type* type = strip_typedefs(value->type());
    if (type->kind == TypeKind::array || type->kind == TypeKind::function) {
        if (!value->address()) {
            return fail("Attempt to take address of value not located in memory.");
        }
        return *value->address();
    }
    if (!type->is_scalar()) {
        return fail("{} is not an address (its type is {})", trim(expression),
                    eval::type_name(value->type()));
    }
    return value->as_bits(memory_);
}

Result<std::string> EvalCommands::info_line(std::string_view location) {
    auto address = resolve_location(location);
    if (!address) {
        return std::unexpected(address.error());
    }
    if (!*address) {
        if (trim(location).empty()) {
            return fail("Argument required (location).");
        }
        return fail("Function \"{}\" not defined.", trim(location));
    }
    const auto describe = [&](std::uint64_t at) {
        auto name = scope_.symbolize(at);
        return name ? fmt::format("{:#x} <{}>", at, *name) : fmt::format("{:#x}", at);
    };
    auto line = line_at(info_, scope_, **address);
    if (!line) {
        if (!info_.has_dwarf()) {
            return fmt::format("No line number information available for address {} (this "
                               "file has no DWARF line tables)",
                               describe(**address));
        }
        return fmt::format("No line number information available for address {}",
                           describe(**address));
    }
    // The line table speaks link-time addresses; show them where the kernel runs (KASLR).
    const std::uint64_t shift = **address - scope_.to_file_address(**address);
    return fmt::format("Line {} of \"{}\" starts at address {} and ends at {}.", line->line,
                       line->file, describe(line->start + shift), describe(line->end + shift));
}

Result<std::string> EvalCommands::list_lines(std::string_view file, int first, int last) {
    first = std::max(1, first);
    listed_file_ = std::string(file);
    const auto path = sources_.find(file);
    const std::vector<std::string>* lines = path ? sources_.lines(*path) : nullptr;
    if (lines == nullptr) {
        listed_last_ = last;
        return fmt::format("{}\t{}: No such file or directory.\n(kdive looks in the source "
                           "directory{}; `directory DIR` or `set substitute-path FROM TO` "
                           "points it at the kernel's source tree)",
                           first, file,
                           sources_.directory().empty()
                               ? " (none is set)"
                               : fmt::format(" {}", sources_.directory().string()));
    }
    const int count = static_cast<int>(lines->size());
    if (first > count) {
        return fail("Line number {} out of range; \"{}\" has {} lines.", first, file, count);
    }
    last = std::min(last, count);
    std::string out;
    for (int n = first; n <= last; ++n) {
        out += fmt::format("{}\t{}\n", n, (*lines)[static_cast<std::size_t>(n - 1)]);
    }
    listed_last_ = last;
    out.pop_back();
    return terminal_text(out, TerminalText::message);
}

Result<std::string> EvalCommands::list_around(std::string_view file, int line) {
    return list_lines(file, line - 5, std::max(1, line - 5) + 9);
}

Result<std::string> EvalCommands::list(std::string_view location) {
    location = trim(location);
    if (location.empty()) {
        if (listed_file_.empty()) {
            return fail("No default source file: list FUNCTION, list FILE:LINE, or stop the "
                        "guest first.");
        }
        return list_lines(listed_file_, listed_last_ + 1, listed_last_ + 10);
    }
    const auto all_digits = [](std::string_view text) {
        return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
        });
    };
    if (all_digits(location)) {
        if (listed_file_.empty()) {
            return fail("No default source file: list FILE:LINE.");
        }
        return list_around(listed_file_, std::stoi(std::string(location)));
    }
    if (const auto colon = location.rfind(':');
        colon != std::string_view::npos && all_digits(location.substr(colon + 1))) {
        return list_around(location.substr(0, colon),
                           std::stoi(std::string(location.substr(colon + 1))));
    }
    auto address = resolve_location(location);
    if (!address) {
        return std::unexpected(address.error());
    }
    if (!*address) {
        return fail("Function \"{}\" not defined.", location);
    }
    auto line = line_at(info_, scope_, **address);
    if (!line) {
        return fail("No line number known for {}.", location);
    }
    return list_around(source_name(*line), line->line);
}

std::string EvalCommands::source_name(const debuginfo::SourceLine& line) const {
    // The name as the debug info gives it maps through the directory and substitutions; the
    // unit's absolute path is the fallback (a vmlinux built on this host).
    if (line.file.empty() || (!sources_.find(line.file) && sources_.find(line.full_path))) {
        return line.full_path;
    }
    return line.file;
}

std::string EvalCommands::source_line_text(std::uint64_t address) {
    (void)context();
    auto line = line_at(info_, scope_, address);
    if (!line || line->line <= 0) {
        return {};
    }
    auto path = sources_.find(source_name(*line));
    const std::vector<std::string>* lines = path ? sources_.lines(*path) : nullptr;
    if (lines == nullptr || static_cast<std::size_t>(line->line) > lines->size()) {
        return {};
    }
    listed_file_ = source_name(*line);
    listed_last_ = line->line + 4;
    return terminal_text(
        fmt::format("{}\t{}", line->line, (*lines)[static_cast<std::size_t>(line->line - 1)]),
        TerminalText::message);
}

Result<std::string> EvalCommands::set_source_option(std::string_view rest) {
    const CommandLine option = split(rest);
    std::vector<std::string> words;
    std::istringstream in{std::string(option.rest)};
    for (std::string word; in >> word;) {
        words.push_back(word);
    }
    if (words.size() != 2) {
        return fail_as(ErrorKind::invalid_input, "usage: set substitute-path FROM TO");
    }
    sources_.substitute(words[0], words[1]);
    return std::string();
}

} // namespace kdive::cli
