"""Uart16550: registers, FIFO/backlog, interrupts (datasheet priorities), xv6's driver sequences."""

import pytest
from hypothesis import given, settings, strategies as st

from rvemu.devices.base import IrqLine
from rvemu.devices.uart16550 import Uart16550

RBR = THR = DLL = 0
IER = DLM = 1
IIR = FCR = 2
LCR, MCR, LSR, MSR, SCR = 3, 4, 5, 6, 7


class Out:
    def __init__(self):
        self.data = bytearray()
        self.calls = 0

    def __call__(self, b: bytes) -> None:
        assert isinstance(b, bytes) and len(b) == 1
        self.calls += 1
        self.data += b


class Levels:
    def __init__(self):
        self.history = []

    def __call__(self, level: bool) -> None:
        self.history.append(level)


def make():
    levels = Levels()
    irq = IrqLine("uart", levels)
    out = Out()
    return Uart16550(irq, out), irq, out, levels


def rd(u, off):
    return u.read(off, 1)


def wr(u, off, v):
    u.write(off, 1, v)


def xv6_init(u):
    wr(u, IER, 0x00)
    wr(u, LCR, 0x80)
    wr(u, DLL, 0x03)
    wr(u, DLM, 0x00)
    wr(u, LCR, 0x03)
    wr(u, FCR, 0x07)
    wr(u, IER, 0x03)


def drain(u):
    got = bytearray()
    while rd(u, LSR) & 1:
        got.append(rd(u, RBR))
    return bytes(got)


# ---- reset state and plain registers --------------------------------------------------------

def test_reset_values():
    u, irq, out, _ = make()
    assert rd(u, IER) == 0
    assert rd(u, IIR) == 0x01
    assert rd(u, LCR) == 0
    assert rd(u, MCR) == 0
    assert rd(u, LSR) == 0x60
    assert rd(u, MSR) == 0xB0
    assert rd(u, RBR) == 0          # empty receiver reads 0
    assert not irq.level
    assert out.calls == 0


def test_scratch_lcr_and_masks():
    u, *_ = make()
    wr(u, SCR, 0xA5)
    assert rd(u, SCR) == 0xA5
    wr(u, LCR, 0x1B)
    assert rd(u, LCR) == 0x1B
    wr(u, IER, 0xFF)
    assert rd(u, IER) == 0x0F       # bits 7:4 are always 0
    wr(u, MCR, 0xFF)
    assert rd(u, MCR) == 0x1F       # bits 7:5 are always 0


def test_dlab_maps_divisor_latches():
    u, irq, out, _ = make()
    wr(u, LCR, 0x80)
    wr(u, DLL, 0x03)
    wr(u, DLM, 0x01)
    assert out.calls == 0           # the DLL write is not a THR write
    assert rd(u, DLL) == 0x03 and rd(u, DLM) == 0x01
    u.feed(b"x")
    assert rd(u, RBR) == 0x03       # still the divisor, the byte stays queued
    wr(u, LCR, 0x03)
    assert rd(u, IER) == 0          # the DLM write did not reach IER
    assert rd(u, RBR) == ord("x")
    wr(u, LCR, 0x80)
    assert rd(u, DLL) == 0x03 and rd(u, DLM) == 0x01


def test_lsr_and_msr_writes_ignored():
    u, *_ = make()
    wr(u, LSR, 0xFF)
    wr(u, MSR, 0xFF)
    assert rd(u, LSR) == 0x60
    assert rd(u, MSR) == 0xB0


# ---- transmit ------------------------------------------------------------------------------

def test_thr_write_outputs_byte_immediately():
    u, irq, out, _ = make()
    for c in b"hi\n":
        assert rd(u, LSR) & 0x20
        wr(u, THR, c)
    assert bytes(out.data) == b"hi\n"
    assert rd(u, LSR) & 0x60 == 0x60
    assert not irq.level            # IER is 0


def test_wide_write_uses_low_byte():
    u, irq, out, _ = make()
    u.write(THR, 4, 0x12345641)
    u.write(THR, 8, 0xFFFFFFFF_FFFFFF42)
    assert bytes(out.data) == b"AB"


def test_thre_interrupt_on_enable_and_cleared_by_iir_read():
    u, irq, out, _ = make()
    wr(u, IER, 0x02)
    assert irq.level
    assert rd(u, IIR) == 0x02
    assert not irq.level
    assert rd(u, IIR) == 0x01
    # Re-writing IER with ETBEI already set does not re-arm it.
    wr(u, IER, 0x02)
    assert not irq.level
    # Turning ETBEI off then on does.
    wr(u, IER, 0x00)
    wr(u, IER, 0x02)
    assert irq.level


def test_thre_rearmed_after_each_thr_write():
    u, irq, out, _ = make()
    wr(u, IER, 0x02)
    rd(u, IIR)
    assert not irq.level
    wr(u, THR, ord("a"))
    assert irq.level
    assert rd(u, IIR) == 0x02
    assert not irq.level


class Asserts:
    """An IrqLine listener with repeats: counts every assertion (a PLIC request)."""

    def __init__(self):
        self.count = 0

    def __call__(self, level: bool) -> None:
        self.count += bool(level)


def make_counted():
    asserts = Asserts()
    irq = IrqLine("uart", asserts, repeats=True)
    out = Out()
    return Uart16550(irq, out), irq, asserts


def test_thre_reset_by_thr_write_and_set_again_when_the_byte_leaves():
    """Datasheet Table IV: THRE is reset by writing THR; the THR empties at once (instant
    transmit), which sets it again: the write makes exactly one new assertion."""
    u, irq, asserts = make_counted()
    wr(u, IER, 0x02)
    assert asserts.count == 1 and rd(u, IIR) == 0x02 and not irq.level
    for i, c in enumerate(b"abc", 1):
        wr(u, THR, c)
        assert irq.level and asserts.count == 1 + i
    assert rd(u, IIR) == 0x02 and not irq.level


def test_iir_read_clears_thre_only_when_thre_is_the_reported_source():
    """Datasheet Table IV: THRE is reset by reading IIR *if* THRE is the source it reports."""
    u, irq, _ = make_counted()
    wr(u, IER, 0x03)
    u.feed(b"x")
    assert rd(u, IIR) == 0x04           # received data outranks THRE ...
    assert u.thre_pending and irq.level  # ... and THRE is kept
    rd(u, RBR)
    assert rd(u, IIR) == 0x02
    assert not u.thre_pending and not irq.level


def test_reads_that_clear_nothing_do_not_reassert():
    """A driver that never reads IIR (xv6 before 2024) polls LSR: no new request from that."""
    u, irq, asserts = make_counted()
    wr(u, IER, 0x03)
    n = asserts.count
    for off in (LSR, LSR, IER, LCR, MCR, SCR, MSR):
        rd(u, off)
    assert irq.level and asserts.count == n


def test_ier_writes_follow_qemu():
    """Turning ETBEI on sets the latch (THR empty), turning it off resets it; rewriting IER
    unchanged re-evaluates nothing (QEMU's serial_ioport_write)."""
    u, irq, asserts = make_counted()
    wr(u, IER, 0x02)
    assert irq.level and asserts.count == 1
    wr(u, IER, 0x02)
    assert asserts.count == 1
    wr(u, IER, 0x00)
    assert not irq.level and not u.thre_pending
    wr(u, IER, 0x02)
    assert irq.level and asserts.count == 2


def test_old_xv6_handler_without_iir_read_makes_one_request_per_byte():
    """uart + PLIC as xv6-riscv before 2024 drives them: the handler reads LSR (and RBR), never
    IIR; THRE stays asserted, and after the last byte the claim/complete cycle ends."""
    from rvemu.devices.plic import Plic
    plic = Plic(96, 1)
    plic.write(4 * 10, 4, 1)                     # priority
    plic.write(0x2000, 4, 1 << 10)               # enable for context 0
    ctx = plic.context_lines[0]
    out = Out()
    u = Uart16550(plic.line(10), out)
    xv6_init(u)
    pending_bytes = list(b"ok\n")
    taken = 0
    while ctx.level and taken < 100:
        taken += 1
        assert plic.read(0x200004, 4) == 10      # claim
        while rd(u, LSR) & 0x01:
            rd(u, RBR)
        if pending_bytes and rd(u, LSR) & 0x20:  # uartstart: one byte per interrupt
            wr(u, THR, pending_bytes.pop(0))
        plic.write(0x200004, 4, 10)              # complete
    assert bytes(out.data) == b"ok\n"
    assert taken == 4 and u.irq.level            # THRE still asserted, yet no interrupt


def test_thre_latch_kept_while_disabled_then_reported_when_enabled():
    u, irq, out, _ = make()
    wr(u, THR, ord("a"))            # THRE latch set, ETBEI off: no interrupt
    assert not irq.level
    wr(u, IER, 0x02)
    assert irq.level


# ---- receive -------------------------------------------------------------------------------

def test_non_fifo_mode_one_byte_holding_register():
    u, irq, out, _ = make()
    u.feed(b"abc")
    assert u.rx_count() == 1 and u.backlog() == 2 and u.rx_space() == 0
    assert u.pending_input() == 3
    assert rd(u, LSR) == 0x61
    assert drain(u) == b"abc"       # no overrun: the backlog waits for room
    assert rd(u, LSR) == 0x60
    assert u.backlog() == 0 and u.pending_input() == 0 and u.rx_space() == 1


def test_fifo_mode_holds_16_and_backlog_keeps_the_rest():
    u, *_ = make()
    wr(u, FCR, 0x01)
    data = bytes(range(40))
    u.feed(data)
    assert u.rx_count() == 16 and u.backlog() == 24 and u.rx_space() == 0
    assert drain(u) == data
    assert rd(u, LSR) & 0x02 == 0   # never an overrun from host input


def test_feed_empty_is_noop():
    u, irq, *_ = make()
    u.feed(b"")
    assert u.rx_count() == 0 and not irq.level


def test_rda_interrupt_non_fifo():
    u, irq, *_ = make()
    wr(u, IER, 0x01)
    assert not irq.level
    u.feed(b"z")
    assert irq.level
    assert rd(u, IIR) == 0x04       # bits 7:6 clear without FIFOs
    assert irq.level                # reading IIR does not clear RDA
    assert rd(u, RBR) == ord("z")
    assert not irq.level
    assert rd(u, IIR) == 0x01


@pytest.mark.parametrize("fcr,trigger", [(0x01, 1), (0x41, 4), (0x81, 8), (0xC1, 14)])
def test_fifo_trigger_levels_and_timeout(fcr, trigger):
    u, irq, *_ = make()
    wr(u, FCR, fcr)
    wr(u, IER, 0x01)
    for n in range(1, 17):
        u.feed(b"x")
        iir = rd(u, IIR)
        assert iir & 0xC0 == 0xC0
        assert iir & 0x0F == (0x04 if n >= trigger else 0x0C)
        assert irq.level
    # Drain down below the trigger: timeout indication while anything remains.
    while u.rx_count() > 0:
        n = u.rx_count()
        assert rd(u, IIR) & 0x0F == (0x04 if n >= trigger else 0x0C)
        rd(u, RBR)
    assert rd(u, IIR) == 0xC1
    assert not irq.level


def test_fcr_rx_reset_returns_host_bytes_to_the_backlog():
    """Clearing the receiver does not lose host input: it goes back on the wire, in order."""
    u, *_ = make()
    wr(u, FCR, 0x01)
    u.feed(bytes(range(20)))
    wr(u, FCR, 0x03)                # clear RX FIFO (self-clearing bit)
    assert u.rx_count() == 16 and u.backlog() == 4
    assert drain(u) == bytes(range(20))


def test_fcr_bits_ignored_without_enable_and_mode_change_clears():
    u, *_ = make()
    wr(u, FCR, 0xC1)
    u.feed(b"abcdef")
    assert u.rx_count() == 6
    wr(u, FCR, 0xC0)                # FIFO off: the receiver is 1 byte again, trigger untouched
    assert rd(u, IIR) & 0xC0 == 0
    assert u.rx_count() == 1 and u.backlog() == 5
    wr(u, FCR, 0x01)                # FIFO back on with trigger 1
    wr(u, IER, 0x01)
    u.feed(b"q")
    assert rd(u, IIR) == 0xC4
    assert drain(u) == b"abcdefq"


def test_fifo_enable_refills_from_backlog():
    u, *_ = make()
    u.feed(b"0123456789")
    assert u.rx_count() == 1
    wr(u, FCR, 0x01)                # the mode change empties the receiver; nothing is lost
    assert u.rx_count() == 10
    assert drain(u) == b"0123456789"


# ---- loopback, overrun, line status --------------------------------------------------------

def test_loopback_routes_thr_to_receiver():
    u, irq, out, _ = make()
    wr(u, FCR, 0x01)
    wr(u, MCR, 0x10)
    wr(u, THR, ord("L"))
    assert out.calls == 0
    assert drain(u) == b"L"


def test_loopback_disconnects_serial_input():
    u, *_ = make()
    wr(u, FCR, 0x01)
    wr(u, MCR, 0x10)
    u.feed(b"host")
    assert u.rx_count() == 0 and u.backlog() == 4
    wr(u, MCR, 0x00)
    assert drain(u) == b"host"


def test_overrun_fifo_mode_discards_new_byte_and_rls_interrupt():
    u, irq, *_ = make()
    wr(u, FCR, 0x01)
    wr(u, MCR, 0x10)
    wr(u, IER, 0x05)                # ERBFI + ELSI
    for i in range(17):
        wr(u, THR, i)
    assert rd(u, IIR) == 0xC6       # line status beats received data
    lsr = rd(u, LSR)
    assert lsr & 0x03 == 0x03
    assert rd(u, LSR) & 0x02 == 0   # OE cleared by the LSR read
    assert rd(u, IIR) == 0xC4
    assert drain(u) == bytes(range(16))


def test_overrun_non_fifo_mode_overwrites():
    u, *_ = make()
    wr(u, MCR, 0x10)
    wr(u, THR, 1)
    wr(u, THR, 2)
    assert rd(u, LSR) == 0x63
    assert rd(u, RBR) == 2
    assert rd(u, LSR) == 0x60


def test_overrun_without_elsi_no_interrupt():
    u, irq, *_ = make()
    wr(u, MCR, 0x10)
    wr(u, THR, 1)
    wr(u, THR, 2)
    assert not irq.level
    assert rd(u, IIR) == 0x01


def test_modem_status_in_loopback():
    u, irq, *_ = make()
    wr(u, IER, 0x08)
    assert not irq.level
    wr(u, MCR, 0x10)                # loopback: CTS/DSR/DCD drop (MCR bits clear), RI stays 0
    assert irq.level
    assert rd(u, IIR) == 0x00
    assert rd(u, MSR) == 0x0B       # DDCD | DDSR | DCTS, lines low
    assert not irq.level
    wr(u, MCR, 0x1F)                # DTR RTS OUT1 OUT2 -> DSR CTS RI DCD
    assert rd(u, MSR) == 0xF0 | 0x0B
    wr(u, MCR, 0x1B)                # OUT1 off -> RI falls -> TERI
    assert rd(u, MSR) == 0xB4
    assert rd(u, MSR) == 0xB0
    assert not irq.level


def test_interrupt_priority_order():
    u, irq, *_ = make()
    wr(u, FCR, 0x01)
    wr(u, MCR, 0x10)
    wr(u, IER, 0x0F)
    # Pending: THRE (from IER enable), MSI (loopback changed lines).
    assert rd(u, IIR) & 0x0F == 0x02   # THRE beats modem status; read clears THRE
    assert rd(u, IIR) & 0x0F == 0x00
    rd(u, MSR)
    assert rd(u, IIR) == 0xC1
    for i in range(17):
        wr(u, THR, i)                  # overrun + data + THRE
    assert rd(u, IIR) & 0x0F == 0x06
    rd(u, LSR)
    assert rd(u, IIR) & 0x0F == 0x04   # RDA does not clear THRE when IIR reports RDA
    drain(u)
    assert rd(u, IIR) & 0x0F == 0x02
    assert rd(u, IIR) == 0xC1
    assert not irq.level


def test_irq_does_not_need_out2():
    u, irq, *_ = make()
    wr(u, IER, 0x01)
    u.feed(b"k")
    assert rd(u, MCR) & 0x08 == 0
    assert irq.level


# ---- xv6 ----------------------------------------------------------------------------------

def test_xv6_init_and_transmit_path():
    u, irq, out, levels = make()
    xv6_init(u)
    assert rd(u, LCR) == 0x03
    assert irq.level                # THRE pending right after IER=0x03
    # uartstart with an empty buffer: read IIR to clear the THRE interrupt.
    assert rd(u, IIR) == 0xC2
    assert not irq.level
    # uartputc: poll LSR.THRE, write THR; each byte re-arms THRE.
    for c in b"xv6 kernel is booting\n":
        assert rd(u, LSR) & 0x20
        wr(u, THR, c)
        assert irq.level
    assert bytes(out.data) == b"xv6 kernel is booting\n"
    # The interrupt: uartintr drains RX (nothing), uartstart finds the buffer empty, reads IIR.
    assert drain(u) == b""
    rd(u, IIR)
    assert not irq.level


def test_xv6_receive_interrupt_handler():
    u, irq, out, _ = make()
    xv6_init(u)
    rd(u, IIR)
    assert not irq.level
    u.feed(b"ls\n")
    assert irq.level
    # uartintr: while LSR.DR, read RHR; then uartstart reads IIR (transmit buffer empty).
    assert drain(u) == b"ls\n"
    assert not irq.level
    assert rd(u, IIR) == 0xC1


def test_xv6_new_style_handler_reads_iir_first():
    # Newer xv6: uartintr reads ISR first, then checks LSR.THRE, then drains RX.
    u, irq, out, _ = make()
    xv6_init(u)
    wr(u, THR, ord("$"))            # THRE pending again
    u.feed(b"a")
    assert rd(u, IIR) == 0xC4       # RX reported first; THRE stays pending
    assert rd(u, LSR) & 0x20
    assert drain(u) == b"a"
    assert irq.level                # THRE still pending: a second interrupt follows
    assert rd(u, IIR) == 0xC2
    assert not irq.level


def test_pasted_input_arrives_in_order_through_interrupts():
    u, irq, *_ = make()
    xv6_init(u)
    rd(u, IIR)
    text = b"echo " + b"x" * 500 + b"\n"
    u.feed(text)
    got = bytearray()
    while irq.level:
        iir = rd(u, IIR)
        if iir & 0x0F in (0x04, 0x0C):
            got += drain(u)
    assert bytes(got) == text
    assert u.backlog() == 0 and u.pending_input() == 0


# ---- robustness ----------------------------------------------------------------------------

def test_undefined_offsets_read_zero_and_ignore_writes():
    u, irq, out, _ = make()
    for off in (8, 9, 0x10, 0x7F, 0xFF, 0x100, 0x1000, -1):
        for size in (1, 2, 4, 8):
            u.write(off, size, 0xFFFFFFFFFFFFFFFF)
            assert u.read(off, size) == 0
    assert out.calls == 0 and not irq.level
    assert rd(u, LSR) == 0x60 and rd(u, IER) == 0


def test_reset_keeps_backlog():
    u, irq, *_ = make()
    xv6_init(u)
    u.feed(bytes(30))
    assert u.rx_count() == 16 and u.backlog() == 14
    u.reset()                       # the FIFO's bytes go back to the backlog
    assert rd(u, IER) == 0 and rd(u, IIR) == 0x01 and not irq.level
    assert u.rx_count() == 1 and u.backlog() == 29


def _source(u):
    return u._source()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["r", "w", "feed"]),
                          st.integers(0, 0x10), st.sampled_from([1, 2, 4, 8]),
                          st.integers(0, 2**64 - 1)), max_size=60))
def test_fuzz_never_raises_and_invariants_hold(ops):
    u, irq, out, _ = make()
    for kind, off, size, value in ops:
        if kind == "r":
            v = u.read(off, size)
            assert 0 <= v <= 0xFF
        elif kind == "w":
            u.write(off, size, value)
        else:
            u.feed(value.to_bytes(8, "little")[: off % 9])
        assert irq.level == (_source(u) != 0x01)
        assert u.rx_count() <= (16 if u.fifo_enabled else 1)
        assert u._lsr() & 0x60 == 0x60
