"""Plic: registers, level gateways, priority/threshold, claim/complete, contexts, odd accesses."""

import pytest
from hypothesis import given, settings, strategies as st

from rvemu.devices.base import IrqLine
from rvemu.devices.plic import Plic
from rvemu.memmap import UART0, VIRTIO0, plic_context

PRIO = 0x0
PENDING = 0x1000


def ENABLE(ctx, word=0):
    return 0x2000 + 0x80 * ctx + 4 * word


def THRESH(ctx):
    return 0x200000 + 0x1000 * ctx


def CLAIM(ctx):
    return 0x200004 + 0x1000 * ctx


def make(nctx=2, nsources=96):
    lines = [IrqLine(f"ctx{c}") for c in range(nctx)]
    return Plic(nsources, nctx, lines), lines


def r32(p, off):
    return p.read(off, 4)


def w32(p, off, v):
    p.write(off, 4, v)


def setup_src(p, src, prio, ctx=0):
    w32(p, PRIO + 4 * src, prio)
    w = src // 32
    w32(p, ENABLE(ctx, w), r32(p, ENABLE(ctx, w)) | (1 << (src % 32)))


# ---- construction and plain registers ------------------------------------------------------

def test_constructor_variants():
    p = Plic(ncontexts=4)
    assert p.nsources == 96 and len(p.context_lines) == 4
    lines = [IrqLine(), IrqLine()]
    assert Plic(context_lines=lines).ncontexts == 2
    with pytest.raises(ValueError):
        Plic(96, 3, lines)
    with pytest.raises(ValueError):
        Plic(96)
    with pytest.raises(ValueError):
        Plic(1, 1)


def test_line_is_cached_and_checked():
    p, _ = make()
    assert p.line(10) is p.line(10)
    for bad in (0, 96, -1):
        with pytest.raises(ValueError):
            p.line(bad)


def test_priority_warl_and_source0_reserved():
    p, _ = make()
    w32(p, PRIO + 4 * 5, 0xFFFFFFFF)
    assert r32(p, PRIO + 4 * 5) == 7
    w32(p, PRIO + 4 * 5, 0x9)
    assert r32(p, PRIO + 4 * 5) == 1
    w32(p, PRIO, 7)
    assert r32(p, PRIO) == 0
    w32(p, PRIO + 4 * 96, 7)         # source 96 does not exist with nsources=96
    assert r32(p, PRIO + 4 * 96) == 0


def test_enable_bits_hardwired_zero_where_no_source():
    p, _ = make()
    w32(p, ENABLE(0, 0), 0xFFFFFFFF)
    assert r32(p, ENABLE(0, 0)) == 0xFFFFFFFE
    w32(p, ENABLE(0, 2), 0xFFFFFFFF)
    assert r32(p, ENABLE(0, 2)) == 0xFFFFFFFF   # ids 64..95 exist
    w32(p, ENABLE(0, 3), 0xFFFFFFFF)
    assert r32(p, ENABLE(0, 3)) == 0
    w32(p, ENABLE(2, 0), 0xFFFFFFFF)            # context 2 does not exist
    assert r32(p, ENABLE(2, 0)) == 0
    p2, _ = make(nsources=40)
    w32(p2, ENABLE(0, 1), 0xFFFFFFFF)
    assert r32(p2, ENABLE(0, 1)) == 0xFF        # ids 32..39


def test_threshold_warl():
    p, _ = make()
    w32(p, THRESH(1), 0xFF)
    assert r32(p, THRESH(1)) == 7
    assert r32(p, THRESH(0)) == 0


def test_pending_read_only():
    p, _ = make()
    w32(p, PENDING, 0xFFFFFFFF)
    assert r32(p, PENDING) == 0
    p.line(33).set(True)
    assert r32(p, PENDING + 4) == 0b10
    w32(p, PENDING + 4, 0)
    assert r32(p, PENDING + 4) == 0b10


# ---- gateway, claim, complete --------------------------------------------------------------

def test_basic_flow_and_level_rearm():
    p, (m, s) = make()
    setup_src(p, 10, 1)
    src = p.line(10)
    assert not m.level
    src.set(True)
    assert m.level and not s.level
    assert r32(p, PENDING) == 1 << 10
    assert r32(p, CLAIM(0)) == 10
    assert r32(p, PENDING) == 0 and not m.level
    assert r32(p, CLAIM(0)) == 0                 # in claim: nothing more forwarded
    src.set(True)                                # the device asserts it again: held
    w32(p, CLAIM(0), 10)                         # complete while still high: pending again
    assert r32(p, PENDING) == 1 << 10 and m.level
    assert r32(p, CLAIM(0)) == 10
    src.set(False)
    w32(p, CLAIM(0), 10)                         # complete with the line low: stays quiet
    assert r32(p, PENDING) == 0 and not m.level
    src.set(True)                                # new assertion: new request
    assert m.level


def test_line_held_high_through_completion_makes_no_new_request():
    """QEMU's gateway: only an assertion is a request; a line that stays high through claim and
    completion is not re-pended (the spec's gateway would), and the next assertion is."""
    p, (m, _) = make()
    setup_src(p, 10, 1)
    src = p.line(10)
    src.set(True)
    assert r32(p, CLAIM(0)) == 10
    w32(p, CLAIM(0), 10)
    assert src.level and r32(p, PENDING) == 0 and not m.level
    src.set(True)                                # re-assertion while high and unclaimed
    assert r32(p, PENDING) == 1 << 10 and m.level
    assert r32(p, CLAIM(0)) == 10
    src.set(True)
    src.set(True)                                # several assertions in one claim: one request
    w32(p, CLAIM(0), 10)
    assert r32(p, CLAIM(0)) == 10
    w32(p, CLAIM(0), 10)
    assert r32(p, CLAIM(0)) == 0 and not m.level


def test_request_held_during_claim_dropped_if_line_falls():
    p, (m, _) = make()
    setup_src(p, 10, 1)
    src = p.line(10)
    src.set(True)
    assert r32(p, CLAIM(0)) == 10
    src.set(True)                                # held ...
    src.set(False)                               # ... but the line is low at completion
    w32(p, CLAIM(0), 10)
    assert r32(p, PENDING) == 0 and not m.level


def test_deassert_before_claim_keeps_request():
    p, (m, _) = make()
    setup_src(p, 3, 2)
    p.line(3).set(True)
    p.line(3).set(False)
    assert m.level                               # the spec: no retraction
    assert r32(p, CLAIM(0)) == 3
    w32(p, CLAIM(0), 3)
    assert not m.level


def test_line_toggling_while_claimed_forwards_nothing():
    p, (m, _) = make()
    setup_src(p, 3, 2)
    ln = p.line(3)
    ln.set(True)
    assert r32(p, CLAIM(0)) == 3
    ln.set(False)
    ln.set(True)
    assert not m.level and r32(p, PENDING) == 0
    w32(p, CLAIM(0), 3)
    assert m.level


def test_priority_zero_never_interrupts():
    p, (m, _) = make()
    setup_src(p, 4, 0)
    p.line(4).set(True)
    assert not m.level
    assert r32(p, PENDING) == 1 << 4
    assert r32(p, CLAIM(0)) == 0
    w32(p, PRIO + 16, 1)                         # raising the priority delivers it
    assert m.level
    assert r32(p, CLAIM(0)) == 4


def test_highest_priority_then_lowest_id():
    p, (m, _) = make()
    for src, prio in ((5, 3), (7, 6), (9, 6), (40, 2)):
        setup_src(p, src, prio)
        p.line(src).set(True)
    order = [r32(p, CLAIM(0)) for _ in range(5)]
    assert order == [7, 9, 5, 40, 0]
    assert not m.level


def test_threshold_masks_notification_but_not_claim():
    p, (m, _) = make()
    setup_src(p, 2, 3)
    w32(p, THRESH(0), 3)
    p.line(2).set(True)
    assert not m.level                           # priority must exceed the threshold
    w32(p, THRESH(0), 2)
    assert m.level
    w32(p, THRESH(0), 7)
    assert not m.level
    assert r32(p, CLAIM(0)) == 2                 # the spec: claim ignores the threshold


def test_disable_drops_notification_and_enable_restores():
    p, (m, _) = make()
    setup_src(p, 6, 1)
    p.line(6).set(True)
    assert m.level
    w32(p, ENABLE(0), 0)
    assert not m.level
    assert r32(p, CLAIM(0)) == 0
    w32(p, ENABLE(0), 1 << 6)
    assert m.level


def test_completion_ignored_unless_enabled_and_claimed():
    p, (m, s) = make()
    setup_src(p, 8, 1, ctx=0)
    ln = p.line(8)
    ln.set(True)
    assert r32(p, CLAIM(0)) == 8
    ln.set(True)                                 # asserted again: re-pends at completion
    w32(p, CLAIM(1), 8)                          # not enabled for context 1: ignored
    assert not m.level
    for bogus in (0, 9, 96, 1000, 0xFFFFFFFF):
        w32(p, CLAIM(0), bogus)                  # not in claim / out of range: ignored
    assert not m.level
    w32(p, ENABLE(0), 0)
    w32(p, CLAIM(0), 8)                          # disabled now: ignored
    w32(p, ENABLE(0), 1 << 8)
    assert not m.level
    w32(p, CLAIM(0), 8)                          # enabled and in claim: accepted
    assert m.level


def test_completion_from_other_context_with_source_enabled():
    p, (m, s) = make()
    setup_src(p, 8, 1, ctx=0)
    setup_src(p, 8, 1, ctx=1)
    p.line(8).set(True)
    assert m.level and s.level                   # multicast
    assert r32(p, CLAIM(1)) == 8
    assert not m.level and not s.level
    assert r32(p, CLAIM(0)) == 0                 # the other context lost the race
    p.line(8).set(True)                          # asserted again: re-pends at completion
    w32(p, CLAIM(0), 8)                          # spec: the id is not checked against the claimer
    assert m.level and s.level


def test_contexts_are_independent():
    p, (m0, s0, m1, s1) = make(nctx=4)
    setup_src(p, 1, 1, ctx=plic_context(0, True))
    setup_src(p, 10, 5, ctx=plic_context(1, True))
    setup_src(p, 10, 5, ctx=plic_context(1, False))
    w32(p, THRESH(plic_context(1, False)), 6)
    p.line(10).set(True)
    assert [x.level for x in (m0, s0, m1, s1)] == [False, False, False, True]
    p.line(1).set(True)
    assert [x.level for x in (m0, s0, m1, s1)] == [False, True, False, True]
    assert r32(p, CLAIM(plic_context(0, True))) == 1
    assert r32(p, CLAIM(plic_context(1, True))) == 10
    assert not any(x.level for x in (m0, s0, m1, s1))


def test_xv6_sequence_with_uart_and_virtio():
    # plicinit / plicinithart / plic_claim / plic_complete as xv6 does them, two harts.
    p, lines = make(nctx=4)
    w32(p, UART0.irq * 4, 1)
    w32(p, VIRTIO0.irq * 4, 1)
    for hart in range(2):
        w32(p, 0x2080 + hart * 0x100, (1 << UART0.irq) | (1 << VIRTIO0.irq))
        w32(p, 0x201000 + hart * 0x2000, 0)
    uart, disk = p.line(UART0.irq), p.line(VIRTIO0.irq)
    uart.set(True)
    disk.set(True)
    s0, s1 = lines[plic_context(0, True)], lines[plic_context(1, True)]
    assert s0.level and s1.level
    assert not lines[plic_context(0, False)].level
    assert r32(p, 0x201004) == VIRTIO0.irq       # same priority: lower id first
    assert r32(p, 0x201004 + 0x2000) == UART0.irq
    assert not s0.level
    disk.set(False)                              # the disk handler acknowledged the device
    w32(p, 0x201004, VIRTIO0.irq)
    uart.set(False)
    w32(p, 0x201004 + 0x2000, UART0.irq)
    assert not s0.level and not s1.level
    assert r32(p, PENDING) == 0


def test_reset():
    p, (m, _) = make()
    setup_src(p, 3, 1)
    p.line(3).set(True)
    p.line(4).set(True)
    assert m.level
    p.reset()
    assert not m.level
    assert r32(p, PRIO + 12) == 0 and r32(p, ENABLE(0)) == 0
    assert r32(p, PENDING) == (1 << 3) | (1 << 4)  # lines still high: requests again


# ---- access sizes and the window ------------------------------------------------------------

def test_only_aligned_word_accesses():
    """QEMU's sifive_plic takes 4-byte accesses only: the bus faults the rest (accepts); called
    directly, other widths and misaligned offsets read 0 and write nothing, and never claim."""
    p, (m, _) = make()
    assert p.accepts(0, 4) and p.accepts(CLAIM(0), 4)
    assert not any(p.accepts(PRIO + 40, n) for n in (1, 2, 8))
    setup_src(p, 10, 5)
    p.line(10).set(True)
    assert m.level
    p.write(PRIO + 40, 1, 0)
    p.write(PRIO + 40, 8, 0)
    p.write(PRIO + 42, 4, 0)
    assert r32(p, PRIO + 40) == 5
    assert p.read(THRESH(0), 8) == 0 and p.read(CLAIM(0), 2) == 0 and p.read(CLAIM(0) + 1, 4) == 0
    assert m.level and r32(p, PENDING) == 1 << 10      # nothing was claimed


def test_reserved_and_out_of_window_read_zero():
    p, lines = make()
    for off in (0x1080, 0x1FF0, ENABLE(2), 0x1F1FFC, 0x1FFFF0, THRESH(0) + 8, THRESH(0) + 0xFF0,
                THRESH(2), CLAIM(2), 0x3FFF004, 0x3FFFFFC, 0x4000000, 0x8000000, -4):
        for size in (1, 2, 4, 8):
            p.write(off, size, 0xFFFFFFFFFFFFFFFF)
            assert p.read(off, size) == 0, hex(off)
    assert not any(ln.level for ln in lines)
    assert all(x == 0 for x in p.priority) and p.enable == [0, 0] and p.threshold == [0, 0]


_offsets = st.one_of(
    st.integers(0, 0x190), st.integers(0xFF0, 0x1010), st.integers(0x1FF0, 0x2110),
    st.integers(0x1FFFF0, 0x202010), st.integers(0, 0x4000010))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(
    st.tuples(st.just("r"), _offsets, st.sampled_from([1, 2, 4, 8]), st.just(0)),
    st.tuples(st.just("w"), _offsets, st.sampled_from([1, 2, 4, 8]), st.integers(0, 2**64 - 1)),
    st.tuples(st.just("irq"), st.integers(1, 95), st.just(0), st.booleans())), max_size=60))
def test_fuzz_never_raises_and_lines_consistent(ops):
    p, lines = make()
    for kind, off, size, value in ops:
        if kind == "r":
            v = p.read(off, size)
            assert 0 <= v < (1 << (8 * size))
        elif kind == "w":
            p.write(off, size, value)
        else:
            p.line(off).set(value)
        assert p.pending & p.claimed == 0
        assert (p.pending | p.claimed) & ~p._valid == 0
        for ctx, ln in enumerate(lines):
            assert ln.level == p.eip(ctx)
            assert 0 <= p.threshold[ctx] <= 7
        assert all(0 <= x <= 7 for x in p.priority)
