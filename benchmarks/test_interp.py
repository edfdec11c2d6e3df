"""Emulator speed: guest MIPS on integer, memory and TLB-miss-heavy workloads, all running in
U-mode under Sv39.  Run: pytest benchmarks/test_interp.py --benchmark-only
Each round boots a fresh machine, so the decoded-code cache and TLBs start cold every time."""

import pytest

from benchmarks.programs import WORKLOADS, build
from rvemu import Machine, StopReason


def run_workload(elf):
    m = Machine(ram_mib=128)
    m.load_elf(elf)
    reason = m.run(max_instructions=5_000_000_000)
    assert reason is StopReason.EXIT and m.exit_code == 0, (reason, m.exit_code)
    return m


@pytest.mark.parametrize("workload", WORKLOADS)
def test_mips(benchmark, program_dir, workload):
    elf = build(workload, program_dir)
    benchmark.group = "interpreter"
    m = benchmark.pedantic(run_workload, args=(elf,), rounds=3, iterations=1, warmup_rounds=0)
    instructions = m.harts[0].instret
    stats = m.harts[0].stats()
    benchmark.extra_info["instructions"] = instructions
    benchmark.extra_info["tlb_misses"] = stats["tlb_misses"]
    benchmark.extra_info["page_walks"] = stats["page_walks"]
    if benchmark.stats is not None:
        benchmark.extra_info["mips"] = round(instructions / benchmark.stats.stats.median / 1e6, 1)
