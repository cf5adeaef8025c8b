#!/usr/bin/env bash
# Re-captures every trace in data/traces on the machine it runs on. Needs root and
# tracefs, plus tools that scripts/setup.sh does not install (only regenerating the
# data needs them): fio, curl, perf (linux-perf), and trace-cmd for the v7 copy.
#   apt-get install fio curl linux-perf
# Run from the repository root:  data/traces/capture.sh
set -euo pipefail
cd "$(dirname "$0")"
IRQSHAPE=${IRQSHAPE:-../../build/release/src/cli/irqshape}
WORK=/var/tmp/irqshape-fio     # on the root filesystem, i.e. the virtio-blk disk vda
mkdir -p "$WORK"
[ -f "$WORK/data" ] || fio --name=layout --filename="$WORK/data" --size=1G --rw=write --bs=1M --direct=1 --output=/dev/null
FIO=(fio --filename="$WORK/data" --size=1G --direct=1 --time_based --randseed=1 --output=/dev/null)

# Block: 4 KiB random reads, one at a time (synchronous psync), for 500 ms.
"$IRQSHAPE" capture -o randread-qd1.irqt -- "${FIO[@]}" --name=randread-qd1 --runtime=500ms \
  --rw=randread --bs=4k --ioengine=psync --iodepth=1
# Block: 4 KiB random reads, 32 in flight (libaio), for 250 ms.
"$IRQSHAPE" capture -o randread-qd32.irqt -- "${FIO[@]}" --name=randread-qd32 --runtime=250ms \
  --rw=randread --bs=4k --ioengine=libaio --iodepth=32
# Block: 128 KiB sequential writes, one at a time, an fsync every 32 writes, for 500 ms.
"$IRQSHAPE" capture -o seqwrite.irqt -- "${FIO[@]}" --name=seqwrite --runtime=500ms \
  --rw=write --bs=128k --ioengine=psync --iodepth=1 --fsync=32
# Network: back-to-back HTTP downloads of an 11 MB file over eth0 (virtio-net) from the
# Debian mirror (about 1 Gbit/s here: the mirror answers through a nearby cache), cut at 3 s.
"$IRQSHAPE" capture -o net-download.irqt --duration 3 -- bash -c 'while true; do
  curl -s -o /dev/null http://deb.debian.org/debian/dists/bookworm/main/Contents-amd64.gz; done'
# Mixed: compiling two of irqshape's sources while fio does 70/30 random read/write of
# 16 KiB at queue depth 8, capped at 3000 IOPS, for 2 s.
"$IRQSHAPE" capture -o mixed-build-io.irqt --duration 2 -- bash -c "
  ${FIO[*]} --name=mixed --runtime=2s --rw=randrw --rwmixread=70 --bs=16k --ioengine=libaio --iodepth=8 --rate_iops=3000 &
  g++ -std=c++20 -O2 -I ../../src -c ../../src/trace/dat_reader.cc -o $WORK/a.o &&
  g++ -std=c++20 -O2 -I ../../src -c ../../src/trace/stats.cc -o $WORK/b.o; wait"

# Small fixtures for the readers, from one short capture of 64 direct 4 KiB writes:
#   .dat v6 as irqshape writes it, the same converted by trace-cmd to v7 with zstd, and
#   its `trace-cmd report` text.
DD=(dd if=/dev/zero of="$WORK/dd" bs=4k count=64 oflag=direct,dsync status=none)
"$IRQSHAPE" capture -o dd-write.dat -- "${DD[@]}"
trace-cmd convert --file-version 7 --compression zstd -i dd-write.dat -o dd-write.v7.dat
trace-cmd report dd-write.dat > dd-write.report.txt
# The kernel's own text: the top-level tracefs buffer during the same load.
T=/sys/kernel/tracing
echo 0 > $T/tracing_on; echo > $T/trace; echo 1024 > $T/buffer_size_kb
for e in irq/irq_handler_entry irq/irq_handler_exit block/block_rq_issue block/block_rq_complete napi/napi_poll; do
  echo 1 > "$T/events/$e/enable"
done
echo 1 > $T/tracing_on; "${DD[@]}"; echo 0 > $T/tracing_on
cp $T/trace dd-write.ftrace.txt; chmod 644 dd-write.ftrace.txt
for e in irq/irq_handler_entry irq/irq_handler_exit block/block_rq_issue block/block_rq_complete napi/napi_poll; do
  echo 0 > "$T/events/$e/enable"
done
echo > $T/trace
# perf script text of the same load. (perf here records only part of the irq and
# completion events of a workload that starts at once; 0.2 s of idle first fixes that.)
perf record -q -a -o "$WORK/perf.data" -e irq:irq_handler_entry -e irq:irq_handler_exit \
  -e block:block_rq_issue -e block:block_rq_complete -e napi:napi_poll -- \
  sh -c "sleep 0.2; ${DD[*]}; sleep 0.2"
perf script -i "$WORK/perf.data" > dd-write.perf.txt
ls -l
