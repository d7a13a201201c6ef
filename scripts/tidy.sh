#!/usr/bin/env bash
# Runs clang-tidy (16: it parses libstdc++ 12's <expected>) and fails on any finding.
#   scripts/tidy.sh                 every .cpp under src/
#   scripts/tidy.sh FILE...         those files
#   scripts/tidy.sh --changed [REV] the src/ .cpp files changed since REV (default HEAD~1)
set -euo pipefail
cd "$(dirname "$0")/.."
# clang-tidy needs a compile command per source file. build/ is a unity build, whose database
# lists its batches, so a configure-only tree without batching provides them (a few seconds).
db=build/tidy-db
cmake -S . -B "$db" -DKDIVE_UNITY=OFF -DKDIVE_BENCH=OFF >"$db.configure.log" 2>&1 ||
  { cat "$db.configure.log"; echo "tidy: could not configure $db"; exit 1; }
if [[ ${1:-} == --changed ]]; then
  base=${2:-HEAD~1}
  if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
    echo "tidy: no revision $base to compare with; checking nothing"
    exit 0
  fi
  mapfile -t files < <(git diff --name-only --diff-filter=d "$base" -- 'src/*.cpp' | sort)
  if ((${#files[@]} == 0)); then
    echo "tidy: no source file changed since $base"
    exit 0
  fi
elif (($#)); then
  files=("$@")
else
  mapfile -t files < <(find src -name '*.cpp' | sort)
fi
echo "tidy: ${#files[@]} file(s)"
# clang 16 spells C++23 as c++2b and needs the concepts level libstdc++ 12 checks for.
# KDIVE_TIDY_FILE_TIMEOUT (seconds) bounds each file: some files take clang-tidy many minutes
# on 2 cores, and CI has a budget. A file that runs out of time is named as unchecked.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export KDIVE_TIDY_FILE_TIMEOUT=${KDIVE_TIDY_FILE_TIMEOUT:-0}
status=0
printf '%s\n' "${files[@]}" | xargs -P2 -I{} sh -c '
  if [ "$KDIVE_TIDY_FILE_TIMEOUT" -gt 0 ]; then limit="timeout $KDIVE_TIDY_FILE_TIMEOUT"; else limit=; fi
  $limit clang-tidy-16 -p build/tidy-db --quiet --extra-arg=-std=c++2b --extra-arg=-U__cpp_concepts \
    --extra-arg=-D__cpp_concepts=202002L --warnings-as-errors="*" "$1"
  rc=$?
  if [ $rc -eq 124 ]; then echo "tidy: $1 not checked: over ${KDIVE_TIDY_FILE_TIMEOUT} s"; exit 0; fi
  exit $rc' sh {} >"$log" 2>&1 || status=$?
grep -v "warnings generated" "$log" || true
if ((status != 0)) || grep -qE '(warning|error): ' "$log"; then
  echo "tidy: findings above"
  exit 1
fi
echo "tidy: clean"
