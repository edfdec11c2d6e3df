"""Threads: clone, join, texit, gettid (user/threadtest.c), on one hart and on three."""

import pytest
from guest import boot, sh

from rvemu import xv6fs
from rvemu.machine import StopReason


@pytest.mark.parametrize("harts", [1, 3])
def test_threadtest(fresh_image, harts):
    """Every test of user/threadtest.c: shared memory and files, join errors, exit/texit/kill/
    exec/fork with several threads, concurrent sbrk and faults, TLB shootdown on munmap and
    mprotect, running out of process slots, and a stress run."""
    b = boot(fresh_image, harts)
    out = sh(b, "threadtest", timeout=5_000_000_000)
    assert "threadtest: ALL OK" in out, out[-3000:]
    assert "FAIL" not in out, out[-3000:]
    # the shootdown tests' children die of their spinning thread's fault; on several harts the
    # spinner must have been running on another hart when munmap/mprotect was called
    assert "segmentation fault" in out, out[-3000:]
    if harts > 1:
        assert "spinner: concurrent" in out and "not concurrent" not in out, out[-3000:]
    b.send("poweroff\n")
    assert b.run(max_instructions=100_000_000) is StopReason.EXIT
    b.poweroff()
    # threads wrote, mapped and removed files at the same time: the file system is intact
    assert xv6fs.fsck(fresh_image) == []


def test_threadtest_one_named(fresh_image):
    """`threadtest NAME` runs just that test."""
    b = boot(fresh_image, 3)
    out = sh(b, "threadtest basic joinerr", timeout=1_000_000_000)
    assert "threadtest: basic" in out and "threadtest: joinerr" in out, out[-3000:]
    assert "threadtest: shared" not in out and "threadtest: stress" not in out, out[-3000:]
    assert "threadtest: ALL OK" in out and "FAIL" not in out, out[-3000:]
    b.send("poweroff\n")
    assert b.run(max_instructions=100_000_000) is StopReason.EXIT
    b.poweroff()
