"""Device windows at every access width, on rvemu and on qemu-system-riscv64 (the reference).

tests/board/mmio_probe.c loads (1, 2, 4, 8 bytes) at implemented, reserved and misaligned offsets
of every device of the virt board and stores 0 where that is harmless, and prints one line per
access: the value read, "ok", or the trap (mcause, mtval).  rvemu must give QEMU's answers
(rvemu.bus documents the rules), with two documented differences:

* mtval of a split access: QEMU reports the aligned piece that faulted even where that piece
  starts below the access (a 2-byte load at 0x100000ff reports 0x100000fe); rvemu reports the
  first byte of the access inside the faulting piece, the privileged spec's "portion of the access
  that caused the fault".
* Values that depend on the virtio-blk device's own configuration (VALUE_EXEMPT), not on how the
  window answers: offered features, QueueNumMax, seg_max and geometry.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rvemu.board import Board
from rvemu.machine import StopReason

HERE = Path(__file__).resolve().parent
QEMU = shutil.which("qemu-system-riscv64")
LINE = re.compile(r"^([LS])([1248]) ([0-9a-f]{8}) (?:=([0-9a-f]{16})|(ok)|!([0-9a-f]) ([0-9a-f]{8}))$")

VALUE_EXEMPT = {
    0x1000100C: "8-byte load reaching DeviceFeatures",
    0x10001010: "DeviceFeatures",
    0x10001034: "QueueNumMax (rvemu 128, QEMU 1024)",
    0x1000110C: "virtio-blk seg_max and geometry",
}


@pytest.fixture(scope="module")
def probe(board_program, tmp_path_factory):
    elf = board_program("mmio_probe", sources=[HERE / "crt.S", HERE / "probe_trap.S",
                                               HERE / "mmio_probe.c"])
    disk = tmp_path_factory.mktemp("probe") / "disk.img"
    disk.write_bytes(bytes(1 << 20))
    return elf, disk


def parse(text: str):
    lines = text.replace("\r\n", "\n").split("\n")
    assert "done" in lines, text[-2000:]
    out = []
    for ln in lines[:lines.index("done")]:
        m = LINE.match(ln)
        assert m, f"unexpected probe output {ln!r}"
        kind, width, addr, value, ok, cause, tval = m.groups()
        result = (int(value, 16) if value is not None else "ok" if ok
                  else ("trap", int(cause, 16), int(tval, 16)))
        out.append((kind, int(width), int(addr, 16), result))
    return out


def run_rvemu(elf, disk):
    b = Board(ram_mib=16, harts=1, drive=str(disk))
    b.load_kernel(str(elf))
    assert b.run(max_instructions=5_000_000) is StopReason.EXIT
    b.poweroff()
    assert b.exit_code == 0
    return parse(bytes(b.output).decode())


def test_probe_on_rvemu(probe):
    """The rules, pinned without QEMU: access faults with the right cause and mtval."""
    got = {(k, w, a): r for k, w, a, r in run_rvemu(*probe)}
    assert got[("L", 1, 0x10000005)] == 0x60                    # LSR
    assert got[("L", 8, 0x10000001)] == ("trap", 5, 0x10000008)  # split: second piece faults
    assert got[("L", 2, 0x100000FF)] == ("trap", 5, 0x100000FF)  # first piece faults
    assert got[("L", 1, 0x10000040)] == ("trap", 5, 0x10000040)  # past the 8 registers
    assert got[("L", 1, 0x02000000)] == ("trap", 5, 0x02000000)  # msip: 4 bytes only
    assert got[("L", 8, 0x0200BFFC)] == ("trap", 5, 0x0200C000)
    assert got[("L", 4, 0x0C600000)] == ("trap", 5, 0x0C600000)  # past QEMU's PLIC region
    assert got[("L", 8, 0x10002000)] == 0x0000000274726976       # empty virtio slot 1
    assert got[("S", 1, 0x0C000029)] == ("trap", 7, 0x0C000029)  # PLIC byte store
    assert got[("S", 8, 0x10000003)] == ("trap", 7, 0x10000008)  # bytes 3..7 stored, 8 faults
    assert got[("S", 2, 0x00100000)] == "ok" and got[("S", 1, 0x00100000)][:2] == ("trap", 7)


@pytest.mark.qemu
@pytest.mark.skipif(QEMU is None, reason="qemu-system-riscv64 is not installed")
def test_probe_matches_qemu(probe):
    elf, disk = probe
    r = subprocess.run([QEMU, "-machine", "virt", "-bios", "none", "-nographic", "-m", "128M",
                        "-smp", "1", "-kernel", str(elf), "-global",
                        "virtio-mmio.force-legacy=false", "-drive",
                        f"file={disk},if=none,format=raw,id=x0", "-device",
                        "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0"],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    on_qemu = parse(r.stdout.decode())
    on_rvemu = run_rvemu(elf, disk)
    assert [p[:3] for p in on_rvemu] == [p[:3] for p in on_qemu]
    wrong = []
    for (kind, width, addr, mine), (_, _, _, ref) in zip(on_rvemu, on_qemu):
        if isinstance(ref, tuple):
            ref = ("trap", ref[1], max(ref[2], addr))
        elif addr in VALUE_EXEMPT and isinstance(mine, int):
            continue
        if mine != ref:
            wrong.append(f"{kind}{width} {addr:#x}: rvemu {mine!r}, QEMU {ref!r}")
    assert not wrong, "\n".join(wrong)
