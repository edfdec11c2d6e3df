"""The same workloads on other emulators (QEMU, Spike, unicorn: benchmarks/peers.py), for the
ratio rvemu MIPS / peer MIPS.  Each peer that is not installed is skipped with the reason.

Method, per peer and workload (benchmarks/README.md explains it):
1. calibrate: time the empty program (the ELF with rounds = 0: start-up, page tables, exit) and
   the workload once; scale `rounds` so the peer's net time is about TARGET_SECONDS (at most
   MAX_SCALE times the compiled size).
2. time REPEATS runs of the scaled program (the pytest-benchmark rounds), each preceded by an
   untimed-for-the-benchmark run of the empty program, timed here as the baseline.
3. peer MIPS = (instructions(scaled) - instructions(empty)) / (median(runs) - median(empty)),
   with rvemu's exact guest instruction counts of those two files (for sharedpage, of its
   aligned twin's files with the same rounds: they run the same instructions, and rvemu runs
   the twin many times faster).
4. ratio = rvemu MIPS of test_mips in the same session / peer MIPS (when test_mips did not run,
   rvemu's own time for the counting run of the same files stands in, for sharedpage that of
   its compiled ELF; rvemu_mips_from says which).
"""

import math

import pytest

from benchmarks import peers
from benchmarks.harness import count, median, mips, timed
from benchmarks.programs import (SAME_INSTRUCTIONS, SMOKE_ROUNDS, WORKLOADS, build,
                                 default_rounds, with_rounds)

TARGET_SECONDS = 0.5
MAX_SCALE = 20
REPEATS = 5


@pytest.mark.parametrize("workload", WORKLOADS)
@pytest.mark.parametrize("peer_name", list(peers.PEERS))
def test_peer(benchmark, program_dir, smoke, progress, rvemu_results, peer_name, workload):
    peer = peers.PEERS[peer_name]
    why = peer.unavailable()
    if why:
        pytest.skip(why)
    elf = build(workload, program_dir)
    empty = with_rounds(elf, 0)
    repeats = 1 if smoke else REPEATS
    bar = progress((0 if smoke else 2) + 2 * repeats + 1)

    if smoke:
        scale, rounds = None, SMOKE_ROUNDS
    else:
        t_empty, _ = timed(peer.run, empty)
        bar.step("calibrating: empty program")
        t_full, _ = timed(peer.run, elf)
        bar.step("calibrating: workload")
        scale = max(1, min(MAX_SCALE, math.ceil(TARGET_SECONDS / max(t_full - t_empty, 1e-3))))
        rounds = default_rounds(elf) * scale
    prog = with_rounds(elf, rounds)

    empty_times, run_times = [], []

    def empty_run():
        dt, _ = timed(peer.run, empty)
        empty_times.append(dt)
        bar.step(f"empty program {dt:.3f} s")

    def one_run():
        dt, res = timed(peer.run, prog)
        run_times.append(dt)
        bar.step(f"rounds={rounds} {dt:.3f} s")
        return res

    benchmark.group = "peers"
    result = benchmark.pedantic(one_run, setup=empty_run, rounds=repeats, iterations=1,
                                warmup_rounds=0)
    twin = SAME_INSTRUCTIONS.get(workload)
    counted = build(twin, program_dir) if twin else elf
    full, zero = count(with_rounds(counted, rounds)), count(with_rounds(counted, 0))
    bar.step("rvemu instruction count")
    if result is not None:
        assert result == full.result, f"{peer_name} computed {result:#x}, rvemu {full.result:#x}"

    work = full.instructions - zero.instructions
    seconds, empty_seconds = median(run_times), median(empty_times)
    peer_mips = mips(work, seconds - empty_seconds)
    mine = rvemu_results.get(workload)
    if mine is not None:
        rvemu_mips, source = mine["mips"], "test_mips"
    else:
        # rvemu's own counting runs; for sharedpage (counted on its twin) runs of the compiled
        # ELF and its empty program instead
        own, own_zero = (count(elf), count(empty)) if twin else (full, zero)
        rvemu_mips = mips(own.instructions - own_zero.instructions, own.seconds - own_zero.seconds)
        source = "count run"
    ratio = round(rvemu_mips / peer_mips, 3) if rvemu_mips and peer_mips else None
    benchmark.extra_info.update({
        "peer": peer_name,
        "peer_version": peer.version(),
        "workload": workload,
        "rounds": rounds,
        "scale": scale,
        "instructions": full.instructions,
        "empty_instructions": zero.instructions,
        "seconds": round(seconds, 6),
        "empty_seconds": round(empty_seconds, 6),
        "mips": peer_mips,
        "rvemu_mips": rvemu_mips,
        "rvemu_mips_from": source,
        "ratio": ratio,
    })
    if mine is not None:
        mine["extra_info"].setdefault("peers", {})[peer_name] = {"mips": peer_mips,
                                                                 "ratio": ratio}
