// The one-letter task state `ps` shows, computed the way the kernel's task_state_index() does.
#pragma once

#include <cstdint>

namespace kdive::kernel {

// `state` is task_struct.__state (5.14+) or .state, `exit_state` task_struct.exit_state.
// Letters as in fs/proc/array.c's task_state_array: R S D T t X Z P I.
char task_state_letter(std::uint64_t state, std::uint64_t exit_state);

} // namespace kdive::kernel
