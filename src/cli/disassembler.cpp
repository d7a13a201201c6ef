// capstone wrapper: one handle per call keeps it simple; x/i is interactive, not a hot path.
#include "cli/disassembler.hpp"

#include <capstone/capstone.h>

namespace kdive::cli {

Result<std::vector<Instruction>> disassemble(std::span<const std::uint8_t> code,
                                             std::uint64_t address, CpuMode mode,
                                             std::size_t count) {
    cs_mode cs = mode == CpuMode::long64        ? CS_MODE_64
                 : mode == CpuMode::protected32 ? CS_MODE_32
                                                : CS_MODE_16;
    csh handle = 0;
    if (mode == CpuMode::aarch64) {
        if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &handle) != CS_ERR_OK)
            return fail("capstone: cannot open an arm64 disassembler");
    } else if (cs_open(CS_ARCH_X86, cs, &handle) != CS_ERR_OK) {
        return fail("capstone: cannot open an x86 disassembler");
    }
    cs_insn* insns = nullptr;
    std::size_t decoded = cs_disasm(handle, code.data(), code.size(), address, count, &insns);
    std::vector<Instruction> out;
    for (std::size_t i = 0; i < decoded; ++i) {
        std::string text = insns[i].mnemonic;
        if (insns[i].op_str[0] != '\0')
            text += fmt::format(" {}", insns[i].op_str);
        out.push_back({insns[i].address, insns[i].size, std::move(text)});
    }
    if (insns != nullptr)
        cs_free(insns, decoded);
    cs_close(&handle);
    if (out.empty() && !code.empty())
        return fail("cannot decode an instruction at {:#x}", address);
    return out;
}

} // namespace kdive::cli
