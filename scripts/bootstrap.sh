#!/usr/bin/env bash
# Installs every Debian package kdive needs (idempotent) and builds kdive into build/.
#   scripts/bootstrap.sh            install + configure + build
#   KDIVE_WERROR=1 scripts/bootstrap.sh   same, warnings as errors (CI)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # toolchain
  build-essential cmake pkg-config git clang-format
  clang-16 clang-tidy-16 libclang-rt-16-dev
  # libraries
  libdw-dev libelf-dev libdebuginfod-dev libbpf-dev zlib1g-dev libzstd-dev liblzma-dev
  liblzo2-dev libsnappy-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libedit-dev libcapstone-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # runtime: the VM, its rootfs, kernel packages, and GDB for `kdive gdb` and benchmarks
  qemu-system-x86 busybox-static gdb cpio xz-utils zstd tar dpkg apt debian-archive-keyring
  ca-certificates
  # arm64: the virt machine, GDB for any architecture, and a cross compiler for arm64 kernels
  qemu-system-arm gdb-multiarch gcc-aarch64-linux-gnu
  # LLDB: a client of `kdive serve` in the tests
  lldb
  # a local debuginfod server for the vmcore tests (bsdtar lets it read .deb files)
  debuginfod libarchive-tools
  # building kernels (`kdive kconfig`, `kdive build`): Kbuild, pahole for BTF, the lx-scripts
  flex bison bc libssl-dev dwarves rsync python3 make gcc
  # the peers the benchmarks compare with (drgn under Debian's /usr/bin/python3; crash on vmcores)
  python3-drgn crash
  # `import kdive`: pybind11 bindings for Debian's /usr/bin/python3, and their tests
  pybind11-dev python3-dev python3-pytest
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
  fi
  echo "bootstrap: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
else
  echo "bootstrap: all packages present"
fi

werror=OFF
if [[ -n ${KDIVE_WERROR:-} ]]; then
  werror=ON
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKDIVE_WERROR="$werror"
cmake --build build -j2
echo "bootstrap: built $(pwd)/build/kdive"
