#!/usr/bin/env python3
"""Writes the corpus of malformed trace inputs in this directory, each with a sidecar
<file>.expected holding the exact error message irqshape must give for it (as seen
from the repository root, where the tests run). bad_inputs_test.cc checks every pair;
the fuzz targets replay the same files. Re-run after changing a reader's messages:

    python3 tests/trace/bad/make_bad_inputs.py

Inputs found by the fuzzers are added by hand (with their .expected) next to these.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FORMATS = os.path.join(HERE, "..", "formats")
REL = "tests/trace/bad"


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def write(name, data, expected):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    with open(os.path.join(HERE, name + ".expected"), "w") as f:
        f.write(expected.replace("{file}", f"{REL}/{name}") + "\n")


# --- ftrace text and perf script -------------------------------------------------
OK = "          <idle>-0       [001] d.h1.   669.818029: irq_handler_entry: irq=36 name=virtio1-req.0\n"
HDR = "# tracer: nop\n#\n"

write("text-bad-timestamp.txt", HDR + OK + "  <idle>-0 [001] d.h1. 669.81x029: irq_handler_exit: irq=36 ret=handled\n",
      "{file}: line 4: bad timestamp")
write("text-bad-rwbs.txt", HDR + OK + "  fio-1 [000] ..... 669.9: block_rq_issue: 254,0 RZ 4096 () 8 + 8 be,0,4 [fio]\n",
      "{file}: line 4: block_rq_issue: bad rwbs flags")
write("text-no-cpu.txt", HDR + OK + "  <idle>-0 669.9: irq_handler_exit: irq=36 ret=handled\n",
      "{file}: line 4: no '[cpu]' field")
write("text-cpu-range.txt", HDR + OK + "  <idle>-0 [9000] d.h1. 669.9: irq_handler_exit: irq=36 ret=handled\n",
      "{file}: line 4: irq_handler_exit: cpu 9000 out of range (at most 8192 CPUs)")
write("text-irq-range.txt", HDR + "  <idle>-0 [001] d.h1. 669.9: irq_handler_entry: irq=99999999999 name=x\n",
      "{file}: line 3: irq_handler_entry: irq number 99999999999 out of range")
write("text-truncated-line.txt", HDR + OK + "  <idle>-0 [001] d.h1. 669.9: block_rq_complete: 254,0 WS () 1234",
      "{file}: line 4: cut off: the file ends inside this line (no newline after it; add one if the line is whole)")
write("text-long-name.txt", HDR + "  <idle>-0 [001] d.h1. 669.9: irq_handler_entry: irq=1 name=" + "n" * 300 + "\n",
      "{file}: line 3: irq_handler_entry: interrupt name longer than 255 bytes")
write("text-huge-line.txt", HDR + OK + "  <idle>-0 [001] d.h1. 669.9: irq_handler_entry: irq=1 name=" + "x" * 70000 + "\n",
      "{file}: line 4: line longer than 65536 bytes")
write("text-nul.txt", HDR + OK + "  <idle>-0 [001] d.h1. 669.9: irq_handler_entry: irq=1 name=a\0b\n",
      "{file}: line 4: NUL byte in text (is this a binary file?)")
write("text-bad-napi.txt", HDR + "  <idle>-0 [001] ..s1. 669.9: napi_poll: napi poll on napi struct 0 for device eth0 work many budget 64\n",
      "{file}: line 3: napi_poll: expected 'napi poll on napi struct <p> for device <dev> work <n> budget <n>'")
write("text-bad-error-code.txt", HDR + "  <idle>-0 [001] ..s1. 669.9: block_rq_complete: 254,0 R () 8 + 8 [oops]\n",
      "{file}: line 3: block_rq_complete: bad error code 'oops'")
write("text-garbage.txt", "hello, this is not a trace\n", 
      "{file}: line 1: not a recognized trace format (expected an ftrace or perf script event line, an irqshape "
      "native trace or a trace-cmd .dat file)")
write("text-empty.txt", "", "{file}: empty file")
# A timestamp too large for 64-bit nanoseconds: on the first line too, where it decides the format.
write("text-overflow-timestamp.txt", "  <idle>-0 [001] d.h1. 99999999999999999999.000000: irq_handler_entry: irq=36 name=x\n",
      "{file}: line 1: bad timestamp")
write("text-backwards.txt", HDR + OK + "  <idle>-0 [001] d.h1. 669.000000: irq_handler_exit: irq=36 ret=handled\n",
      "{file}: line 4: time goes backwards on CPU 1: 669.000000 after 669.818029")
PERF_OK = "         swapper     0 [000]  1223.255982:   irq:irq_handler_entry: irq=41 name=virtio3-rx\n"
write("perf-no-event.perf", PERF_OK + "         swapper     0 [000]  1223.255996:    irq:irq_handler_exit irq=41 ret=handled\n",
      "{file}: line 2: expected '<event>:' after the timestamp")
write("perf-bad-exit.perf", PERF_OK + "         swapper     0 [000]  1223.255996:    irq:irq_handler_exit: irq=41 ret=handled extra\n",
      "{file}: line 2: irq_handler_exit: unexpected text after the return value")
write("perf-backwards.perf", PERF_OK + "         swapper     0 [000]  1223.000000:    irq:irq_handler_exit: irq=41 ret=handled\n",
      "{file}: line 2: time goes backwards on CPU 0: 1223.000000 after 1223.255982")

# Layouts that look like traces but are not read: the messages say what to do instead
# (src/trace/text_reader.h, src/trace/reader.cc).
KERNEL_LATENCY = ("the kernel's latency-format output, whose times count in microseconds from the ring buffer's "
                  "last reset rather than by the trace clock: read the trace with latency-format off (echo 0 > "
                  "/sys/kernel/tracing/options/latency-format), or record a .dat and use trace-cmd report (with or "
                  "without -l)")
write("text-kernel-latency-format.txt",
      "# tracer: nop\n#\n# nop latency trace v1.1.5 on 6.18.44-fc-v1272\n"
      " cc1plus-24414     1d.h.. 28396us : irq_handler_entry: irq=36 name=virtio1-req.0\n",
      "{file}: line 3: " + KERNEL_LATENCY)
write("text-kernel-latency-lines.txt",
      "    bash-24420     1d.h.. 18344us*: irq_handler_entry: irq=36 name=virtio1-req.0\n",
      "{file}: line 1: " + KERNEL_LATENCY)
write("perf-no-cpu.txt",
      "         cc1plus 17609 74725.261973:   irq:irq_handler_entry: irq=36 name=virtio1-req.0\n",
      "{file}: line 1: perf script output without the [cpu] field, which irqshape needs: add cpu to perf "
      "script's -F (-F comm,tid,cpu,time,event,trace), or leave -F out (the default prints it)")
write("perf-data.data", b"PERFILE2h\0\0\0\0\0\0\0" + bytes(96),
      "{file}: perf's binary perf.data format, which irqshape does not read: convert it to text with "
      "`perf script -i {file} -F comm,tid,cpu,time,event,trace > perf.txt` and read that (the events must be "
      "tracepoints: irq:irq_handler_entry/exit, block:block_rq_*, napi:napi_poll)")

# --- native ----------------------------------------------------------------------
MAGIC = b"\x89IRQT\r\n\x1a"


def header(major=1, minor=0):
    h = MAGIC + struct.pack("<HH", major, minor)
    return h + struct.pack("<I", crc32c(h))


def block(btype, entries, payload, length=None):
    h = struct.pack("<III", btype, len(payload) if length is None else length, entries)
    return h + struct.pack("<I", crc32c(payload, crc32c(h))) + payload


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zz(v):
    return (v << 1) ^ (v >> 63) if v >= 0 else ((-v) << 1) - 1


SOURCE = bytes([15]) + varint(0) + varint(zz(36)) + bytes([1]) + varint(13) + b"virtio1-req.0"
ENTRY = bytes([0]) + varint(zz(1000)) + varint(1) + varint(0)
EXIT = bytes([0x11]) + varint(zz(700)) + varint(1) + varint(0)
DATA = block(2, 3, SOURCE + ENTRY + EXIT)
END = block(3, 0, struct.pack("<QII", 2, 1, 0))
GOOD = header() + DATA + END
assert len(header()) == 16

write("native-truncated.irqt", GOOD[:-5], "{file}: byte offset %d: truncated block: 11 of 16 payload bytes" % (len(GOOD) - 5))
write("native-missing-end.irqt", header() + DATA, "{file}: byte offset %d: truncated: the end block is missing" % len(header() + DATA))
bad = bytearray(GOOD)
bad[16 + 16 + 3] ^= 0x40
write("native-bad-checksum.irqt", bytes(bad), "{file}: byte offset 16: block checksum mismatch (corrupt data)")
write("native-version.irqt", header(major=3) + DATA + END,
      "{file}: byte offset 8: unsupported format version 3.0 (this build reads 1.x)")
write("native-trailing.irqt", GOOD + b"\0", "{file}: byte offset %d: data after the end block" % len(GOOD))
write("native-huge-block.irqt", header() + struct.pack("<IIII", 2, 0xFFFFFFF0, 1, 0),
      "{file}: byte offset 20: block payload of 4294967280 bytes exceeds the 16777216 byte limit")
write("native-undefined-source.irqt", header() + block(2, 1, ENTRY) + END,
      "{file}: byte offset 32: irq_handler_entry refers to undefined source 0")
write("native-count-mismatch.irqt", header() + DATA + block(3, 0, struct.pack("<QII", 5, 1, 0)),
      "{file}: byte offset %d: end block says 5 records, 1 sources, 0 devices but the file holds 2, 1, 0 (blocks missing?)"
      % len(header() + DATA))
write("native-bad-varint.irqt", header() + block(2, 1, bytes([0]) + b"\xff" * 11) + END,
      "{file}: byte offset 32: truncated record")
write("native-unknown-tag.irqt", header() + block(2, 1, bytes([9]) + varint(0) + varint(0)) + END,
      "{file}: byte offset 32: unknown entry tag 0x09")
write("native-long-name.irqt", header() + block(2, 1, bytes([15]) + varint(0) + varint(0) + bytes([0]) + varint(1000) + b"x" * 1000) + END,
      "{file}: byte offset 32: bad source name length 1000")
META = block(1, 0, b"clock=local\n")
write("native-two-metadata-blocks.irqt", header() + META + META + DATA + END,
      "{file}: byte offset %d: a second metadata block (the format allows one)" % (16 + len(META)))
write("native-bad-metadata-key.irqt", header() + block(1, 0, b"Bad Key=1\n") + DATA + END,
      "{file}: byte offset 32: metadata key 'Bad Key' is not [a-z0-9_.-]{1,64}")
write("native-unknown-block.irqt", header() + block(7, 0, b"") + END, "{file}: byte offset 16: unknown block type 0x7")
write("native-header-only.irqt", MAGIC + b"\1\0",
      "{file}: byte offset 10: truncated file header")

# --- trace-cmd .dat (version 6) -------------------------------------------------------


def fmt(name):
    with open(os.path.join(FORMATS, name), "rb") as f:
        return f.read()


def u16(v): return struct.pack("<H", v)
def u32(v): return struct.pack("<I", v)
def u64(v): return struct.pack("<Q", v)


def dat(page, page_size=4096, systems=None, cpus=1, version=b"6"):
    out = b"\x17\x08\x44tracing" + version + b"\0" + bytes([0, 8]) + u32(page_size)
    out += b"header_page\0" + u64(len(fmt("header_page"))) + fmt("header_page")
    out += b"header_event\0" + u64(len(fmt("header_event"))) + fmt("header_event")
    out += u32(0)
    if systems is None:
        systems = [(b"irq", [fmt("irq_handler_entry.format"), fmt("irq_handler_exit.format")])]
    out += u32(len(systems))
    for name, formats in systems:
        out += name + b"\0" + u32(len(formats))
        for t in formats:
            out += u64(len(t)) + t
    out += u32(0) + u32(0) + u64(0) + u32(cpus)
    out += b"options  \0" + u16(0) + b"flyrecord\0"
    table_end = len(out) + 16 * cpus
    start = (table_end + page_size - 1) // page_size * page_size
    out += u64(start) + u64(len(page))
    out += b"\0" * (start - len(out))
    return out + page, start


def page(events, commit=None):
    body = b"".join(events)
    c = len(body) if commit is None else commit
    p = u64(1000) + u64(c) + body
    return p + b"\0" * (4096 - len(p))


def irq_entry(delta, irq, name):
    payload = u16(225) + b"\0\0" + u32(0) + struct.pack("<i", irq) + u32(((len(name) + 1) << 16) | 16) + name + b"\0"
    payload += b"\0" * (-len(payload) % 4)
    return u32((len(payload) // 4) | (delta << 5)) + payload


good_page = page([irq_entry(5, 36, b"virtio1-req.0")])
d, pg = dat(good_page)
write("dat-truncated.dat", d[:pg + 100],
      "{file}: byte offset %d: CPU 0 data (4096 bytes) runs past the end of the file (at byte %d)" % (pg, pg + 100))
d, pg = dat(page([irq_entry(5, 36, b"virtio1-req.0")], commit=5000))
write("dat-bad-commit.dat", d, "{file}: byte offset %d: CPU 0: page commit size runs past the end of the page" % (pg + 8))
d, pg = dat(page([u32(0x1F)]))  # type_len 31 (absolute time) without its extension word
write("dat-truncated-event.dat", d, "{file}: byte offset %d: CPU 0: truncated time extend" % (pg + 16))
d, pg = dat(page([u32(20 | (1 << 5)) + b"\0" * 40]))  # claims 80 bytes, 40 committed
write("dat-event-past-page.dat", d, "{file}: byte offset %d: CPU 0: event runs past the end of the page" % (pg + 16))
short_entry = u16(225) + b"\0" * 6 + struct.pack("<i", 3) + u32((200 << 16) | 16)
d, pg = dat(page([u32(4 | (1 << 5)) + short_entry]))
write("dat-field-outside.dat", d,
      "{file}: byte offset %d: CPU 0: irq_handler_entry: field 'name' lies outside the event" % (pg + 16))
d, _ = dat(good_page, version=b"8")
write("dat-version.dat", d, "{file}: byte offset 10: unsupported trace-cmd file version '8' (this reader handles 6 and 7)")
d, _ = dat(good_page, page_size=12)
write("dat-page-size.dat", d, "{file}: byte offset 14: implausible page size 12")
bad_format = fmt("irq_handler_entry.format").replace(b"field:int irq;", b"field:long irq;").replace(b"offset:8;\tsize:4;", b"offset:8;\tsize:8;", 1)
d, _ = dat(good_page, systems=[(b"irq", [bad_format])])
at = d.index(b"name: irq_handler_entry")
write("dat-bad-format.dat", d, "{file}: byte offset %d: format of irq_handler_entry: field 'irq' has unexpected size 8" % at)
d, _ = dat(good_page)
hdr_end = d.index(b"header_page\0") + 12
write("dat-huge-header.dat", d[:hdr_end] + u64(1 << 40) + d[hdr_end + 8:],
      "{file}: byte offset %d: header_page of 1099511627776 bytes exceeds the 65536 byte limit" % (hdr_end + 8))
systems_at = d.index(b"irq\0") - 4
write("dat-huge-count.dat", d[:systems_at] + u32(0xFFFFFFFF) + d[systems_at + 4:],
      "{file}: byte offset %d: implausible event system count 4294967295" % (systems_at + 4))
v7 = b"\x17\x08\x44tracing7\0" + bytes([0, 8]) + u32(4096) + b"zstd\0" + b"1.5.4\0"
v7 += u64(len(v7) + 8)  # the options section follows
v7 += u16(0) + u16(1) + u32(0) + u64(16) + u32(8) + u32(100) + b"\x28\xb5\x2f\xfd" + b"garbage!"
write("dat-zstd-garbage.dat", v7, "{file}: byte offset 37: options section: zstd: Src size is incorrect")
# A real v7 file (trace-cmd 3.1.6) cut after 100 bytes: its options offset points past the end.
with open(os.path.join(HERE, "..", "..", "..", "data", "traces", "dd-write.v7.dat"), "rb") as f:
    cut = f.read(100)
write("dat-v7-cut.dat", cut, "{file}: byte offset %d: truncated section id (the file ends at byte 100)"
      % struct.unpack("<Q", cut[29:37])[0])
print("wrote", len([f for f in os.listdir(HERE) if f.endswith(".expected")]), "bad inputs")
