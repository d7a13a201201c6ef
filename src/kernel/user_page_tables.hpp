// A task's own page tables (mm->pgd), walked over physical memory to read its user memory:
// x86-64's 4 or 5 levels, or arm64's TTBR0 regime.
#pragma once

#include "arch/aarch64/page_table_walker.hpp"
#include "arch/x86_64/page_table_walker.hpp"
#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <optional>
#include <variant>

namespace kdive::kernel {

class UserPageTables {
public:
    // An error for a kernel thread (no mm), a target without physical reads, or a pgd outside
    // the linear map.
    static Result<UserPageTables> of_task(Kernel& kernel, std::uint64_t task);

    // The physical address of a user address; nullopt when no page is mapped there.
    Result<std::optional<std::uint64_t>> physical_of(std::uint64_t address);
    std::uint64_t root() const { return root_; }

private:
    using Walker = std::variant<arch::x86_64::PageTableWalker, arch::aarch64::PageTableWalker>;
    UserPageTables(Walker walker, std::uint64_t root) : walker_(std::move(walker)), root_(root) {}

    Walker walker_;
    std::uint64_t root_;
};

} // namespace kdive::kernel
