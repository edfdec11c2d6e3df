"""What each kind of page fault costs in the xv6 guest: guest instructions retired per fault
(exact, and the same in every round: the emulator is deterministic) and host nanoseconds per
fault, with the kernel's own fault counters saying how many faults of which kind were taken,
and the same access patterns on the host's Linux for scale.

The guest program xv6/user/faultbench.c runs one scenario per command (`faultbench SCENARIO N
[M]`) and brackets each measured region with calls to fb_mark(MAGIC, code), a function that is
a single `ret`.  The host keeps a breakpoint on it: at each stop in U-mode with a0 == MAGIC it
reads the hart's instruction counter (user code cannot: the kernel leaves scounteren clear) and
the host clock, and resumes the guest at ra.  Kernel code runs on the same hart, so the count
between two marks includes the whole fault path: trap, handler, allocation, copy, disk, return.
Region "fault" takes the faults, region "base" repeats the same loop over pages already mapped
(or the same call with nothing to do), and

    instructions per fault = (fault - base) / N,    host ns per fault likewise

(for msync and munmap, N is the number of dirty pages written back).  While a region runs the
host masks the supervisor timer interrupt (sie.STIE; a tick that falls due is taken at the
closing mark), so no scheduler tick lands inside a measurement.

anon-threaded is anon with a second thread of the process alive but parked (blocked in read()
on a pipe, before the first region opens, released and joined after the last), so every fault
takes the address space's lock for reading; on the 1-hart board the sleeping thread runs
nothing between the marks, so the counts are the measuring thread's alone.

Kernels: the scenarios run on the kernel that tracks dirty shared pages with the PTE's D bit
("dbit"); shared-store, msync and munmap also on the one that uses write faults ("wp").  The
two are built by xv6/build.py into --bench-xv6-dir (conftest.py), and each gets a copy of its
image with the data files fb0..fb3 (64 pages each, an xv6 file holds at most 67) added on the
host, so that after boot nothing of them is cached.

Each round: setup (untimed) boots a fresh 1-hart Board on a private copy of that image to the
shell prompt; the timed call types the command and runs to the next prompt.  extra_info holds
the per-fault figures, the regions' counters (getrusage and vmstat deltas: fault_counters,
base_counters), and the native Linux figure of the same kind (native_ns, native_minflt,
native_majflt) from benchmarks/native.
"""

from __future__ import annotations

import inspect
import re
import shutil
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from benchmarks import native
from benchmarks.harness import smoke_mode, xv6_build
from rvemu import bootimg, toolchain, xv6fs
from rvemu.board import Board
from rvemu.machine import StopReason

MAGIC = 0xFA17BE4C4D41524B        # faultbench.c's FB_MAGIC
SIE_STIE = 1 << 5
STEP = 1_000_000                  # instructions per Board.run between checks for the prompt
LIMIT = 2_000_000_000             # per command
PROMPT = b"\n$ "
FILEPAGES, NFILES = 64, 4         # faultbench.c's data files
ERRNO_MISSING = {19: "ENODEV", 38: "ENOSYS", 95: "EOPNOTSUPP"}   # the kernel lacks the feature
DIRTY_MODE = {"dbit": 1, "wp": 2}  # vmstat's dirty_mode (kernel/vmstat.h)

PAGES, MAPPED, DIRTY, ROUNDS = 256, 64, (1, 16, 64), 3
SMOKE_PAGES, SMOKE_MAPPED, SMOKE_DIRTY, SMOKE_ROUNDS = 4, 4, (1, 4), 1
NATIVE_REPS, SMOKE_NATIVE_REPS = 9, 1


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str                     # for the report
    counter: str                  # the fault counter that counts this kind (fault region)
    guide: Optional[int] = None   # aim, instructions per fault (reported, not asserted)
    kernels: tuple = ("dbit",)
    guide_kernel: str = "dbit"
    pages_per_fault: int = 1      # huge: one fault maps 512 pages
    fixed_pages: Optional[tuple] = None   # (full, smoke) page counts instead of PAGES


SCENARIOS = {s.name: s for s in (
    Scenario("anon", "anonymous zero-fill", "zeroflt", 1500),
    Scenario("anon-threaded", "anonymous zero-fill, a second thread parked (lock read side)",
             "zeroflt"),
    Scenario("huge", "MAP_HUGETLB zero-fill, per 2 MiB fault (512 pages)", "zeroflt",
             pages_per_fault=512, fixed_pages=(1024, 512)),
    Scenario("populate", "MAP_POPULATE, per page of the mmap call", "zeroflt"),
    Scenario("file-major", "MAP_SHARED read, not cached (disk)", "majflt"),
    Scenario("file-cached", "MAP_SHARED read, page-cache hit", "cacheflt", 1000),
    Scenario("private-cow", "MAP_PRIVATE file, store after read (COW)", "cowflt", 2000),
    Scenario("fork-cow", "store to private anonymous after fork (COW)", "cowflt", 2000),
    Scenario("shared-store", "first store to a clean MAP_SHARED page", "dirtyflt", 600,
             kernels=("dbit", "wp"), guide_kernel="wp"),
    Scenario("msync", "msync(MS_SYNC), per dirty page written", "wbpages",
             kernels=("dbit", "wp")),
    Scenario("munmap", "munmap, per dirty page written", "wbpages", kernels=("dbit", "wp")),
    Scenario("read", "read() of a page, not cached", "disk_reads"),
    Scenario("read-cached", "read() of a page already read", "disk_reads"),
    Scenario("heap", "sbrk and the first store to the page (zero-fill)", "zeroflt"),
)}


@dataclass(frozen=True)
class Case:
    scenario: Scenario
    kernel: str
    pages: int                    # pages faulted (msync, munmap: dirty pages written)
    mapped: int                   # pages mapped (msync, munmap)

    @property
    def id(self) -> str:
        s = self.scenario
        name = s.name
        if s.name in ("msync", "munmap"):
            name += f"-{self.pages}of{self.mapped}"
        if len(s.kernels) > 1:
            name += f"-{self.kernel}"
        return name

    @property
    def command(self) -> str:
        args = [self.scenario.name, str(self.pages)]
        if self.scenario.name in ("msync", "munmap"):
            args.append(str(self.mapped))
        return "faultbench " + " ".join(args)

    @property
    def faults(self) -> int:
        """How many faults the measured loop takes (pages for all but huge)."""
        return self.pages // self.scenario.pages_per_fault

    @property
    def native_kind(self) -> str:
        if self.scenario.name in ("msync", "munmap"):
            return f"{self.scenario.name}-{self.pages}"
        return self.scenario.name


def cases(smoke: bool) -> List[Case]:
    pages, mapped, dirty = ((SMOKE_PAGES, SMOKE_MAPPED, SMOKE_DIRTY) if smoke
                            else (PAGES, MAPPED, DIRTY))
    out = []
    for s in SCENARIOS.values():
        for kernel in s.kernels:
            if s.name in ("msync", "munmap"):
                out += [Case(s, kernel, k, mapped) for k in dirty]
            elif s.fixed_pages:
                out.append(Case(s, kernel, s.fixed_pages[1 if smoke else 0], mapped))
            else:
                out.append(Case(s, kernel, pages, mapped))
    return out


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        cs = cases(smoke_mode(metafunc.config))
        metafunc.parametrize("case", cs, ids=[c.id for c in cs])


# ---- the guest images ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GuestImage:
    kernel: str
    path: Path                    # bootable image with the data files
    mark_pc: int                  # fb_mark's address in faultbench


def function_address(elf: Path, name: str) -> int:
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection
    with open(elf, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            if isinstance(sec, SymbolTableSection):
                for sym in sec.get_symbol_by_name(name) or ():
                    return sym["st_value"]
    raise LookupError(f"{elf}: no symbol {name}")


def data_files() -> List[tuple]:
    """fb0..fb3: FILEPAGES pages each, every page filled with its own nonzero byte."""
    out = []
    for f in range(NFILES):
        body = b"".join(bytes([(f * FILEPAGES + p) % 251 + 1]) * 4096 for p in range(FILEPAGES))
        out.append((f"fb{f}", body))
    return out


def prepare(out: Path, kernel: str) -> GuestImage:
    """Build the kernel variant into out (incrementally), then out/faults.img: its image with
    the data files added."""
    mod = xv6_build()
    if mod is None or not toolchain.available():
        pytest.skip("needs the xv6 sources (xv6/build.py) and the ziglang toolchain")
    if "dirty" not in inspect.signature(mod.build).parameters:
        pytest.skip("this xv6/build.py cannot build the two dirty-tracking kernels")
    try:
        img = mod.build(out, dirty=kernel)
    except toolchain.ToolchainError as e:
        pytest.fail(f"xv6/build.py --dirty {kernel} failed:\n{e}", pytrace=False)
    prog = out / "user" / "_faultbench"
    if not prog.exists():
        pytest.skip("no xv6/user/faultbench.c in this tree")
    faults = out / "faults.img"
    if not faults.exists() or faults.stat().st_mtime < Path(img).stat().st_mtime:
        fs = xv6fs.Image(out / "fs.img")
        files = [(name, fs.read(name)) for name, _, ino in fs.listdir("/")
                 if ino.type == xv6fs.T_FILE]
        image = bootimg.pack(xv6fs.mkfs_bytes(files + data_files()),
                             (out / "kernel.elf").read_bytes())
        tmp = faults.with_suffix(".tmp")
        tmp.write_bytes(image)
        tmp.replace(faults)
    return GuestImage(kernel, faults, function_address(prog, "fb_mark"))


@pytest.fixture(scope="session")
def guest_images(xv6_build_dir):
    """guest_images(kernel) -> GuestImage, built on first use."""
    made: Dict[str, GuestImage] = {}

    def get(kernel: str) -> GuestImage:
        if kernel not in made:
            made[kernel] = prepare(Path(xv6_build_dir) / kernel, kernel)
        return made[kernel]

    return get


# ---- running a command with marks ---------------------------------------------------------------

@dataclass
class Region:
    name: str
    instructions: int
    seconds: float
    counters: Dict[str, int] = field(default_factory=dict)


@dataclass
class Run:
    regions: Dict[str, Region]
    dirty_mode: int
    output: str
    foreign_stops: int            # other code at fb_mark's address (init, sh) stopped there


class GuestError(Exception):
    """faultbench said "fb: error ..." (errno: its errno, or None)."""

    def __init__(self, line: str, errno: Optional[int]):
        super().__init__(line)
        self.errno = errno


def boot(image: GuestImage, path: str) -> Board:
    b = Board(ram_mib=128, harts=1)
    b.boot_image(path)
    b.expect(re.compile(re.escape(b"$ ")), timeout_instructions=LIMIT)
    return b


def run_command(b: Board, image: GuestImage, command: str) -> Run:
    """Type command at the prompt and run until the next prompt, stopping at fb_mark."""
    m = b.machine
    hart = m.harts[0]
    start = len(b.output)
    first = hart.instret
    marks: Dict[int, tuple] = {}
    sie = None
    foreign = 0
    m.core.set_breakpoints([image.mark_pc])
    try:
        b.send(command + "\n")
        while PROMPT not in b.output[start:]:
            if hart.instret - first > LIMIT:
                raise AssertionError(f"{command!r}: no prompt after {LIMIT} instructions: "
                                     f"{bytes(b.output[start:][-500:])!r}")
            reason = b.run(STEP)
            if reason is StopReason.BREAK:
                x = hart.x
                if hart.priv != 0 or x[10] != MAGIC:
                    foreign += 1                    # step over it: another program's code
                    m.core.set_breakpoints([])
                    m.run(1)
                    m.core.set_breakpoints([image.mark_pc])
                    continue
                code = x[11]
                if code % 2 == 0:                  # a region opens: mask the tick, then go
                    sie = hart.csr("sie")
                    hart.set_csr("sie", sie & ~SIE_STIE)
                    hart.pc = x[1]
                    marks[code] = (hart.instret, time.perf_counter())
                else:
                    marks[code] = (hart.instret, time.perf_counter())
                    if sie is not None:
                        hart.set_csr("sie", sie)
                    hart.pc = x[1]
            elif reason in (StopReason.EXIT, StopReason.HALT):
                raise AssertionError(f"{command!r}: the guest stopped ({reason}): "
                                     f"{bytes(b.output[start:][-500:])!r}")
    finally:
        m.core.set_breakpoints([])
    return parse(command, b.output[start:].decode(errors="replace"), marks, foreign)


REGION = re.compile(r"^fb: region (\d+) (\S+)((?: \w+=\d+)*)\s*$", re.M)


def parse(command: str, out: str, marks: Dict[int, tuple], foreign: int) -> Run:
    err = re.search(r"^fb: error (.*?)\s*$", out, re.M)
    if err:
        errno = re.search(r"\(errno (\d+)\)$", err.group(1))
        raise GuestError(f"{command}: {err.group(1)}", int(errno.group(1)) if errno else None)
    if not re.search(r"^fb: done", out, re.M):
        raise AssertionError(f"{command!r} did not finish:\n{out[-2000:]}")
    mode = re.search(r"^fb: scenario \S+ pages \d+ mapped \d+ dirty_mode (\d+)", out, re.M)
    regions = {}
    for mt in REGION.finditer(out):
        k, name = int(mt.group(1)), mt.group(2)
        if 2 * k not in marks or 2 * k + 1 not in marks:
            raise AssertionError(f"{command!r}: region {k} ({name}) has no marks: {marks}")
        (i0, t0), (i1, t1) = marks[2 * k], marks[2 * k + 1]
        counters = {key: int(v) for key, v in (f.split("=") for f in mt.group(3).split())}
        regions[name] = Region(name, i1 - i0, t1 - t0, counters)
    if "fault" not in regions or "base" not in regions:
        raise AssertionError(f"{command!r}: regions fault and base missing:\n{out[-2000:]}")
    return Run(regions, int(mode.group(1)) if mode else 0, out, foreign)


# ---- the benchmarks -----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def native_faults(tmp_path_factory, smoke):
    """The native (host Linux) figures: {"kinds": {kind: {...}}, ...}; {"skipped": why} where
    there is no native build, {"error": what} if the program failed."""
    base = tmp_path_factory.mktemp("native-faults")
    try:
        exe = native.build(base)
    except native.Unavailable as e:
        return {"skipped": str(e)}
    pages, mapped, dirty = ((SMOKE_PAGES, SMOKE_MAPPED, SMOKE_DIRTY) if smoke
                            else (PAGES, MAPPED, DIRTY))
    reps = SMOKE_NATIVE_REPS if smoke else NATIVE_REPS
    try:
        kinds = native.measure(exe, base / "work", pages, mapped, reps, dirty)
    except RuntimeError as e:
        return {"error": str(e)}
    return {"exe": exe, "workdir": base / "work", "pages": pages, "mapped": mapped,
            "dirty": dirty, "reps": reps, "kinds": kinds, "fs_type": native.fs_type(base),
            "compiler": " ".join(native.compiler() or [])}


def test_fault(benchmark, case, guest_images, native_faults, smoke, progress, tmp_path):
    image = guest_images(case.kernel)
    rounds = SMOKE_ROUNDS if smoke else ROUNDS
    bar = progress(rounds)
    board: List[Board] = []           # the current round's (one at a time: 128 MiB each)
    runs: List[Run] = []

    def fresh_board():
        while board:
            board.pop().poweroff()
        copy = tmp_path / "xv6.img"
        shutil.copyfile(image.path, copy)
        board.append(boot(image, str(copy)))
        bar.show(f"round {len(runs) + 1}: {case.command}")
        return (board[0],), {}

    def one_run(b):
        r = run_command(b, image, case.command)
        runs.append(r)
        bar.step(f"{per_fault(r, case.faults):,.0f} instructions/fault")
        return r

    benchmark.group = "faults"
    try:
        benchmark.pedantic(one_run, setup=fresh_board, rounds=rounds, iterations=1)
    except GuestError as e:
        if e.errno in ERRNO_MISSING:
            pytest.skip(f"the kernel lacks it: {e} ({ERRNO_MISSING[e.errno]})")
        raise
    finally:
        while board:
            board.pop().poweroff()

    counts = {tuple((r.name, r.instructions) for r in run.regions.values()) for run in runs}
    assert len(counts) == 1, f"instruction counts differ between rounds: {counts}"
    run = runs[0]
    if run.dirty_mode:
        assert run.dirty_mode == DIRTY_MODE[case.kernel], (run.dirty_mode, case.kernel)
    fault, base = run.regions["fault"], run.regions["base"]
    s = case.scenario
    if s.name == "anon-threaded":   # N zero-fill faults, all the main thread's; none in base
        assert fault.counters.get("zeroflt") in (None, case.faults), fault.counters
        assert base.counters.get("minflt") in (None, 0), base.counters
    ns = [1e9 * (r.regions["fault"].seconds - r.regions["base"].seconds) / case.faults
          for r in runs]
    allc = dict(fault.counters)
    info = {
        "scenario": s.name, "what": s.what, "kernel": case.kernel, "pages": case.pages,
        "mapped": case.mapped if s.name in ("msync", "munmap") else None,
        "command": case.command,
        "instructions_per_fault": round(per_fault(run, case.faults), 1),
        "host_ns_per_fault": round(statistics.median(ns), 1),
        "fault_instructions": fault.instructions, "base_instructions": base.instructions,
        "counter": s.counter, "faults": allc.get(s.counter),
        "fault_counters": allc, "base_counters": base.counters,
        "other_regions": {r.name: {"instructions": r.instructions, "counters": r.counters}
                          for r in run.regions.values() if r.name not in ("fault", "base")},
        "dirty_mode": run.dirty_mode,
        "guide": s.guide if case.kernel == s.guide_kernel else None,
        "foreign_stops": run.foreign_stops,
    }
    nat = (native_faults.get("kinds") or {}).get(case.native_kind)
    if nat:
        info.update({"native_ns": nat["ns"], "native_minflt": nat["minflt"],
                     "native_majflt": nat["majflt"]})
    benchmark.extra_info.update(info)


def per_fault(run: Run, pages: int) -> float:
    return (run.regions["fault"].instructions - run.regions["base"].instructions) / pages


def test_native_faults(benchmark, native_faults):
    """The native program once more, timed whole; extra_info: ns per page of every kind."""
    if "skipped" in native_faults:
        pytest.skip(native_faults["skipped"])
    if "error" in native_faults:
        pytest.fail(native_faults["error"], pytrace=False)
    nf = native_faults
    benchmark.group = "faults-native"
    kinds = benchmark.pedantic(native.measure, args=(nf["exe"], nf["workdir"], nf["pages"],
                                                     nf["mapped"], nf["reps"], nf["dirty"]),
                               rounds=1, iterations=1)
    benchmark.extra_info.update({"kinds": kinds, "pages": nf["pages"], "mapped": nf["mapped"],
                                 "reps": nf["reps"], "fs_type": nf["fs_type"],
                                 "compiler": nf["compiler"]})
