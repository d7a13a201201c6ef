// Iterative, with an explicit stack: the tree is guest data, its depth is not trusted.
#include "kernel/rb_tree.hpp"

#include "kernel/visited_nodes.hpp"

namespace kdive::kernel {

namespace {

constexpr std::size_t max_depth = 4096;
constexpr std::size_t max_nodes = 16'000'000;

} // namespace

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
        if (out.size() >= max_nodes) {
            return fail_as(ErrorKind::corrupt, "{} has more than {} nodes", what, max_nodes);
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
