#!/usr/bin/env bash
# Runs clang-tidy (16: it parses libstdc++ 12's <expected>) on the given files or all of src/.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -f build/compile_commands.json ]] || { echo "tidy: configure build/ first"; exit 1; }
if (($#)); then files=("$@"); else mapfile -t files < <(find src -name '*.cpp' | sort); fi
# clang 16 spells C++23 as c++2b and needs the concepts level libstdc++ 12 checks for.
printf '%s\n' "${files[@]}" | xargs -P2 -n4 clang-tidy-16 -p build --quiet \
  --extra-arg=-std=c++2b --extra-arg=-U__cpp_concepts --extra-arg=-D__cpp_concepts=202002L \
  --warnings-as-errors='*' 2>&1 | grep -v "warnings generated" || true
