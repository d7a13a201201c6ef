// Sizes follow /proc/modules: the sum of every mod->mem[] region (6.4+), or core_layout.size +
// init_layout.size before. refcnt counts one extra reference (MODULE_REF_BASE) while loaded.
#include "kernel/module_list.hpp"

#include "kernel/visited_nodes.hpp"

#include <algorithm>
#include <array>

namespace kdive::kernel {

namespace {

constexpr std::size_t max_modules = 100'000;
// enum mod_mem_type's order (6.4+).
constexpr std::array<std::string_view, 7> mod_mem_types = {
    "text", "data", "rodata", "ro_after_init", "init_text", "init_data", "init_rodata"};

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
    std::vector<Field> base_fields; // paired with size_fields
    std::vector<std::string> region_kinds;
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
            Field region_base = *mem_base;
            region_base.offset += mem->offset + i * element->size;
            base_fields.push_back(region_base);
            region_kinds.push_back(i < mod_mem_types.size() ? std::string(mod_mem_types[i])
                                                            : fmt::format("mem[{}]", i));
        }
        base = *mem_base;
        base->offset += mem->offset;
    } else {
        auto core_base = mod.require("core_layout.base");
        if (!core_base) {
            return std::unexpected(core_base.error());
        }
        base = *core_base;
        for (std::string_view part : {"core_layout", "init_layout"}) {
            auto size = mod.require(fmt::format("{}.size", part));
            auto region_base = mod.require(fmt::format("{}.base", part));
            if (!size || !region_base) {
                return std::unexpected(!size ? size.error() : region_base.error());
            }
            size_fields.push_back(*size);
            base_fields.push_back(*region_base);
            region_kinds.emplace_back(part.substr(0, 4));
        }
    }

    // The span of struct module holding every field used: one read per module.
    std::uint64_t lo = std::min({list->offset, name->offset, state->offset, base->offset});
    std::uint64_t hi = std::max({list->offset + 16, name->offset + name->size,
                                 state->offset + state->size, base->offset + base->size});
    for (const auto* fields : {&size_fields, &base_fields}) {
        for (const Field& field : *fields) {
            lo = std::min(lo, field.offset);
            hi = std::max(hi, field.offset + field.size);
        }
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
        for (std::size_t i = 0; i < size_fields.size(); ++i) {
            const std::uint64_t size = record->get(at(size_fields[i]));
            info.size += size;
            if (size != 0) {
                info.regions.push_back({region_kinds[i], record->get(at(base_fields[i])), size});
            }
        }
        info.refcount =
            refcnt ? static_cast<int>(static_cast<std::int32_t>(record->get(at(*refcnt)))) - 1 : -1;
        modules.push_back(std::move(info));
        node = record->u64(list->offset - lo);
    }
    return modules;
}

} // namespace kdive::kernel
