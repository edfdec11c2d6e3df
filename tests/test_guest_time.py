"""Guest time at the edges of 64 bits: bare-metal guests on the board that store to the CLINT.

mtime is a 64-bit counter that wraps at 2^64 (the time CSR reads the same); mtimecmp compares
unsigned, so after the wrap MTIP drops again.  A comparator further away than the clocks'
horizon (Core.vclock_max instructions, centuries of guest time) means "no timer interrupt":
a hart that waits for it ends the run with HALT, as when no timer is armed.  Nothing a guest
stores there may raise a host exception (issue 13, item 1).

Each guest loads its 64-bit constants from a pool after its code (auipc + ld), stores them to
the CLINT, reads time back into registers and parks in a ``jal x0, 0`` loop.
"""

from __future__ import annotations

import struct

import pytest

from rvemu import StopReason
from rvemu.board import Board
from snippets import assemble, enc

CODE = 0x80000000
POOL = 0x400                     # the constant pool's offset from CODE
MTIME = 0x0200BFF8
MTIMECMP0 = 0x02004000
MASK64 = (1 << 64) - 1
FAR = 0x1999999999999000         # * 10 instructions per tick: just below 2^64 instructions
MIP_MTIP = 1 << 7


def ld_pool(rd, k):
    """rd = pool[k] (x3 holds CODE, set by the guest's first instruction)."""
    return enc("ld", rd=rd, rs1=3, imm=POOL + 8 * k)


def csrr(rd, csr):
    return enc("csrrs", rd=rd, rs1=0, imm=csr)


def nops(n):
    return [enc("addi", rd=0, rs1=0, imm=0)] * n


def guest(body, pool, harts=1):
    """A board running body after ``auipc x3, 0``, with the constant pool after it."""
    b = Board(ram_mib=1, harts=harts)
    code = assemble([enc("auipc", rd=3, imm=0)] + body + [enc("jal", rd=0, imm=0)])
    assert len(code) <= POOL
    b.machine.write_phys(CODE, code)
    b.machine.write_phys(CODE + POOL, struct.pack(f"<{len(pool)}Q", *(v & MASK64 for v in pool)))
    for h in b.machine.harts:
        h.pc = CODE
    b.done_pc = CODE + len(code) - 4
    return b


def test_mtime_store_of_minus_one_wraps():
    """sd -1 to mtime: the counter holds 2^64 - 1 and then wraps to 0 (it used to raise
    OverflowError in the host)."""
    b = guest([ld_pool(5, 0), ld_pool(6, 1), enc("sd", rs1=5, rs2=6, imm=0),
               enc("ld", rd=7, rs1=5, imm=0), csrr(8, 0xC01)] + nops(40) + [csrr(9, 0xC01)],
              [MTIME, -1])
    assert b.run(200) is StopReason.LIMIT
    x = b.machine.harts[0].x
    assert b.machine.harts[0].pc == b.done_pc
    assert x[7] in (MASK64, 0) and x[8] in (MASK64, 0, 1)
    assert 1 <= x[9] <= 6                         # 40 instructions later: a few ticks past 0


def test_time_wraps_at_2_64_not_at_2_64_over_ipt():
    """Time counts on through 2^64 - 1 to small numbers, in the CSR and in the CLINT."""
    b = guest([ld_pool(5, 0), ld_pool(6, 1), enc("sd", rs1=5, rs2=6, imm=0)] + nops(200)
              + [csrr(8, 0xC01), enc("ld", rd=9, rs1=5, imm=0)], [MTIME, -3])
    assert b.run(400) is StopReason.LIMIT
    x = b.machine.harts[0].x
    assert b.machine.harts[0].pc == b.done_pc
    assert 15 <= x[8] <= 19 and x[9] in (x[8], x[8] + 1)   # -3 + 20 ticks, give or take one
    assert b.machine.time(0) < 40


def test_far_mtimecmp_and_wfi_halt_the_run():
    """mtimecmp = 0x1999999999999000 (past the horizon) and wfi with MTIE: no interrupt will
    come, so the run ends with HALT (it used to raise OverflowError); with a budget too."""
    body = [ld_pool(5, 0), ld_pool(6, 1), enc("sd", rs1=5, rs2=6, imm=0),
            ld_pool(7, 2), enc("csrrw", rd=0, rs1=7, imm=0x304), "wfi"]
    for budget in (None, 10_000):
        b = guest(body, [MTIMECMP0, FAR, MIP_MTIP])
        assert b.run(budget) is StopReason.HALT
        h = b.machine.harts[0]
        assert h.waiting and b.machine.time(0) <= 10_000      # one round of waiting, no jump
        assert b.machine.core.time_until_timer(0) is None


def test_far_deadline_after_mtime_moved_close_fires():
    """The same comparator fires once the guest moves mtime just below it: time jumps over the
    wait, and the hart reads a time at or past the comparator."""
    body = [ld_pool(5, 0), ld_pool(6, 1), enc("sd", rs1=5, rs2=6, imm=0),
            ld_pool(5, 2), ld_pool(6, 3), enc("sd", rs1=5, rs2=6, imm=0),
            ld_pool(7, 4), enc("csrrw", rd=0, rs1=7, imm=0x304), "wfi", csrr(8, 0xC01)]
    b = guest(body, [MTIMECMP0, FAR, MTIME, FAR - 100, MIP_MTIP])
    assert b.run(100) is StopReason.LIMIT
    h = b.machine.harts[0]
    assert h.pc == b.done_pc and FAR <= h.x[8] < FAR + 5


def test_mtip_drops_when_mtime_wraps_below_mtimecmp():
    """mtimecmp = 2^64 - 10, mtime = 2^64 - 20: the wfi wakes 10 ticks later (MTIP); once mtime
    has wrapped to small numbers MTIP reads 0 again (an unsigned 64-bit comparison)."""
    body = [ld_pool(5, 0), ld_pool(6, 1), enc("sd", rs1=5, rs2=6, imm=0),
            ld_pool(5, 2), ld_pool(6, 3), enc("sd", rs1=5, rs2=6, imm=0),
            ld_pool(7, 4), enc("csrrw", rd=0, rs1=7, imm=0x304), "wfi",
            csrr(8, 0xC01), csrr(9, 0x344)] + nops(200) + [csrr(10, 0xC01), csrr(11, 0x344)]
    b = guest(body, [MTIMECMP0, -10, MTIME, -20, MIP_MTIP])
    assert b.run(400) is StopReason.LIMIT
    x = b.machine.harts[0].x
    assert b.machine.harts[0].pc == b.done_pc
    assert x[8] >= MASK64 - 10 and x[9] & MIP_MTIP
    assert x[10] < 20 and not x[11] & MIP_MTIP


@pytest.mark.parametrize("value", [-1, 0x1999999999999000, 1 << 63])
def test_mtime_store_from_the_second_hart(value):
    """Hart 1 stores mtime; both harts' time counts on from the stored value (mod 2^64)."""
    b = guest([enc("csrrs", rd=4, rs1=0, imm=0xF14),          # a0-style: x4 = mhartid
               enc("beq", rs1=4, rs2=0, imm=16),
               ld_pool(5, 0), ld_pool(6, 1), enc("sd", rs1=5, rs2=6, imm=0)], [MTIME, value],
              harts=2)
    assert b.run(2000) is StopReason.LIMIT
    assert b.machine.harts[1].pc == b.done_pc
    since = [(b.machine.time(i) - value) % (1 << 64) for i in (0, 1)]
    assert max(since) < 1 << 20                 # waiting harts keep time: rounds, not 2^64
    assert abs(since[0] - since[1]) <= 10_000   # one round apart at most
