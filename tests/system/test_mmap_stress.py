"""Stress: four processes on 3 harts map, store to, truncate and unmap the same files at once
in 48 MiB with most of it held by a hog, so the kernel reclaims mapped file pages (writing
dirty ones back) as it goes (user/mmapstress.c).  Afterwards the disk image must pass fsck and
hold exactly what the rules in mmapstress.c give, recomputed here."""

import re

from rvemu import xv6fs
from rvemu.board import Board
from rvemu.machine import StopReason

PG, NW, NF, NP, ROUNDS = 4096, 4, 3, 64, 6     # mmapstress.c's constants


def expected_files():
    """The files' contents after the last round: every byte was stored by its worker in every
    round (truncations come before a round's stores), so the last round's values remain."""
    last = ROUNDS - 1
    return {f"st{f}": bytes((o % NW * 31 + last * 17 + f * 5 + o) & 0xff
                            for o in range(NP * PG))
            for f in range(NF)}


def test_model_is_consistent():
    files = expected_files()
    assert len(files["st0"]) == NP * PG
    # worker 1 owns offset 1: 31 + 85 + 0 + 1
    assert files["st0"][1] == (31 + 5 * 17 + 1) & 0xff


def test_mmap_stress_small_memory(fresh_image):
    b = Board(ram_mib=48, harts=3)
    b.boot_image(fresh_image)
    b.expect(r"\$ ", timeout_instructions=200_000_000)
    start = len(b.output)
    b.send("mmapstress\n")
    b.expect(r"mmapstress: (ALL OK|FAILED)", timeout_instructions=20_000_000_000, start=start)
    out = bytes(b.output[start:]).decode(errors="replace")
    b.expect(r"\n\$ ", timeout_instructions=1_000_000_000, start=start)
    assert "ok stress" in out and "mmapstress: ALL OK" in out and "FAIL" not in out, out[-3000:]
    assert "out of memory" not in out, out[-3000:]
    # the kernel did have to take mapped pages back
    reclaimed = int(re.search(r"mmapstress: (\d+) PTEs reclaimed", out).group(1))
    assert reclaimed > 0, out[-3000:]
    b.send("poweroff\n")
    assert b.run(max_instructions=200_000_000) is StopReason.EXIT
    b.poweroff()

    assert xv6fs.fsck(fresh_image) == []
    img = xv6fs.Image(fresh_image)
    for name, want in expected_files().items():
        got = img.read("/" + name)
        assert len(got) == len(want), name
        diff = next((i for i in range(len(want)) if got[i] != want[i]), None)
        assert diff is None, f"{name}: byte {diff} is {got[diff]:#x}, expected {want[diff]:#x}"
