"""Every argument of the public Python API is checked: a bad one gets TypeError or ValueError
with a message naming it, promptly (no hang, no OverflowError from a C conversion, no silent
truncation).  Issue 13, item 3: ``Machine(ram_mib=1, slice_instructions=0).run(10)`` used to
loop forever.

One table: (id, call, expected exception, words the message must contain).  Each call runs in
a thread with a deadline, so a regression to a hang fails instead of stalling the suite.
"""

from __future__ import annotations

import threading

import pytest

from rvemu import Machine
from rvemu.board import Board


def m1():
    return Machine(ram_mib=1)


def b1():
    return Board(ram_mib=1)


CASES = [
    # Machine(...)
    ("slice-0-run", lambda: Machine(ram_mib=1, slice_instructions=0).run(10),
     ValueError, "slice_instructions"),
    ("slice-negative", lambda: Machine(ram_mib=1, slice_instructions=-5), ValueError, "slice"),
    ("slice-float", lambda: Machine(ram_mib=1, slice_instructions=1.5), TypeError, "slice"),
    ("slice-set-later", lambda: setattr(m1(), "slice", 0), ValueError, "slice"),
    ("ram-0", lambda: Machine(ram_mib=0), ValueError, "ram_mib"),
    ("ram-huge", lambda: Machine(ram_mib=1 << 40), ValueError, "ram_mib"),
    ("ram-str", lambda: Machine(ram_mib="16"), TypeError, "ram_mib"),
    ("ram-bool", lambda: Machine(ram_mib=True), TypeError, "ram_mib"),
    ("harts-0", lambda: Machine(ram_mib=1, harts=0), ValueError, "harts"),
    ("harts-65", lambda: Machine(ram_mib=1, harts=65), ValueError, "harts"),
    ("harts-float", lambda: Machine(ram_mib=1, harts=2.0), TypeError, "harts"),
    ("ipt-0", lambda: Machine(ram_mib=1, ipt=0), ValueError, "ipt"),
    ("ipt-negative", lambda: Machine(ram_mib=1, ipt=-1), ValueError, "ipt"),
    ("ipt-huge", lambda: Machine(ram_mib=1, ipt=1 << 64), ValueError, "ipt"),
    ("base-unaligned", lambda: Machine(ram_mib=1, ram_base=0x80000001), ValueError, "ram_base"),
    ("base-negative", lambda: Machine(ram_mib=1, ram_base=-4096), ValueError, "ram_base"),
    ("base-past-2^56", lambda: Machine(ram_mib=1, ram_base=1 << 56), ValueError, "ram_base"),
    ("bus-not-a-bus", lambda: Machine(ram_mib=1, bus=42), TypeError, "bus"),
    # Machine.run and friends
    ("run-negative", lambda: m1().run(-1), ValueError, "max_instructions"),
    ("run-float", lambda: m1().run(10.0), TypeError, "max_instructions"),
    ("run-str", lambda: m1().run("10"), TypeError, "max_instructions"),
    ("run-runner", lambda: m1().run(10, runner=3), TypeError, "runner"),
    ("read-negative-n", lambda: m1().read_phys(0x80000000, -1), ValueError, "n"),
    ("read-negative-addr", lambda: m1().read_phys(-8, 8), ValueError, "addr"),
    ("read-huge-n", lambda: m1().read_phys(0x80000000, 1 << 70), ValueError, "n"),
    ("read-outside", lambda: m1().read_phys(0x1000, 8), ValueError, "not RAM"),
    ("write-str", lambda: m1().write_phys(0x80000000, "abc"), TypeError, "data"),
    ("write-huge-addr", lambda: m1().write_phys(1 << 64, b"x"), ValueError, "addr"),
    ("time-hart", lambda: m1().time(3), ValueError, "hart"),
    ("advance-negative", lambda: m1().advance_clock_to(-1), ValueError, "vclock"),
    ("idle-negative", lambda: m1().advance_idle(-1), ValueError, "instructions"),
    ("htif-negative", lambda: m1().enable_htif(-8), ValueError, "tohost"),
    ("load-elf-path", lambda: m1().load_elf(3), TypeError, "path"),
    ("load-elf-data", lambda: m1().load_elf("x", data="text"), TypeError, "data"),
    # Hart
    ("pc-float", lambda: setattr(m1().harts[0], "pc", 0.5), TypeError, "value"),
    ("x-reg-32", lambda: m1().harts[0].set_x(32, 1), ValueError, "reg"),
    ("x-value-float", lambda: m1().harts[0].set_x(5, 1.0), TypeError, "value"),
    ("priv-2", lambda: setattr(m1().harts[0], "priv", 2), ValueError, "value"),
    ("priv-str", lambda: setattr(m1().harts[0], "priv", "M"), TypeError, "value"),
    ("csr-number", lambda: m1().harts[0].csr(0x1000), ValueError, "CSR number"),
    ("csr-value-none", lambda: m1().harts[0].set_csr("mscratch", None), TypeError, "value"),
    # Board
    ("board-ram", lambda: Board(ram_mib=0), ValueError, "ram_mib"),
    ("board-harts", lambda: Board(ram_mib=1, harts=100), ValueError, "harts"),
    ("board-drive", lambda: Board(ram_mib=1, drive=5), TypeError, "drive"),
    ("board-readonly", lambda: Board(ram_mib=1, drive_readonly="yes"), TypeError, "readonly"),
    ("board-console", lambda: Board(ram_mib=1, console="stdout"), TypeError, "console"),
    ("board-realtime", lambda: Board(ram_mib=1, realtime=1), TypeError, "realtime"),
    ("board-run", lambda: b1().run(-5), ValueError, "max_instructions"),
    ("board-expect-timeout", lambda: b1().expect("x", timeout_instructions=-1), ValueError,
     "timeout_instructions"),
    ("board-expect-pattern", lambda: b1().expect(42), TypeError, "pattern"),
    ("board-expect-start", lambda: b1().expect("x", start=-1), ValueError, "start"),
    ("board-send", lambda: b1().send(42), TypeError, "text"),
    ("board-attach-drive", lambda: b1().attach_drive(None), TypeError, "path"),
    ("board-attach-drive-slot", lambda: b1().attach_drive("x", slot=8), ValueError, "slot"),
    ("board-attach-drive-slot-str", lambda: b1().attach_drive("x", slot="0"), TypeError,
     "slot"),
    ("board-load-kernel", lambda: b1().load_kernel(b"elf"), TypeError, "path"),
    ("board-boot-image", lambda: b1().boot_image("x", readonly=None), TypeError, "readonly"),
    ("event-hook", lambda: m1().add_event_hook(None), TypeError, "hook"),
    # debug API (Core, as tests/test_debug_api.py uses it)
    ("translate-access", lambda: m1().core.translate(0, 0, "exec"), ValueError, "access"),
    ("breakpoint-str", lambda: m1().core.set_breakpoints(["0x80000000"]), TypeError, "str"),
    ("breakpoint-float", lambda: m1().core.set_breakpoints([1.5]), TypeError, "float"),
    ("breakpoints-65", lambda: m1().core.set_breakpoints(range(65)), ValueError, "64"),
    ("read-virt-huge", lambda: m1().core.read_virt(0, 0x80000000, 1 << 40), ValueError, "RAM"),
]


def call_with_deadline(fn, seconds=20.0):
    """fn()'s exception (None if it returned); pytest.fail if it has not returned in time."""
    box = {}

    def target():
        try:
            fn()
            box["exc"] = None
        except BaseException as e:          # noqa: B902 - handed to the test
            box["exc"] = e
    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        pytest.fail(f"the call did not return within {seconds} s")
    return box["exc"]


@pytest.mark.parametrize("fn,exc,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_argument_is_refused(fn, exc, words):
    err = call_with_deadline(fn)
    assert type(err) is exc, f"expected {exc.__name__}, got {err!r}"
    assert words.lower() in str(err).lower(), str(err)


@pytest.mark.parametrize("fn", [
    lambda: Machine(ram_mib=1, slice_instructions=1).run(10),
    lambda: m1().run(0),
    lambda: m1().run(None if False else 5),
    lambda: setattr(m1().harts[0], "pc", -1),                 # register values: their low
    lambda: m1().harts[0].set_x(5, -(1 << 63)),               # 64 bits, as a register
    lambda: m1().harts[0].set_x(5, 3 << 64 | 5),              # holds them
    lambda: m1().harts[0].set_csr(0x340, (1 << 64) - 1),
    lambda: m1().read_phys(0x80000000, 0),
    lambda: m1().write_phys(0x80000000, bytearray(b"ok")),
    lambda: Board(ram_mib=1, harts=2, ipt=1).run(100),
], ids=["slice-1", "run-0", "run-5", "pc--1", "x-min", "x-wide", "csr-max", "read-0", "write-bytearray",
        "board-ipt-1"])
def test_good_arguments_still_work(fn):
    assert call_with_deadline(fn) is None
