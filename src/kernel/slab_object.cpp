// SLUB keeps no per-object state: an object is free when some freelist reaches it. With
// CONFIG_SLAB_FREELIST_HARDENED (kmem_cache has `random`) each stored next pointer is
// next ^ random ^ byteswap(where it is stored). Every pointer met must be an object start of
// the slab, so a corrupt chain ends with an error naming the pointer rather than wandering off.
#include "kernel/slab_object.hpp"

#include "kernel/list_walker.hpp"
#include "kernel/per_cpu.hpp"
#include "kernel/slab_caches.hpp"

#include <algorithm>
#include <bit>
#include <unordered_map>
#include <unordered_set>

namespace kdive::kernel {

namespace {

constexpr std::size_t max_sheaves = 100'000;
constexpr std::uint64_t max_sheaf_objects = 65'536;

class SlabObjectFinder {
public:
    SlabObjectFinder(Kernel& kernel, SlabObject& out) : kernel_(kernel), out_(out) {}

    Result<> load_cache() {
        for (auto [member, into] : {std::pair{"size", &out_.object_size},
                                    {"offset", &free_pointer_offset_},
                                    {"name", &name_pointer_}}) {
            auto value = kernel_.read_member(out_.cache, "kmem_cache", member);
            if (!value) {
                return wrap(value.error(), fmt::format("reading the slab cache at {:#x} of slab "
                                                       "{:#x}",
                                                       out_.cache, out_.slab));
            }
            *into = *value;
        }
        if (out_.object_size == 0) {
            return fail_as(ErrorKind::corrupt, "slab cache {:#x} has object size 0", out_.cache);
        }
        auto name = kernel_.read_c_string(name_pointer_, 256);
        out_.cache_name = name ? *name : fmt::format("?{:#x}", name_pointer_);
        auto cache = kernel_.layout("kmem_cache");
        if (!cache) {
            return std::unexpected(cache.error());
        }
        if ((*cache)->has("random")) {
            auto random = kernel_.read_member(out_.cache, "kmem_cache", "random");
            if (!random) {
                return std::unexpected(random.error());
            }
            random_ = *random;
        }
        if ((*cache)->has("red_left_pad")) {
            auto pad = kernel_.read_member(out_.cache, "kmem_cache", "red_left_pad");
            if (!pad) {
                return std::unexpected(pad.error());
            }
            red_left_pad_ = *pad;
        }
        return {};
    }

    void set_geometry(std::uint64_t base, std::uint64_t objects) {
        first_ = base + red_left_pad_;
        out_.objects = objects;
    }
    std::uint64_t first() const { return first_; }

    // Follows a freelist from `head`, adding each object to `free`.
    Result<> follow(std::uint64_t head, std::string_view what) {
        std::uint64_t object = head;
        for (std::uint64_t steps = 0; object != 0; ++steps) {
            if (!is_object(object)) {
                return fail_as(ErrorKind::corrupt,
                               "the {} of slab {:#x} ({}) leads to {:#x}, not an object of it",
                               what, out_.slab, out_.cache_name, object);
            }
            if (steps >= out_.objects || !free_.insert(object).second) {
                return fail_as(ErrorKind::corrupt,
                               "the {} of slab {:#x} ({}) reaches {:#x} twice (a loop, or an "
                               "object freed twice)",
                               what, out_.slab, out_.cache_name, object);
            }
            found_in_.emplace(object, std::string(what));
            const std::uint64_t stored_at = object + free_pointer_offset_;
            auto stored = kernel_.read_u64(stored_at);
            if (!stored) {
                return wrap(stored.error(),
                            fmt::format("reading the free pointer of {:#x} in slab {:#x}", object,
                                        out_.slab));
            }
            object = random_ ? (*stored ^ *random_ ^ std::byteswap(stored_at)) : *stored;
        }
        return {};
    }

    // A sheaf's objects: `size` pointers from `objects_at`; only those of this slab matter.
    Result<> sheaf(std::uint64_t sheaf, std::string_view what) {
        auto layout = kernel_.layout("slab_sheaf");
        if (!layout) {
            return std::unexpected(layout.error());
        }
        auto size = kernel_.read_member(sheaf, "slab_sheaf", "size");
        auto objects = (*layout)->offset("objects");
        if (!size || !objects) {
            return wrap(!size ? size.error() : objects.error(),
                        fmt::format("reading the sheaf at {:#x}", sheaf));
        }
        if (*size > max_sheaf_objects) {
            return fail_as(ErrorKind::corrupt, "the sheaf at {:#x} claims {} objects", sheaf,
                           *size);
        }
        auto pointers = kernel_.read(sheaf + *objects, *size * 8);
        if (!pointers) {
            return wrap(pointers.error(), fmt::format("reading the sheaf at {:#x}", sheaf));
        }
        for (std::uint64_t i = 0; i < *size; ++i) {
            const std::uint64_t object = pointers->u64(i * 8);
            if (is_object(object) && free_.insert(object).second) {
                found_in_.emplace(object, std::string(what));
            }
        }
        return {};
    }

    bool is_object(std::uint64_t address) const {
        return address >= first_ && address < first_ + out_.objects * out_.object_size &&
               (address - first_) % out_.object_size == 0;
    }

    std::string where_free(std::uint64_t object) const {
        auto found = found_in_.find(object);
        return found == found_in_.end() ? "" : found->second;
    }

private:
    Kernel& kernel_;
    SlabObject& out_;
    std::uint64_t free_pointer_offset_ = 0, name_pointer_ = 0, red_left_pad_ = 0, first_ = 0;
    std::optional<std::uint64_t> random_;
    std::unordered_set<std::uint64_t> free_;
    std::unordered_map<std::uint64_t, std::string> found_in_;
};

// Before 7.0 each CPU has a current slab whose free objects sit on the CPU's own freelist.
Result<> per_cpu_freelists(Kernel& kernel, PerCpu& percpu, SlabObjectFinder& finder,
                           const SlabObject& out) {
    auto cpu_slab = kernel.read_member(out.cache, "kmem_cache", "cpu_slab");
    if (!cpu_slab) {
        return std::unexpected(cpu_slab.error());
    }
    auto layout = kernel.layout("kmem_cache_cpu");
    if (!layout) {
        return std::unexpected(layout.error());
    }
    const std::string_view current = (*layout)->has("slab") ? "slab" : "page";
    for (const int cpu : percpu.online()) {
        auto at = percpu.address(*cpu_slab, cpu);
        if (!at) {
            return std::unexpected(at.error());
        }
        auto slab = kernel.read_member(*at, "kmem_cache_cpu", current);
        if (!slab) {
            return std::unexpected(slab.error());
        }
        if (*slab != out.slab) {
            continue;
        }
        auto freelist = kernel.read_member(*at, "kmem_cache_cpu", "freelist");
        if (!freelist) {
            return std::unexpected(freelist.error());
        }
        if (auto ok = finder.follow(*freelist, fmt::format("CPU {} freelist", cpu)); !ok) {
            return ok;
        }
    }
    return {};
}

// 7.0+: freed objects wait in per-CPU sheaves (main, spare, and the RCU one) and in the nodes'
// barns of full sheaves before they return to their slab.
Result<> sheaves(Kernel& kernel, PerCpu& percpu, SlabObjectFinder& finder, const SlabObject& out) {
    auto cpu_sheaves = kernel.read_member(out.cache, "kmem_cache", "cpu_sheaves");
    if (!cpu_sheaves) {
        return std::unexpected(cpu_sheaves.error());
    }
    if (*cpu_sheaves != 0) {
        for (const int cpu : percpu.online()) {
            auto at = percpu.address(*cpu_sheaves, cpu);
            if (!at) {
                return std::unexpected(at.error());
            }
            for (auto [member, what] : {std::pair{"main", "sheaf"},
                                        {"spare", "spare sheaf"},
                                        {"rcu_free", "RCU sheaf"}}) {
                auto sheaf = kernel.read_member(*at, "slub_percpu_sheaves", member);
                if (!sheaf) {
                    return std::unexpected(sheaf.error());
                }
                if (*sheaf != 0) {
                    if (auto ok = finder.sheaf(*sheaf, fmt::format("CPU {} {}", cpu, what)); !ok) {
                        return ok;
                    }
                }
            }
        }
    }
    auto cache = kernel.layout("kmem_cache");
    auto per_node = kernel.layout("kmem_cache_per_node_ptrs");
    if (!cache || !per_node || !(*cache)->has("per_node") || !(*per_node)->has("barn")) {
        return {};
    }
    const Field nodes = *(*cache)->field("per_node");
    const std::uint64_t stride = (*per_node)->size();
    auto barn_offset = (*per_node)->offset("barn");
    auto barn_layout = kernel.layout("node_barn");
    auto link = kernel.layout("slab_sheaf");
    if (!barn_offset || !barn_layout || !link) {
        return {};
    }
    auto full = (*barn_layout)->offset("sheaves_full");
    auto barn_list = (*link)->offset("barn_list");
    if (!full || !barn_list || stride == 0) {
        return {};
    }
    // kmem_cache is allocated for nr_node_ids nodes only: the array's tail is not its own.
    auto nodes_owned = read_node_count(kernel);
    if (!nodes_owned) {
        return std::unexpected(nodes_owned.error());
    }
    std::uint64_t node_count = *nodes_owned;
    node_count = std::min<std::uint64_t>(node_count, nodes.size / stride);
    for (std::uint64_t node = 0; node < node_count; ++node) {
        auto barn = kernel.read_u64(out.cache + nodes.offset + node * stride + *barn_offset);
        if (!barn) {
            return std::unexpected(barn.error());
        }
        if (*barn == 0) {
            continue;
        }
        ListWalk walk;
        walk.start = *barn + *full;
        walk.head = true;
        walk.link_offset = *barn_list;
        walk.max_entries = max_sheaves;
        auto full_sheaves = walk_list(kernel, walk);
        if (!full_sheaves) {
            return std::unexpected(full_sheaves.error());
        }
        for (const std::uint64_t sheaf : *full_sheaves) {
            if (auto ok = finder.sheaf(sheaf, fmt::format("node {} barn", node)); !ok) {
                return ok;
            }
        }
    }
    return {};
}

} // namespace

Result<SlabObject> find_slab_object(Kernel& kernel, PageMap& pages, const PageInfo& page,
                                    std::uint64_t address) {
    SlabObject out;
    out.slab = page.head;
    const std::string_view slab_type =
        kernel.find_layout("slab") != nullptr && kernel.find_layout("slab")->has("slab_cache")
            ? "slab"
            : "page";
    auto cache = kernel.read_member(out.slab, slab_type, "slab_cache");
    auto objects = kernel.read_member(out.slab, slab_type, "objects");
    auto freelist = kernel.read_member(out.slab, slab_type, "freelist");
    for (const auto* value : {&cache, &objects, &freelist}) {
        if (!*value) {
            return wrap(value->error(), fmt::format("reading slab {:#x}", out.slab));
        }
    }
    out.cache = *cache;
    auto head_pfn = pages.pfn_of_page_struct(out.slab);
    if (!head_pfn) {
        return fail_as(ErrorKind::corrupt, "slab {:#x} is not a struct page of the memory map",
                       out.slab);
    }
    SlabObjectFinder finder(kernel, out);
    if (auto ok = finder.load_cache(); !ok) {
        return std::unexpected(ok.error());
    }
    finder.set_geometry(pages.pfn_to_virtual(*head_pfn), *objects);
    if (address >= finder.first()) {
        out.index = (address - finder.first()) / out.object_size;
        if (out.index < out.objects) {
            out.object = finder.first() + out.index * out.object_size;
        }
    }
    if (out.object == 0) {
        return out; // slab padding: neither allocated nor free
    }
    if (auto ok = finder.follow(*freelist, "slab freelist"); !ok) {
        return std::unexpected(ok.error());
    }
    auto percpu = PerCpu::load(kernel);
    if (!percpu) {
        return std::unexpected(percpu.error());
    }
    auto cache_layout = kernel.layout("kmem_cache");
    if (!cache_layout) {
        return std::unexpected(cache_layout.error());
    }
    if ((*cache_layout)->has("cpu_slab")) {
        if (auto ok = per_cpu_freelists(kernel, *percpu, finder, out); !ok) {
            return std::unexpected(ok.error());
        }
    }
    if ((*cache_layout)->has("cpu_sheaves")) {
        if (auto ok = sheaves(kernel, *percpu, finder, out); !ok) {
            return std::unexpected(ok.error());
        }
    }
    out.free_in = finder.where_free(out.object);
    out.allocated = out.free_in.empty();
    return out;
}

} // namespace kdive::kernel
