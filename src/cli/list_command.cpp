// `list` (crash's): a kernel linked list walked by its next pointers, each entry's address and,
// with -s, members of the structure it is embedded in, printed by the value printer.
#include "cli/eval_commands.hpp"
#include "cli/kernel_commands.hpp"
#include "cli/kernel_output.hpp"
#include "kernel/list_walker.hpp"
#include "support/text.hpp"

#include <algorithm>
#include <cctype>

namespace kdive::cli {

namespace {

// "task_struct.tasks" -> {"task_struct", "tasks"}; no dot: the whole text and "".
std::pair<std::string, std::string> split_struct(std::string_view text) {
    if (text.starts_with("struct ")) {
        text.remove_prefix(7);
    }
    const auto dot = text.find('.');
    if (dot == std::string_view::npos) {
        return {std::string(text), ""};
    }
    return {std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
}

} // namespace

Result<std::uint64_t> KernelCommands::address_argument(std::string_view command,
                                                       std::string_view text) {
    if (auto number = parse_unsigned(text)) {
        return *number;
    }
    // crash's habit: a bare hexadecimal address, as its own output prints them.
    if (text.size() >= 8 &&
        std::ranges::all_of(text, [](unsigned char c) { return std::isxdigit(c) != 0; })) {
        return parse_unsigned(fmt::format("0x{}", text)).value_or(0);
    }
    if (eval_ != nullptr) {
        auto value = eval_->evaluate(text);
        if (!value) {
            return wrap(value.error(), fmt::format("{}: '{}'", command, text));
        }
        // A list_head (or any structure) names its own address; a pointer or number its value.
        const auto* type = value->resolved_type();
        if (value->address() && type != nullptr &&
            (type->kind == debuginfo::TypeKind::structure ||
             type->kind == debuginfo::TypeKind::union_type)) {
            return *value->address();
        }
        auto bits = value->as_bits(&memory_);
        if (!bits) {
            return wrap(bits.error(), fmt::format("{}: '{}'", command, text));
        }
        return *bits;
    }
    return (*kernel())->address_of(text);
}

Result<std::string> KernelCommands::list(std::vector<std::string>& args, bool json) {
    kernel::ListWalk walk;
    if (auto head = std::ranges::find(args, "-H"); head != args.end()) {
        walk.head = true;
        args.erase(head);
    }
    auto offset_option = take_value(args, "-o", "list");
    auto show_option = take_value(args, "-s", "list");
    auto count_option = take_value(args, "-c", "list");
    for (const auto* option : {&offset_option, &show_option, &count_option}) {
        if (!*option) {
            return std::unexpected(option->error());
        }
    }
    const std::optional<std::string>& offset = *offset_option;
    const std::optional<std::string>& show = *show_option;
    const std::optional<std::string>& count = *count_option;
    if (args.size() != 1) {
        return fail_as(ErrorKind::invalid_input,
                       "list: expected one start (a list_head with -H, else the first entry): "
                       "list [-H] [-o OFFSET|STRUCT.MEMBER] [-s STRUCT[.MEMBER,...]] [-c MAX] "
                       "START (options first)");
    }
    kernel::Kernel& view = **kernel();
    if (offset) {
        if (auto number = parse_unsigned(*offset)) {
            walk.link_offset = *number;
        } else {
            auto [name, member] = split_struct(*offset);
            auto layout = view.layout(name);
            if (!layout) {
                return std::unexpected(layout.error());
            }
            auto field = (*layout)->require(member.empty() ? "list" : member);
            if (!field) {
                return std::unexpected(field.error());
            }
            walk.link_offset = field->offset;
        }
    }
    if (count) {
        auto number = parse_unsigned(*count);
        if (!number || *number == 0) {
            return fail_as(ErrorKind::invalid_input, "list: bad -c '{}'", *count);
        }
        walk.max_entries = *number;
        walk.stop_at_max = true;
    }
    auto start = address_argument("list", args.front());
    if (!start) {
        return std::unexpected(start.error());
    }
    walk.start = *start;
    auto addresses = kernel::walk_list(view, walk);
    if (!addresses) {
        return std::unexpected(addresses.error());
    }
    std::string struct_name;
    std::vector<std::string> members;
    if (show) {
        auto [name, member_list] = split_struct(*show);
        struct_name = name;
        members = split_commas(member_list);
        if (eval_ == nullptr) {
            return fail("list -s: no expression evaluator here");
        }
        if (auto layout = view.layout(struct_name); !layout) {
            return std::unexpected(layout.error());
        }
    }
    std::vector<ListEntry> entries;
    entries.reserve(addresses->size());
    for (std::uint64_t address : *addresses) {
        ListEntry entry{address, {}};
        if (!struct_name.empty()) {
            entry.members = struct_members(struct_name, members, address);
        }
        entries.push_back(std::move(entry));
    }
    return json ? list_json(entries) : list_text(entries);
}

} // namespace kdive::cli
