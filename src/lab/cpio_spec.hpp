// Parser for the kernel's gen_init_cpio list format (usr/gen_init_cpio.c).
#pragma once

#include "lab/cpio_archive.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kdive::lab {

// Looks up ${VAR} in file locations; the default reads the process environment.
using VariableLookup = std::function<std::optional<std::string>(const std::string&)>;

struct CpioSpecOptions {
    std::string origin = "<spec>"; // shown in errors as origin:line
    VariableLookup lookup;
    std::filesystem::path base_dir; // relative file locations resolve against this
};

// Parses the list: file, dir, nod, slink, pipe, sock lines, '#' comments and blank lines.
// Files are read while parsing, so a missing source is reported at its line.
Result<std::vector<CpioEntry>> parse_cpio_spec(std::string_view text,
                                               const CpioSpecOptions& options);

// Expands ${VAR} references; an undefined variable is an error naming it.
Result<std::string> expand_variables(std::string_view text, const VariableLookup& lookup);

} // namespace kdive::lab
