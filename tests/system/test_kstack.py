"""Kernel stack headroom: after the deepest path the test programs reach (mapfiletest: exec ->
unmap -> writeback), every process slot's kernel stack still has a quarter of its size unused.

How deep a stack went is read from guest RAM after the run: kalloc hands the stack pages out
filled with one byte value, so the untouched part of a stack is the run of that value at its
low end.  The stacks are found the way the kernel maps them (memlayout.h's KSTACK), through the
kernel page table, which an idle hart's satp holds.  KSTACK_SIZE and NPROC come from the kernel's
own headers, so the test follows them."""

import re
import struct
from pathlib import Path

from rvemu.board import Board

from guest import sh

KERNEL = Path(__file__).resolve().parents[2] / "xv6" / "kernel"
PGSIZE = 4096
MAXVA = 1 << 38                     # memlayout.h: one bit less than Sv39's top
TRAMPOLINE = MAXVA - PGSIZE


def header_value(header: str, name: str) -> int:
    """A #define NAME (integer expression of PGSIZE and numbers) from a kernel header."""
    text = (KERNEL / header).read_text()
    expr = re.search(rf"^#define {name}\s+(.+?)\s*(//.*)?$", text, re.M).group(1)
    if not re.fullmatch(r"[\d\s()*+PGSIZE]+", expr):
        raise ValueError(f"{header}: {name} is {expr!r}, not a simple expression")
    return eval(expr.replace("PGSIZE", str(PGSIZE)))


KSTACK_SIZE = header_value("memlayout.h", "KSTACK_SIZE")
NPROC = header_value("param.h", "NPROC")


def kstack(slot: int) -> int:
    return TRAMPOLINE - (slot + 1) * (KSTACK_SIZE + PGSIZE)


def translate(board: Board, root: int, va: int) -> int:
    """Sv39 walk (privileged spec 4.3.2) of kernel address va from the table at root."""
    table = root
    for level in (2, 1, 0):
        index = (va >> (12 + 9 * level)) & 511
        pte = struct.unpack("<Q", bytes(board.machine.core.read_phys(table + 8 * index, 8)))[0]
        assert pte & 1, f"kernel stack page {va:#x} is not mapped"
        pa = (pte >> 10) << 12
        if pte & 0xE:                                   # a leaf
            return pa + (va & ((1 << (12 + 9 * level)) - 1))
        table = pa
    raise AssertionError(f"no leaf for {va:#x}")


def deepest_use(board: Board) -> int:
    """The most bytes any slot's kernel stack has used since boot."""
    m = board.machine
    satp = m.harts[0].csr("satp")
    assert satp >> 60 == 8, "hart 0 is not on the kernel's Sv39 table"
    root = (satp & ((1 << 44) - 1)) << 12
    deepest = 0
    for slot in range(NPROC):
        base = kstack(slot)
        mem = b"".join(bytes(m.core.read_phys(translate(board, root, base + off), PGSIZE))
                       for off in range(0, KSTACK_SIZE, PGSIZE))
        untouched = len(mem) - len(mem.lstrip(mem[:1]))
        deepest = max(deepest, KSTACK_SIZE - untouched)
    return deepest


def test_kernel_stacks_keep_a_quarter_free(fresh_image):
    b = Board(ram_mib=128, harts=3)
    b.boot_image(fresh_image)
    b.expect(r"\$ ", timeout_instructions=200_000_000)
    out = sh(b, "mapfiletest -q", 3_000_000_000)
    assert "ALL OK" in out and "FAIL" not in out and "panic" not in out, out
    used = deepest_use(b)
    assert 1024 < used <= KSTACK_SIZE * 3 // 4, f"{used} of {KSTACK_SIZE} bytes"
