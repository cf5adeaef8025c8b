#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds irqshape (release) and runs the main job.
# Arguments are passed to `irqshape`; without any, it runs `irqshape demo`: the built-in
# scenario under every shaping policy, side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target irqshape
if [ $# -eq 0 ]; then set -- demo; fi
exec ./build/release/src/cli/irqshape "$@"
