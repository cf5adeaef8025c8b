#!/bin/sh
# `irqshape isd-telemetry --realtime`: no period is published before its end in wall time.
# Scrapes /metrics from the moment the address is printed until the command exits; every
# successful scrape's irqshape_isu_time_seconds (the end of the last period published) must
# be at most the wall time elapsed since just before the command started. Only "not early"
# is asserted, never "on time": a slow, loaded machine only makes the bound looser. The
# --jsonl file is a stream: once a period is published, its line is already in the file
# (not in a temporary file renamed at the end), so `tail -f` can follow it.
#   telemetry_realtime_check.sh IRQSHAPE SCRATCH_DIR   (exit 77, a skip, without curl)
set -u
exe=$1
log=$2/realtime.log
mkdir -p "$2"
# The log goes too: the command truncates it only once it has forked, and a loaded machine
# can run the address search below first - which would then find the last run's address.
rm -f "$2/periods.jsonl" "$log"
command -v curl > /dev/null 2>&1 || { echo "no curl: skipped"; exit 77; }
now() { date +%s.%N; }
t0=$(now)
"$exe" isd-telemetry --realtime --duration 2s --period 1s --quiet --prometheus 127.0.0.1:0 --serve-for 500ms \
  --jsonl "$2/periods.jsonl" > "$log" &
pid=$!
fail() { echo "$1"; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; cat "$log"; exit 1; }
url=
for _ in $(seq 1 250); do
  url=$(sed -n 's|^serving Prometheus metrics on \(http://[^ ]*/metrics\)$|\1|p' "$log" 2>/dev/null)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.02
done
[ -n "$url" ] || fail "no address line"
answered=0
published=0
while kill -0 "$pid" 2>/dev/null; do
  code=$(curl -s -o "$2/scrape.txt" -w '%{http_code}' --max-time 2 "$url")
  t=$(now)
  case "$code" in
    503) answered=$((answered + 1)) ;;
    200)
      answered=$((answered + 1))
      published=$((published + 1))
      sim=$(sed -n 's/^irqshape_isu_time_seconds \([0-9.eE+-]*\)$/\1/p' "$2/scrape.txt")
      [ -n "$sim" ] || fail "a 200 without irqshape_isu_time_seconds: $(cat "$2/scrape.txt")"
      awk -v s="$sim" -v a="$t0" -v b="$t" 'BEGIN { exit !(s <= b - a) }' ||
        fail "published the period ending at ${sim} s of unit time after $(awk -v a="$t0" -v b="$t" 'BEGIN { print b - a }') s of wall time"
      [ -s "$2/periods.jsonl" ] || fail "a period was published but $2/periods.jsonl has no line yet"
      ;;
    *) ;;  # the server has stopped (the command is exiting)
  esac
  sleep 0.05
done
wait "$pid"
rc=$?
[ "$rc" = 0 ] || fail "isd-telemetry exited $rc"
[ "$answered" -gt 0 ] || fail "/metrics never answered"
echo "$answered scrapes answered, $published with a published period; none early"
