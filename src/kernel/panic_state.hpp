// Whether the kernel panicked and on which CPU: panic() claims `panic_cpu` (an atomic_t, -1
// while nobody panics) before it stops the other CPUs.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <optional>

namespace kdive::kernel {

// nullopt when no CPU panicked; an error when the value is not a CPU below `nr_cpu_ids`.
Result<std::optional<int>> panicked_cpu(Kernel& kernel, unsigned nr_cpu_ids);

} // namespace kdive::kernel
