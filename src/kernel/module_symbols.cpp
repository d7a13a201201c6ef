// struct mod_kallsyms holds the module's Elf64_Sym array and string table in kernel memory.
#include "kernel/module_symbols.hpp"

namespace kdive::kernel {

namespace {

constexpr std::size_t elf64_sym_size = 24;
constexpr std::uint64_t max_module_symbols = 1'000'000;
constexpr std::uint8_t stt_func = 2;

} // namespace

std::optional<ModuleSymbol> module_symbol(Kernel& kernel, const ModuleInfo& module,
                                          std::uint64_t address) {
    const StructLayout* mod = kernel.find_layout("module");
    const StructLayout* kallsyms = kernel.find_layout("mod_kallsyms");
    if (mod == nullptr || kallsyms == nullptr) {
        return std::nullopt;
    }
    const auto pointer = mod->field("kallsyms");
    const auto symtab = kallsyms->field("symtab");
    const auto count = kallsyms->field("num_symtab");
    const auto strtab = kallsyms->field("strtab");
    if (!pointer || !symtab || !count || !strtab) {
        return std::nullopt;
    }
    auto at = kernel.read_u64(module.module + pointer->offset);
    if (!at || *at == 0) {
        return std::nullopt;
    }
    auto header = kernel.read(*at, kallsyms->size());
    if (!header) {
        return std::nullopt;
    }
    const std::uint64_t symbols = header->u64(symtab->offset);
    const std::uint64_t number = header->get(*count);
    const std::uint64_t strings = header->u64(strtab->offset);
    if (symbols == 0 || number == 0 || number > max_module_symbols) {
        return std::nullopt;
    }
    auto table = kernel.read(symbols, number * elf64_sym_size);
    if (!table) {
        return std::nullopt;
    }
    std::optional<std::size_t> best;
    std::uint64_t best_value = 0;
    for (std::size_t i = 0; i < number; ++i) {
        const std::uint64_t base = i * elf64_sym_size;
        const std::uint8_t info = table->u8(base + 4);
        const std::uint64_t value = table->u64(base + 8);
        const std::uint64_t size = table->u64(base + 16);
        if ((info & 0x0f) != stt_func || value > address || value < best_value) {
            continue;
        }
        if (size != 0 && address >= value + size) {
            continue;
        }
        best = i;
        best_value = value;
    }
    if (!best) {
        return std::nullopt;
    }
    auto name = kernel.read_c_string(strings + table->u32(*best * elf64_sym_size), 256);
    if (!name) {
        return std::nullopt;
    }
    return ModuleSymbol{*name, best_value};
}

} // namespace kdive::kernel
