#!/usr/bin/env bash
# Open-ended fuzzing campaign: builds the fuzz preset and runs libFuzzer targets with a
# random seed for longer than CTest's short, fixed-seed check does.
#
#   scripts/fuzz.sh [-t SECONDS] [-m] [TARGET ...]
#     -t SECONDS  time per target (default 300)
#     -m          merge inputs that found new coverage into the committed seed corpus
#                 (fuzz/corpus/TARGET), minimized with libFuzzer's -merge=1
#     TARGET      e.g. isu_registers, trace_dat (default: every target)
#
# A crashing input is written to build/fuzz/findings/TARGET/ and the script exits 1 after
# the remaining targets ran. To keep it as a regression test, fix the bug, then copy the
# input into fuzz/corpus/TARGET/ (every preset replays that directory under CTest).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=300
merge=0
while getopts "t:m" opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    m) merge=1 ;;
    *) sed -n '2,14p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for exe in build/fuzz/fuzz/fuzz_*; do targets+=("${exe##*/fuzz_}"); done
fi

status=0
for target in "${targets[@]}"; do
  exe=build/fuzz/fuzz/fuzz_$target
  [ -x "$exe" ] || { echo "no fuzz target '$target' (have: $(ls build/fuzz/fuzz | sed -n 's/^fuzz_//p' | tr '\n' ' '))"; exit 2; }
  work=build/fuzz/campaign/$target findings=build/fuzz/findings/$target
  mkdir -p "$work" "$findings"
  echo "==== $target: ${seconds}s, random seed ===="
  if ! ASAN_OPTIONS=detect_leaks=1 "$exe" -seed=0 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$findings/" "$work" "fuzz/corpus/$target"; then
    echo "$target: crash - input(s) in $findings/"
    status=1
  fi
  if [ $merge = 1 ]; then
    "$exe" -merge=1 "fuzz/corpus/$target" "$work" 2>&1 | grep -E 'MERGE-OUTER: [0-9]+ new files' || true
  fi
done
exit $status
