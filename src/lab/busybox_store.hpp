// The static busybox a guest of each architecture runs: the host's own for its architecture,
// Debian's busybox-static of another architecture fetched once into the cache.
#pragma once

#include "lab/kernel_arch.hpp"
#include "support/error.hpp"

#include <filesystem>
#include <functional>
#include <string_view>

namespace kdive::lab {

// <cache>/busybox/ARCH: busybox and busybox.json (package, version, suite).
std::filesystem::path busybox_store_dir(KernelArch arch);

// The busybox for an `arch` guest. The host's architecture: default_busybox() (Debian's
// busybox-static installed on the host). Another one: busybox-static of that architecture from
// the Debian release of the default catalog kernel (bookworm), downloaded through the private
// apt configuration of that architecture and unpacked once into busybox_store_dir(arch);
// concurrent callers wait for one download. `say` hears one line per step.
Result<std::filesystem::path> busybox_for(KernelArch arch,
                                          const std::function<void(std::string_view)>& say = {});

} // namespace kdive::lab
