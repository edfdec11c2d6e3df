"""The `rvemu` command: boot a kernel or a bootable image on the virt-compatible board.

    rvemu [IMAGE]                         boot a bootable image (default: the bundled xv6)
    rvemu --kernel ELF [--drive IMG]      QEMU-style
    rvemu --gdb 1234 --kernel ELF         wait for gdb (target remote :1234) before starting
    rvemu --trace t.txt --trace-start 0x80001000 --trace-count 1000 --kernel ELF
    printf 'ls\\npoweroff\\n' | rvemu xv6.img   scripted: stdin feeds the UART
    rvemu -machine virt -bios none -kernel kernel/kernel -m 128M -smp 3 -nographic \\
      -global virtio-mmio.force-legacy=false -drive file=fs.img,if=none,format=raw,id=x0 \\
      -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0 -S -gdb tcp::25000
                                          xv6's `make qemu-gdb` line (rvemu.qemuopts)

The exit status is the guest's: the test device's poweroff code or the HTIF exit code.  Bad
arguments and unusable files print one line and exit with status 2.  SIGTERM, SIGINT and SIGHUP
end the run cleanly with status 128 + signum.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from importlib import resources
from typing import List, Optional

from . import __version__, bootimg, qemuopts
from .board import Board, TIMEBASE_HZ
from .console import Console, QuitRequest, Terminated
from .loader import ElfError
from .machine import StopReason

EXIT_USAGE = 2
EXIT_TIMEOUT = 124                      # like timeout(1)
SLICE = 2_000_000                       # instructions between host input/timeout checks


def user_disk() -> Optional[str]:
    """The user's own copy of the bundled xv6 image, made on first use.

    The bundled image inside the installed package is never written: the guest's file system
    lives in $XDG_DATA_HOME/rvemu (default ~/.local/share/rvemu), one file per rvemu version."""
    src = bundled_image()
    if src is None:
        return None
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                           "share")
    dst = os.path.join(base, "rvemu", f"xv6-{__version__}.img")
    if not os.path.exists(dst):
        import shutil
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst + ".tmp")
        os.replace(dst + ".tmp", dst)
        print(f"rvemu: your xv6 disk is {dst} (a copy of the bundled image)", file=sys.stderr)
    return dst


def bundled_image() -> Optional[str]:
    try:
        p = resources.files("rvemu") / "images" / "xv6.img"
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    return str(p) if p.is_file() else None


class _ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors (status 2) and a help that survives a closed pipe
    (xv6's Makefile runs ``rvemu -help | grep -q '^-gdb'``)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"rvemu: {message} (rvemu --help lists the options)\n")

    def print_help(self, file=None):
        try:
            super().print_help(file)
            (file or sys.stdout).flush()
        except BrokenPipeError:
            # the reader left: say nothing more, and do not let the interpreter's final flush
            # complain on stderr
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    """rvemu's own options and QEMU's (rvemu.qemuopts), merged into one namespace.  Besides
    the options' own names it holds drive_slot (the disk's virtio-mmio slot) and gdb_hold
    (hold every hart until gdb continues: --gdb, or -S with -gdb/-s)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    p = _ArgumentParser(
        prog="rvemu", description="RISC-V RV64 full-system emulator (QEMU virt-compatible board)",
        epilog=qemuopts.HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("image", nargs="?", help="bootable disk image (default: the bundled xv6)")
    p.add_argument("--kernel", metavar="ELF", help="kernel ELF to boot (QEMU -kernel)")
    p.add_argument("--drive", metavar="IMG", help="disk image for virtio-blk (with --kernel)")
    p.add_argument("--readonly", action="store_true", help="attach the disk read-only")
    p.add_argument("--smp", type=int, default=None, metavar="N",
                   help="number of harts (default: 3 for a bootable xv6 image, like xv6's "
                   "QEMU setup; 1 with --kernel)")
    p.add_argument("--memory", type=_mib, default=None, metavar="SIZE",
                   help="RAM size: MiB, or with suffix M/G (default 128; QEMU -m)")
    p.add_argument("--realtime", action="store_true",
                   help="tie guest time to the host clock (default: deterministic time)")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="stop after this many host seconds (exit status 124)")
    p.add_argument("--max-instructions", type=int, metavar="N",
                   help="stop after N instructions (exit status 124)")
    p.add_argument("--stats", action="store_true", help="print statistics at exit (stderr)")
    p.add_argument("--gdb", type=int, metavar="PORT",
                   help="wait for gdb on 127.0.0.1:PORT and run under its control "
                        "(0: any free port, printed; QEMU's -s -S)")
    p.add_argument("--trace", metavar="FILE",
                   help="write one line per executed instruction to FILE (see rvemu.trace)")
    p.add_argument("--trace-start", type=_trace_point, metavar="N|0xADDR",
                   help="start tracing at instruction count N, or when a hart first reaches "
                        "pc ADDR (default: at once)")
    p.add_argument("--trace-stop", type=_trace_point, metavar="N|0xADDR",
                   help="stop tracing before instruction count N, or when a hart reaches pc "
                        "ADDR again (the guest runs on at full speed)")
    p.add_argument("--trace-count", type=int, metavar="N", help="trace at most N instructions")
    p.add_argument("--version", action="version", version=f"rvemu {__version__}")
    try:
        q, rest = qemuopts.split(argv)
    except qemuopts.QemuOptionError as e:
        p.error(str(e))
    args = p.parse_args(rest)
    _merge_qemu(p, args, q)
    if args.smp is None:
        args.smp = 1 if args.kernel else 3
    if args.memory is None:
        args.memory = 128
    if not 1 <= args.smp <= 64:
        p.error("--smp must be between 1 and 64")
    if args.image and args.kernel:
        p.error("give either IMAGE or --kernel, not both")
    if args.drive and not args.kernel:
        p.error("--drive/-drive needs --kernel/-kernel (a bootable IMAGE is its own disk)")
    if args.gdb is not None and not 0 <= args.gdb <= 65535:
        p.error("--gdb PORT must be between 0 and 65535")
    if args.gdb is not None and args.trace:
        p.error("give either --gdb or --trace, not both")
    if not args.trace and (args.trace_start or args.trace_stop or args.trace_count is not None):
        p.error("--trace-start/--trace-stop/--trace-count need --trace FILE")
    if args.trace_count is not None and args.trace_count < 0:
        p.error("--trace-count must not be negative")
    return args


def _merge_qemu(p: argparse.ArgumentParser, args: argparse.Namespace,
                q: "qemuopts.QemuConfig") -> None:
    """Fold the QEMU options into rvemu's; the same setting given both ways is an error."""
    args.gdb_hold = args.gdb is not None          # rvemu's --gdb waits for gdb (-s -S)
    args.drive_slot = 0
    for ours, theirs, name in ((args.kernel, q.kernel, "kernel"),
                               (args.memory, q.memory_mib, "memory"),
                               (args.smp, q.smp, "smp"),
                               (args.drive, q.drive, "drive"),
                               (args.gdb, q.gdb_port, "gdb")):
        if ours is not None and theirs is not None:
            qname = {"memory": "-m", "gdb": "-gdb/-s", "drive": "-drive/-device"}.get(
                name, "-" + name)
            p.error(f"--{name} and {qname}: give one of them")
    if q.kernel is not None:
        args.kernel = q.kernel
    if q.memory_mib is not None:
        args.memory = q.memory_mib
    if q.smp is not None:
        args.smp = q.smp
    if q.drive is not None:
        args.drive, args.drive_slot = q.drive, q.drive_slot
        args.readonly = args.readonly or q.drive_readonly
    if q.gdb_port is not None:
        args.gdb = q.gdb_port
        args.gdb_hold = q.hold
    elif q.hold and args.gdb is None:
        p.error("-S needs -gdb tcp::PORT or -s (rvemu has no monitor to continue from)")


def _mib(text: str) -> int:
    try:
        return qemuopts.parse_mib(text)
    except qemuopts.QemuOptionError as e:
        raise argparse.ArgumentTypeError(str(e).replace("-m ", "", 1)) from None


def _trace_point(text: str):
    from .trace import parse_point
    try:
        return parse_point(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def fail(msg: str) -> int:
    print(f"rvemu: {msg}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Optional[List[str]] = None) -> int:
    """Parse, boot, run.  SIGTERM, SIGINT and SIGHUP end the run cleanly from here on (the disk
    flushed and closed, the terminal restored): one line on stderr, exit status 128 + signum,
    as a shell reports a killed process.  (Before main, during interpreter start-up, nothing is
    open and the signal's default action applies.)"""
    args = parse_args(argv)
    console = Console()
    boards: List[Board] = []
    console.catch_signals()
    try:
        status = _main(args, console, boards)
    except Terminated:                      # during setup, or during the cleanup itself
        for board in boards:
            board.poweroff()                # finish it (later signals are ignored)
        status = EXIT_USAGE
    finally:
        console.release_signals()
    if console.signal is not None:
        print(f"\nrvemu: terminating on signal {console.signal} "
              f"({signal.Signals(console.signal).name})", file=sys.stderr)
        return 128 + console.signal
    return status


def _main(args: argparse.Namespace, console: Console, boards: List[Board]) -> int:
    try:
        board = Board(ram_mib=args.memory, harts=args.smp, console=console.write,
                      realtime=args.realtime)
        boards.append(board)
        if args.kernel:
            board.load_kernel(args.kernel)
            if args.drive:
                board.attach_drive(args.drive, args.readonly, args.drive_slot)
        else:
            image = args.image or user_disk()
            if image is None:
                return fail("no IMAGE given and no bundled xv6 image is installed; "
                            "use rvemu IMAGE or rvemu --kernel ELF [--drive IMG]")
            if not os.path.exists(image):
                return fail(f"{image}: no such file")
            if os.path.isdir(image):
                return fail(f"{image}: is a directory, not a disk image")
            board.boot_image(image, args.readonly)
    except (ElfError, bootimg.BootImageError, OSError, ValueError) as e:
        return fail(str(e))
    tracer = stub = None
    try:
        if args.trace:
            from .trace import Tracer
            tracer = Tracer(board, args.trace, start=args.trace_start, stop=args.trace_stop,
                            count=args.trace_count)
        if args.gdb is not None:
            # the port listens before the guest prints anything (graders connect when they
            # see a line of output)
            from .gdbstub import GdbStub
            stub = GdbStub(board, args.gdb, poll=lambda: _gdb_poll(board, console, args, start))
            what = "waiting for gdb on" if args.gdb_hold else "gdb server on"
            print(f"rvemu: {what} 127.0.0.1:{stub.port}", file=sys.stderr)
    except OSError as e:
        return fail(f"{e.filename or '--gdb'}: {e.strerror or e}")
    start = time.monotonic()
    # At a terminal, idle time passes at the host's pace (no busy spinning through timer
    # ticks); scripted runs keep fast-forwarding idle time, deterministically.
    board.machine.idle_fast_forward = not (console.interactive or args.realtime)
    status = _session(board, console, args, start, tracer, stub)
    if args.stats:
        print_stats(board, time.monotonic() - start)
    return status


def _session(board: Board, console: Console, args, start: float, tracer, stub) -> int:
    """Run the guest with the console entered; power off (flush the disk) on every way out.
    A signal (SIGTERM, SIGINT, SIGHUP) ends the run with status 128 + signum."""
    status = 0
    with console:
        try:
            status = _serve_gdb(stub) if stub is not None and args.gdb_hold else None
            if status is None:
                status = _run(board, console, args, start, tracer.run if tracer else None,
                              stub)
        except QuitRequest:
            status = 0
        except _IdleForever:
            status = EXIT_TIMEOUT
        except Terminated as e:
            status = 128 + e.signum
        finally:
            board.poweroff()
            if stub is not None:
                stub.close()
            if tracer is not None:
                tracer.close()
    return status


def _serve_gdb(stub) -> Optional[int]:
    """The guest's exit status, or None when gdb detached and the guest should run on."""
    from .gdbstub import SessionEnd
    end = stub.serve()
    if end is SessionEnd.EXITED:
        return stub.exit_code or 0
    if end is SessionEnd.KILLED:
        return 0
    print("\nrvemu: gdb detached, the guest runs on", file=sys.stderr)
    return None


def _gdb_poll(board: Board, console: Console, args, start: float) -> None:
    """Between run slices under gdb: console input, and the host clock with --realtime."""
    console.check_signal()
    data = console.poll(0.0)
    if data:
        board.send(data)
    if args.realtime:
        board.machine.advance_clock_to(int((time.monotonic() - start) * TIMEBASE_HZ)
                                       * board.machine.core.ipt)


def _run(board: Board, console: Console, args, start: float, run=None, stub=None) -> int:
    """Run until the guest exits, the budget or time runs out, or the user quits.  With a gdb
    stub (-gdb without -S), a debugger that connects stops the guest and takes over."""
    core = board.machine.core
    executed = 0
    while True:
        console.check_signal()
        if stub is not None and stub.pending():
            status = _serve_gdb(stub)
            if status is not None:
                return status
        data = console.poll(0.0)
        if data:
            board.send(data)
        if args.realtime:
            board.machine.advance_clock_to(int((time.monotonic() - start) * TIMEBASE_HZ)
                                           * core.ipt)
        step = SLICE
        if args.max_instructions is not None:
            step = min(step, args.max_instructions - executed)
            if step <= 0:
                print(f"\nrvemu: stopped after {executed} instructions", file=sys.stderr)
                return EXIT_TIMEOUT
        before = board.machine.instret_total
        reason = (run or board.run)(step)
        executed += board.machine.instret_total - before
        if reason is StopReason.EXIT:
            code = board.exit_code if board.exit_code is not None else board.machine.exit_code
            return code or 0
        if args.timeout is not None and time.monotonic() - start > args.timeout:
            print(f"\nrvemu: timeout after {args.timeout:g} s", file=sys.stderr)
            return EXIT_TIMEOUT
        if reason is StopReason.HALT:
            _idle(board, console, args, start)


def _idle(board: Board, console: Console, args, start: float) -> None:
    """Every hart waits.  Scripted runs in deterministic time never get here while a timer is
    armed (time jumps to it).  Otherwise sleep until host input or the next timer deadline,
    at most 50 ms, and let guest time pass with the host's: an idle guest costs no CPU."""
    core = board.machine.core
    waits = [w for w in (core.time_until_timer(i) for i in range(core.nharts)) if w is not None]
    if not waits and console.eof and not board.uart.pending_input():
        if not args.realtime:
            print("\nrvemu: the guest is idle and input has ended", file=sys.stderr)
            raise _IdleForever()
    wait = 0.05
    if waits:
        wait = min(wait, min(waits) / core.ipt / TIMEBASE_HZ)
    if args.timeout is not None:
        wait = max(0.0, min(wait, args.timeout - (time.monotonic() - start)))
    t0 = time.monotonic()
    data = console.poll(wait)
    if data:
        board.send(data)
    if not args.realtime:
        board.machine.advance_idle(int((time.monotonic() - t0) * TIMEBASE_HZ) * core.ipt)


class _IdleForever(Exception):
    """No input will come and no timer is armed: the run cannot make progress."""


def print_stats(board: Board, seconds: float, out=None) -> None:
    """Instructions and MIPS per hart, traps by cause, TLB hit rates, page walks, interrupts,
    device traffic."""
    from .csrdefs import CAUSE, IRQ
    exc_names = {v: k.lower() for k, v in CAUSE.items()}
    irq_names = {v: k for k, v in IRQ.items()}
    out = out or sys.stderr
    m = board.machine
    total = m.instret_total
    print(f"rvemu: {total} instructions executed in {seconds:.2f} s "
          f"({total / max(seconds, 1e-9) / 1e6:.1f} MIPS), guest time "
          f"{m.time(0) / TIMEBASE_HZ:.2f} s", file=out)
    for h in m.harts:
        st = h.stats()
        tlb = st["tlb_misses"]
        print(f"  hart {h.index}: {st['instret']} instructions retired", file=out)
        exc = ", ".join(f"{exc_names.get(c, c)} {k}" for c, k in sorted(st["exceptions"].items()))
        print(f"    exceptions: {exc or 'none'}", file=out)
        pf = sum(st["exceptions"].get(c, 0) for c in (12, 13, 15))
        print(f"    page faults: {pf}", file=out)
        irq = ", ".join(f"{irq_names.get(c, c)} {k}" for c, k in sorted(st["interrupts"].items()))
        print(f"    interrupts: {irq or 'none'}", file=out)
        # misses per thousand instructions (MPKI): the core does not count hits, which would
        # cost an instruction on every load and store
        kilo = max(st["instret"], 1) / 1000
        print("    TLB misses: " + ", ".join(
            f"{kind} {k} ({k / kilo:.3f} per 1000 instructions)" for kind, k in tlb.items())
            + f"; page walks {st['page_walks']}", file=out)
    print(f"  device accesses: {board.bus.accesses}", file=out)
    if board.virtio is not None:
        ds = board.virtio.device.stats
        print(f"  disk: {ds['reads']} reads, {ds['writes']} writes, {ds['flushes']} flushes, "
              f"{ds['bytes_read']} bytes read, {ds['bytes_written']} bytes written", file=out)


if __name__ == "__main__":
    sys.exit(main())
