"""Clint: msip bits and lines, mtime/mtimecmp in 8-byte accesses and 4-byte halves, odd accesses."""

import pytest
from hypothesis import given, settings, strategies as st

from rvemu.devices.base import IrqLine
from rvemu.devices.clint import Clint

M64 = (1 << 64) - 1


class FakeTimer:
    def __init__(self, nharts):
        self.now = 0
        self.cmp = [M64] * nharts
        self.log = []

    def mtime(self):
        return self.now

    def set_mtime(self, value):
        self.log.append(("mtime", value))
        self.now = value

    def get_mtimecmp(self, hart):
        return self.cmp[hart]

    def set_mtimecmp(self, hart, value):
        self.log.append(("cmp", hart, value))
        self.cmp[hart] = value


def make(n=2):
    lines = [IrqLine(f"msip{h}") for h in range(n)]
    t = FakeTimer(n)
    return Clint(n, lines, t), lines, t


def test_constructor_checks():
    with pytest.raises(ValueError):
        Clint(2, [IrqLine()], FakeTimer(2))
    with pytest.raises(ValueError):
        Clint(0, [], FakeTimer(0))


def test_msip_bit0_drives_line():
    c, lines, _ = make(3)
    c.write(0x4, 4, 0xFFFFFFFF)
    assert c.read(0x4, 4) == 1
    assert lines[1].level and not lines[0].level and not lines[2].level
    c.write(0x4, 4, 2)              # bit 0 clear
    assert c.read(0x4, 4) == 0 and not lines[1].level
    c.write(0x8, 1, 1)              # byte write reaches msip[2]
    assert lines[2].level
    assert c.read(0x8, 1) == 1
    c.reset()
    assert not any(ln.level for ln in lines)


def test_msip_of_missing_hart_reads_zero():
    c, lines, _ = make(2)
    c.write(0x8, 4, 1)
    assert c.read(0x8, 4) == 0
    c.write(0x3FFC, 4, 1)
    assert c.read(0x3FFC, 4) == 0
    assert not any(ln.level for ln in lines)


def test_mtimecmp_8_and_4_byte():
    c, _, t = make(2)
    assert c.read(0x4000, 8) == M64
    c.write(0x4008, 8, 0x1122334455667788)
    assert t.cmp[1] == 0x1122334455667788
    assert c.read(0x4008, 4) == 0x55667788
    assert c.read(0x400C, 4) == 0x11223344
    # RV32 style: hi then lo, each a read-modify-write of the 64-bit value.
    c.write(0x4004, 4, 0)
    assert t.cmp[0] == 0x00000000FFFFFFFF
    c.write(0x4000, 4, 1000)
    assert t.cmp[0] == 1000
    assert t.log[-1] == ("cmp", 0, 1000)


def test_mtime_8_and_4_byte():
    c, _, t = make(1)
    t.now = 0x0000000A_FFFFFFF0
    assert c.read(0xBFF8, 8) == 0x0000000AFFFFFFF0
    assert c.read(0xBFF8, 4) == 0xFFFFFFF0
    assert c.read(0xBFFC, 4) == 0x0000000A
    c.write(0xBFF8, 8, 5)
    assert t.now == 5
    c.write(0xBFFC, 4, 7)
    assert t.now == (7 << 32) | 5
    c.write(0xBFF8, 4, 0xDEADBEEF)
    assert t.now == (7 << 32) | 0xDEADBEEF


def test_timer_values_masked_to_64_bits():
    c, _, t = make(1)
    c.write(0x4000, 8, (1 << 70) | 3)
    assert t.cmp[0] == 3


def test_byte_and_halfword_access_to_mtimecmp():
    c, _, t = make(1)
    c.write(0x4000, 8, 0)
    c.write(0x4003, 1, 0xAB)
    assert t.cmp[0] == 0xAB000000
    assert c.read(0x4003, 1) == 0xAB
    assert c.read(0x4002, 2) == 0xAB00
    c.write(0x4006, 2, 0x1234)
    assert t.cmp[0] == 0x12340000AB000000


def test_access_spanning_two_registers():
    c, lines, t = make(2)
    t.cmp = [0x1111111122222222, 0x3333333344444444]
    assert c.read(0x4004, 8) == 0x4444444411111111
    c.write(0x4004, 8, 0xAAAAAAAABBBBBBBB)
    assert t.cmp == [0xBBBBBBBB22222222, 0x33333333AAAAAAAA]
    c.write(0x0, 8, 0x00000001_00000001)   # msip[0] and msip[1] in one store
    assert lines[0].level and lines[1].level
    assert c.read(0x0, 8) == 0x00000001_00000001


def test_mtime_read_once_per_access():
    c, _, t = make(1)

    class Ticking(FakeTimer):
        def mtime(self):
            self.now += 1
            return self.now

    tk = Ticking(1)
    c.timer = tk
    c.write(0xBFF8, 4, 100)          # one read + one write
    assert tk.log == [("mtime", 100)]


def test_gaps_and_out_of_window_read_zero():
    c, lines, t = make(1)
    t.now = 12345
    for off in (0x4008, 0x8000, 0xBFF0, 0xC000, 0xFFF8, 0x10000, 0x20000, -8):
        for size in (1, 2, 4, 8):
            c.write(off, size, M64)
            assert c.read(off, size) == 0
    assert t.now == 12345 and t.cmp == [M64] and not lines[0].level
    assert t.log == []


def test_access_straddling_end_of_mtime():
    c, _, t = make(1)
    t.now = 0x0102030405060708
    assert c.read(0xBFFC, 8) == 0x01020304
    c.write(0xBFFE, 8, 0xFFFFFFFFFFFF0000)
    assert t.now == 0x0000030405060708


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(),
                          st.one_of(st.integers(0, 0x20), st.integers(0x3FF0, 0x4020),
                                    st.integers(0xBFF0, 0xC010), st.integers(0, 0xFFFF)),
                          st.sampled_from([1, 2, 4, 8]), st.integers(0, 2**64 - 1)),
                max_size=50))
def test_fuzz_never_raises(ops):
    c, lines, t = make(2)
    for is_write, off, size, value in ops:
        if is_write:
            c.write(off, size, value)
        else:
            v = c.read(off, size)
            assert 0 <= v < (1 << (8 * size))
        assert all(0 <= x <= M64 for x in t.cmp) and 0 <= t.now <= M64
        assert [ln.level for ln in lines] == [bool(b) for b in c.msip]
