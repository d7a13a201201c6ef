// The address translator for a target's architecture: x86-64's or arm64's kernel page tables.
#pragma once

#include "arch/architecture.hpp"
#include "target/address_translator.hpp"
#include "target/target.hpp"
#include "target/vmcore_info.hpp"

#include <memory>

namespace kdive::arch {

// For a live target: its vCPUs' registers give the tables (CR3; TTBR1_EL1 and TCR_EL1).
std::unique_ptr<target::AddressTranslator> live_kernel_translator(target::Target& target);

// For a dump: VMCOREINFO gives the kernel's own tables (init_top_pgt; swapper_pg_dir with
// kimage_voffset, and the VA size), as arm64 dumps carry general registers only.
std::unique_ptr<target::AddressTranslator> dump_kernel_translator(target::Target& target,
                                                                  const target::VmcoreInfo& info,
                                                                  const Architecture& arch);

} // namespace kdive::arch
