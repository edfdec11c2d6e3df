"""Start-up of a multi-hart machine in the shape of xv6's main() (benchmarks/programs/smpboot.c):
hart 0 fills `rounds` = 64 MiB of RAM byte by byte while the other harts spin on a flag with plain
loads, then every hart does a little work and hart 0 exits when all are done.  M-mode, no paging.
Run: pytest benchmarks/test_smpboot.py --benchmark-only

Each round runs the program on a fresh Machine(harts=N), with its `harts` variable patched to N,
for N = 1 and 3.  The spinners retire instructions for as long as hart 0 fills memory, so the
3-hart run retires about three times the instructions of the 1-hart run; how much more host time
it takes is what this measures (the aim: within 1.3 times the 1-hart time).

extra_info: harts, fill_mib, instructions (all harts), per_hart, result, seconds (median of the
rounds), mips (instructions / seconds); when the 1-hart test ran earlier in the same session,
the N-hart entry also gets host_ratio = seconds(N) / seconds(1) and instructions_ratio."""

import pytest

from benchmarks.harness import instructions_of, median, mips, result_of, run_rvemu, timed
from benchmarks.programs import SMOKE_ROUNDS, build, default_rounds, with_values

ROUNDS = 3


@pytest.fixture(scope="module")
def one_hart():
    """The 1-hart entry's extra_info, for the ratios of the others."""
    return {}


@pytest.mark.parametrize("harts", (1, 3))
def test_smp_boot(benchmark, program_dir, smoke, progress, one_hart, harts):
    base = build("smpboot", program_dir)
    fill_mib = SMOKE_ROUNDS if smoke else default_rounds(base)
    elf = with_values(base, rounds=fill_mib, harts=harts)
    rounds = 1 if smoke else ROUNDS
    bar = progress(rounds)
    times, runs = [], []

    def one_run():
        dt, m = timed(run_rvemu, elf, harts)
        times.append(dt)
        runs.append(instructions_of(m))
        bar.step(f"{dt:.2f} s")
        return m

    benchmark.group = "smp-boot"
    m = benchmark.pedantic(one_run, rounds=rounds, iterations=1, warmup_rounds=0)
    assert len(set(runs)) == 1, "runs are deterministic"
    instructions = runs[0]
    seconds = benchmark.stats.stats.median if benchmark.stats is not None else median(times)
    info = benchmark.extra_info
    info.update({
        "harts": harts,
        "fill_mib": fill_mib,
        "instructions": instructions,
        "per_hart": [h.instret for h in m.harts],
        "result": result_of(m, elf),
        "seconds": round(seconds, 6),
        "mips": mips(instructions, seconds),
    })
    if harts == 1:
        one_hart.clear()
        one_hart.update(info)
    elif one_hart.get("fill_mib") == fill_mib:
        info["host_ratio"] = round(seconds / one_hart["seconds"], 3)
        info["instructions_ratio"] = round(instructions / one_hart["instructions"], 3)
