"""Helpers for tests that run short instruction sequences ("snippets") on a fresh Machine.

Layout of the 1 MiB machine every snippet gets::

    CODE      0x80000000   the snippet, followed by a ``jal x0, 0`` self-loop (DONE_PC)
    TRAP_PC   0x80000f00   ``jal x0, 0``: mtvec and stvec point here, so any trap parks the hart
    DATA      0x80080000   64 KiB scratch area for loads and stores (zeroed unless given)

Typical use::

    m = run([("addi", dict(rd=5, rs1=0, imm=-1))])
    assert m.harts[0].x[5] == MASK64 and finished(m)

A snippet is a list whose items are instruction words (ints; the length comes from the low two
bits, as the hardware decides it: ``w & 3 == 3`` is a 32-bit word, else a 16-bit one), or
``(name, operands_dict)`` tuples passed to ``opcodes.encode``, or bare names (``"ebreak"``).
"""

from __future__ import annotations

import struct
from typing import Dict, Iterable, Optional, Tuple, Union

from rvemu import Machine, StopReason, opcodes

CODE = 0x80000000
TRAP_PC = 0x80000F00
DATA = 0x80080000
DATA_SIZE = 0x10000
MASK64 = (1 << 64) - 1
HALT_LOOP = opcodes.encode("jal", rd=0, imm=0)

Item = Union[int, str, Tuple[str, Dict[str, int]]]


def enc(name: str, **operands: int) -> int:
    """``opcodes.encode`` under a short name."""
    return opcodes.encode(name, **operands)


def word_bytes(word: int) -> bytes:
    """Little-endian bytes of one instruction word, 2 or 4 of them by its low two bits."""
    if word & 3 == 3:
        return struct.pack("<I", word & 0xFFFFFFFF)
    return struct.pack("<H", word & 0xFFFF)


def to_word(item: Item) -> int:
    if isinstance(item, int):
        return item
    if isinstance(item, str):
        return opcodes.encode(item)
    name, ops = item
    return opcodes.encode(name, **ops)


def assemble(items: Iterable[Item]) -> bytes:
    """Bytes of a snippet (see the module docstring for the item forms)."""
    return b"".join(word_bytes(to_word(i)) for i in items)


def signed(v: int, bits: int = 64) -> int:
    """Two's-complement value of the low ``bits`` of v."""
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def sext(v: int, bits: int) -> int:
    """Sign-extend the low ``bits`` of v to an unsigned 64-bit value."""
    return signed(v, bits) & MASK64


def machine(code: bytes = b"", regs: Optional[Dict[int, int]] = None,
            mem: Optional[Dict[int, bytes]] = None, priv: int = 3,
            pc: int = CODE) -> Machine:
    """A fresh machine holding code at CODE (plus the DONE self-loop), with registers, memory
    and privilege set, mtvec/stvec at TRAP_PC, ready to run."""
    m = Machine(ram_mib=1)
    m.write_phys(TRAP_PC, word_bytes(HALT_LOOP))
    m.write_phys(CODE, code + word_bytes(HALT_LOOP))
    for addr, data in (mem or {}).items():
        m.write_phys(addr, data)
    h = m.harts[0]
    h.set_csr("mtvec", TRAP_PC)
    h.set_csr("stvec", TRAP_PC)
    for r, v in (regs or {}).items():
        h.set_x(r, v)
    h.pc = pc
    h.priv = priv
    return m


def run(items: Iterable[Item], regs: Optional[Dict[int, int]] = None,
        mem: Optional[Dict[int, bytes]] = None, priv: int = 3, budget: int = 200,
        setup=None) -> Machine:
    """Assemble items, run them from CODE until the budget is used up, return the machine.

    The budget only needs to cover the snippet: afterwards the hart spins in the DONE loop (or
    in the TRAP loop if something trapped).  ``setup(m)`` may adjust the machine before the run.
    The machine gets ``done_pc`` (the address of the DONE loop) as an attribute."""
    code = assemble(items)
    m = machine(code, regs, mem, priv)
    m.done_pc = CODE + len(code)
    if setup is not None:
        setup(m)
    reason = m.run(max_instructions=budget)
    assert reason is StopReason.LIMIT, reason
    return m


def finished(m: Machine) -> bool:
    """True if the snippet ran to its end without trapping to TRAP_PC."""
    return m.harts[0].pc == m.done_pc


def trap_info(m: Machine) -> Optional[Tuple[int, int, int]]:
    """(mcause, mtval, mepc) if the hart sits in the trap loop after an M-mode trap, else None.
    (A trap delegated to S-mode also parks at TRAP_PC; read scause etc. for it.)"""
    h = m.harts[0]
    if h.pc != TRAP_PC:
        return None
    return h.csr("mcause"), h.csr("mtval"), h.csr("mepc")


def read64(m: Machine, addr: int) -> int:
    return struct.unpack("<Q", m.read_phys(addr, 8))[0]


def write64(m: Machine, addr: int, value: int) -> None:
    m.write_phys(addr, struct.pack("<Q", value & MASK64))


# Sv39 leaf flags (privileged spec 4.4.1): V R W X U G A D
PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_G, PTE_A, PTE_D = (1 << i for i in range(8))


def sv39_map(m: Machine, root: int, pages: Dict[int, Tuple[int, int]]) -> int:
    """Build Sv39 page tables at ``root`` (a zeroed, page-aligned RAM area; intermediate tables
    are taken from the pages that follow it) mapping each 4 KiB virtual page va -> (pa, flags)
    with V added to flags.  Returns the satp value (MODE = Sv39, ASID 0)."""
    free = [root + 0x1000]

    def next_level(pte_addr: int) -> int:
        pte = read64(m, pte_addr)
        if pte & PTE_V:
            return (pte >> 10) << 12
        table = free[0]
        free[0] += 0x1000
        write64(m, pte_addr, ((table >> 12) << 10) | PTE_V)
        return table

    for va, (pa, flags) in pages.items():
        vpn = [(va >> (12 + 9 * i)) & 0x1FF for i in range(3)]
        l1 = next_level(root + 8 * vpn[2])
        l0 = next_level(l1 + 8 * vpn[1])
        write64(m, l0 + 8 * vpn[0], ((pa >> 12) << 10) | flags | PTE_V)
    return (8 << 60) | (root >> 12)
