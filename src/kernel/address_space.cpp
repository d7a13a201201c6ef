// Names as show_map_vma() gives them: the file's path, else [heap] (overlapping brk), [stack]
// (holding start_stack), or a special mapping's own name ([vdso], [vvar]). The RSS counters
// are atomic_long_t before 6.2 and percpu_counter after, whose per-CPU deltas are summed in as
// /proc/PID/status does on the kernels that sum them (6.12 as Debian builds it).
#include "kernel/address_space.hpp"

#include "kernel/dentry_path.hpp"
#include "kernel/maple_tree.hpp"
#include "kernel/per_cpu.hpp"
#include "kernel/visited_nodes.hpp"

#include <algorithm>
#include <optional>

namespace kdive::kernel {

namespace {

constexpr std::uint64_t vm_read = 0x1, vm_write = 0x2, vm_exec = 0x4, vm_shared = 0x8;
constexpr unsigned page_shift = 12;
constexpr std::size_t max_mappings = 16'000'000;

// The VMAs of an mm in address order.
Result<std::vector<std::uint64_t>> vma_addresses(Kernel& kernel, const StructLayout& mm_layout,
                                                 const StructLayout& vma_layout, std::uint64_t mm) {
    std::vector<std::uint64_t> out;
    if (auto tree = mm_layout.field("mm_mt")) {
        auto entries = maple_tree_entries(kernel, mm + tree->offset);
        if (!entries) {
            return std::unexpected(entries.error());
        }
        for (const auto& entry : *entries) {
            out.push_back(entry.value);
        }
        return out;
    }
    auto first = kernel.read_member(mm, "mm_struct", "mmap");
    auto next_at = vma_layout.offset("vm_next");
    if (!first || !next_at) {
        return std::unexpected(!first ? first.error() : next_at.error());
    }
    VisitedNodes visited(fmt::format("the VMA list of mm {:#x}", mm));
    for (std::uint64_t vma = *first; vma != 0;) {
        if (auto ok = visited.visit(vma); !ok) {
            return std::unexpected(ok.error());
        }
        if (out.size() >= max_mappings) {
            return fail_as(ErrorKind::corrupt, "mm {:#x} has more than {} VMAs", mm, max_mappings);
        }
        out.push_back(vma);
        auto next = kernel.read_u64(vma + *next_at);
        if (!next) {
            return wrap(next.error(), fmt::format("reading vm_next of VMA {:#x}", vma));
        }
        vma = *next;
    }
    return out;
}

// get_mm_counter() for MM_FILEPAGES, MM_ANONPAGES and MM_SHMEMPAGES.
Result<> read_rss(Kernel& kernel, const StructLayout& mm_layout, AddressSpace& space) {
    auto rss = mm_layout.require("rss_stat");
    if (!rss) {
        return std::unexpected(rss.error());
    }
    std::uint64_t stride = 8;
    std::uint64_t count_at = rss->offset;
    // percpu_counter's per-CPU deltas (s32), summed as get_mm_counter_sum() does.
    std::optional<std::uint64_t> deltas_at;
    std::optional<PerCpu> percpu;
    if (const StructLayout* counter = kernel.find_layout("percpu_counter");
        counter != nullptr && !mm_layout.has("rss_stat.count")) {
        auto count = counter->offset("count");
        auto counters = counter->offset("counters");
        if (!count || !counters) {
            return std::unexpected(!count ? count.error() : counters.error());
        }
        stride = counter->size();
        deltas_at = rss->offset + *counters;
        count_at += *count;
        auto loaded = PerCpu::load(kernel);
        if (!loaded) {
            return std::unexpected(loaded.error());
        }
        percpu.emplace(std::move(*loaded));
    } else if (auto count = mm_layout.field("rss_stat.count")) {
        count_at = count->offset;
    }
    for (auto [name, into] : {std::pair{"MM_FILEPAGES", &space.file_pages},
                              {"MM_ANONPAGES", &space.anon_pages},
                              {"MM_SHMEMPAGES", &space.shmem_pages}}) {
        auto index = kernel.info().find_enumerator(name);
        if (!index || index->value < 0 || index->value > 16) {
            return fail("the debug info has no enumerator {} (the mm counters)", name);
        }
        auto value = kernel.read_u64(space.mm + count_at +
                                     stride * static_cast<std::uint64_t>(index->value));
        if (!value) {
            return wrap(value.error(),
                        fmt::format("reading the {} counter of mm {:#x}", name, space.mm));
        }
        auto sum = static_cast<std::int64_t>(*value);
        if (deltas_at) {
            const std::uint64_t slot = static_cast<std::uint64_t>(index->value) * stride;
            auto deltas = kernel.read_u64(space.mm + *deltas_at + slot);
            if (!deltas) {
                return wrap(deltas.error(),
                            fmt::format("reading the {} counter of mm {:#x}", name, space.mm));
            }
            for (const int cpu : percpu->online()) {
                auto at = percpu->address(*deltas, cpu);
                auto delta =
                    at ? kernel.read_u32(*at) : Result<std::uint32_t>(std::unexpected(at.error()));
                if (!delta) {
                    return wrap(delta.error(), fmt::format("reading CPU {}'s {} delta", cpu, name));
                }
                sum += static_cast<std::int32_t>(*delta);
            }
        }
        // A counter read between updates may dip below zero; /proc shows it as 0.
        *into = sum < 0 ? 0 : static_cast<std::uint64_t>(sum);
    }
    return {};
}

class MappingReader {
public:
    MappingReader(Kernel& kernel, const StructLayout& vma, DentryPaths& paths)
        : kernel_(kernel), vma_(vma), paths_(paths) {
        for (const char* symbol : {"special_mapping_vmops", "legacy_special_mapping_vmops"}) {
            if (kernel.has_symbol(symbol)) {
                if (auto at = kernel.address_of(symbol)) {
                    special_ops_.push_back(*at);
                }
            }
        }
    }

    Result<Mapping> read(std::uint64_t vma, std::uint64_t mm, std::uint64_t brk_start,
                         std::uint64_t brk, std::uint64_t start_stack) {
        auto record = kernel_.read(vma, vma_.size());
        if (!record) {
            return wrap(record.error(), fmt::format("reading VMA {:#x}", vma));
        }
        Mapping out;
        out.vma = vma;
        std::uint64_t owner = 0, ops = 0, private_data = 0, pgoff = 0;
        for (auto [path, into] : {std::pair{"vm_start", &out.start},
                                  {"vm_end", &out.end},
                                  {"vm_flags", &out.flags},
                                  {"vm_pgoff", &pgoff},
                                  {"vm_file", &out.file},
                                  {"vm_mm", &owner},
                                  {"vm_ops", &ops},
                                  {"vm_private_data", &private_data}}) {
            auto field = vma_.require(path);
            if (!field) {
                return std::unexpected(field.error());
            }
            *into = record->get(*field);
        }
        if (owner != mm || out.end <= out.start) {
            return fail_as(ErrorKind::corrupt, "VMA {:#x} ({:#x}-{:#x}) is not one of mm {:#x}'s",
                           vma, out.start, out.end, mm);
        }
        if (out.file != 0) {
            out.offset = pgoff << page_shift;
            auto name = file_path(out.file);
            if (!name) {
                return wrap(name.error(), fmt::format("the file of VMA {:#x}", vma));
            }
            out.name = std::move(*name);
        } else if (out.start <= brk && out.end >= brk_start) {
            out.name = "[heap]";
        } else if (out.start <= start_stack && out.end >= start_stack) {
            out.name = "[stack]";
        } else if (private_data != 0 &&
                   std::find(special_ops_.begin(), special_ops_.end(), ops) != special_ops_.end()) {
            auto name = kernel_.read_u64(private_data); // vm_special_mapping.name comes first
            if (name && *name != 0) {
                auto text = kernel_.read_c_string(*name, 64);
                out.name = text ? *text : "";
            }
        }
        return out;
    }

private:
    Result<std::string> file_path(std::uint64_t file) {
        auto mnt = kernel_.read_member(file, "file", "f_path.mnt");
        auto dentry = kernel_.read_member(file, "file", "f_path.dentry");
        if (!mnt || !dentry) {
            return std::unexpected(!mnt ? mnt.error() : dentry.error());
        }
        return paths_.path_text(*mnt, *dentry);
    }

    Kernel& kernel_;
    const StructLayout& vma_;
    DentryPaths& paths_;
    std::vector<std::uint64_t> special_ops_;
};

} // namespace

std::string mapping_permissions(std::uint64_t flags) {
    std::string out = "----";
    if ((flags & vm_read) != 0) {
        out[0] = 'r';
    }
    if ((flags & vm_write) != 0) {
        out[1] = 'w';
    }
    if ((flags & vm_exec) != 0) {
        out[2] = 'x';
    }
    out[3] = (flags & vm_shared) != 0 ? 's' : 'p';
    return out;
}

Result<AddressSpace> read_address_space(Kernel& kernel, std::uint64_t task) {
    auto task_layout = kernel.layout("task_struct");
    auto mm_layout = kernel.layout("mm_struct");
    auto vma_layout = kernel.layout("vm_area_struct");
    if (!task_layout || !mm_layout || !vma_layout) {
        return std::unexpected(!task_layout ? task_layout.error()
                               : !mm_layout ? mm_layout.error()
                                            : vma_layout.error());
    }
    AddressSpace space;
    auto mm = kernel.read_member(task, "task_struct", "mm");
    if (!mm) {
        return std::unexpected(mm.error());
    }
    space.mm = *mm;
    if (space.mm == 0) {
        return space;
    }
    std::uint64_t brk_start = 0, brk = 0, start_stack = 0;
    for (auto [path, into] :
         {std::pair{"start_brk", &brk_start}, {"brk", &brk}, {"start_stack", &start_stack}}) {
        auto value = kernel.read_member(space.mm, "mm_struct", path);
        if (!value) {
            return std::unexpected(value.error());
        }
        *into = *value;
    }
    if (auto ok = read_rss(kernel, **mm_layout, space); !ok) {
        return std::unexpected(ok.error());
    }
    auto paths = DentryPaths::for_task(kernel, task);
    if (!paths) {
        return std::unexpected(paths.error());
    }
    auto vmas = vma_addresses(kernel, **mm_layout, **vma_layout, space.mm);
    if (!vmas) {
        return std::unexpected(vmas.error());
    }
    MappingReader reader(kernel, **vma_layout, *paths);
    for (const std::uint64_t vma : *vmas) {
        auto mapping = reader.read(vma, space.mm, brk_start, brk, start_stack);
        if (!mapping) {
            return std::unexpected(mapping.error());
        }
        space.mappings.push_back(std::move(*mapping));
    }
    return space;
}

} // namespace kdive::kernel
