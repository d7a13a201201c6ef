// `struct TYPE[.MEMBER,...] [ADDR]` and `task PID [-R MEMBER,...]` (crash's): a structure's
// layout with each member's offset, or its value at an address through the value printer.
#include "cli/eval_commands.hpp"
#include "cli/kernel_commands.hpp"
#include "cli/kernel_output.hpp"
#include "eval/type_printer.hpp"
#include "support/guest_text.hpp"
#include "support/text.hpp"

#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

std::uint64_t size_of(const debuginfo::Type* type) {
    const debuginfo::Type* resolved = debuginfo::strip_typedefs(type);
    if (resolved == nullptr) {
        return 0;
    }
    if (resolved->kind == debuginfo::TypeKind::array && resolved->size == 0 && resolved->count) {
        return *resolved->count * size_of(resolved->target.get());
    }
    return resolved->size;
}

} // namespace

std::vector<std::pair<std::string, std::string>>
KernelCommands::struct_members(const std::string& name, const std::vector<std::string>& members,
                               std::uint64_t address) {
    const auto pointer = fmt::format("((struct {} *){:#x})", name, address);
    const std::vector<std::string> shown = members.empty() ? std::vector<std::string>{""} : members;
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& member : shown) {
        auto value = eval_->evaluate(member.empty() ? fmt::format("*{}", pointer)
                                                    : fmt::format("{}->{}", pointer, member));
        out.emplace_back(member.empty() ? name : member,
                         value ? eval_->format_nested(*value)
                               : fmt::format("<error: {}>", value.error().message));
    }
    return out;
}

Result<std::string> KernelCommands::show_struct(std::string_view type_text,
                                                std::optional<std::uint64_t> address, bool json) {
    if (type_text.starts_with("struct ")) {
        type_text.remove_prefix(7);
    }
    const auto dot = type_text.find('.');
    const std::string name(type_text.substr(0, dot));
    const auto members = dot == std::string_view::npos ? std::vector<std::string>{}
                                                       : split_commas(type_text.substr(dot + 1));
    kernel::Kernel& view = **kernel();
    auto layout = view.layout(name);
    if (!layout) {
        return std::unexpected(layout.error());
    }
    if (address) {
        if (eval_ == nullptr) {
            return fail("struct: no expression evaluator here");
        }
        for (const auto& member : members) {
            if (!(*layout)->has(member)) {
                return fail_as(ErrorKind::invalid_input, "struct {} has no member {}", name,
                               member);
            }
        }
        ListEntry entry{*address, struct_members(name, members, *address)};
        if (json) {
            auto rows = nlohmann::json::parse(list_json({entry}));
            return dump_json(rows.at(0));
        }
        return list_text({entry});
    }
    const debuginfo::Type* type = (*layout)->type();
    nlohmann::json rows = nlohmann::json::array();
    std::string text = fmt::format("struct {} {{\n", name);
    for (const auto& member : type->members) {
        const debuginfo::Type* member_type = member.type.get();
        if (!members.empty() &&
            std::find(members.begin(), members.end(), member.name) == members.end()) {
            continue;
        }
        const std::uint64_t offset = member.bit_offset / 8;
        const std::uint64_t size = size_of(member_type);
        nlohmann::json row = {{"name", member.name},
                              {"offset", offset},
                              {"size", size},
                              {"type", eval::type_name(member_type)}};
        std::string declaration = eval::format_declaration(member_type, member.name, 0, 2);
        if (member.bit_size != 0) {
            row["bit_offset"] = member.bit_offset % 8;
            row["bit_size"] = member.bit_size;
            declaration += fmt::format(" : {}", member.bit_size);
        }
        rows.push_back(std::move(row));
        text += fmt::format("  [{:#x}] {};\n", offset, declaration);
    }
    text += fmt::format("}}\nSIZE: {}\n", (*layout)->size());
    if (json) {
        return dump_json(
            nlohmann::json{{"name", name}, {"size", (*layout)->size()}, {"members", rows}});
    }
    return text;
}

Result<std::string> KernelCommands::struct_command(std::vector<std::string>& args, bool json) {
    (void)take_flag(args, "-o"); // the layout always shows offsets
    if (args.empty() || args.size() > 2) {
        return fail_as(ErrorKind::invalid_input, "usage: struct TYPE[.MEMBER,...] [ADDRESS]");
    }
    std::optional<std::uint64_t> address;
    if (args.size() == 2) {
        auto start = address_argument("struct", args[1]);
        if (!start) {
            return std::unexpected(start.error());
        }
        address = *start;
    }
    return show_struct(args[0], address, json);
}

Result<std::string> KernelCommands::task(std::vector<std::string>& args, bool json) {
    std::string members;
    for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "-R") {
            members = args[i + 1];
            args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                       args.begin() + static_cast<std::ptrdiff_t>(i) + 2);
            break;
        }
    }
    if (args.size() != 1) {
        return fail_as(ErrorKind::invalid_input, "usage: task PID [-R MEMBER,...]");
    }
    auto task = task_of_pid_word("task", args.front());
    if (!task) {
        return std::unexpected(task.error());
    }
    return show_struct(members.empty() ? "task_struct" : "task_struct." + members, *task, json);
}

} // namespace kdive::cli
