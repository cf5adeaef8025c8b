#!/usr/bin/env bash
# The ISU's cost per interrupt as counts that do not depend on machine load: instructions
# executed and (simulated) mispredicted conditional branches per call of Isu::receive,
# under valgrind's callgrind, for each isu_bench configuration. Timings on a shared VM
# swing by 2x; these counts move by a few per cent at most between runs of one build (the
# benchmark picks its own iteration count, so a run covers more or less of the
# workload), so they show what a change to the data path does before a quiet machine
# confirms it with isu_bench's times.
#
#   scripts/isu_cost.sh [-b BENCH_BINARY] [FILTER]
#     -b BINARY  an isu_bench built elsewhere (default: build it in the release preset)
#     FILTER     a Google Benchmark filter regex (default: every isu_bench benchmark)
#
# The branch figure is callgrind's model (a table of 2-bit counters per branch address,
# no history), so it overstates what a modern predictor misses; compare it between
# builds, not with hardware counters.
set -euo pipefail
cd "$(dirname "$0")/.."

bench=""
while getopts "b:" opt; do
  case $opt in
    b) bench=$OPTARG ;;
    *) sed -n '10,12p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
filter=${1:-.}

# 77: CTest's skip code for the smoke test (bench/CMakeLists.txt).
command -v valgrind >/dev/null || { echo "isu_cost: skipped: valgrind is not installed (scripts/setup.sh installs it)"; exit 77; }
if [ -z "$bench" ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target isu_bench >/dev/null
  bench=build/release/bench/isu_bench
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mapfile -t names < <("$bench" --benchmark_list_tests=true --benchmark_filter="$filter")
[ ${#names[@]} -gt 0 ] || { echo "isu_cost: no benchmark matches '$filter'"; exit 2; }

printf '%-55s %9s %14s %16s\n' benchmark interrupts instructions mispredicted
for name in "${names[@]}"; do
  out=$work/callgrind.out
  # The benchmark's own loop and set-up are outside the toggle: only receive() counts.
  valgrind --tool=callgrind --branch-sim=yes --callgrind-out-file="$out" \
    --toggle-collect='irqshape::isu::Isu::receive*' \
    "$bench" --benchmark_filter="^${name}\$" --benchmark_min_time=0.2 >"$work/log" 2>&1 ||
    { cat "$work/log"; echo "isu_cost: $name failed under valgrind"; exit 1; }
  # Calls of receive(): the count on its caller's line in the call tree.
  # (From the scratch directory: run inside the source tree, callgrind_annotate shortens a
  # -g build's paths and its caller line for receive() goes missing.)
  calls=$(cd "$work" && callgrind_annotate --tree=caller "$out" 2>/dev/null |
    grep -B1 -E '[*]  [^ ]*Isu::receive\(' | grep -oE '\([0-9,]+x\)' | tr -d '(,x)' | head -1 || true)
  # Totals: Ir Bc Bcm Bi Bim.
  read -r ir _ bcm _ < <(sed -n 's/^summary: //p; s/^totals: //p' "$out" | tail -1)
  [ -n "${calls:-}" ] && [ "$calls" -gt 0 ] || { echo "isu_cost: $name: no calls of Isu::receive recorded"; exit 1; }
  awk -v n="$name" -v c="$calls" -v i="$ir" -v m="$bcm" \
    'BEGIN { printf "%-55s %9d %14.0f %16.2f\n", n, c, i / c, m / c }'
done
echo "(per interrupt; mispredicted: callgrind's simple branch model, for comparing builds)"
