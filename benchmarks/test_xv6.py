"""Host time of the xv6 guest's boot and of two of its test programs: `xv6test -q` (the quick
run of the kernel's test suite) and `mmaptest` (anonymous mmap, munmap, mprotect), on 1 and 3
harts.  Run: pytest benchmarks/test_xv6.py --benchmark-only

A case is a command and a hart count.  Each round of a case makes a private copy of the xv6
image (setup, untimed), creates a fresh Board and runs three phases, each of them timed with
time.process_time() (host CPU time: less noisy than wall time on a shared machine) and
time.perf_counter() (wall time):

  boot      from Board() to the first `$ ` prompt (as test_boot.py times it);
  command   the command typed at that prompt, until the next prompt; its output is checked
            (`xv6test -q`: "ALL TESTS PASSED"; `mmaptest`: "mmaptest: ALL OK");
  total     both: what a person typing the command after `rvemu` waits for.

So every command runs on a fresh boot, and its figures do not depend on which command ran
before.  The run is checked every STEP instructions (summed over harts), so each phase's count
includes up to STEP instructions after its prompt appeared (the guest idles there: timer ticks).
3 rounds after one untimed warm-up boot; figures are medians of the rounds (each phase's median
separately; total: the median of the rounds' totals).  Instruction counts are exact and the
same in every round (asserted: the emulator is deterministic).  pytest-benchmark's own statistics
are the wall time of the whole round (boot + command).

Smoke mode (--benchmark-disable, --bench-smoke, RVEMU_BENCH_SMOKE=1): one round, no warm-up, and
`xv6test -q ulib` (one short test of the suite, about 1 M instructions) instead of `xv6test -q`;
`mmaptest` (about 57 M instructions) runs as it is.

extra_info: harts, case, command, rounds, step; instructions, cpu_seconds, wall_seconds, mips
(the total phase, for a quick look); phases = {boot, command, total}, each with instructions
(Machine.instret_total: all harts, traps included), retired (the harts' instret summed),
per_hart (instret of each hart), cpu_seconds, cpu_min, cpu_max, wall_seconds, wall_min,
wall_max (medians and ranges of the rounds), mips (instructions / median CPU seconds),
mips_wall (instructions / median wall seconds), guest_seconds (machine time the phase took, 10
MHz timebase; idle harts fast-forward through timer waits)."""

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from benchmarks.harness import median, mips
from rvemu.board import TIMEBASE_HZ, Board
from rvemu.machine import StopReason

ROUNDS = 3
WARMUP_BOOTS = 1
STEP = 100_000                       # instructions (all harts) between looks at the console
BOOT_LIMIT = 200_000_000
PROMPT = re.compile(rb"\$ ")         # the first prompt
NEXT_PROMPT = re.compile(rb"\n\$ ")  # the prompt after a command's output
PHASES = ("boot", "command", "total")


@dataclass(frozen=True)
class Case:
    command: str          # typed at the prompt
    smoke_command: str    # typed instead in smoke mode
    success: str          # the command's output says it passed
    limit: int            # instructions (all harts) before giving up


CASES: Dict[str, Case] = {
    "xv6test": Case("xv6test -q", "xv6test -q ulib", "ALL TESTS PASSED", 20_000_000_000),
    "mmaptest": Case("mmaptest", "mmaptest", "mmaptest: ALL OK", 5_000_000_000),
}


@dataclass(frozen=True)
class Mark:
    """The machine's counters and the host's clocks at one moment."""
    cpu: float
    wall: float
    instructions: int             # Machine.instret_total
    per_hart: tuple               # each hart's instret
    clock: int                    # machine time in instructions (Machine.clock)


def mark(b: Optional[Board] = None) -> Mark:
    cpu, wall = time.process_time(), time.perf_counter()
    if b is None:                 # before the board exists
        return Mark(cpu, wall, 0, (), 0)
    m = b.machine
    return Mark(cpu, wall, m.instret_total, tuple(h.instret for h in m.harts), m.clock)


def run_until(b: Board, rx: "re.Pattern", start: int, limit: int) -> "re.Match":
    """Run b, STEP instructions at a time, until its console output from `start` matches rx."""
    ran = 0
    while True:
        found = rx.search(b.output, start)
        if found:
            return found
        if ran >= limit:
            raise AssertionError(f"{rx.pattern!r} not seen after {ran:,} instructions: "
                                 f"{bytes(b.output[-500:])!r}")
        reason = b.run(STEP)
        ran += STEP
        if reason is not StopReason.LIMIT:
            raise AssertionError(f"guest stopped ({reason}) before {rx.pattern!r}: "
                                 f"{bytes(b.output[-500:])!r}")


def session(image: str, harts: int, command: str, limit: int):
    """Boot image on a fresh board, type command at the prompt and run to the next one.
    Returns (board, the command's output without the echoed line, [start, prompt, end] marks)."""
    t0 = mark()
    b = Board(ram_mib=128, harts=harts)
    b.boot_image(image)
    run_until(b, PROMPT, 0, BOOT_LIMIT)
    t1 = mark(b)
    start = len(b.output)
    b.send(command + "\n")
    end = run_until(b, NEXT_PROMPT, start, limit)
    t2 = mark(b)
    text = bytes(b.output[start:end.start()]).decode(errors="replace")
    echo, _, rest = text.partition("\n")
    assert echo.strip() == command, (echo, command)
    return b, rest, [t0, t1, t2]


def phase_figures(pairs: List[tuple], m_ipt: int) -> dict:
    """The figures of one phase from its (begin, end) marks in every round."""
    counts = {(e.instructions - s.instructions,
               tuple(x - (s.per_hart[i] if s.per_hart else 0) for i, x in enumerate(e.per_hart)))
              for s, e in pairs}
    assert len(counts) == 1, f"runs are deterministic: {counts}"
    instructions, per_hart = counts.pop()
    clocks = {e.clock - s.clock for s, e in pairs}
    assert len(clocks) == 1, f"runs are deterministic: machine time {clocks}"
    cpu = [e.cpu - s.cpu for s, e in pairs]
    wall = [e.wall - s.wall for s, e in pairs]
    return {
        "instructions": instructions,
        "retired": sum(per_hart),
        "per_hart": list(per_hart),
        "cpu_seconds": round(median(cpu), 4),
        "cpu_min": round(min(cpu), 4),
        "cpu_max": round(max(cpu), 4),
        "wall_seconds": round(median(wall), 4),
        "wall_min": round(min(wall), 4),
        "wall_max": round(max(wall), 4),
        "mips": mips(instructions, median(cpu)),
        "mips_wall": mips(instructions, median(wall)),
        "guest_seconds": round(clocks.pop() / m_ipt / TIMEBASE_HZ, 4),
    }


@pytest.mark.parametrize("case", tuple(CASES))
@pytest.mark.parametrize("harts", (1, 3))
def test_xv6(benchmark, image_copies, smoke, progress, harts, case):
    spec = CASES[case]
    command = spec.smoke_command if smoke else spec.command
    rounds, warmup = (1, 0) if smoke else (ROUNDS, WARMUP_BOOTS)
    bar = progress(warmup + rounds)
    copies: List[str] = []
    boards: List[Board] = []
    marks: List[List[Mark]] = []

    def finish_boards():
        """Flush and close the boards' disks and delete the copies of the image they used."""
        while boards:
            boards.pop().poweroff()
        while copies:
            Path(copies.pop()).unlink(missing_ok=True)

    # Warm-up: the first boards of a process pay for first-touch allocations and imports.
    for i in range(warmup):
        bar.show(f"warm-up boot {i + 1}")
        copies.append(image_copies())
        b = Board(ram_mib=128, harts=harts)
        boards.append(b)
        b.boot_image(copies[-1])
        run_until(b, PROMPT, 0, BOOT_LIMIT)
        bar.done += 1
        finish_boards()

    def fresh_copy():
        finish_boards()                  # the previous round's board and disk, untimed
        bar.show(f"round {len(marks) + 1}: boot + {command}")
        copies.append(image_copies())
        return (copies[-1],), {}

    def one_round(image):
        b, out, ms = session(image, harts, command, spec.limit)
        boards.append(b)
        marks.append(ms)
        assert spec.success in out, f"{command} did not pass: {out[-3000:]}"
        bar.done += 1
        bar.show(f"{ms[2].cpu - ms[0].cpu:.2f} s CPU")
        return b

    benchmark.group = "xv6"
    try:
        b = benchmark.pedantic(one_round, setup=fresh_copy, rounds=rounds, iterations=1,
                               warmup_rounds=0)
        ipt = b.machine.core.ipt
    finally:
        finish_boards()
    phases = {
        "boot": phase_figures([(ms[0], ms[1]) for ms in marks], ipt),
        "command": phase_figures([(ms[1], ms[2]) for ms in marks], ipt),
        "total": phase_figures([(ms[0], ms[2]) for ms in marks], ipt),
    }
    total = phases["total"]
    benchmark.extra_info.update({
        "harts": harts,
        "case": case,
        "command": command,
        "rounds": len(marks),
        "step": STEP,
        "instructions": total["instructions"],
        "cpu_seconds": total["cpu_seconds"],
        "wall_seconds": total["wall_seconds"],
        "mips": total["mips"],
        "phases": phases,
    })
