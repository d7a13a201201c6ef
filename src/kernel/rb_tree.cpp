// Iterative, with an explicit stack: the tree is guest data, its depth is not trusted.
#include "kernel/rb_tree.hpp"

#include "kernel/visited_nodes.hpp"

namespace kdive::kernel {

namespace {

constexpr std::size_t max_depth = 4096;
constexpr std::size_t max_tree_nodes = 16'000'000;

// rb_node's members, by name (rb_left, rb_right, __rb_parent_color).
Result<std::uint64_t> link(Kernel& kernel, std::uint64_t node, std::string_view member) {
    auto value = kernel.read_member(node, "rb_node", member);
    if (!value) {
        return wrap(value.error(), fmt::format("reading {} of rb_node {:#x}", member, node));
    }
    return member == "__rb_parent_color" ? *value & ~std::uint64_t{3} : *value;
}

// Down one side as far as it goes.
Result<std::uint64_t> extreme(Kernel& kernel, std::uint64_t node, std::string_view side) {
    for (std::size_t depth = 0; node != 0; ++depth) {
        if (depth >= max_depth) {
            return fail_as(ErrorKind::corrupt, "the rb-tree below {:#x} is deeper than {} nodes",
                           node, max_depth);
        }
        auto child = link(kernel, node, side);
        if (!child) {
            return std::unexpected(child.error());
        }
        if (*child == 0) {
            return node;
        }
        node = *child;
    }
    return 0;
}

// The in-order neighbour on `side` ("rb_right" for next): the extreme of that subtree, or the
// first ancestor reached from its other side.
Result<std::uint64_t> neighbour(Kernel& kernel, std::uint64_t node, std::string_view side,
                                std::string_view other) {
    if (node == 0) {
        return 0;
    }
    auto child = link(kernel, node, side);
    if (!child) {
        return std::unexpected(child.error());
    }
    if (*child != 0) {
        return extreme(kernel, *child, other);
    }
    for (std::size_t depth = 0; depth < max_depth; ++depth) {
        auto parent = link(kernel, node, "__rb_parent_color");
        if (!parent) {
            return std::unexpected(parent.error());
        }
        if (*parent == 0) {
            return 0;
        }
        auto parents_child = link(kernel, *parent, side);
        if (!parents_child) {
            return std::unexpected(parents_child.error());
        }
        if (*parents_child != node) {
            return *parent;
        }
        node = *parent;
    }
    return fail_as(ErrorKind::corrupt, "the rb-tree above {:#x} is deeper than {} nodes", node,
                   max_depth);
}

} // namespace

Result<std::uint64_t> rb_first(Kernel& kernel, std::uint64_t root) {
    return extreme(kernel, root, "rb_left");
}

Result<std::uint64_t> rb_last(Kernel& kernel, std::uint64_t root) {
    return extreme(kernel, root, "rb_right");
}

Result<std::uint64_t> rb_next(Kernel& kernel, std::uint64_t node) {
    return neighbour(kernel, node, "rb_right", "rb_left");
}

Result<std::uint64_t> rb_prev(Kernel& kernel, std::uint64_t node) {
    return neighbour(kernel, node, "rb_left", "rb_right");
}

Result<std::vector<std::uint64_t>> rb_tree_nodes(Kernel& kernel, std::uint64_t root,
                                                 const std::string& what) {
    auto rb_node = kernel.layout("rb_node");
    if (!rb_node) {
        return std::unexpected(rb_node.error());
    }
    auto left = (*rb_node)->offset("rb_left");
    auto right = (*rb_node)->offset("rb_right");
    if (!left || !right) {
        return std::unexpected(!left ? left.error() : right.error());
    }
    std::vector<std::uint64_t> out;
    std::vector<std::uint64_t> stack;
    std::uint64_t node = root;
    VisitedNodes visited(what);
    while (node != 0 || !stack.empty()) {
        while (node != 0) {
            if (stack.size() >= max_depth) {
                return fail_as(ErrorKind::corrupt, "{} is deeper than {} nodes", what, max_depth);
            }
            if (auto ok = visited.visit(node); !ok) {
                return std::unexpected(ok.error());
            }
            stack.push_back(node);
            auto next = kernel.read_u64(node + *left);
            if (!next) {
                return wrap(next.error(),
                            fmt::format("reading rb_left of {:#x} in {}", node, what));
            }
            node = *next;
        }
        node = stack.back();
        stack.pop_back();
        if (out.size() >= max_tree_nodes) {
            return fail_as(ErrorKind::corrupt, "{} has more than {} nodes", what, max_tree_nodes);
        }
        out.push_back(node);
        auto next = kernel.read_u64(node + *right);
        if (!next) {
            return wrap(next.error(), fmt::format("reading rb_right of {:#x} in {}", node, what));
        }
        node = *next;
    }
    return out;
}

} // namespace kdive::kernel
