"""Boot time of the bundled xv6 image: from a fresh Board to the shell's `$ ` prompt, on 1 and 3
harts.  Each round boots a private copy of the image (the guest writes to its disk); copying
happens outside the timed part.  One untimed warm-up boot comes first (the first board of a
process also pays for importing the device modules and first-touch allocations).

extra_info: instructions (all harts, to within STEP of the prompt's appearance: the run is
checked every STEP instructions), guest_seconds (machine time at the prompt, 10 MHz timebase;
idle harts fast-forward through timer waits), mips (instructions / median host seconds)."""

import pytest

from benchmarks.harness import median, mips, timed
from rvemu.board import TIMEBASE_HZ, Board
from rvemu.machine import StopReason

ROUNDS = 3
WARMUP = 1
STEP = 100_000
LIMIT = 1_000_000_000
PROMPT = b"$ "


def boot(image: str, harts: int) -> Board:
    b = Board(ram_mib=128, harts=harts)
    b.boot_image(image)
    ran = 0
    while PROMPT not in b.output:
        if ran >= LIMIT:
            raise AssertionError(f"no prompt after {ran} instructions: {bytes(b.output[-300:])!r}")
        reason = b.run(STEP)
        ran += STEP
        if reason in (StopReason.EXIT, StopReason.HALT):
            raise AssertionError(f"guest stopped ({reason}) before the prompt: "
                                 f"{bytes(b.output[-300:])!r}")
    return b


@pytest.mark.parametrize("harts", (1, 3))
def test_boot(benchmark, image_copies, smoke, progress, harts):
    rounds, warmup = (1, 0) if smoke else (ROUNDS, WARMUP)
    bar = progress(warmup + rounds)
    boards, times = [], []

    def fresh_copy():
        for b in boards:                  # the previous round's disk, outside the timing
            b.poweroff()
        bar.show(f"boot {len(times) + 1} ({warmup} warm-up)" if warmup else "")
        return (image_copies(), harts), {}

    def one_boot(image, n):
        dt, b = timed(boot, image, n)
        boards.append(b)
        times.append(dt)
        bar.done = len(times)
        bar.show(f"{dt:.2f} s")
        return b

    benchmark.group = "boot"
    try:
        b = benchmark.pedantic(one_boot, setup=fresh_copy, rounds=rounds, iterations=1,
                               warmup_rounds=warmup)
        counts = {sum(h.instret for h in x.machine.harts) for x in boards}
        clocks = {x.machine.clock for x in boards}
    finally:
        for x in boards:
            x.poweroff()
    assert len(counts) == 1 and len(clocks) == 1, "boots are deterministic"
    instructions = counts.pop()
    seconds = (benchmark.stats.stats.median if benchmark.stats is not None
               else median(times[warmup:]))
    m = b.machine
    benchmark.extra_info.update({
        "harts": harts,
        "instructions": instructions,
        "per_hart": [h.instret for h in m.harts],
        "guest_seconds": round(m.clock / m.core.ipt / TIMEBASE_HZ, 4),
        "seconds": round(seconds, 4),
        "mips": mips(instructions, seconds),
    })
