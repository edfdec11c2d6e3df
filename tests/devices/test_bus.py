"""rvemu.bus: QEMU's access rules between the CPU and device windows, and the windows of the
virt board's devices as qemu-system-riscv64 7.2 answers them (tests/board/test_mmio_windows.py
compares the board with QEMU itself)."""

import pytest

from rvemu import memmap
from rvemu.board import Board
from rvemu.bus import Bus
from rvemu.memmap import Region

FAULT = None


class Recorder:
    """A device that logs its accesses; reads return bytes 0x10, 0x11, ... by offset."""

    def __init__(self, accepts=None, max_access=None):
        self.log = []
        if accepts is not None:
            self.accepts = accepts
        if max_access is not None:
            self.max_access = max_access

    def read(self, offset, size):
        self.log.append(("r", offset, size))
        return int.from_bytes(bytes((0x10 + offset + i) & 0xFF for i in range(size)), "little")

    def write(self, offset, size, value):
        self.log.append(("w", offset, size, value))


def bus_with(dev, base=0x1000, size=0x100):
    bus = Bus()
    bus.attach(Region("dev", base, size), dev)
    return bus


def test_misaligned_load_is_two_aligned_loads_of_its_width():
    dev = Recorder()
    bus = bus_with(dev)
    assert bus.read(0x1003, 4) == 0x16151413
    assert dev.log == [("r", 0, 4), ("r", 4, 4)]
    dev.log.clear()
    assert bus.read(0x1001, 2) == 0x1211
    assert dev.log == [("r", 0, 2), ("r", 2, 2)]


def test_misaligned_store_is_bytes_in_order_and_stops_at_the_first_fault():
    dev = Recorder(accepts=lambda off, size: off < 8)
    bus = bus_with(dev)
    assert bus.write(0x1002, 2, 0xBBAA)
    assert dev.log == [("w", 2, 2, 0xBBAA)]            # aligned: one access
    dev.log.clear()
    assert bus.write(0x1005, 4, 0x44332211) is False   # bytes 5, 6, 7 done, 8 faults
    assert dev.log == [("w", 5, 1, 0x11), ("w", 6, 1, 0x22), ("w", 7, 1, 0x33)]
    assert bus.fault_addr == 0x1008


def test_refused_or_unclaimed_accesses_fail_with_the_piece_address():
    dev = Recorder(accepts=lambda off, size: size == 4)
    bus = bus_with(dev)
    assert bus.read(0x1000, 1) is FAULT and bus.fault_addr == 0x1000
    assert bus.write(0x1004, 8, 0) is False and bus.fault_addr == 0x1004
    assert bus.read(0x10FE, 4) is FAULT and bus.fault_addr == 0x1100  # split: second piece
    assert bus.read(0x10F8, 8) is FAULT                  # refused width
    assert bus.read(0x0FFF, 1) is FAULT and bus.read(0x1100, 4) is FAULT
    assert dev.log == [("r", 0xFC, 4)]                   # only the split load's first piece


def test_wider_than_max_access_is_split_low_address_first():
    dev = Recorder(max_access=4)
    bus = bus_with(dev)
    assert bus.read(0x1008, 8) == 0x1F1E1D1C1B1A1918
    bus.write(0x1010, 8, 0x1122334455667788)
    assert dev.log == [("r", 8, 4), ("r", 12, 4), ("w", 16, 4, 0x55667788), ("w", 20, 4, 0x11223344)]


def test_detach_and_reattach():
    bus = bus_with(Recorder())
    region = Region("dev", 0x1000, 0x100)
    bus.detach(region)
    assert bus.read(0x1000, 4) is FAULT
    with pytest.raises(ValueError):
        bus.detach(region)
    bus.attach(region, Recorder())
    assert bus.read(0x1000, 1) == 0x10


# ---- the virt board's windows, as QEMU 7.2 answers them -----------------------------------------

UART, CLINT, PLIC, TEST = 0x1000_0000, 0x200_0000, 0xC00_0000, 0x10_0000
VIRTIO1 = memmap.VIRTIO[1].base

# (address, width, expected load result: a value, or FAULT)
LOADS = [
    (UART + 5, 1, 0x60), (UART + 4, 4, 0x00),          # LSR; MCR read 4 bytes wide
    (UART + 0, 8, 0x00),                                # RBR at 8 bytes: the byte, zero-extended
    (UART + 8, 1, FAULT), (UART + 0x40, 4, FAULT),      # only 8 bytes of the 0x100 slot answer
    (UART + 5, 4, FAULT),                               # misaligned: pieces at 4 and 8
    (UART + 6, 2, 0xB0),                                # MSR
    (CLINT + 0, 4, 0), (CLINT + 0, 1, FAULT), (CLINT + 0, 2, FAULT), (CLINT + 0, 8, FAULT),
    (CLINT + 4, 4, 0),                                  # msip of a hart that does not exist
    (CLINT + 0x4000, 2, FAULT), (CLINT + 0x4008, 8, 0), # mtimecmp: 4 and 8 bytes only
    (CLINT + 0xBFFC, 4, 0), (CLINT + 0xC000, 4, FAULT), (CLINT + 0xFFF8, 8, FAULT),
    (PLIC + 0x28, 4, 0), (PLIC + 0x28, 1, FAULT), (PLIC + 0x28, 2, FAULT),
    (PLIC + 0x28, 8, FAULT), (PLIC + 0x202000, 4, 0), (PLIC + 0x5FFFFC, 4, 0),
    (PLIC + 0x600000, 4, FAULT),                        # QEMU's PLIC region ends here
    (memmap.VIRTIO0.base, 4, 0x74726976),               # no drive: an empty slot
    (VIRTIO1, 1, 0x76), (VIRTIO1, 8, 0x0000000274726976), (VIRTIO1 + 8, 4, 0),
    (VIRTIO1 + 0xC, 2, 0x4551), (VIRTIO1 + 0x100, 4, 0), (VIRTIO1 + 0x1FC, 4, 0),
    (VIRTIO1 + 0x200, 4, FAULT), (memmap.VIRTIO[7].base, 4, 0x74726976),
    (memmap.VIRTIO[7].base + 0x1000, 4, FAULT),
    (TEST, 2, 0), (TEST, 4, 0), (TEST + 0xFFC, 4, 0), (TEST, 1, FAULT), (TEST, 8, FAULT),
]


@pytest.mark.parametrize("addr,width,expected", LOADS,
                         ids=[f"{a:#x}-{w}" for a, w, _ in LOADS])
def test_board_window_loads(addr, width, expected):
    b = Board(ram_mib=1, harts=1)
    assert b.bus.read(addr, width) == expected


STORES_REFUSED = [
    (UART + 8, 1), (UART + 7, 2), (CLINT + 0, 1), (CLINT + 0x4000, 2), (CLINT + 0xC000, 4),
    (PLIC + 0, 1), (PLIC + 0x29, 2), (PLIC + 0x1000, 8), (PLIC + 0x600000, 4),
    (VIRTIO1 + 0x200, 4), (TEST, 1), (TEST + 4, 8),
]


@pytest.mark.parametrize("addr,width", STORES_REFUSED,
                         ids=[f"{a:#x}-{w}" for a, w in STORES_REFUSED])
def test_board_window_stores_refused(addr, width):
    b = Board(ram_mib=1, harts=1)
    assert b.bus.write(addr, width, 0) is False


def test_board_window_stores_accepted_change_nothing_else():
    b = Board(ram_mib=1, harts=1)
    for addr, width in [(UART + 7, 1), (UART + 4, 4), (CLINT + 4, 4), (CLINT + 0x4008, 8), (PLIC + 0, 4),
                        (PLIC + 0x1000, 4), (VIRTIO1 + 0x70, 4), (TEST + 4, 2), (TEST, 4)]:
        assert b.bus.write(addr, width, 0)
    assert b.exit_code is None and not b.output


def test_virtio_slot0_with_a_drive_answers_in_0x200_bytes(tmp_path):
    disk = tmp_path / "d.img"
    disk.write_bytes(bytes(4096))
    b = Board(ram_mib=1, harts=1, drive=str(disk))
    base = memmap.VIRTIO0.base
    assert b.bus.read(base + 8, 4) == 2                           # a block device now
    assert b.bus.read(base, 8) == 0x0000000274726976              # two 4-byte reads
    assert b.bus.read(base + 0x100, 8) == 8                       # capacity, 8 sectors
    assert b.bus.read(base + 0x1FC, 4) == 0xFFFFFFFF              # past the config layout
    assert b.bus.read(base + 0x200, 4) is FAULT
