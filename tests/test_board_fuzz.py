"""Whole-board fuzz: random instructions on a board with every device mapped must never raise a
host exception (issue 13, item 4).

The board: 2 harts, 2 MiB of RAM, CLINT, PLIC, UART, the test device and a virtio-blk disk.
Each round writes a fresh block of code over the code area and points both harts at it, in
M-mode with a known mtvec and no delegation (the random code is free to change any of that
until the next round).  The code is random words, half of them loads, stores and AMOs whose base
register points into a device window (at an interesting offset) or RAM.  The M-mode handler at
RAM's base skips the faulting instruction (2 or 4 bytes, by its low bits); if the fault was a
fetch, or mepc left the code area, it restarts the block in M-mode with translation off; an
interrupt clears mie.  Some rounds the host enables the UART's and the disk's PLIC
sources and types console input, so external interrupts happen too.  A poweroff or reset through the test device ends a run legitimately:
the next round goes on (re-seeded).  Rounds are seeded, so a failure names its seed.
"""

from __future__ import annotations

import random
import struct

import pytest

from rvemu import StopReason, memmap, opcodes
from rvemu.board import Board

E = opcodes.encode
RAM = memmap.RAM_BASE
HANDLER = RAM                    # mtvec (direct)
CODE = RAM + 0x1000              # the random block, CODE_SIZE bytes
CODE_SIZE = 0x1000
DATA = RAM + 0x10000             # RAM the pointers also reach (and DMA may land in)
ROUND_INSTRUCTIONS = 4000
MIE_ALL = 0xAAA                  # MEIE SEIE MTIE STIE MSIE SSIE
MSTATUS_MIE = 1 << 3
POINTER_REGS = list(range(8, 16))            # s0, s1, a0-a5: base registers of steered accesses
LOADS = ["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"]
STORES = ["sb", "sh", "sw", "sd"]
AMOS = ["amoswap.w", "amoadd.d", "amoor.w", "lr.d", "sc.w", "amomaxu.d"]

# where steered pointers aim: (base, offsets worth hitting)
WINDOWS = [
    (memmap.TEST.base, [0, 4, 8]),
    (memmap.CLINT.base, [0, 4, 8, 0x4000, 0x4008, 0x4010, 0xBFF8, 0xBFFC, 0xC000]),
    (memmap.PLIC.base, [0, 4, 0x28, 0x1000, 0x2000, 0x2080, 0x200000, 0x200004, 0x201000,
                        0x201004]),
    (memmap.UART0.base, list(range(8))),
    (memmap.VIRTIO0.base, list(range(0, 0x100, 4))),
    (DATA, [0, 0x800, 0x1000]),
]


def build_handler():
    """The M-mode trap handler (t0-t2 only: the random code's registers are garbage anyway)."""
    return [
        E("csrrs", rd=5, rs1=0, imm=0x342),         # +0   t0 = mcause
        E("blt", rs1=5, rs2=0, imm=72),             # +4   interrupt -> .irq
        E("addi", rd=6, rs1=0, imm=12),             # +8
        E("beq", rs1=5, rs2=6, imm=72),             # +12  instruction page fault -> .restart
        E("addi", rd=6, rs1=0, imm=1),              # +16
        E("bgeu", rs1=6, rs2=5, imm=64),            # +20  cause 0 or 1 (fetch) -> .restart
        E("csrrs", rd=5, rs1=0, imm=0x341),         # +24  t0 = mepc
        E("auipc", rd=6, imm=0x1000),               # +28  t1 = CODE + 28
        E("sub", rd=6, rs1=5, rs2=6),               # +32
        E("addi", rd=6, rs1=6, imm=28),             # +36  t1 = mepc - CODE
        E("lui", rd=7, imm=CODE_SIZE),              # +40
        E("bgeu", rs1=6, rs2=7, imm=40),            # +44  mepc outside the block -> .restart
        E("lhu", rd=6, rs1=5, imm=0),               # +48  the faulting instruction's low half
        E("andi", rd=6, rs1=6, imm=3),              # +52
        E("addi", rd=7, rs1=0, imm=3),              # +56
        E("addi", rd=5, rs1=5, imm=2),              # +60
        E("bne", rs1=6, rs2=7, imm=8),              # +64  a 2-byte instruction
        E("addi", rd=5, rs1=5, imm=2),              # +68  a 4-byte one
        E("jal", rd=0, imm=36),                     # +72  -> .ret
        E("csrrw", rd=0, rs1=0, imm=0x304),         # +76  .irq: mie = 0
        E("mret"),                                  # +80
        E("auipc", rd=5, imm=0x1000),               # +84  .restart: t0 = CODE + 84
        E("addi", rd=5, rs1=5, imm=-84),            # +88  t0 = CODE
        E("csrrw", rd=0, rs1=0, imm=0x180),         # +92  satp = 0
        E("lui", rd=6, imm=0x2000),                 # +96
        E("addi", rd=6, rs1=6, imm=-0x800),         # +100 t1 = mstatus.MPP (M)
        E("csrrs", rd=0, rs1=6, imm=0x300),         # +104
        E("csrrw", rd=0, rs1=5, imm=0x341),         # +108 .ret: mepc = t0
        E("mret"),                                  # +112
    ]


def assemble(words):
    out = b""
    for w in words:
        out += struct.pack("<I", w) if w & 3 == 3 else struct.pack("<H", w)
    return out


def steered(rng):
    """A load, store or AMO whose base register points into a device window or RAM."""
    rs1, k = rng.choice(POINTER_REGS), rng.random()
    if k < 0.45:
        return E(rng.choice(LOADS), rd=rng.randrange(1, 32), rs1=rs1, imm=rng.randrange(-8, 9))
    if k < 0.9:
        return E(rng.choice(STORES), rs1=rs1, rs2=rng.randrange(32), imm=rng.randrange(-8, 9))
    name = rng.choice(AMOS)
    if name.startswith("lr"):
        return E(name, rd=rng.randrange(32), rs1=rs1)
    return E(name, rd=rng.randrange(32), rs1=rs1, rs2=rng.randrange(32))


def random_word(rng):
    k = rng.random()
    if k < 0.5:
        return steered(rng)
    if k < 0.85:
        return rng.getrandbits(32) | 3
    w = rng.getrandbits(16)
    return w if w & 3 != 3 else w & ~1


def random_block(rng):
    words, size = [], 0
    while size < CODE_SIZE - 8:
        w = random_word(rng)
        words.append(w)
        size += 4 if w & 3 == 3 else 2
    return assemble(words)[:CODE_SIZE]


def pointer(rng):
    base, offsets = rng.choice(WINDOWS)
    return base + rng.choice(offsets)


def reg_value(rng):
    """A register value: random bits, or one a device register reacts to."""
    if rng.random() < 0.5:
        return rng.getrandbits(64)
    return rng.choice([0, 1, 2, 3, 7, 0xFF, 0x5555, 0x3333, 0x7777, 0x10005555, (1 << 64) - 1,
                       1 << 63, 0x1999999999999000, DATA, DATA + 0x1000, rng.getrandbits(16)])


def start_round(b, rng):
    """Fresh code; both harts restart it in M-mode with the handler installed."""
    m = b.machine
    m.write_phys(CODE, random_block(rng))
    for h in m.harts:
        h.pc = CODE
        h.priv = 3
        for name, value in (("satp", 0), ("medeleg", 0), ("mideleg", 0), ("mtvec", HANDLER),
                            ("mstatus", 0)):
            h.set_csr(name, value)
        for r in range(1, 32):
            h.set_x(r, pointer(rng) if r in POINTER_REGS else reg_value(rng))
        h.set_csr("mie", rng.choice([0, MIE_ALL, rng.getrandbits(12) & MIE_ALL]))
        h.set_csr("mstatus", MSTATUS_MIE if rng.random() < 0.5 else 0)
        if h.waiting:                    # a software interrupt wakes it (mstatus.MIE = 0)
            h.set_csr("mie", 1 << 1)
            h.set_csr("mip", 1 << 1)


def program_devices(b, rng):
    """Sometimes the host sets up what random stores rarely do: PLIC priorities, enables and
    thresholds for the UART and the disk, the UART's interrupt enables, and console input."""
    if rng.random() < 0.3:
        for src in (memmap.UART0.irq, memmap.VIRTIO0.irq):
            b.plic.write(4 * src, 4, rng.randrange(1, 8))
        enables = (1 << memmap.UART0.irq) | (1 << memmap.VIRTIO0.irq)
        for ctx in range(4):
            b.plic.write(0x2000 + 0x80 * ctx, 4, enables)
            b.plic.write(0x200000 + 0x1000 * ctx, 4, rng.randrange(2))
        b.uart.write(1, 1, rng.getrandbits(4))
    if rng.random() < 0.2:
        b.send(bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 20))))


def make_board(tmp_path):
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(64 * 1024))
    b = Board(ram_mib=2, harts=2, drive=str(disk))
    b.machine.write_phys(HANDLER, assemble(build_handler()))
    return b


def fuzz(tmp_path, seed, rounds):
    rng = random.Random(seed)
    b = make_board(tmp_path)
    total = 0
    ends = {}
    for n in range(rounds):
        start_round(b, rng)
        program_devices(b, rng)
        before = b.machine.instret_total
        try:
            reason = b.run(ROUND_INSTRUCTIONS)
        except Exception as e:
            raise AssertionError(f"seed {seed} round {n}: host exception {e!r}") from e
        ends[reason] = ends.get(reason, 0) + 1
        total += b.machine.instret_total - before    # EXIT (a poweroff): the next round goes on
    return total, ends, b


def test_handler_layout():
    """The handler's branch offsets match its layout (a guard for edits to it)."""
    words = build_handler()
    assert len(assemble(words)) == 116
    assert opcodes.decode(words[19])[0].name == "csrrw"      # .irq at +76
    assert opcodes.decode(words[21])[0].name == "auipc"      # .restart at +84
    assert opcodes.decode(words[27])[0].name == "csrrw"      # .ret at +108


@pytest.mark.parametrize("seed", [1, 2])
def test_board_fuzz(tmp_path, seed):
    total, ends, b = fuzz(tmp_path, seed, rounds=200)
    assert total > 200 * ROUND_INSTRUCTIONS // 4, (total, ends)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 104))
def test_board_fuzz_long(tmp_path, seed):
    fuzz(tmp_path, seed, rounds=3000)
