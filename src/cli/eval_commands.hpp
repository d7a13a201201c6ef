// The expression commands (print, ptype, whatis, info address/symbol/line, list, set var).
#pragma once

#include "cli/command_table.hpp"
#include "debuginfo/debug_info.hpp"
#include "debuginfo/source_files.hpp"
#include "eval/elf_memory.hpp"
#include "eval/expression_evaluator.hpp"
#include "eval/memory_reader.hpp"
#include "eval/scope.hpp"
#include "eval/type_arena.hpp"
#include "eval/value_history.hpp"
#include "eval/value_printer.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kdive::cli {

class EvalCommands {
public:
    // Without a memory source, values are read from the ELF file itself (initial values).
    explicit EvalCommands(debuginfo::DebugInfo& info, eval::MemoryReader* memory = nullptr,
                          eval::RegisterReader* registers = nullptr);

    // nullopt: not one of these commands (let the next handler try); otherwise the output
    // (possibly empty) or the error to show.
    std::optional<Result<std::string>> run(std::string_view line);

    // A location as break/x/info line take it: "start_kernel", "*0xffff…", "*&init_task".
    // nullopt when the text is not a symbol or '*'-expression.
    Result<std::optional<std::uint64_t>> resolve_location(std::string_view text);
    // The address an expression denotes: a pointer's or integer's value, or where an array,
    // function or (with '&') object lives.
    Result<std::uint64_t> address_of_expression(std::string_view expression);
    Result<eval::Value> evaluate(std::string_view expression);

    // "start_kernel () at init/main.c:951" for a code address; empty when unknown.
    std::string describe_code_address(std::uint64_t address);
    // "start_kernel+4" (or "start_kernel" at its first byte) for an address in the kernel or a
    // module's symbols, as GDB writes inside <...>; empty when no symbol covers it.
    std::string symbol_offset(std::uint64_t address);

    void set_memory(eval::MemoryReader* memory);
    void set_registers(eval::RegisterReader* registers) { registers_ = registers; }
    // $name(...) functions offered by other command sets (the kernel's $lx_current()).
    void set_functions(eval::FunctionHooks* functions) { functions_ = functions; }
    // Asked before each evaluation: how far a KASLR kernel sits from its link address.
    void set_load_offset_source(std::function<std::uint64_t()> source) {
        load_offset_source_ = std::move(source);
    }
    void set_source_dir(std::filesystem::path dir) { sources_.set_directory(std::move(dir)); }
    debuginfo::SourceFiles& sources() { return sources_; }
    // "951\t{" for a code address whose source file is on the host; empty otherwise.
    std::string source_line_text(std::uint64_t address);
    // `list` around LINE of FILE (as the debug info names it), remembered for a bare `list`.
    Result<std::string> list_around(std::string_view file, int line);
    // The scope expressions are evaluated in, with the load offset brought up to date (frames
    // add their locals to it and map runtime addresses back to the file through it).
    // Modules' symbols and types, asked after the vmlinux's.
    void set_loaded_images(eval::LoadedImages* images) { scope_.set_loaded_images(images); }
    eval::DebugInfoScope& scope() {
        (void)context();
        return scope_;
    }
    // "$N = text": records the value in the history as print does (finish's return value).
    Result<std::string> print_value(const eval::Value& value);
    // A value as frame lines and `info locals` show it.
    std::string format_nested(const eval::Value& value);
    std::vector<std::string> take_notes() { return info_.take_notes(); }
    // What expressions are evaluated against (scope, types made up, memory, registers,
    // functions), with the load offset brought up to date.
    eval::EvalContext context();

    // The last word of an expression being typed: a member after . or ->, a type name after
    // struct/union/enum, else a symbol or $function.
    Completion complete(std::string_view text);

private:
    std::vector<std::string> member_names(std::string_view base, std::string_view partial);
    const std::vector<std::string>& sorted_symbols();
    Result<std::string> print(std::string_view format, std::string_view expression);
    Result<std::string> print_value(const eval::Value& value, const eval::PrintOptions& options);
    Result<std::string> ptype(std::string_view argument, bool whatis);
    Result<std::string> info_address(std::string_view name);
    Result<std::string> info_symbol(std::string_view expression);
    Result<std::string> info_line(std::string_view location);
    Result<std::string> list(std::string_view location);
    // Lines FIRST..LAST of FILE (clamped to the file), or GDB's "No such file" line.
    Result<std::string> list_lines(std::string_view file, int first, int last);
    Result<std::string> set_source_option(std::string_view rest);
    std::string source_name(const debuginfo::SourceLine& line) const;

    debuginfo::DebugInfo& info_;
    eval::DebugInfoScope scope_;
    eval::TypeArena arena_;
    eval::ValueHistory history_;
    eval::ElfMemory file_memory_;
    eval::MemoryReader* memory_;
    eval::RegisterReader* registers_;
    eval::FunctionHooks* functions_ = nullptr;
    std::function<std::uint64_t()> load_offset_source_;
    debuginfo::SourceFiles sources_;
    std::string listed_file_; // what a bare `list` continues
    int listed_last_ = 0;
    std::vector<std::string> sorted_symbols_; // built on the first completion
};

} // namespace kdive::cli
