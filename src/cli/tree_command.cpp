// `tree -t rbtree|xarray|radix|maple [-o OFFSET|STRUCT.MEMBER] [-s STRUCT[.M,...]] ROOT`
// (crash's): the entries of a kernel tree in order. ROOT is an rb_root (or rb_root_cached),
// an xarray or radix_tree_root, or a maple_tree, by address or expression; for an rb-tree -o
// says where the rb_node sits in the containing structure, whose address is then listed.
#include "cli/kernel_commands.hpp"
#include "cli/kernel_output.hpp"
#include "kernel/maple_tree.hpp"
#include "kernel/rb_tree.hpp"
#include "kernel/xarray.hpp"
#include "support/guest_text.hpp"
#include "support/text.hpp"

#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

struct TreeEntry {
    std::uint64_t address = 0;
    std::optional<std::uint64_t> first, last; // the index (xarray) or range (maple)
};

} // namespace

Result<std::string> KernelCommands::tree(std::vector<std::string>& args, bool json) {
    auto kind = take_value(args, "-t", "tree");
    auto offset_text = take_value(args, "-o", "tree");
    auto show = take_value(args, "-s", "tree");
    for (const auto* value : {&kind, &offset_text, &show}) {
        if (!*value) {
            return std::unexpected(value->error());
        }
    }
    if (!*kind || args.empty()) {
        return fail_as(ErrorKind::invalid_input,
                       "usage: tree -t rbtree|xarray|radix|maple [-o OFFSET|STRUCT.MEMBER] "
                       "[-s STRUCT[.MEMBER,...]] ROOT");
    }
    std::string expression;
    for (const auto& word : args) {
        expression += (expression.empty() ? "" : " ") + word;
    }
    auto root = address_argument("tree", expression);
    if (!root) {
        return std::unexpected(root.error());
    }
    kernel::Kernel& view = **kernel();
    std::uint64_t offset = 0;
    if (*offset_text) {
        if (auto number = parse_unsigned(**offset_text)) {
            offset = *number;
        } else {
            const auto dot = (*offset_text)->find('.');
            auto layout = view.layout((*offset_text)->substr(0, dot));
            if (!layout) {
                return std::unexpected(layout.error());
            }
            auto field =
                (*layout)->require(dot == std::string::npos ? std::string("rb_node")
                                                            : (*offset_text)->substr(dot + 1));
            if (!field) {
                return std::unexpected(field.error());
            }
            offset = field->offset;
        }
    }
    std::vector<TreeEntry> entries;
    if (**kind == "rbtree") {
        auto top = view.read_u64(*root); // rb_root.rb_node, first in rb_root_cached too
        if (!top) {
            return wrap(top.error(), fmt::format("reading the rb_root at {:#x}", *root));
        }
        auto nodes = kernel::rb_tree_nodes(view, *top, fmt::format("the rb-tree at {:#x}", *root));
        if (!nodes) {
            return std::unexpected(nodes.error());
        }
        for (const std::uint64_t node : *nodes) {
            entries.push_back({node - offset, std::nullopt, std::nullopt});
        }
    } else if (**kind == "xarray" || **kind == "radix") {
        auto found = kernel::xarray_entries(view, *root);
        if (!found) {
            return std::unexpected(found.error());
        }
        for (const auto& entry : *found) {
            entries.push_back({entry.value, entry.index, entry.index});
        }
    } else if (**kind == "maple") {
        auto found = kernel::maple_tree_entries(view, *root);
        if (!found) {
            return std::unexpected(found.error());
        }
        for (const auto& entry : *found) {
            entries.push_back({entry.value, entry.first, entry.last});
        }
    } else {
        return fail_as(ErrorKind::invalid_input,
                       "tree: -t {} (known: rbtree, xarray, radix, maple)", **kind);
    }
    std::string struct_name;
    std::vector<std::string> members;
    if (*show) {
        const auto dot = (*show)->find('.');
        struct_name = (*show)->substr(0, dot);
        if (struct_name.starts_with("struct ")) {
            struct_name.erase(0, 7);
        }
        members = dot == std::string::npos ? std::vector<std::string>{}
                                           : split_commas((*show)->substr(dot + 1));
        if (eval_ == nullptr) {
            return fail("tree -s: no expression evaluator here");
        }
        if (auto layout = view.layout(struct_name); !layout) {
            return std::unexpected(layout.error());
        }
    }
    nlohmann::json rows = nlohmann::json::array();
    std::string text;
    for (const auto& entry : entries) {
        const auto shown = struct_name.empty()
                               ? std::vector<std::pair<std::string, std::string>>{}
                               : struct_members(struct_name, members, entry.address);
        const std::string address = fmt::format("{:#x}", entry.address);
        if (!entry.first && shown.empty()) {
            rows.push_back(address);
        } else {
            nlohmann::json row = {{"address", address}};
            if (entry.first && **kind == "maple") {
                row["first"] = *entry.first;
                row["last"] = *entry.last;
            } else if (entry.first) {
                row["index"] = *entry.first;
            }
            for (const auto& [name, value] : shown) {
                row[name] = guest_string(value);
            }
            rows.push_back(std::move(row));
        }
        if (entry.first && **kind == "maple") {
            text += fmt::format("[{:#x}-{:#x}] ", *entry.first, *entry.last);
        } else if (entry.first) {
            text += fmt::format("[{}] ", *entry.first);
        }
        text += fmt::format("{:x}\n", entry.address);
        for (const auto& [name, value] : shown) {
            text += fmt::format("  {} = {}\n", name, value);
        }
    }
    return json ? dump_json(rows) : text;
}

} // namespace kdive::cli
