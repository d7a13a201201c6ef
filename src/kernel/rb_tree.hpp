// In-order walk of a kernel red-black tree (struct rb_node by rb_left/rb_right): mounts (6.8+),
// CFS and deadline run queues, `tree -t rbtree`. A node seen twice or a depth past what a
// balanced tree of the bounded size could have ends with an error naming the walk.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

// The rb_node addresses under `root` (an rb_node, not the rb_root), smallest first. `what`
// names the tree in errors ("the mount tree at 0x...").
Result<std::vector<std::uint64_t>> rb_tree_nodes(Kernel& kernel, std::uint64_t root,
                                                 const std::string& what);

// The kernel's rb_first()/rb_last() below `root` (an rb_node; 0 for an empty tree) and
// rb_next()/rb_prev() of a node (through its parent pointer, __rb_parent_color less the color
// bits); 0 when there is none. A path longer than any tree could have is an error.
Result<std::uint64_t> rb_first(Kernel& kernel, std::uint64_t root);
Result<std::uint64_t> rb_last(Kernel& kernel, std::uint64_t root);
Result<std::uint64_t> rb_next(Kernel& kernel, std::uint64_t node);
Result<std::uint64_t> rb_prev(Kernel& kernel, std::uint64_t node);

} // namespace kdive::kernel
