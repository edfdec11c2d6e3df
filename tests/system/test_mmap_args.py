"""The memory system's limits and argument checks, in the guest: the commit limit leaves room
for the kernel (user/commitfill.c) and every memory call answers as Linux does (the
table-driven user/mmapargs.c, one subtest: test_mmap_argument_table[HARTS-table])."""

import pytest
from guest import Run, boot, cases, sh

from rvemu.machine import StopReason


def run_guest(image, harts, line, timeout=3_000_000_000):
    b = boot(image, harts)
    out = sh(b, line, timeout=timeout)
    b.send("poweroff\n")
    assert b.run(max_instructions=100_000_000) is StopReason.EXIT
    b.poweroff()
    return out


@pytest.mark.parametrize("case", [c for harts in (1, 3) for c in cases(Run("mmapargs", harts))])
def test_mmap_argument_table(guest_runs, case, request):
    guest_runs.check(case, request)


def test_reserve_until_enomem_then_touch_everything(fresh_image):
    """Reserving until mmap and sbrk say ENOMEM, then storing to every reserved page: the
    kernel kept its promises (no process killed for lack of memory)."""
    out = run_guest(fresh_image, 1, "commitfill", timeout=6_000_000_000)
    assert "ok fill" in out and "commitfill: ALL OK" in out, out[-3000:]
    assert "killed" not in out and "out of memory" not in out, out[-3000:]
