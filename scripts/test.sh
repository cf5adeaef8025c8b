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
  # CTest lists what failed just before its closing lines; repeat it in the
  # summary, which is all a truncated CI log may keep.
  while IFS= read -r failed; do
    summary+=("         failed: ${failed#"${failed%%[![:space:]]*}"}")
  done < <(sed -n '/^The following tests FAILED:/,/^Errors while running CTest/p' "build/$preset/ctest.log" \
             | grep -E '^[[:space:]]+[0-9]+ - ' || true)
done

# The output of each failed test, cut to its last lines, so that a log that
# keeps only its tail still says why.
for preset in $presets; do
  log="build/$preset/Testing/Temporary/LastTest.log"
  [[ -f $log ]] || continue
  awk -v preset="$preset" '
    /^[0-9]+\/[0-9]+ Testing: / { name = $3; n = 0; in_output = 0; next }
    /^Output:$/ { in_output = 1; next }
    /^<end of output>$/ { in_output = 0; next }
    in_output && !/^-+$/ { out[n++ % 40] = $0 }
    /^Test Failed/ {
      printf "==== %s: output of failed test %s (last lines) ====\n", preset, name
      for (i = (n > 40 ? n - 40 : 0); i < n; i++) print out[i % 40]
    }' "$log"
done

echo
echo "==== summary ===="
printf '%s\n' "${summary[@]}"
exit $status
