// Cycle detection for walks over lists and trees read from the guest: a corrupt or hostile
// next pointer that leads back into the list short of its head is reported where the cycle
// closes, instead of looping until a size cap.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <unordered_set>

namespace kdive::kernel {

class VisitedNodes {
public:
    // `what` names the walk in the error ("init_task.tasks", "the modules list").
    explicit VisitedNodes(std::string what) : what_(std::move(what)) {}

    // Fails (ErrorKind::corrupt) when `node` was visited before.
    Result<> visit(std::uint64_t node) {
        if (!seen_.insert(node).second) {
            return fail_as(ErrorKind::corrupt,
                           "{} loops back to {:#x} without reaching its head ({} nodes visited)",
                           what_, node, seen_.size());
        }
        return {};
    }
    std::size_t size() const { return seen_.size(); }

private:
    std::string what_;
    std::unordered_set<std::uint64_t> seen_;
};

} // namespace kdive::kernel
