"""Emulator speed: guest MIPS on integer, memory and TLB-miss-heavy workloads, and on a loop that
stores into the page of its own code (sharedpage) beside the same program with its data on a
page of its own (sharedpage-aligned), all running in U-mode under Sv39.
Run: pytest benchmarks/test_interp.py --benchmark-only
Each round boots a fresh machine, so the decoded-code cache and TLBs start cold every time.

extra_info: mips = guest instructions / median host seconds of the whole run (machine creation,
loading and the page-table set-up included); net_mips = the same less the empty program (the ELF
with rounds = 0, run before each round outside the benchmark's timing), measured as the peers are
measured (test_peers.py), so rvemu/peer ratios use net_mips.  The empty program matters for tlb:
loading its 16 MiB .bss is about a tenth of the run.

sharedpage and sharedpage-aligned are the same objects linked twice (benchmarks/programs); the
test checks the layouts (`table` in user_main's page or not) and, when both ran, that they
executed the same instructions with the same checksum; both entries then get
`shared_page_slowdown` = net MIPS of sharedpage-aligned / net MIPS of sharedpage."""

import pytest

from benchmarks.harness import count, median, mips, result_of, run_rvemu, timed
from benchmarks.programs import (SAME_INSTRUCTIONS, SMOKE_ROUNDS, WORKLOADS, build, same_page,
                                 with_rounds)

ROUNDS = 3


@pytest.mark.parametrize("workload", WORKLOADS)
def test_mips(benchmark, program_dir, smoke, progress, rvemu_results, workload):
    base = build(workload, program_dir)
    elf = with_rounds(base, SMOKE_ROUNDS) if smoke else base
    empty = with_rounds(base, 0)
    rounds = 1 if smoke else ROUNDS
    bar = progress(2 * rounds)
    times, empty_times = [], []

    def empty_run():
        dt, _ = timed(run_rvemu, empty)
        empty_times.append(dt)
        bar.step(f"empty program {dt:.3f} s")

    def one_run():
        dt, m = timed(run_rvemu, elf)
        times.append(dt)
        bar.step(f"{dt:.2f} s")
        return m

    benchmark.group = "interpreter"
    m = benchmark.pedantic(one_run, setup=empty_run, rounds=rounds, iterations=1,
                           warmup_rounds=0)
    instructions = m.harts[0].instret
    stats = m.harts[0].stats()
    # The pytest-benchmark median when timing is on; our own timings otherwise (smoke runs).
    seconds = benchmark.stats.stats.median if benchmark.stats is not None else median(times)
    empty_seconds = median(empty_times)
    work = instructions - count(empty).instructions
    benchmark.extra_info.update({
        "workload": workload,
        "instructions": instructions,
        "result": result_of(m, elf),
        "tlb_misses": stats["tlb_misses"],
        "page_walks": stats["page_walks"],
        "mips": mips(instructions, seconds),
        "empty_instructions": instructions - work,
        "empty_seconds": round(empty_seconds, 6),
        "net_mips": mips(work, seconds - empty_seconds),
    })
    rvemu_results[workload] = {"mips": benchmark.extra_info["net_mips"],
                               "extra_info": benchmark.extra_info}
    shared_page_pair(base, workload, rvemu_results)


def shared_page_pair(elf, workload, rvemu_results):
    """For sharedpage and its aligned twin: check the layout; once both ran, check that they
    ran the same instructions and record the slowdown in both entries."""
    twins = {**SAME_INSTRUCTIONS, **{b: a for a, b in SAME_INSTRUCTIONS.items()}}
    if workload not in twins:
        return
    shared = workload in SAME_INSTRUCTIONS
    info = rvemu_results[workload]["extra_info"]
    info["data_shares_code_page"] = same_page(elf, "table", "user_main")
    assert info["data_shares_code_page"] == shared, f"{workload}: unexpected layout"
    other = rvemu_results.get(twins[workload])
    if other is None:
        return
    mine = rvemu_results[workload]
    theirs = other["extra_info"]
    assert (info["instructions"], info["result"]) == (theirs["instructions"], theirs["result"]), \
        f"{workload} and {twins[workload]} must run the same instructions"
    shared_mips, aligned_mips = ((mine["mips"], other["mips"]) if shared
                                 else (other["mips"], mine["mips"]))
    if shared_mips and aligned_mips:
        slowdown = round(aligned_mips / shared_mips, 3)
        info["shared_page_slowdown"] = theirs["shared_page_slowdown"] = slowdown
