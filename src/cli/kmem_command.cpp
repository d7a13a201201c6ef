// `kmem` (crash's): -s the slab caches, as /proc/slabinfo and lx-slabinfo count them; a name
// after -s keeps the caches of that name; -i the memory totals as /proc/meminfo reports them.
#include "cli/kernel_commands.hpp"
#include "cli/memory_output.hpp"
#include "kernel/memory_stats.hpp"
#include "kernel/slab_caches.hpp"

#include <algorithm>

namespace kdive::cli {

Result<std::string> KernelCommands::kmem(std::vector<std::string>& args, bool json) {
    kernel::Kernel& view = **kernel();
    if (args.empty()) {
        return fail_as(ErrorKind::invalid_input,
                       "kmem: say what to show: -s (slab caches), -i (memory totals)");
    }
    const std::string option = args.front();
    args.erase(args.begin());
    if (option == "-s") {
        if (args.size() > 1) {
            return fail_as(ErrorKind::invalid_input, "kmem -s: at most one cache name, not {}",
                           args.size());
        }
        auto caches = kernel::read_slab_caches(view);
        if (!caches) {
            return std::unexpected(caches.error());
        }
        if (!args.empty()) {
            std::erase_if(*caches, [&](const auto& cache) { return cache.name != args.front(); });
            if (caches->empty()) {
                return fail_as(ErrorKind::invalid_input, "kmem -s: no slab cache is named {}",
                               args.front());
            }
        }
        return json ? slab_caches_json(*caches) : slab_caches_text(*caches);
    }
    if (option == "-i") {
        if (!args.empty()) {
            return fail_as(ErrorKind::invalid_input, "kmem -i takes no arguments");
        }
        auto stats = kernel::read_memory_stats(view);
        if (!stats) {
            return std::unexpected(stats.error());
        }
        return json ? memory_stats_json(*stats) : memory_stats_text(*stats);
    }
    return fail_as(ErrorKind::invalid_input, "kmem: unknown option {} (known: -s, -i)", option);
}

} // namespace kdive::cli
