#!/usr/bin/env python3
"""Boot the irqshape guest kernel under QEMU (TCG) and check its self-test report.

    ./guest/run.py --smp 4                 # boot, feed the UART, check, exit 0/1
    ./guest/run.py --smp 2 --cpu max       # another CPU model
    ./guest/run.py --kernel path/to/irqshape_guest.elf --timeout 60

The machine: q35, TCG (multi-threaded), 128 MiB, no default devices, COM1 on this
process's pipes, isa-debug-exit at port 0xf4, and three QEMU "edu" PCI devices: one at
slot 3 (GSI 23, a line of its own) for the MSI tests and two at slots 2 and 6, whose
INTA# both reach PIRQG = GSI 22 on q35 (QEMU hw/isa/lpc_ich9.c: slot s, pin p ->
PIRQ[(s + p) % 4 + 4]), for the shared level-triggered line. The kernel picks the MSI
device as the MSI-capable edu whose INTx line no other edu shares; --edu-slots changes
the set (a negative test leaves slot 3 out).

The harness answers the kernel's "UART-RX send=N batch=B" lines by writing the expected
bytes to QEMU's standard input (the guest's COM1 receive side).

Passes only if QEMU exits through isa-debug-exit with the success code (status 1), the
summary says failed=0, the number of TEST lines equals the kernel's PLAN, every required
test name is present, and the summary agrees with itself and with the lines (passed +
failed = tests = planned; one vectors.class and one affinity.pit line per CPU the
kernel brought up, cpu=0..n-1; the SMP line's online= equals the summary's cpus=) - so a
kernel that prints nothing cannot pass.

Negative tests (kernel command-line faults, docs/guest.md):
    --expect-panic REGEX   the kernel must panic with a matching PANIC line (status 5);
    --expect-fail REGEX    a TEST ... FAIL line must match (repeatable); those FAIL lines
                           are expected, any other is still a failure; QEMU must end
                           with the tests-failed status (3) and the summary count them;
    --expect-line REGEX    some console line must match (repeatable).

KVM (--accel kvm) runs the same checks where TCG falls short: QEMU 7.2's TCG has no
x2APIC, KVM's local APIC has. It is for functional tests only (on the development
machine /dev/kvm is a software hypervisor: slow, and it delivers interrupts without
putting them in service, which the kernel detects and reports as isr=not-modelled).

Exit codes: 0 pass, 1 fail, 77 skip (no qemu-system-x86_64; --accel kvm without a
usable /dev/kvm).
"""

import argparse
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

SKIP = 77
QEMU_SUCCESS_STATUS = 1  # isa-debug-exit: (0 << 1) | 1
QEMU_TESTS_FAILED_STATUS = 3  # isa-debug-exit: (1 << 1) | 1, the kernel's "tests failed" code
QEMU_PANIC_STATUS = 5    # isa-debug-exit: (2 << 1) | 1, the kernel's panic code
# Tests with one line per CPU the kernel brought up, each with cpu=<index>.
PER_CPU_TESTS = ["vectors.class", "affinity.pit"]
REQUIRED_TESTS = [
    "acpi.madt", "smp.online", "apic.mode",
    "vectors.class", "vectors.per_cpu",
    "affinity.pit", "affinity.rtc", "affinity.edu_msi",
    "uart.rx",
    "move.edge.pit", "move.level.edu", "move.rtc",
    "connect.pit", "sync.execution", "connect.msi",
    "shared.level",
    "unhandled.msi", "unexpected.vector", "release.stale_vector", "spurious.apic", "isr.checks", "pool.balance",
    "apic.errors",
]
# First QEMU release whose TCG emulates x2APIC (upstream series of January 2024).
QEMU_TCG_X2APIC = (9, 0)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def find_kernel():
    for preset in ("release", "debug"):
        path = os.path.join(ROOT, "build", preset, "guest", "irqshape_guest.elf")
        if os.path.exists(path):
            return path
    return None


def qemu_version(qemu):
    out = subprocess.run([qemu, "--version"], capture_output=True, text=True).stdout
    m = re.search(r"version (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


KVM_GET_API_VERSION = 0xAE00  # _IO(KVMIO, 0x00), linux/kvm.h
KVM_API_VERSION = 12


def kvm_unusable():
    """Why KVM cannot run a guest here, or None if it can."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return "/dev/kvm: %s" % e.strerror
    try:
        version = fcntl.ioctl(fd, KVM_GET_API_VERSION)
    except OSError as e:
        return "/dev/kvm: KVM_GET_API_VERSION: %s" % e.strerror
    finally:
        os.close(fd)
    return None if version == KVM_API_VERSION else "/dev/kvm: API version %d, not %d" % (version, KVM_API_VERSION)


def qemu_command(args):
    accel = "tcg,thread=multi" if args.accel == "tcg" else args.accel
    cmd = [args.qemu, "-machine", args.machine, "-accel", accel, "-cpu", args.cpu,
           "-smp", str(args.smp), "-m", "128M", "-nodefaults", "-no-user-config", "-display", "none",
           "-no-reboot", "-serial", "stdio",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-kernel", args.kernel]
    for slot in args.edu_slots.split(","):
        if slot:
            cmd += ["-device", "edu,addr=%s.0" % slot]
    if args.append:
        cmd += ["-append", args.append]
    return cmd + args.qemu_args


def run_qemu(args):
    """Runs QEMU, echoes the console, answers UART-RX requests. Returns (status, lines, seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(qemu_command(args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    timer = threading.Timer(args.timeout, proc.kill)
    timer.start()
    lines = []
    try:
        for raw in proc.stdout:
            line = raw.decode("latin-1").rstrip("\r\n")
            lines.append(line)
            if not args.quiet or line.startswith(("TEST", "SUMMARY", "PANIC", "PLAN", "SMP", "smp:", "fault injection:")):
                print(line, flush=True)
            m = re.match(r"UART-RX send=(\d+) batch=(\d+)", line)
            if m:
                payload = b"irqshape-uart-%02x" % int(m.group(2))
                if len(payload) != int(m.group(1)):
                    # Not sent: the guest's uart.rx then fails too; check() reports this line.
                    error = "run.py error: guest asks for %s UART-RX bytes, run.py's batch has %d" % (
                        m.group(1), len(payload))
                    lines.append(error)
                    print(error, flush=True)
                    continue
                try:
                    if proc.stdin.closed:
                        raise BrokenPipeError
                    proc.stdin.write(payload)
                    proc.stdin.flush()
                except (BrokenPipeError, ConnectionResetError):
                    # QEMU closed its standard input (it is exiting): say so, read what it
                    # still prints, and let check() fail the run on this line.
                    error = "run.py error: QEMU closed its standard input before the %s UART-RX bytes of batch %s " \
                            "were sent (did it exit?)" % (m.group(1), m.group(2))
                    lines.append(error)
                    print(error, flush=True)
                    try:
                        proc.stdin.close()  # drops the unsent bytes; a flush at exit would raise again
                    except (BrokenPipeError, ConnectionResetError):
                        pass
        status = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
    return status, lines, time.monotonic() - start


def killed(status, args):
    """Why QEMU ended on a signal: run_qemu's timer sends SIGKILL at --timeout."""
    if -status == signal.SIGKILL:
        return "QEMU killed by signal %d (the %g s timeout, or from outside)" % (-status, args.timeout)
    return "QEMU ended by signal %d (%s)" % (-status, signal.Signals(-status).name)


def fields_of(line):
    return dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)


def check_consistency(lines, plan, tests, fields):
    """The summary against itself and the lines, the per-CPU tests against its cpus=."""
    problems = []
    try:
        passed, failed, count, planned, cpus = (int(fields[k]) for k in ("passed", "failed", "tests", "planned", "cpus"))
    except (KeyError, ValueError):
        return ["summary: a field of passed/failed/tests/planned/cpus is missing or not a number"]
    if passed + failed != count or count != planned:
        problems.append("summary: passed=%d + failed=%d, tests=%d, planned=%d disagree" % (passed, failed, count, planned))
    if plan and planned != plan[0]:
        problems.append("summary: planned=%d, PLAN said %d" % (planned, plan[0]))
    if count != len(tests):
        problems.append("summary: tests=%d, %d TEST lines" % (count, len(tests)))
    for name in PER_CPU_TESTS:
        seen = sorted(int(fields_of(l).get("cpu", -1)) for l in lines if l.startswith("TEST %s " % name))
        if seen != list(range(cpus)):
            problems.append("%s ran on cpus %s, summary says cpus=%d" % (name, seen, cpus))
    smp = [fields_of(l) for l in lines if l.startswith("SMP ")]
    if not smp:
        problems.append("no SMP line")
    elif smp[0].get("online") != str(cpus):
        problems.append("SMP online=%s, summary cpus=%d" % (smp[0].get("online"), cpus))
    return problems


def check(args, status, lines):
    problems = []
    want_status = QEMU_TESTS_FAILED_STATUS if args.expect_fail else QEMU_SUCCESS_STATUS
    if status < 0:
        problems.append(killed(status, args))
    if status != want_status:
        problems.append("QEMU exit status %d (want %d: isa-debug-exit %s)" % (
            status, want_status, "tests failed" if args.expect_fail else "success"))
    plan = [int(m.group(1)) for m in (re.match(r"PLAN tests=(\d+)", l) for l in lines) if m]
    tests = [l.split()[1] for l in lines if l.startswith("TEST ") and len(l.split()) > 1]
    failed = [l for l in lines if l.startswith("TEST ") and l.endswith(" FAIL")]
    summary = [l for l in lines if l.startswith("SUMMARY ")]
    if not plan:
        problems.append("no PLAN line")
    elif len(tests) != plan[0]:
        problems.append("%d TEST lines, PLAN said %d" % (len(tests), plan[0]))
    expected_fail = [r for r in args.expect_fail]
    for line in failed:
        if not any(re.search(r, line) for r in expected_fail):
            problems.append("failed: " + line)
    for regex in expected_fail:
        if not any(re.search(regex, l) for l in failed):
            problems.append("no TEST ... FAIL line matching %r" % regex)
    for regex in args.expect_line:
        if not any(re.search(regex, l) for l in lines):
            problems.append("no console line matching %r" % regex)
    if not summary:
        problems.append("no SUMMARY line")
    else:
        fields = fields_of(summary[0])
        if fields.get("failed") != str(len(failed)):
            problems.append("summary: failed=%s, %d TEST lines FAIL" % (fields.get("failed"), len(failed)))
        if args.expect_cpus and fields.get("cpus") != str(args.expect_cpus):
            problems.append("summary: cpus=%s, expected %d" % (fields.get("cpus"), args.expect_cpus))
        problems += check_consistency(lines, plan, tests, fields)
    missing = [t for t in REQUIRED_TESTS if t not in tests]
    if missing:
        problems.append("required tests missing: " + " ".join(missing))
    mode = [re.search(r"mode=(\w+)", l) for l in lines if l.startswith("TEST apic.mode")]
    want = expected_apic_mode(args)
    if want and mode and mode[0] and mode[0].group(1) != want:
        problems.append("apic mode %s, expected %s" % (mode[0].group(1), want))
    # TCG's local APIC keeps every accepted vector in service until the EOI: there the
    # kernel must see it so on every interrupt (only a platform that never does, such as
    # a software hypervisor's KVM, may leave the ISR checks aside: isr=not-modelled).
    isr = [fields_of(l).get("isr") for l in lines if l.startswith("TEST isr.checks")]
    if args.accel == "tcg" and isr and isr[0] != "kept":
        problems.append("isr=%s under TCG, whose APIC keeps the ISR: the kernel took interrupts "
                        "whose vector was not in service" % isr[0])
    for l in lines:
        if l.startswith(("PANIC", "run.py error:")):
            problems.append(l)
    return problems


def check_panic(args, status, lines):
    """For --expect-panic: the kernel must report the fault and exit with the panic code."""
    problems = []
    if status < 0:
        problems.append(killed(status, args))
    if status != QEMU_PANIC_STATUS:
        problems.append("QEMU exit status %d (want %d: isa-debug-exit panic)" % (status, QEMU_PANIC_STATUS))
    if not any(l.startswith("PANIC") and re.search(args.expect_panic, l) for l in lines):
        problems.append("no PANIC line matching %r" % args.expect_panic)
    for regex in args.expect_line:
        if not any(re.search(regex, l) for l in lines):
            problems.append("no console line matching %r" % regex)
    return problems


def expected_apic_mode(args):
    if args.expect_apic in ("xapic", "x2apic"):
        return args.expect_apic
    if args.expect_apic == "auto":
        if args.accel == "kvm":  # KVM offers x2APIC with every CPU model unless it is taken out
            return "xapic" if "-x2apic" in args.cpu else "x2apic"
        offers = args.cpu == "max" or "+x2apic" in args.cpu
        return "x2apic" if offers and qemu_version(args.qemu) >= QEMU_TCG_X2APIC else "xapic"
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kernel", default=None, help="guest ELF (default: build/{release,debug}/guest/irqshape_guest.elf)")
    p.add_argument("--smp", type=int, default=2, help="number of CPUs (1-8)")
    p.add_argument("--cpu", default="qemu64", help="QEMU CPU model (e.g. qemu64, max)")
    p.add_argument("--machine", default="q35")
    p.add_argument("--accel", default="tcg", choices=["tcg", "kvm"],
                   help="kvm: for functional tests of what TCG lacks (x2APIC on QEMU < 9.0); needs /dev/kvm")
    p.add_argument("--qemu", default=shutil.which("qemu-system-x86_64"))
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before QEMU is killed")
    p.add_argument("--expect-cpus", type=int, default=None, help="fail unless the kernel brought up this many CPUs")
    p.add_argument("--expect-apic", default="any", choices=["any", "xapic", "x2apic", "auto"],
                   help="auto: x2apic if the CPU model offers it and this QEMU's TCG emulates it (>= 9.0); "
                        "under KVM, unless the model says -x2apic")
    p.add_argument("--append", default="", help="kernel command line (e.g. irqshape.fault=ud)")
    p.add_argument("--edu-slots", default="3,2,6", metavar="S,S,...",
                   help="root-bus slots of the edu devices (default 3,2,6: the MSI device, then the two sharing GSI 22)")
    p.add_argument("--expect-panic", default=None, metavar="REGEX",
                   help="pass only if the kernel panics with a PANIC line matching REGEX (negative test)")
    p.add_argument("--expect-fail", action="append", default=[], metavar="REGEX",
                   help="a TEST ... FAIL line must match REGEX; expected FAILs pass, QEMU must report failed tests (repeatable)")
    p.add_argument("--expect-line", action="append", default=[], metavar="REGEX",
                   help="some console line must match REGEX (repeatable)")
    p.add_argument("--quiet", action="store_true", help="print only PLAN/TEST/SUMMARY/PANIC lines")
    p.add_argument("qemu_args", nargs="*", help="extra QEMU arguments (after --)")
    args = p.parse_args()

    if not args.qemu or not os.path.exists(args.qemu):
        print("SKIP: qemu-system-x86_64 not found (install the qemu-system-x86 package)")
        return SKIP
    if args.accel == "kvm":
        why = kvm_unusable()
        if why:
            print("SKIP: --accel kvm: %s" % why)
            return SKIP
    args.kernel = args.kernel or find_kernel()
    if not args.kernel or not os.path.exists(args.kernel):
        print("FAIL: no guest kernel; build it: cmake --build --preset release --target irqshape_guest")
        return 1
    if args.expect_apic == "auto":
        v = qemu_version(args.qemu)
        print("guest: QEMU %d.%d, CPU model %s: expecting %s" % (v[0], v[1], args.cpu, expected_apic_mode(args)))

    status, lines, seconds = run_qemu(args)
    problems = check_panic(args, status, lines) if args.expect_panic else check(args, status, lines)
    summary = next((l for l in lines if l.startswith("SUMMARY")), "no summary")
    verdict = "PASS" if not problems else "FAIL"
    print("guest: %s smp=%d cpu=%s wall=%.2fs qemu_status=%d | %s" % (verdict, args.smp, args.cpu, seconds, status, summary))
    for problem in problems:
        print("guest: " + problem)
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
