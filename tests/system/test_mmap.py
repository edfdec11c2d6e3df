"""mmap and friends on anonymous memory: run user/mmaptest and user/mmap2test in the guest."""

import pytest
from guest import boot, sh

from rvemu.machine import StopReason


@pytest.mark.parametrize("harts", [1, 3])
def test_mmaptest(fresh_image, harts):
    b = boot(fresh_image, harts)
    out = sh(b, "mmaptest", timeout=5_000_000_000)
    assert "mmaptest: ALL OK" in out, out[-3000:]
    assert "FAIL" not in out, out[-3000:]
    b.send("poweroff\n")
    assert b.run(max_instructions=100_000_000) is StopReason.EXIT
    b.poweroff()


@pytest.mark.parametrize("harts", [1, 3])
def test_mmap2test(fresh_image, harts):
    """madvise, mincore, mlock/MAP_LOCKED, MAP_NORESERVE and commit accounting, MAP_GROWSDOWN,
    MAP_DENYWRITE (user/mmap2test.c)."""
    b = boot(fresh_image, harts)
    out = sh(b, "mmap2test", timeout=5_000_000_000)
    assert "mmap2test: ALL OK" in out, out[-3000:]
    assert "FAIL" not in out, out[-3000:]
    # the children it lets the kernel kill say why
    assert "out of memory" in out and "segmentation fault" in out, out[-3000:]
    b.send("poweroff\n")
    assert b.run(max_instructions=100_000_000) is StopReason.EXIT
    b.poweroff()
