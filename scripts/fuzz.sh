#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-16 in build-fuzz/ and runs each for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS]   (total budget, shared by the targets; default 60)
set -euo pipefail

seconds=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
targets=(rsp_packet_fuzzer rsp_reply_fuzzer die_scanner_fuzzer core_file_fuzzer)

cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++-16 -DKDIVE_FUZZ=ON \
    -DKDIVE_TESTS=OFF -DKDIVE_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 ||
    { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

# Readable stacks in crash reports: the sanitizer runtime does not find the symbolizer by itself.
for symbolizer in llvm-symbolizer-16 llvm-symbolizer; do
    if command -v "$symbolizer" >/dev/null; then
        export ASAN_SYMBOLIZER_PATH=$(command -v "$symbolizer")
        break
    fi
done

per_target=$(( seconds / ${#targets[@]} ))
(( per_target > 0 )) || per_target=1
for target in "${targets[@]}"; do
    name=${target%_fuzzer}
    # Work on a copy of the seed corpus so runs never write into the source tree.
    corpus="$build/corpus/$name"
    mkdir -p "$corpus"
    cp -n "$root/fuzz/corpus/$name/"* "$corpus/" 2>/dev/null || true
    echo "== $target for ${per_target}s"
    "$build/fuzz/$target" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$build/$target-" "$corpus"
done
