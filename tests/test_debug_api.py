"""Debugger access to the core: breakpoints, single steps, side-effect-free translation."""

import struct

from rvemu import Machine, opcodes

BASE = 0x80000000


def program(m, words):
    m.write_phys(BASE, b"".join(struct.pack("<I", w) for w in words))
    m.harts[0].pc = BASE


def test_breakpoint_stops_before_the_instruction_and_single_step_continues():
    m = Machine(ram_mib=1)
    E = opcodes.encode
    program(m, [E("addi", rd=5, rs1=0, imm=1), E("addi", rd=5, rs1=5, imm=1),
                E("addi", rd=5, rs1=5, imm=1), E("jal", rd=0, imm=0)])
    core = m.core
    reason, n = core.run(0, 100)          # decode everything first: breakpoints must still hit
    assert m.harts[0].x[5] == 3
    m.harts[0].pc = BASE
    m.harts[0].set_x(5, 0)
    core.set_breakpoints([BASE + 8])
    reason, n = core.run(0, 100)
    assert (reason, n) == ("break", 2)
    assert m.harts[0].pc == BASE + 8 and m.harts[0].x[5] == 2
    core.set_breakpoints([])
    assert core.run(0, 1) == ("budget", 1)
    assert m.harts[0].x[5] == 3 and m.harts[0].pc == BASE + 12


def test_debug_translate_sets_no_accessed_bit():
    m = Machine(ram_mib=4)
    root, leaf = BASE + 0x100000, BASE + 0x101000
    # va 0x1000 -> pa BASE + 0x200000 through a three-level table, A clear
    mid = BASE + 0x102000
    m.write_phys(root + 0 * 8, struct.pack("<Q", ((mid >> 12) << 10) | 1))
    m.write_phys(mid + 0 * 8, struct.pack("<Q", ((leaf >> 12) << 10) | 1))
    pte = (((BASE + 0x200000) >> 12) << 10) | 0b10111          # V R W U
    m.write_phys(leaf + 1 * 8, struct.pack("<Q", pte))
    m.harts[0].set_csr("satp", (8 << 60) | (root >> 12))
    m.harts[0].priv = 1
    m.harts[0].set_csr("mstatus", 1 << 18)                       # SUM: S may touch U pages
    assert m.core.translate(0, 0x1234) == BASE + 0x200234
    assert m.core.translate(0, 0x2000) is None
    assert m.core.translate(0, 0x1000, "fetch") is None          # not executable
    assert struct.unpack("<Q", m.read_phys(leaf + 8, 8))[0] == pte   # A/D untouched
    m.write_phys(BASE + 0x200010, b"xyz")
    assert m.core.read_virt(0, 0x1010, 3) == b"xyz"
