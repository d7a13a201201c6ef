// Completion inside expressions: what the name being typed can be at that place.
#include "cli/eval_commands.hpp"

#include <algorithm>
#include <cctype>

namespace kdive::cli {

namespace {

bool identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

// Where the postfix expression ending at `end` starts: names, calls, indexing, . and ->.
std::size_t postfix_start(std::string_view text, std::size_t end) {
    int depth = 0;
    std::size_t at = end;
    while (at > 0) {
        const char c = text[at - 1];
        if (c == ')' || c == ']') {
            ++depth;
        } else if (c == '(' || c == '[') {
            if (depth == 0) {
                break;
            }
            --depth;
        } else if (depth == 0 && !identifier_char(c) && c != '.' &&
                   !(c == '>' && at >= 2 && text[at - 2] == '-') &&
                   !(c == '-' && at < text.size() && text[at] == '>')) {
            break;
        }
        --at;
    }
    return at;
}

void add_members(const debuginfo::Type* type, std::string_view partial,
                 std::vector<std::string>& out, debuginfo::DebugInfo& info, int depth = 0) {
    type = debuginfo::strip_typedefs(type);
    if (type == nullptr || depth > 8) {
        return;
    }
    if (type->declaration && !type->name.empty()) {
        const auto tag = type->kind == debuginfo::TypeKind::union_type
                             ? debuginfo::TypeTag::union_tag
                             : debuginfo::TypeTag::struct_tag;
        if (const auto* full = info.find_type(type->name, tag); full != nullptr) {
            type = full;
        }
    }
    if (!type->is_composite()) {
        return;
    }
    for (const auto& member : type->members) {
        if (member.name.empty()) {
            add_members(member.type.get(), partial, out, info, depth + 1); // anonymous union
        } else if (member.name.starts_with(partial)) {
            out.push_back(member.name);
        }
    }
}

} // namespace

const std::vector<std::string>& EvalCommands::sorted_symbols() {
    if (sorted_symbols_.empty()) {
        for (const auto& symbol : info_.symbols().symbols()) {
            if (!symbol.name.empty()) {
                sorted_symbols_.emplace_back(symbol.name);
            }
        }
        std::sort(sorted_symbols_.begin(), sorted_symbols_.end());
        sorted_symbols_.erase(std::unique(sorted_symbols_.begin(), sorted_symbols_.end()),
                              sorted_symbols_.end());
    }
    return sorted_symbols_;
}

std::vector<std::string> EvalCommands::member_names(std::string_view base,
                                                    std::string_view partial) {
    std::vector<std::string> out;
    auto value = evaluate(base);
    if (!value) {
        return out;
    }
    const debuginfo::Type* type = debuginfo::strip_typedefs(value->type());
    if (type != nullptr && type->kind == debuginfo::TypeKind::pointer) {
        type = type->target.get();
    }
    add_members(type, partial, out, info_);
    return out;
}

Completion EvalCommands::complete(std::string_view text) {
    std::size_t start = text.size();
    while (start > 0 && identifier_char(text[start - 1])) {
        --start;
    }
    const std::string_view partial = text.substr(start);
    Completion out{start, {}};
    // A member: "init_task.co", "$lx_current()->pi".
    std::size_t separator = std::string_view::npos;
    if (start >= 1 && text[start - 1] == '.') {
        separator = start - 1;
    } else if (start >= 2 && text.substr(start - 2, 2) == "->") {
        separator = start - 2;
    }
    if (separator != std::string_view::npos) {
        const std::size_t base = postfix_start(text, separator);
        out.candidates = member_names(text.substr(base, separator - base), partial);
    } else {
        // A type after its tag: "struct task_st".
        std::string_view before = text.substr(0, start);
        while (!before.empty() && (before.back() == ' ' || before.back() == '\t')) {
            before.remove_suffix(1);
        }
        std::size_t word = before.size();
        while (word > 0 && identifier_char(before[word - 1])) {
            --word;
        }
        const std::string_view tag = before.substr(word);
        if (tag == "struct" || tag == "union" || tag == "enum") {
            const auto kind = tag == "struct"  ? debuginfo::TypeTag::struct_tag
                              : tag == "union" ? debuginfo::TypeTag::union_tag
                                               : debuginfo::TypeTag::enum_tag;
            for (auto& name : info_.type_names(kind)) {
                if (name.starts_with(partial)) {
                    out.candidates.push_back(std::move(name));
                }
            }
        } else if (partial.starts_with('$')) {
            for (const char* name : {"$lx_current(", "$lx_per_cpu(", "$lx_task_by_pid(",
                                     "$container_of(", "$current(", "$per_cpu(", "$task_by_pid("}) {
                if (std::string_view(name).starts_with(partial)) {
                    out.candidates.emplace_back(name);
                }
            }
        } else if (!partial.empty()) {
            const auto& symbols = sorted_symbols();
            for (auto it = std::lower_bound(symbols.begin(), symbols.end(), partial);
                 it != symbols.end() && it->starts_with(partial); ++it) {
                out.candidates.push_back(*it);
            }
        }
    }
    std::sort(out.candidates.begin(), out.candidates.end());
    out.candidates.erase(std::unique(out.candidates.begin(), out.candidates.end()),
                         out.candidates.end());
    return out;
}

} // namespace kdive::cli
