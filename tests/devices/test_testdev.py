"""TestDevice (sifive,test0 finisher), plus the UART wired through the PLIC as on the board."""

from hypothesis import given, settings, strategies as st

from rvemu.devices.base import IrqLine
from rvemu.devices.plic import Plic
from rvemu.devices.testdev import TestDevice
from rvemu.devices.uart16550 import Uart16550
from rvemu.memmap import UART0, plic_context


class Recorder:
    def __init__(self):
        self.events = []

    def poweroff(self, code):
        self.events.append(("off", code))

    def reset(self):
        self.events.append(("reset",))


def make():
    r = Recorder()
    return TestDevice(r.poweroff, r.reset), r


def test_pass_fail_reset():
    d, r = make()
    d.write(0, 4, 0x5555)
    assert r.events == [("off", 0)] and d.last_status == "pass"
    d.write(0, 4, (3 << 16) | 0x3333)
    assert r.events[-1] == ("off", 3) and d.last_status == "fail"
    d.write(0, 4, 0x7777)
    assert r.events[-1] == ("reset",) and d.last_status == "reset"
    d.write(0, 4, (0xFFFF << 16) | 0x5555)
    assert r.events[-1] == ("off", 0xFFFF)


def test_fail_with_code_zero_is_exit_zero_like_qemu():
    d, r = make()
    d.write(0, 4, 0x3333)
    assert r.events == [("off", 0)] and d.last_status == "fail"


def test_other_values_offsets_and_sizes_ignored():
    d, r = make()
    for value in (0, 1, 0x5554, 0x4444, 0x5556, 0x3333_0000, 0x7777_0000):
        d.write(0, 4, value)
    d.write(4, 4, 0x5555)
    d.write(0x10, 8, 0x5555)
    d.write(0, 1, 0x55)
    d.write(1, 1, 0x55)
    d.write(2, 2, 0x5555)
    assert r.events == []
    assert d.last_status is None


def test_wide_and_halfword_writes():
    d, r = make()
    d.write(0, 8, (0xDEAD << 32) | (7 << 16) | 0x5555)   # upper word ignored
    assert r.events == [("off", 7)]
    d.write(0, 2, 0x7777)
    assert r.events[-1] == ("reset",)


def test_reads_return_zero():
    d, r = make()
    for off in (0, 1, 4, 0xFF8, 0x1000):
        for size in (1, 2, 4, 8):
            assert d.read(off, size) == 0
    assert r.events == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 0xFFF), st.sampled_from([1, 2, 4, 8]),
                          st.integers(0, 2**64 - 1)), max_size=30))
def test_fuzz_never_raises(ops):
    d, r = make()
    for off, size, value in ops:
        d.write(off, size, value)
        assert d.read(off, size) == 0
    for ev in r.events:
        assert ev == ("reset",) or 0 <= ev[1] <= 0xFFFF


def test_uart_interrupt_through_plic():
    ctx_lines = [IrqLine(f"ctx{c}") for c in range(2)]
    plic = Plic(96, 2, ctx_lines)
    out = []
    uart = Uart16550(plic.line(UART0.irq), out.append)
    sctx = plic_context(0, True)
    plic.write(UART0.irq * 4, 4, 1)
    plic.write(0x2000 + 0x80 * sctx, 4, 1 << UART0.irq)
    for off, v in ((1, 0), (3, 0x80), (0, 3), (1, 0), (3, 3), (2, 7), (1, 3)):
        uart.write(off, 1, v)
    s = ctx_lines[sctx]
    assert s.level                                   # THRE after IER=3
    assert plic.read(0x200004 + 0x1000 * sctx, 4) == UART0.irq
    assert uart.read(2, 1) == 0xC2                   # the driver clears THRE
    plic.write(0x200004 + 0x1000 * sctx, 4, UART0.irq)
    assert not s.level
    uart.feed(b"hello")
    assert s.level
    assert plic.read(0x200004 + 0x1000 * sctx, 4) == UART0.irq
    got = bytearray()
    while uart.read(5, 1) & 1:
        got.append(uart.read(0, 1))
    assert bytes(got) == b"hello"
    plic.write(0x200004 + 0x1000 * sctx, 4, UART0.irq)
    assert not s.level
    uart.write(0, 1, ord("!"))
    assert out == [b"!"]
    assert s.level                                   # THRE again after the byte left
