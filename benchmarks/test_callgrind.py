"""Host instructions per guest instruction, counted with callgrind (valgrind --tool=callgrind):
exact and the same on every run, unlike host time on a shared machine.

For each case of CASES, two fresh Python processes run under callgrind, each doing what
harness.run_rvemu does (a fresh Machine, the ELF to its HTIF exit): one on the workload with the
case's rounds, one on its empty program (rounds = 0).  Then

    host_per_guest = (Ir(workload) - Ir(empty)) / (instructions(workload) - instructions(empty))

where Ir is callgrind's total of host instructions executed (Python start-up, ~350 M, is in
both and cancels) and instructions are the guest's, all harts.  smpboot runs on 1 and on 3
harts.  Callgrind is ~50x slower than a native run, so the rounds are smaller than the timed
benchmarks' (2-8 M guest instructions; sharedpage and its twin 0.9 M, as sharedpage costs about
60 times its twin's host instructions per guest instruction today); the whole file takes about
three minutes on 2 cores.  callgrind counts a `rep stosb` once per byte, and glibc's memset uses
it for large blocks: work done by big memsets weighs more here than in host time.
Run: pytest benchmarks/test_callgrind.py --benchmark-only

The benchmark's timing (one round: both callgrind runs) means nothing; the figures are in
extra_info: workload, harts, rounds, host_per_guest, ir, ir_empty, instructions,
instructions_empty, rvemu (the rvemu package the runs imported).
Skipped when valgrind is not installed (Debian: valgrind).  In smoke mode (--benchmark-disable)
only integer runs, with rounds = 1: every callgrind run pays ~6 s of start-up, and one
workload is enough to keep the method working (the others skip, saying so).

valgrind runs, with address-space randomisation off (setarch -R, when it works), the real
interpreter (os.path.realpath(sys.executable): `python` may be a pyenv shim, a shell script), with PYTHONPATH leading with the folder of the rvemu package this
process imported, followed by this process's site-packages folders (so a virtual environment's
packages are found too); the child reports the rvemu it imported and the test checks it is the
same.
"""

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rvemu
from benchmarks.harness import MAX_INSTRUCTIONS, RAM_MIB
from benchmarks.programs import build, with_values

# id: (program, harts, rounds under callgrind)
CASES = {
    "integer": ("integer", 1, 10),                         # 6.4 M guest instructions
    "memory": ("memory", 1, 4),                            # 5.9 M
    "tlb": ("tlb", 1, 30),                                 # 1.9 M
    "sharedpage": ("sharedpage", 1, 4),                    # 3.6 M
    "sharedpage-aligned": ("sharedpage-aligned", 1, 4),    # 3.6 M
    "smpboot-1": ("smpboot", 1, 2),                        # 2 MiB filled: 6.3 M
    "smpboot-3": ("smpboot", 3, 2),                        # 6.3 M + the spinners' 12.6 M
}
SMOKE_CASES = ("integer",)
TIMEOUT = 900

# What harness.run_rvemu does, in a process of its own; prints what the test needs as JSON.
RUNNER = """
import json, sys
import rvemu
from rvemu import Machine, StopReason
elf, harts, ram_mib, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
m = Machine(ram_mib=ram_mib, harts=harts)
m.load_elf(elf)
reason = m.run(max_instructions=limit)
print(json.dumps({"ok": reason is StopReason.EXIT and m.exit_code == 0,
                  "reason": str(reason), "exit_code": m.exit_code,
                  "instructions": sum(h.instret for h in m.harts), "rvemu": rvemu.__file__}))
"""


def valgrind():
    return shutil.which("valgrind")


def child_env() -> dict:
    """The environment of the runs: PYTHONPATH finds the rvemu this process imported first,
    then this process's package folders (a virtual environment's, which the real interpreter
    would not see)."""
    rvemu_dir = os.path.dirname(os.path.dirname(os.path.abspath(rvemu.__file__)))
    paths = [rvemu_dir]
    for p in sys.path:
        if (p and os.path.basename(p) in ("site-packages", "dist-packages")
                and os.path.isdir(p) and p not in paths):
            paths.append(p)
    # a fixed hash seed: Python's start-up then executes the same host instructions every run
    return dict(os.environ, PYTHONPATH=os.pathsep.join(paths), PYTHONHASHSEED="0")


def no_aslr() -> list:
    """The command prefix that runs a program with address-space randomisation off (util-linux
    setarch -R), or nothing where setarch is missing or refused.  Without it, where the
    interpreter's objects land moves from run to run, and with it what Python's start-up
    executes: the empty program's count varied by 1.6 M host instructions in three runs
    (351.48, 351.48, 353.05 M), which is 0.3-1.8 host instructions per guest instruction on the
    rounds below; with it, by 4,000."""
    setarch = shutil.which("setarch")
    if setarch is None:
        return []
    prefix = [setarch, platform.machine(), "-R"]
    ok = subprocess.run(prefix + ["true"], capture_output=True).returncode == 0
    return prefix if ok else []


def callgrind(elf: Path, harts: int, out: Path):
    """Run elf under callgrind in a fresh interpreter: (host instructions, guest instructions)."""
    cmd = no_aslr() + [valgrind(), "--tool=callgrind", f"--callgrind-out-file={out}",
           os.path.realpath(sys.executable), "-c", RUNNER, str(elf), str(harts), str(RAM_MIB),
           str(MAX_INSTRUCTIONS)]
    r = subprocess.run(cmd, env=child_env(), capture_output=True, text=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    assert r.returncode == 0 and lines, f"callgrind run of {elf} failed:\n{r.stderr[-3000:]}"
    child = json.loads(lines[-1])
    assert child["ok"], f"{elf}: {child}"
    assert os.path.realpath(child["rvemu"]) == os.path.realpath(rvemu.__file__), \
        f"the run imported {child['rvemu']}, this process {rvemu.__file__}"
    return collected(out, r.stderr), child["instructions"]


def collected(out: Path, stderr: str) -> int:
    """Callgrind's total Ir: the output file's `totals:` (or `summary:`) line, else the
    "Collected : N" line it prints at exit."""
    if out.exists():
        for line in out.read_text(errors="replace").splitlines():
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    m = re.search(r"Collected\s*:\s*(\d+)", stderr)
    assert m, f"no instruction total from callgrind:\n{stderr[-2000:]}"
    return int(m.group(1))


@pytest.mark.parametrize("case", list(CASES))
def test_host_instructions(benchmark, program_dir, smoke, progress, tmp_path, case):
    if valgrind() is None:
        pytest.skip("valgrind is not installed (Debian: valgrind)")
    if smoke and case not in SMOKE_CASES:
        pytest.skip(f"smoke mode: callgrind runs for {', '.join(SMOKE_CASES)} only "
                    "(~6 s of valgrind start-up per run)")
    program, harts, rounds = CASES[case]
    if smoke:
        rounds = 1
    base = build(program, program_dir)
    patch = {"harts": harts} if program == "smpboot" else {}
    elf, empty = (with_values(base, rounds=r, **patch) for r in (rounds, 0))
    bar = progress(2)
    figures = {}

    def both():
        figures["empty"] = callgrind(empty, harts, tmp_path / "empty.callgrind")
        bar.step(f"empty program: {figures['empty'][0]:,} Ir")
        figures["work"] = callgrind(elf, harts, tmp_path / "work.callgrind")
        bar.step(f"rounds={rounds}: {figures['work'][0]:,} Ir")

    benchmark.group = "host-instructions"
    benchmark.pedantic(both, rounds=1, iterations=1, warmup_rounds=0)
    (ir, n), (ir_empty, n_empty) = figures["work"], figures["empty"]
    assert n > n_empty, (n, n_empty)
    benchmark.extra_info.update({
        "workload": case,
        "program": program,
        "harts": harts,
        "rounds": rounds,
        "host_per_guest": round((ir - ir_empty) / (n - n_empty), 2),
        "ir": ir,
        "ir_empty": ir_empty,
        "instructions": n,
        "instructions_empty": n_empty,
        "rvemu": os.path.dirname(os.path.abspath(rvemu.__file__)),
    })
