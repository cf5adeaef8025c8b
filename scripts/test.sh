#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds, and runs the whole test suite:
#   release  - every test, warnings as errors
#   asan     - every test under AddressSanitizer + UndefinedBehaviorSanitizer
#   tsan     - every test under ThreadSanitizer
#   fuzz     - every libFuzzer target (clang) for a short run on its corpus
# IRQSHAPE_TEST_PRESETS="release" narrows the run (default: all four).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

presets=${IRQSHAPE_TEST_PRESETS:-"release asan tsan fuzz"}
summary=()
status=0
for preset in $presets; do
  echo "==== preset: $preset ===="
  start=$(date +%s)
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  if ctest --preset "$preset" 2>&1 | tee "build/$preset/ctest.log"; then result=passed; else result=FAILED; status=1; fi
  line=$(grep -E 'tests passed|tests failed' "build/$preset/ctest.log" | tail -1 || true)
  summary+=("$(printf '%-8s %-7s %4ss  %s' "$preset" "$result" "$(( $(date +%s) - start ))" "$line")")
done

echo
echo "==== summary ===="
printf '%s\n' "${summary[@]}"
exit $status
