// The `depends on` and `select` rules of a kernel tree's Kconfig files, read far enough to say
// why an option asked for did not end up in .config.
#pragma once

#include "lab/kconfig_file.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kdive::lab {

struct KconfigDefinition {
    std::string where;                   // file:line of the config entry
    std::vector<std::string> conditions; // own `depends on`, enclosing if/menu/choice ones
    bool has_prompt = false;             // users can set it; otherwise only select/default do
};

struct KconfigSelect {
    std::string by;        // the selecting option
    std::string condition; // its `if` part, empty when unconditional
};

class KconfigRules {
public:
    // Follows `source` from the tree's top Kconfig, with $(SRCARCH) = `srcarch`.
    static Result<KconfigRules> load(const std::filesystem::path& tree,
                                     const std::string& srcarch = "x86");
    // Kconfig text under the name `origin` (for tests); `source` is resolved against `tree`.
    static KconfigRules parse_text(std::string_view text, std::string_view origin);

    bool knows(const std::string& name) const { return definitions_.contains(name); }
    // The other members of the `choice` that `name` belongs to (empty when it is in none):
    // setting one member to y must turn these off, or the old choice wins in olddefconfig.
    std::vector<std::string> choice_siblings(const std::string& name) const;
    // Why `name` could not get `wanted` in `config`: the conditions that evaluate to n, with
    // the values of the options they name. Empty when the rules say nothing useful.
    std::vector<std::string> explain(const std::string& name, const std::string& wanted,
                                     const KconfigFile& config) const;

private:
    friend class KconfigReader;
    std::map<std::string, std::vector<KconfigDefinition>> definitions_;
    std::map<std::string, std::vector<KconfigSelect>> selected_by_;
    std::map<std::string, size_t> choice_of_;
    std::vector<std::vector<std::string>> choices_;
};

// Evaluates a Kconfig expression against a .config: 2 (y), 1 (m) or 0 (n). Options absent from
// the file are n; $(macro) calls, which only Kconfig itself can expand, count as y.
int evaluate_kconfig_expression(std::string_view expression, const KconfigFile& config);

} // namespace kdive::lab
