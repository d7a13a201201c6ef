// Kconfig reading: entries, `depends on`, `if` blocks, menus, choices, `select`; help skipped.
#include "lab/kconfig_rules.hpp"

#include "support/atomic_file.hpp"
#include "support/text.hpp"

#include <cctype>
#include <charconv>
#include <fmt/format.h>
#include <glob.h>
#include <optional>

namespace kdive::lab {

namespace fs = std::filesystem;

namespace {

// A tiny recursive-descent evaluator over Kconfig's expression grammar.
class ExpressionEvaluator {
public:
    ExpressionEvaluator(std::string_view text, const KconfigFile& config)
        : text_(text), config_(config) {}

    int run() {
        int value = parse_or();
        return value;
    }

private:
    void skip_space() {
        while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
            ++pos_;
    }
    bool take(std::string_view token) {
        skip_space();
        if (text_.substr(pos_).starts_with(token)) {
            pos_ += token.size();
            return true;
        }
        return false;
    }
    int parse_or() {
        int value = parse_and();
        while (take("||"))
            value = std::max(value, parse_and());
        return value;
    }
    int parse_and() {
        int value = parse_unary();
        while (take("&&"))
            value = std::min(value, parse_unary());
        return value;
    }
    int parse_unary() {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == '!' && !text_.substr(pos_).starts_with("!=")) {
            ++pos_;
            return 2 - parse_unary();
        }
        if (take("(")) {
            int value = parse_or();
            take(")");
            return value;
        }
        auto left = parse_term();
        for (std::string_view op : {"!=", "<=", ">=", "=", "<", ">"}) {
            if (take(op)) {
                auto right = parse_term();
                return compare(left, op, right) ? 2 : 0;
            }
        }
        if (!left.symbol)
            return 2; // a macro or bare string: nothing we can judge
        return tristate(left.value);
    }

    struct Term {
        std::string value;
        bool symbol = false;
    };

    Term parse_term() {
        skip_space();
        if (pos_ >= text_.size())
            return {};
        if (text_[pos_] == '"') {
            size_t end = text_.find('"', pos_ + 1);
            end = end == std::string_view::npos ? text_.size() : end;
            Term t{std::string(text_.substr(pos_ + 1, end - pos_ - 1)), false};
            pos_ = std::min(end + 1, text_.size());
            return t;
        }
        if (text_.substr(pos_).starts_with("$(")) {
            int depth = 0;
            for (; pos_ < text_.size(); ++pos_) {
                if (text_[pos_] == '(')
                    ++depth;
                else if (text_[pos_] == ')' && --depth == 0) {
                    ++pos_;
                    break;
                }
            }
            return {"y", false};
        }
        size_t start = pos_;
        while (pos_ < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
            ++pos_;
        std::string word(text_.substr(start, pos_ - start));
        if (word == "y" || word == "m" || word == "n")
            return {word, true};
        bool numeric = !word.empty() && std::isdigit(static_cast<unsigned char>(word[0]));
        if (numeric)
            return {word, false};
        auto value = config_.value(word);
        std::string v = value ? *value : "n";
        if (auto unquoted = kconfig_unquote(v))
            v = *unquoted;
        return {v, true};
    }

    static int tristate(const std::string& v) { return v == "y" ? 2 : v == "m" ? 1 : 0; }
    static std::optional<long long> number(const std::string& v) {
        long long n = 0;
        int base = v.starts_with("0x") ? 16 : 10;
        const char* begin = v.data() + (base == 16 ? 2 : 0);
        auto [end, ec] = std::from_chars(begin, v.data() + v.size(), n, base);
        if (ec != std::errc() || end != v.data() + v.size())
            return std::nullopt;
        return n;
    }
    static bool compare(const Term& a, std::string_view op, const Term& b) {
        auto x = number(a.value);
        auto y = number(b.value);
        int order = 0;
        if (x && y)
            order = *x < *y ? -1 : *x > *y ? 1 : 0;
        else
            order = a.value.compare(b.value) < 0 ? -1 : a.value == b.value ? 0 : 1;
        if (op == "=")
            return order == 0;
        if (op == "!=")
            return order != 0;
        if (op == "<")
            return order < 0;
        if (op == ">")
            return order > 0;
        if (op == "<=")
            return order <= 0;
        return order >= 0;
    }

    std::string_view text_;
    const KconfigFile& config_;
    size_t pos_ = 0;
};

// "A && (B || C) && !D" → {"A", "(B || C)", "!D"}: the parts that must all hold.
std::vector<std::string> conjuncts(std::string_view expression) {
    std::vector<std::string> parts;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < expression.size(); ++i) {
        char c = expression[i];
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        if (depth == 0 && expression.substr(i).starts_with("&&")) {
            parts.emplace_back(trim(expression.substr(start, i - start)));
            start = i + 2;
            ++i;
        }
    }
    parts.emplace_back(trim(expression.substr(start)));
    return parts;
}

// The option names an expression mentions, with their values: "BPF_SYSCALL=n".
std::string option_values(std::string_view expression, const KconfigFile& config) {
    std::string out;
    for (size_t i = 0; i < expression.size();) {
        if (expression.substr(i).starts_with("$(")) {
            auto close = expression.find(')', i);
            i = close == std::string_view::npos ? expression.size() : close + 1;
            continue;
        }
        if (!(std::isupper(static_cast<unsigned char>(expression[i])) || expression[i] == '_')) {
            ++i;
            continue;
        }
        size_t start = i;
        while (i < expression.size() &&
               (std::isalnum(static_cast<unsigned char>(expression[i])) || expression[i] == '_'))
            ++i;
        std::string name(expression.substr(start, i - start));
        auto v = config.value(name);
        std::string item = fmt::format("{}={}", name, v ? *v : "n");
        if (out.find(item) == std::string::npos)
            out += (out.empty() ? "" : ", ") + item;
    }
    return out;
}

int indentation(std::string_view line) {
    int column = 0;
    for (char c : line) {
        if (c == ' ')
            ++column;
        else if (c == '\t')
            column = (column / 8 + 1) * 8;
        else
            break;
    }
    return column;
}

bool starts_with_word(std::string_view line, std::string_view word) {
    return line.starts_with(word) && (line.size() == word.size() ||
                                      std::isspace(static_cast<unsigned char>(line[word.size()])));
}

std::string rest_after(std::string_view line, std::string_view word) {
    return std::string(trim(line.substr(word.size())));
}

} // namespace

// Reads Kconfig files into the rules: one instance per load, following `source` recursively.
class KconfigReader {
public:
    KconfigReader(KconfigRules& rules, fs::path tree, std::string srcarch)
        : rules_(rules), tree_(std::move(tree)), srcarch_(std::move(srcarch)) {}

    void read_file(const fs::path& relative, const std::vector<std::string>& inherited) {
        auto text = kdive::read_file(tree_ / relative);
        if (!text)
            return; // osource, or a file this tree does not ship
        read_text(*text, relative.string(), inherited);
    }

    void read_text(std::string_view text, const std::string& origin,
                   const std::vector<std::string>& inherited) {
        // Each block (if, menu, choice) adds conditions for everything inside it.
        struct Block {
            std::string kind;
            std::vector<std::string> conditions;
            size_t choice = 0; // index into choices_ for a choice block
        };
        std::vector<Block> blocks{{"file", inherited}};
        std::string current; // the config entry being read
        KconfigDefinition* definition = nullptr;
        bool block_header = false; // `depends on` right after menu/choice belongs to it
        int help_indent = -1;      // inside help text: its indentation, or 0 before known
        bool in_help = false;
        auto all_conditions = [&blocks] {
            std::vector<std::string> out;
            for (const auto& b : blocks)
                out.insert(out.end(), b.conditions.begin(), b.conditions.end());
            return out;
        };
        size_t number = 0;
        std::string pending;
        while (!text.empty()) {
            auto nl = text.find('\n');
            std::string_view raw = text.substr(0, nl);
            text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
            ++number;
            if (in_help) {
                if (trim(raw).empty())
                    continue;
                int indent = indentation(raw);
                if (help_indent < 0)
                    help_indent = indent;
                if (indent >= help_indent && indent > 0)
                    continue;
                in_help = false;
            }
            if (raw.ends_with('\\')) {
                pending += std::string(raw.substr(0, raw.size() - 1)) + " ";
                continue;
            }
            std::string joined = pending + std::string(raw);
            pending.clear();
            std::string_view line = trim(joined);
            if (auto hash = line.find('#');
                hash != std::string_view::npos && line.find('"') == std::string_view::npos)
                line = trim(line.substr(0, hash));
            if (line.empty())
                continue;
            if (line == "help" || line == "---help---") {
                in_help = true;
                help_indent = -1;
                continue;
            }
            if (starts_with_word(line, "config") || starts_with_word(line, "menuconfig")) {
                current = rest_after(line, line.starts_with("config") ? "config" : "menuconfig");
                auto& defs = rules_.definitions_[current];
                defs.push_back({fmt::format("{}:{}", origin, number), all_conditions(), false});
                definition = &defs.back();
                block_header = false;
                for (auto b = blocks.rbegin(); b != blocks.rend(); ++b) {
                    if (b->kind == "menu")
                        break;
                    if (b->kind == "choice") {
                        rules_.choice_of_[current] = b->choice;
                        rules_.choices_[b->choice].push_back(current);
                        break;
                    }
                }
                continue;
            }
            if (starts_with_word(line, "if")) {
                blocks.push_back({"if", {rest_after(line, "if")}});
                definition = nullptr;
                continue;
            }
            if (starts_with_word(line, "menu") || line == "choice" ||
                starts_with_word(line, "choice")) {
                bool menu = line.starts_with("menu");
                blocks.push_back({menu ? "menu" : "choice", {}, rules_.choices_.size()});
                if (!menu)
                    rules_.choices_.emplace_back();
                definition = nullptr;
                block_header = true;
                continue;
            }
            if (line == "endif" || line == "endmenu" || line == "endchoice") {
                if (blocks.size() > 1)
                    blocks.pop_back();
                definition = nullptr;
                block_header = false;
                continue;
            }
            if (starts_with_word(line, "comment") || starts_with_word(line, "mainmenu")) {
                definition = nullptr;
                block_header = false;
                continue;
            }
            if (starts_with_word(line, "source") || starts_with_word(line, "osource") ||
                starts_with_word(line, "rsource") || starts_with_word(line, "orsource")) {
                definition = nullptr;
                std::string path = rest_after(line, line.substr(0, line.find_first_of(" \t")));
                if (path.size() >= 2 && path.front() == '"')
                    path = path.substr(1, path.size() - 2);
                for (std::string var : {"$(SRCARCH)", "$(HEADER_ARCH)", "$(ARCH)"}) {
                    for (size_t at; (at = path.find(var)) != std::string::npos;)
                        path.replace(at, var.size(), srcarch_);
                }
                if (line.starts_with("rsource") || line.starts_with("orsource"))
                    path = (fs::path(origin).parent_path() / path).string();
                source(path, all_conditions());
                continue;
            }
            if (starts_with_word(line, "depends")) {
                std::string expression = rest_after(line, "depends");
                if (expression.starts_with("on"))
                    expression = std::string(trim(std::string_view(expression).substr(2)));
                if (definition)
                    definition->conditions.push_back(expression);
                else if (block_header)
                    blocks.back().conditions.push_back(expression);
                continue;
            }
            if (!definition)
                continue;
            if (starts_with_word(line, "select")) {
                std::string target = rest_after(line, "select");
                std::string condition;
                if (auto at = target.find(" if "); at != std::string::npos) {
                    condition = std::string(trim(std::string_view(target).substr(at + 4)));
                    target = std::string(trim(std::string_view(target).substr(0, at)));
                }
                rules_.selected_by_[target].push_back({current, condition});
                continue;
            }
            for (std::string_view type : {"bool", "tristate", "string", "int", "hex", "prompt"}) {
                if (starts_with_word(line, type) && line.find('"') != std::string_view::npos)
                    definition->has_prompt = true;
            }
        }
    }

private:
    void source(const std::string& path, const std::vector<std::string>& conditions) {
        if (path.find('*') == std::string::npos) {
            read_file(path, conditions);
            return;
        }
        glob_t found{};
        if (glob((tree_ / path).c_str(), 0, nullptr, &found) == 0) {
            for (size_t i = 0; i < found.gl_pathc; ++i)
                read_file(fs::relative(found.gl_pathv[i], tree_), conditions);
        }
        globfree(&found);
    }

    KconfigRules& rules_;
    fs::path tree_;
    std::string srcarch_;
};

Result<KconfigRules> KconfigRules::load(const fs::path& tree, const std::string& srcarch) {
    if (!fs::exists(tree / "Kconfig"))
        return fail("{} has no Kconfig: not a kernel source tree", tree.string());
    KconfigRules rules;
    KconfigReader reader(rules, tree, srcarch);
    reader.read_file("Kconfig", {});
    return rules;
}

KconfigRules KconfigRules::parse_text(std::string_view text, std::string_view origin) {
    KconfigRules rules;
    KconfigReader reader(rules, fs::path(), "x86");
    reader.read_text(text, std::string(origin), {});
    return rules;
}

std::vector<std::string> KconfigRules::choice_siblings(const std::string& name) const {
    std::vector<std::string> siblings;
    auto found = choice_of_.find(name);
    if (found == choice_of_.end())
        return siblings;
    for (const auto& member : choices_[found->second]) {
        if (member != name)
            siblings.push_back(member);
    }
    return siblings;
}

int evaluate_kconfig_expression(std::string_view expression, const KconfigFile& config) {
    return ExpressionEvaluator(expression, config).run();
}

std::vector<std::string> KconfigRules::explain(const std::string& name, const std::string& wanted,
                                               const KconfigFile& config) const {
    std::vector<std::string> reasons;
    auto defs = definitions_.find(name);
    if (defs == definitions_.end()) {
        reasons.push_back("no such option in this tree's Kconfig");
        return reasons;
    }
    if (wanted == "n") {
        // Something still selects it.
        if (auto sel = selected_by_.find(name); sel != selected_by_.end()) {
            for (const auto& s : sel->second) {
                if (evaluate_kconfig_expression(s.by, config) > 0 &&
                    (s.condition.empty() || evaluate_kconfig_expression(s.condition, config) > 0))
                    reasons.push_back(fmt::format("selected by {}", s.by));
            }
        }
        return reasons;
    }
    for (const auto& def : defs->second) {
        for (const auto& condition : def.conditions) {
            if (evaluate_kconfig_expression(condition, config) > 0)
                continue;
            for (const auto& part : conjuncts(condition)) {
                if (evaluate_kconfig_expression(part, config) > 0)
                    continue;
                std::string values = option_values(part, config);
                reasons.push_back(values.empty() ? fmt::format("depends on {}", part)
                                                 : fmt::format("depends on {} ({})", part, values));
            }
        }
        if (reasons.empty() && !def.has_prompt)
            reasons.push_back(
                fmt::format("has no prompt ({}): only select or a default sets it", def.where));
    }
    return reasons;
}

} // namespace kdive::lab
