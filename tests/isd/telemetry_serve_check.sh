#!/bin/sh
# `irqshape isd-telemetry --prometheus 127.0.0.1:0 --serve-for ...` with standard output
# to a file: the "serving ... on http://127.0.0.1:PORT/metrics" line (the only way to learn
# the port) is in the file while the command still runs, not only at its exit.
#   telemetry_serve_check.sh IRQSHAPE SCRATCH_DIR
set -u
exe=$1
log=$2/serve.log
mkdir -p "$2"
"$exe" isd-telemetry --duration 50ms --prometheus 127.0.0.1:0 --serve-for 3s > "$log" &
pid=$!
# Looks until the command has exited, not for a fixed number of tries: on a loaded machine
# its start can take longer than any guess, and it serves for 3 s once the line is out.
found=0
while kill -0 "$pid" 2>/dev/null; do
  if grep -q '^serving Prometheus metrics on http://127.0.0.1:[0-9]*/metrics' "$log" 2>/dev/null; then
    kill -0 "$pid" 2>/dev/null && found=1
    break
  fi
  sleep 0.1
done
wait "$pid"
rc=$?
if [ "$found" != 1 ]; then
  echo "the address line was not in the output while the command ran:"; cat "$log"; exit 1
fi
[ "$rc" = 0 ] || { echo "isd-telemetry exited $rc"; exit 1; }
