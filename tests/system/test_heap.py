"""The heap and the stack are regions: run user/heaptest in the guest (lazy sbrk heap, shrink
unmaps, fork shares it copy-on-write, exec starts afresh, the stack's guard page kills)."""

import pytest
from guest import boot, sh

from rvemu.machine import StopReason


@pytest.mark.parametrize("harts", [1, 3])
def test_heaptest(fresh_image, harts):
    b = boot(fresh_image, harts)
    out = sh(b, "heaptest", timeout=2_000_000_000)
    assert "heaptest: ALL OK" in out, out[-3000:]
    assert "FAIL" not in out, out[-3000:]
    # the children it lets the kernel kill say why: heap above the break, the guard page
    assert out.count("segmentation fault") == 2, out[-3000:]
    b.send("poweroff\n")
    assert b.run(max_instructions=100_000_000) is StopReason.EXIT
    b.poweroff()
