#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: unit tests (plain and ASan+UBSan), the packet
# parser fuzzer for a bounded time, and the integration tests on real kernels under QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."

KDIVE_WERROR=1 scripts/bootstrap.sh

echo "== unit tests"
ctest --test-dir build -L unit --output-on-failure -j2

echo "== clang-tidy on the source files the last change touched"
KDIVE_TIDY_FILE_TIMEOUT=${KDIVE_TIDY_FILE_TIMEOUT:-120} scripts/tidy.sh --changed "${KDIVE_TIDY_BASE:-HEAD~1}"

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKDIVE_SANITIZE=ON -DKDIVE_WERROR=ON \
  -DKDIVE_BENCH=OFF
cmake --build build-asan -j2 --target kdive kdive_unit_tests
# All in one process: the sanitizers' start-up costs about 0.7 s a process, which ctest's one
# process per test pays 447 times (three minutes on two cores instead of twenty seconds).
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  build-asan/tests/kdive_unit_tests --gtest_brief=1

if [[ -x scripts/fuzz.sh ]]; then
  echo "== fuzzing the packet parser"
  scripts/fuzz.sh "${KDIVE_FUZZ_SECONDS:-60}"
fi

echo "== integration tests (real kernels, real QEMU)"
ctest --test-dir build -L '^integration$' --output-on-failure -j2

# CI's budget leaves out (label extra) the x86-64 suites' copies on 5.10 and 6.12 that read
# nothing release-specific, the debugger comparisons there, and the tiny kernel builds with the
# tests that debug them (about 15 minutes of both cores each); KDIVE_EXTRA=1 runs them too.
if [[ -n ${KDIVE_EXTRA:-} ]]; then
  echo "== the x86-64 tests CI leaves out (KDIVE_EXTRA)"
  ctest --test-dir build -L '^extra$' --output-on-failure -j2
fi

# arm64 under TCG is slower: CI runs its 6.1 kernel with the integration tests every time, sid's
# unwind, stepping and relay tests (label arm64) when the change touches arm64 code or
# KDIVE_ARM64 is set, and the rest (label arm64-extra: sid's kernel awareness, 6.12-arm64,
# KASLR, vmcores, the debugger comparisons, the tiny arm64 build) only with KDIVE_ARM64=all.
arm64_paths='src/arch/aarch64|src/kernel/frame_record|src/arch/architecture|src/lab/(kernel_arch|busybox_store|qemu_launcher)|arm64'
if [[ ${KDIVE_ARM64:-} == all ]]; then
  echo "== every arm64 integration test (KDIVE_ARM64=all)"
  ctest --test-dir build -L arm64 --output-on-failure -j2
elif [[ -n ${KDIVE_ARM64:-} ]] ||
  git diff --name-only "${KDIVE_ARM64_BASE:-HEAD~1}" 2>/dev/null | grep -Eq "$arm64_paths"; then
  echo "== arm64 integration tests on sid (the change touches arm64 code)"
  ctest --test-dir build -L '^arm64$' --output-on-failure -j2
fi
