// Sizes follow /proc/modules: the sum of every mod->mem[] region (6.4+), or core_layout.size +
// init_layout.size before. refcnt counts one extra reference (MODULE_REF_BASE) while loaded.
#include "kernel/module_list.hpp"

#include "kernel/visited_nodes.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::size_t max_modules = 100'000;

} // namespace

Result<std::vector<ModuleInfo>> list_modules(Kernel& kernel) {
    auto layout = kernel.layout("module");
    if (!layout) {
        return std::unexpected(layout.error());
    }
    const StructLayout& mod = **layout;
    auto list = mod.require("list");
    auto name = mod.require("name");
    auto state = mod.require("state");
    for (const auto* field : {&list, &name, &state}) {
        if (!*field) {
            return std::unexpected(field->error());
        }
    }
    const auto refcnt = mod.field("refcnt");
    // 6.4 replaced core_layout/init_layout with mem[MOD_MEM_NUM_TYPES] (commit ac3b43283923,
    // "module: replace module_layout with module_memory"); MOD_TEXT is mem[0].
    std::vector<Field> size_fields;
    std::optional<Field> base;
    if (auto mem = mod.field("mem")) {
        const debuginfo::Type* array = mem->type;
        const debuginfo::Type* element = debuginfo::strip_typedefs(array->target.get());
        auto memory = StructLayout(&kernel.info(), element, "module_memory");
        auto mem_base = memory.require("base");
        auto mem_size = memory.require("size");
        if (!mem_base || !mem_size) {
            return std::unexpected(!mem_base ? mem_base.error() : mem_size.error());
        }
        const std::uint64_t count = array->count.value_or(0);
        for (std::uint64_t i = 0; i < count; ++i) {
            Field size = *mem_size;
            size.offset += mem->offset + i * element->size;
            size_fields.push_back(size);
        }
        base = *mem_base;
        base->offset += mem->offset;
    } else {
        auto core_base = mod.require("core_layout.base");
        if (!core_base) {
            return std::unexpected(core_base.error());
        }
        base = *core_base;
        for (std::string_view path : {"core_layout.size", "init_layout.size"}) {
            auto size = mod.require(path);
            if (!size) {
                return std::unexpected(size.error());
            }
            size_fields.push_back(*size);
        }
    }

    // The span of struct module holding every field used: one read per module.
    std::uint64_t lo = std::min({list->offset, name->offset, state->offset, base->offset});
    std::uint64_t hi = std::max({list->offset + 16, name->offset + name->size,
                                 state->offset + state->size, base->offset + base->size});
    for (const Field& size : size_fields) {
        lo = std::min(lo, size.offset);
        hi = std::max(hi, size.offset + size.size);
    }
    if (refcnt) {
        lo = std::min(lo, refcnt->offset);
        hi = std::max(hi, refcnt->offset + refcnt->size);
    }
    const auto at = [lo](Field field) {
        field.offset -= lo;
        return field;
    };

    auto head = kernel.address_of("modules");
    if (!head) {
        return std::unexpected(head.error());
    }
    auto first = kernel.read_u64(*head);
    if (!first) {
        return wrap(first.error(), "reading the modules list");
    }
    std::vector<ModuleInfo> modules;
    VisitedNodes visited(fmt::format("the modules list at {:#x}", *head));
    for (std::uint64_t node = *first; node != *head;) {
        if (auto ok = visited.visit(node); !ok) {
            return std::unexpected(ok.error());
        }
        if (modules.size() > max_modules) {
            return fail_as(ErrorKind::corrupt, "the modules list at {:#x} does not end", *head);
        }
        const std::uint64_t address = node - list->offset;
        auto record = kernel.read(address + lo, hi - lo);
        if (!record) {
            return wrap(record.error(), fmt::format("reading struct module at {:#x}", address));
        }
        ModuleInfo info;
        info.module = address;
        info.name = record->c_string(name->offset - lo, name->size);
        info.base = record->get(at(*base));
        info.state = static_cast<int>(record->get(at(*state)));
        for (const Field& size : size_fields) {
            info.size += record->get(at(size));
        }
        info.refcount =
            refcnt ? static_cast<int>(static_cast<std::int32_t>(record->get(at(*refcnt)))) - 1 : -1;
        modules.push_back(std::move(info));
        node = record->u64(list->offset - lo);
    }
    return modules;
}

} // namespace kdive::kernel
