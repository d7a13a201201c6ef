#!/usr/bin/env bash
# Time from `kdive boot` to the BusyBox shell banner for every fetched test kernel (TCG).
# Usage: bench/boot_to_shell.sh [RUNS] [SMP]     (kdive from build/ unless $KDIVE is set)
set -euo pipefail
cd "$(dirname "$0")/.."
kdive=${KDIVE:-build/kdive}
runs=${1:-3}
smp=${2:-2}
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
printf '%-24s %8s %8s %8s\n' kernel min median max
for kernel in debian-6.1-cloud debian-6.12-cloud debian-5.10-cloud debian-sid-cloud \
  debian-6.1-cloud-arm64 debian-6.12-cloud-arm64 debian-sid-cloud-arm64; do
  "$kdive" kernel path "$kernel" >/dev/null 2>&1 || { printf '%-24s not fetched\n' "$kernel"; continue; }
  times=()
  for _ in $(seq "$runs"); do
    rm -rf "$state/s"
    start=$(date +%s.%N)
    "$kdive" boot --kernel "$kernel" --smp "$smp" --detach --state "$state/s" >/dev/null 2>&1
    for _ in $(seq 6000); do  # at most 120 s
      grep -q 'built-in shell' "$state/s/console.log" 2>/dev/null && break
      sleep 0.02
    done
    end=$(date +%s.%N)
    "$kdive" stop "$state/s" >/dev/null 2>&1
    times+=("$(echo "$end - $start" | bc)")
  done
  sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  printf '%-24s %7.2fs %7.2fs %7.2fs\n' "$kernel" "${sorted[0]}" "${sorted[$((runs / 2))]}" \
    "${sorted[$((runs - 1))]}"
done
