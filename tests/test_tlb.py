"""TLB sets per address space (rvemu/_tlb.pxi): translations survive satp switches and fences
while no page-table page is written, and every page-table write -- a guest store, a DMA or host
write -- is seen after the next fence or satp write, on every hart."""

from __future__ import annotations

import struct

import pytest

from snippets import (CODE, PTE_A, PTE_D, PTE_R, PTE_W, PTE_X, assemble, machine, read64,
                      sv39_map, write64)

VA = 0x40000000
PTVA = 0x40200000                   # the page that holds VA's leaf PTE, mapped for stores
PAGE_A, PAGE_B = 0x80040000, 0x80041000
ROOT_1, ROOT_2 = 0x80080000, 0x800A0000


def leaf_pte_addr(m, satp, va):
    table = (satp & ((1 << 44) - 1)) << 12
    for level in (2, 1):
        pte = read64(m, table + 8 * ((va >> (12 + 9 * level)) & 0x1FF))
        table = (pte >> 10) << 12
    return table + 8 * ((va >> 12) & 0x1FF)


def two_spaces(code):
    """Space 1 maps VA -> PAGE_A, space 2 maps VA -> PAGE_B; both map CODE and PTVA -> the page
    of space 1's leaf PTE for VA.  x20/x21 hold the two satp values."""
    m = machine(assemble(code))
    m.write_phys(PAGE_A, struct.pack("<Q", 0xAAAA))
    m.write_phys(PAGE_B, struct.pack("<Q", 0xBBBB))
    rx, rw = PTE_R | PTE_X | PTE_A, PTE_R | PTE_W | PTE_A | PTE_D
    # sv39_map takes table pages in order from the root: build once to learn where VA's leaf
    # PTE lands, then again with PTVA mapped to that page (CODE and VA come first both times)
    probe = machine()
    leaf = leaf_pte_addr(probe, sv39_map(probe, ROOT_1, {CODE: (CODE, rx), VA: (PAGE_A, rw)}),
                         VA)
    satp1 = sv39_map(m, ROOT_1, {CODE: (CODE, rx), VA: (PAGE_A, rw), PTVA: (leaf & ~0xFFF, rw)})
    assert leaf_pte_addr(m, satp1, VA) == leaf
    satp2 = sv39_map(m, ROOT_2, {CODE: (CODE, rx), VA: (PAGE_B, rw), PTVA: (leaf & ~0xFFF, rw)})
    h = m.harts[0]
    h.priv = 1
    h.set_x(10, VA)
    h.set_x(12, PTVA + (leaf & 0xFFF))
    h.set_x(20, satp1)
    h.set_x(21, satp2)
    return m, leaf


def csrw_satp(rs):
    return ("csrrw", dict(rd=0, rs1=rs, imm=0x180))


def test_translations_survive_satp_switches():
    trips = 20
    code = [("addi", dict(rd=7, rs1=0, imm=trips)),
            csrw_satp(20), ("sfence.vma", dict(rs1=0, rs2=0)),     # 1: space 1
            ("ld", dict(rd=5, rs1=10, imm=0)), ("add", dict(rd=8, rs1=8, rs2=5)),
            csrw_satp(21), ("sfence.vma", dict(rs1=0, rs2=0)),     # space 2
            ("ld", dict(rd=6, rs1=10, imm=0)), ("add", dict(rd=9, rs1=9, rs2=6)),
            ("addi", dict(rd=7, rs1=7, imm=-1)),
            ("bne", dict(rs1=7, rs2=0, imm=-36))]
    m, _ = two_spaces(code)
    h = m.harts[0]
    m.run(max_instructions=1 + 10 * trips + 1)
    assert (h.x[8], h.x[9]) == (0xAAAA * trips, 0xBBBB * trips)
    # one walk for the code and one for VA in each space: none after the first trip
    assert h.stats()["page_walks"] <= 4


def test_guest_store_to_a_pte_is_seen_after_sfence():
    code = [csrw_satp(20), ("sfence.vma", dict(rs1=0, rs2=0)),
            ("ld", dict(rd=5, rs1=10, imm=0)),                    # PAGE_A through the TLB
            ("sd", dict(rs1=12, rs2=11, imm=0)),                  # VA -> PAGE_B in space 1
            ("sfence.vma", dict(rs1=0, rs2=0)),
            ("ld", dict(rd=6, rs1=10, imm=0))]
    m, leaf = two_spaces(code)
    h = m.harts[0]
    h.set_x(11, read64(m, leaf) & ~(((1 << 44) - 1) << 10) | ((PAGE_B >> 12) << 10))
    m.run(max_instructions=len(code))
    assert (h.x[5], h.x[6]) == (0xAAAA, 0xBBBB)


def test_host_write_to_a_pte_is_seen_after_satp_write():
    """A page table rewritten from outside (DMA, debugger) while the hart ran another space."""
    code = [csrw_satp(20), ("ld", dict(rd=5, rs1=10, imm=0)),
            csrw_satp(21), ("ld", dict(rd=6, rs1=10, imm=0)),
            ("jal", dict(rd=0, imm=0))]
    m, leaf = two_spaces(code)
    h = m.harts[0]
    m.run(max_instructions=4)
    assert (h.x[5], h.x[6]) == (0xAAAA, 0xBBBB)
    write64(m, leaf, 0)                                       # unmap VA in space 1
    h.pc = CODE
    m.run(max_instructions=2)
    assert h.csr("scause") == 13 or h.csr("mcause") == 13     # load page fault


@pytest.mark.parametrize("writer", [0, 1])
def test_page_table_write_by_one_hart_reaches_the_others(writer):
    """One hart rewrites space 1's PTE and fences; the other, which cached the old translation,
    sees the new one after its own fence."""
    from rvemu import Machine
    m = Machine(ram_mib=1, harts=2)
    one, leaf = two_spaces([])
    for addr in (ROOT_1, ROOT_2, PAGE_A, PAGE_B):
        m.write_phys(addr, one.read_phys(addr, 0x10000 if addr in (ROOT_1, ROOT_2) else 8))
    load = assemble([csrw_satp(20), ("ld", dict(rd=5, rs1=10, imm=0)),
                     ("sfence.vma", dict(rs1=0, rs2=0)), ("ld", dict(rd=6, rs1=10, imm=0)),
                     ("jal", dict(rd=0, imm=0))])
    store = assemble([csrw_satp(20), ("sd", dict(rs1=12, rs2=11, imm=0)),
                      ("sfence.vma", dict(rs1=0, rs2=0)), ("jal", dict(rd=0, imm=0))])
    m.write_phys(CODE, load)
    m.write_phys(CODE + 0x100, store)
    reader = 1 - writer
    for i, h in enumerate(m.harts):
        for r in (10, 12, 20):
            h.set_x(r, one.harts[0].x[r])
        h.set_x(11, read64(one, leaf) & ~(((1 << 44) - 1) << 10) | ((PAGE_B >> 12) << 10))
        h.priv = 1
        h.pc = CODE + (0x100 if i == writer else 0)
    core = m.core
    assert core.run(reader, 2) == ("budget", 2)               # caches VA -> PAGE_A
    assert core.run(writer, 3) == ("budget", 3)               # remaps it and fences
    assert core.run(reader, 2) == ("budget", 2)               # fences and loads
    assert (m.harts[reader].x[5], m.harts[reader].x[6]) == (0xAAAA, 0xBBBB)


@pytest.mark.parametrize("pages", [100, 600])       # fewer and more fills than a set lists
def test_flush_after_many_fills_forgets_every_translation(pages):
    """A set flushes only the entries it filled since the last flush, or all of them when it
    filled more than it can list (TLB_LOG): either way no old translation survives."""
    base = 0x50000000
    frame_a, frame_b, frame_c = 0x80040000, 0x80041000, 0x80042000
    loop = [("sfence.vma", dict(rs1=0, rs2=0)),
            ("addi", dict(rd=7, rs1=0, imm=pages)),
            ("addi", dict(rd=8, rs1=10, imm=0)),
            ("ld", dict(rd=5, rs1=8, imm=0)),                     # every page once
            ("add", dict(rd=9, rs1=9, rs2=5)),
            ("add", dict(rd=8, rs1=8, rs2=11)),
            ("addi", dict(rd=7, rs1=7, imm=-1)),
            ("bne", dict(rs1=7, rs2=0, imm=-16))]
    m = machine(assemble(loop))
    for frame, value in ((frame_a, 1), (frame_b, 2), (frame_c, 5)):
        write64(m, frame, value)
    rw = PTE_R | PTE_W | PTE_A | PTE_D
    mapping = {CODE: (CODE, PTE_R | PTE_X | PTE_A)}
    mapping.update({base + 0x1000 * i: (frame_a if i % 2 == 0 else frame_b, rw)
                    for i in range(pages)})
    satp = sv39_map(m, ROOT_1, mapping)
    h = m.harts[0]
    h.set_csr("satp", satp)
    h.priv = 1
    h.set_x(10, base)
    h.set_x(11, 0x1000)
    steps = 3 + 5 * pages
    m.run(max_instructions=steps)
    assert h.x[9] == (pages // 2) * 1 + (pages - pages // 2) * 2
    # the host points every page at frame C; the guest's sfence.vma must forget the old ones
    for i in range(pages):
        va = base + 0x1000 * i
        write64(m, leaf_pte_addr(m, satp, va), ((frame_c >> 12) << 10) | rw | 1)
    h.pc = CODE
    h.set_x(9, 0)
    m.run(max_instructions=steps)
    assert h.x[9] == 5 * pages
