#!/usr/bin/env python3
"""`irqshape isd-telemetry --prometheus` on a port that is taken fails before it opens
--jsonl: an earlier run's file is left as it was (it was emptied before the bind).

    telemetry_port_taken_check.py IRQSHAPE WORKDIR
"""
import os
import socket
import subprocess
import sys

irqshape, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
jsonl = os.path.join(work, "kept.jsonl")
with open(jsonl, "w") as f:
    f.write("an earlier run's\n")
with socket.socket() as taken:
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    run = subprocess.run([irqshape, "isd-telemetry", "--duration", "20ms", "--jsonl", jsonl,
                          "--prometheus", f"127.0.0.1:{port}"], capture_output=True, text=True)
if run.returncode != 1 or not run.stderr.startswith("irqshape isd-telemetry: "):
    sys.exit(f"expected exit 1 with a message, got {run.returncode}:\n{run.stdout}\n{run.stderr}")
with open(jsonl) as f:
    kept = f.read()
if kept != "an earlier run's\n":
    sys.exit(f"the failed run changed {jsonl}: {kept!r}")
print(f"port {port} taken: {run.stderr.strip()}; {jsonl} kept")
