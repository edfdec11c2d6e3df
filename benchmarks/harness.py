"""Shared pieces of the benchmark suite: running a workload on rvemu, exact guest instruction
counts, timing helpers, and the progress line.

Instruction counts come from rvemu (the workloads are deterministic, so the count of a given
ELF file is the guest's instruction count on any correct emulator); ``count`` caches them per
file for the session, because the peers need counts of their scaled-up copies too.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from benchmarks.programs import symbols
from rvemu import Machine, StopReason

RAM_MIB = 128
MAX_INSTRUCTIONS = 50_000_000_000
ROOT = Path(__file__).resolve().parent.parent


def smoke_mode(config) -> bool:
    """Smoke size: --bench-smoke, --benchmark-disable or RVEMU_BENCH_SMOKE=1 (conftest.py)."""
    return bool(config.getoption("--bench-smoke")
                or config.getoption("benchmark_disable", False)
                or os.environ.get("RVEMU_BENCH_SMOKE", "") not in ("", "0"))


def xv6_build():
    """xv6/build.py of this source tree as a module (its build(out, dirty) builds the guest),
    or None when the tree has none (an installed rvemu without its sources)."""
    path = ROOT / "xv6" / "build.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("_bench_xv6_build", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_rvemu(elf: Path, harts: int = 1) -> Machine:
    """Boot a fresh machine (cold decoded-code cache and TLBs), run elf to its HTIF exit.
    test_callgrind.py's RUNNER does the same in a process of its own."""
    m = Machine(ram_mib=RAM_MIB, harts=harts)
    m.load_elf(str(elf))
    reason = m.run(max_instructions=MAX_INSTRUCTIONS)
    assert reason is StopReason.EXIT and m.exit_code == 0, (str(elf), reason, m.exit_code)
    return m


def instructions_of(m: Machine) -> int:
    """Guest instructions retired by all harts of m."""
    return sum(h.instret for h in m.harts)


def result_of(m: Machine, elf: Path) -> int:
    """The workload's checksum (its `result` variable) after a run."""
    return int.from_bytes(m.read_phys(symbols(elf)["result"].address, 8), "little")


@dataclass(frozen=True)
class Count:
    instructions: int            # guest instructions retired, start to HTIF exit
    result: int                  # the workload's checksum
    seconds: float               # host time of this (single) rvemu run


_counts: Dict[Tuple[str, float], Count] = {}


def count(elf: Path) -> Count:
    """rvemu's instruction count and checksum for elf (run once per file and session)."""
    key = (str(elf), Path(elf).stat().st_mtime)
    if key not in _counts:
        t = time.perf_counter()
        m = run_rvemu(elf)
        dt = time.perf_counter() - t
        _counts[key] = Count(instructions_of(m), result_of(m, elf), dt)
    return _counts[key]


def timed(fn: Callable, *args) -> Tuple[float, object]:
    t = time.perf_counter()
    r = fn(*args)
    return time.perf_counter() - t, r


def median(xs: List[float]) -> float:
    return statistics.median(xs)


def mips(instructions: int, seconds: Optional[float]) -> Optional[float]:
    if not seconds or seconds <= 0:
        return None
    return round(instructions / seconds / 1e6, 1)


class Progress:
    """One progress bar line per test: ``[#####-----] label: 3/6 what``.

    out(line, inplace) writes a line to the terminal (conftest's, around pytest's output
    capture); inplace rewrites the current line (a terminal), otherwise every update is a line of
    its own (a log, a pipe).  out=None: no output (--bench-progress=off, or auto off a tty)."""

    WIDTH = 20

    def __init__(self, out: Optional[Callable[[Optional[str], bool], None]], label: str, total: int,
                 inplace: bool):
        self.out = out
        self.label = label
        self.total = max(1, total)
        self.done = 0
        self.inplace = inplace
        self._shown = False

    def step(self, what: str = "") -> None:
        self.done += 1
        self.show(what)

    def show(self, what: str = "") -> None:
        if self.out is None:
            return
        filled = self.WIDTH * min(self.done, self.total) // self.total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.out(f"[{bar}] {self.label}: {self.done}/{self.total} {what}".rstrip(), self.inplace)
        self._shown = True

    def close(self) -> None:
        if self.out is not None and self._shown and self.inplace:
            self.out(None, True)
