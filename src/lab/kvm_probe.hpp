// Decides whether KVM really runs guests here (nested KVM may exist yet hang).
#pragma once

#include "support/error.hpp"

#include <filesystem>
#include <string>

namespace kdive::lab {

enum class KvmMode { Off, On, Auto };

Result<KvmMode> parse_kvm_mode(std::string_view text);

// Boots a 64 KiB firmware whose reset vector writes to isa-debug-exit under KVM: only a QEMU
// that exits with the expected status within the timeout proves KVM executes guest code.
// `scratch` is a folder for the firmware file. Returns the reason when KVM is unusable.
Result<> probe_kvm(const std::filesystem::path& scratch);

} // namespace kdive::lab
