"""Per-instruction tests of the RV64IMAC semantics, with edge cases, against Python references.

Each case runs a short snippet (tests/snippets.py) on a fresh 1 MiB machine.  Sections:
RV64I ALU (register and immediate forms, W forms), lui/auipc, branches, jal/jalr, loads and
stores (every width, misaligned within and across pages, page faults on the second page), x0,
M, A, compressed instructions against their expansions, CSR access rules and counters, access
fault mtval under Sv39, fetches straddling pages, self-modifying code.

References: RISC-V unprivileged spec (RV64I chapter 4/5, M chapter 13, A chapter 14, C chapter
16, Zicsr chapter 9) and privileged spec chapters 2-4.
"""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rvemu import csrdefs, opcodes
from snippets import (CODE, DATA, MASK64, PTE_A, PTE_D, PTE_R, PTE_W, PTE_X, TRAP_PC, assemble,
                      enc, finished, machine, read64, run, sext, signed, sv39_map, trap_info,
                      word_bytes)

M32 = 0xFFFFFFFF
INT64_MIN = 1 << 63
INT64_MAX = (1 << 63) - 1
INT32_MIN = sext(1 << 31, 32)

# Interesting 64-bit operands (unsigned representation).
EDGE = [0, 1, 2, 3, 31, 32, 33, 63, 64, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000,
        INT32_MIN, INT64_MAX, INT64_MIN, MASK64, MASK64 - 1, 0x8000000080000000,
        0x123456789ABCDEF0, 0xFEDCBA9876543210]

HYP = settings(max_examples=60, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow])

u64 = st.one_of(st.sampled_from(EDGE), st.integers(0, MASK64))


# --------------------------------------------------------------------------------------------
# Python references
# --------------------------------------------------------------------------------------------

def s64(v):
    return signed(v, 64)


def s32(v):
    return signed(v, 32)


def tdiv(a, b):
    """Division rounding toward zero (C / RISC-V), for b != 0."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def trem(a, b):
    return a - b * tdiv(a, b)


# Register-register operations: f(a, b) with a, b unsigned 64-bit; results are masked later.
REF_R = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "sll": lambda a, b: a << (b & 63),
    "slt": lambda a, b: int(s64(a) < s64(b)),
    "sltu": lambda a, b: int(a < b),
    "xor": lambda a, b: a ^ b,
    "srl": lambda a, b: a >> (b & 63),
    "sra": lambda a, b: s64(a) >> (b & 63),
    "or": lambda a, b: a | b,
    "and": lambda a, b: a & b,
    "addw": lambda a, b: sext(a + b, 32),
    "subw": lambda a, b: sext(a - b, 32),
    "sllw": lambda a, b: sext((a & M32) << (b & 31), 32),
    "srlw": lambda a, b: sext((a & M32) >> (b & 31), 32),
    "sraw": lambda a, b: sext(s32(a) >> (b & 31), 32),
    "mul": lambda a, b: a * b,
    "mulh": lambda a, b: (s64(a) * s64(b)) >> 64,
    "mulhsu": lambda a, b: (s64(a) * b) >> 64,
    "mulhu": lambda a, b: (a * b) >> 64,
    # x/0 = -1, x%0 = x; INT_MIN/-1 overflows to INT_MIN with remainder 0 (13.2)
    "div": lambda a, b: MASK64 if b == 0 else tdiv(s64(a), s64(b)),
    "divu": lambda a, b: MASK64 if b == 0 else a // b,
    "rem": lambda a, b: a if b == 0 else trem(s64(a), s64(b)),
    "remu": lambda a, b: a if b == 0 else a % b,
    "mulw": lambda a, b: sext(a * b, 32),
    "divw": lambda a, b: MASK64 if b & M32 == 0 else sext(tdiv(s32(a), s32(b)), 32),
    "divuw": lambda a, b: MASK64 if b & M32 == 0 else sext((a & M32) // (b & M32), 32),
    "remw": lambda a, b: sext(a, 32) if b & M32 == 0 else sext(trem(s32(a), s32(b)), 32),
    "remuw": lambda a, b: sext(a, 32) if b & M32 == 0 else sext((a & M32) % (b & M32), 32),
}

# Register-immediate operations: f(a, imm) with imm the (signed) immediate.
REF_I = {
    "addi": lambda a, i: a + i,
    "slti": lambda a, i: int(s64(a) < i),
    "sltiu": lambda a, i: int(a < (i & MASK64)),
    "xori": lambda a, i: a ^ (i & MASK64),
    "ori": lambda a, i: a | (i & MASK64),
    "andi": lambda a, i: a & (i & MASK64),
    "slli": lambda a, i: a << i,
    "srli": lambda a, i: a >> i,
    "srai": lambda a, i: s64(a) >> i,
    "addiw": lambda a, i: sext(a + i, 32),
    "slliw": lambda a, i: sext((a & M32) << i, 32),
    "srliw": lambda a, i: sext((a & M32) >> i, 32),
    "sraiw": lambda a, i: sext(s32(a) >> i, 32),
}
IMM_EDGE = {
    "SH6": [0, 1, 31, 32, 33, 63],
    "SH5": [0, 1, 15, 31],
    "I": [0, 1, -1, 2047, -2048, 0x7FF, -0x800 + 1, 0x555],
}


def exec_rr(name, a, b, rd=3, rs1=1, rs2=2):
    """Run one register-register instruction; return the destination register."""
    regs = {rs1: a, rs2: b}
    m = run([(name, dict(rd=rd, rs1=rs1, rs2=rs2))], regs=regs, budget=2)
    assert finished(m), trap_info(m)
    return m.harts[0].x[rd]


def exec_ri(name, a, imm, rd=3, rs1=1):
    m = run([(name, dict(rd=rd, rs1=rs1, imm=imm))], regs={rs1: a}, budget=2)
    assert finished(m), trap_info(m)
    return m.harts[0].x[rd]


# --------------------------------------------------------------------------------------------
# RV64I and M: register-register, every op against the reference over edge operand pairs
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(REF_R))
def test_rr_edge_pairs(name):
    bad = []
    for a in EDGE:
        for b in EDGE:
            got = exec_rr(name, a, b)
            want = REF_R[name](a, b) & MASK64
            if got != want:
                bad.append(f"{name} {a:#x}, {b:#x}: got {got:#x} want {want:#x}")
    assert not bad, "\n".join(bad[:10])


@pytest.mark.parametrize("name", sorted(REF_R))
@HYP
@given(a=u64, b=u64, alias=st.sampled_from(["none", "rd=rs1", "rd=rs2", "rs1=rs2"]))
def test_rr_property(name, a, b, alias):
    if alias == "none":
        assert exec_rr(name, a, b) == REF_R[name](a, b) & MASK64
    elif alias == "rd=rs1":
        assert exec_rr(name, a, b, rd=1) == REF_R[name](a, b) & MASK64
    elif alias == "rd=rs2":
        assert exec_rr(name, a, b, rd=2) == REF_R[name](a, b) & MASK64
    else:
        assert exec_rr(name, a, a, rs1=5, rs2=5) == REF_R[name](a, a) & MASK64


@pytest.mark.parametrize("name", sorted(REF_I))
def test_ri_edge(name):
    fmt = opcodes.BY_NAME[name].fmt
    bad = []
    for a in EDGE:
        for imm in IMM_EDGE[fmt]:
            got = exec_ri(name, a, imm)
            want = REF_I[name](a, imm) & MASK64
            if got != want:
                bad.append(f"{name} {a:#x}, {imm}: got {got:#x} want {want:#x}")
    assert not bad, "\n".join(bad[:10])


@pytest.mark.parametrize("name", sorted(REF_I))
@HYP
@given(a=u64, data=st.data())
def test_ri_property(name, a, data):
    fmt = opcodes.BY_NAME[name].fmt
    lo, hi = {"SH6": (0, 63), "SH5": (0, 31), "I": (-2048, 2047)}[fmt]
    imm = data.draw(st.integers(lo, hi), label="imm")
    assert exec_ri(name, a, imm) == REF_I[name](a, imm) & MASK64


# Named edge cases, spelled out so a failure reads like the spec sentence it breaks.
@pytest.mark.parametrize("name,a,b,want", [
    ("addw", 0x7FFFFFFF, 1, 0xFFFFFFFF80000000),            # W result sign-extended
    ("addw", 0xFFFFFFFF00000000, 0x0000000100000005, 5),    # upper input bits ignored
    ("subw", 0, 1, MASK64),
    ("sllw", 1, 33, 2),                                      # shift amount uses 5 bits
    ("sllw", 1, 31, 0xFFFFFFFF80000000),
    ("srlw", 0x80000000, 32, 0xFFFFFFFF80000000),           # by 32 = by 0, then sign-extend
    ("srlw", 0xFFFFFFFF80000000, 31, 1),
    ("sraw", 0x80000000, 63, MASK64),                        # by 31
    ("sraw", 0x0000000180000000, 4, 0xFFFFFFFFF8000000),     # bit 32 ignored
    ("sll", 1, 63, INT64_MIN),
    ("sll", 5, 64, 5),                                       # shift amount uses 6 bits
    ("srl", INT64_MIN, 63, 1),
    ("srl", INT64_MIN, 64, INT64_MIN),
    ("sra", INT64_MIN, 63, MASK64),
    ("sra", INT64_MIN, 64 + 1, 0xC000000000000000),
    ("slt", MASK64, 0, 1), ("sltu", MASK64, 0, 0),
    ("mul", INT64_MIN, MASK64, INT64_MIN),
    ("mulh", INT64_MIN, INT64_MIN, 1 << 62),
    ("mulh", INT64_MIN, MASK64, 0),
    ("mulhu", MASK64, MASK64, MASK64 - 1),
    ("mulhsu", MASK64, MASK64, MASK64),                      # -1 * (2^64-1) -> high = -1
    ("mulhsu", INT64_MIN, MASK64, INT64_MIN),               # -2^63*(2^64-1) >> 64
    ("mulw", 0x10000, 0x10000, 0),                           # 2^32 truncated
    ("mulw", 0x7FFFFFFF, 2, MASK64 - 1),
    ("div", 7, 0, MASK64), ("divu", 7, 0, MASK64),           # division by zero
    ("rem", 7, 0, 7), ("remu", 7, 0, 7),
    ("div", INT64_MIN, MASK64, INT64_MIN),                   # overflow
    ("rem", INT64_MIN, MASK64, 0),
    ("div", sext(-7, 64), 2, sext(-3, 64)),                  # rounds toward zero
    ("rem", sext(-7, 64), 2, sext(-1, 64)),
    ("divw", 7, 0xFFFFFFFF00000000, MASK64),                 # low word zero: division by zero
    ("remw", 0x1_8000_0000, 0, 0xFFFFFFFF80000000),          # remainder = sext(dividend[31:0])
    ("divw", 0x80000000, M32, 0xFFFFFFFF80000000),           # 32-bit overflow
    ("remw", 0x80000000, M32, 0),
    ("divuw", 0xFFFFFFFF, 1, MASK64),                        # result sign-extended
    ("divuw", 5, 0x100000000, MASK64),                       # divisor's low word is zero
    ("remuw", 0x1_FFFF_FFFE, 0, 0xFFFFFFFFFFFFFFFE),
    ("remuw", 0x80000001, 0x80000000, 1),
], ids=lambda v: v if isinstance(v, str) else f"{v:#x}")
def test_rr_named(name, a, b, want):
    assert exec_rr(name, a, b) == want


@pytest.mark.parametrize("name,a,imm,want", [
    ("addiw", 0x7FFFFFFF, 1, 0xFFFFFFFF80000000),
    ("addiw", 0xFFFFFFFF, 0, MASK64),                        # sext.w
    ("addiw", 0x1_0000_0000, -1, MASK64),
    ("slliw", 1, 31, 0xFFFFFFFF80000000),
    ("srliw", 0xFFFFFFFF00000000 | 0x80000000, 0, 0xFFFFFFFF80000000),
    ("srliw", MASK64, 31, 1),
    ("sraiw", 0x80000000, 31, MASK64),
    ("slli", 1, 63, INT64_MIN), ("srli", MASK64, 63, 1), ("srai", INT64_MIN, 63, MASK64),
    ("sltiu", 0, -1, 1),                                     # imm sign-extended then unsigned
    ("sltiu", MASK64, -1, 0), ("slti", MASK64, 0, 1),
    ("xori", 0x1234, -1, ~0x1234 & MASK64),                  # not
    ("andi", MASK64, -2048, sext(-2048, 64)),
], ids=lambda v: v if isinstance(v, str) else f"{v:#x}" if v >= 0 else str(v))
def test_ri_named(name, a, imm, want):
    assert exec_ri(name, a, imm) == want


def test_w_immediate_shift_with_bit5_is_illegal():
    """slliw/srliw/sraiw with shamt[5] set are reserved in RV64 (4.2.1)."""
    for name in ("slliw", "srliw", "sraiw"):
        word = enc(name, rd=3, rs1=1, imm=1) | (1 << 25)
        m = run([word], budget=2)
        assert trap_info(m) == (2, word, CODE), name


# --------------------------------------------------------------------------------------------
# lui / auipc
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("imm,want", [
    (-0x80000000, 0xFFFFFFFF80000000),
    (0x7FFFF000, 0x7FFFF000),
    (-0x1000, 0xFFFFFFFFFFFFF000),
    (0x12345000, 0x12345000),
], ids=["min", "max", "minus-page", "plain"])
def test_lui(imm, want):
    m = run([("lui", dict(rd=5, imm=imm))], budget=2)
    assert m.harts[0].x[5] == want


@pytest.mark.parametrize("imm,want", [
    (-0x80000000, CODE - 0x80000000),                        # 0x80000000 - 2^31 = 0
    (0x7FFFF000, CODE + 0x7FFFF000),                         # a 64-bit sum, not sign-extended
    (0, CODE),
    (-0x1000, CODE - 0x1000),
], ids=["min", "max", "zero", "minus-page"])
def test_auipc(imm, want):
    m = run([("addi", dict(rd=0, rs1=0, imm=0)), ("auipc", dict(rd=5, imm=imm))], budget=3)
    assert m.harts[0].x[5] == (want + 4) & MASK64


# --------------------------------------------------------------------------------------------
# Branches
# --------------------------------------------------------------------------------------------

BRANCH = {
    "beq": lambda a, b: a == b,
    "bne": lambda a, b: a != b,
    "blt": lambda a, b: s64(a) < s64(b),
    "bge": lambda a, b: s64(a) >= s64(b),
    "bltu": lambda a, b: a < b,
    "bgeu": lambda a, b: a >= b,
}
BRANCH_PAIRS = [(0, 0), (1, 2), (2, 1), (MASK64, 1), (1, MASK64), (INT64_MIN, INT64_MAX),
                (INT64_MAX, INT64_MIN), (MASK64, MASK64), (0x80000000, 0x7FFFFFFF),
                (0xFFFFFFFF00000000, 0)]


@pytest.mark.parametrize("name", sorted(BRANCH))
def test_branch_forward(name):
    for a, b in BRANCH_PAIRS:
        code = [(name, dict(rs1=1, rs2=2, imm=8)),
                ("addi", dict(rd=10, rs1=0, imm=1))]              # skipped when taken
        m = run(code, regs={1: a, 2: b}, budget=4)
        assert finished(m)
        taken = m.harts[0].x[10] == 0
        assert taken == BRANCH[name](a, b), f"{name} {a:#x} {b:#x}"


# per branch: x1's start value, its step per iteration, and x2 (the loop runs while taken)
LOOPS = {"beq": (MASK64, 1, 0), "bne": (0, 1, 5), "blt": (sext(-3, 64), 1, 2),
         "bge": (3, MASK64, MASK64), "bltu": (0, 1, 4), "bgeu": (3, MASK64, 1)}


@pytest.mark.parametrize("name", sorted(BRANCH))
def test_branch_backward_loop(name):
    """x10 counts iterations of: x10 += 1; x1 += step; branch back while (x1 op x2)."""
    start, step, limit = LOOPS[name]
    code = [("addi", dict(rd=10, rs1=10, imm=1)),
            ("add", dict(rd=1, rs1=1, rs2=3)),
            (name, dict(rs1=1, rs2=2, imm=-8))]
    m = run(code, regs={1: start, 2: limit, 3: step}, budget=40)
    want, x1 = 0, start
    while True:
        want += 1
        x1 = (x1 + step) & MASK64
        if not BRANCH[name](x1, limit):
            break
    assert want > 1
    assert finished(m)
    assert m.harts[0].x[10] == want


# --------------------------------------------------------------------------------------------
# jal / jalr
# --------------------------------------------------------------------------------------------

def test_jal_forward_and_backward():
    code = [("jal", dict(rd=0, imm=12)),            # 0  -> 12
            ("addi", dict(rd=11, rs1=0, imm=7)),    # 4  (reached from 12)
            ("jal", dict(rd=0, imm=12)),            # 8  -> 20 (the end)
            ("jal", dict(rd=5, imm=-8)),            # 12 -> 4, x5 = 16
            ("addi", dict(rd=12, rs1=0, imm=1))]    # 16 skipped
    m = run(code, budget=6)
    h = m.harts[0]
    assert finished(m)
    assert (h.x[5], h.x[11], h.x[12], h.x[0]) == (CODE + 16, 7, 0, 0)


def test_jal_link_value():
    m = run([("jal", dict(rd=1, imm=8)), ("addi", dict(rd=10, rs1=0, imm=1))], budget=3)
    assert finished(m)
    assert m.harts[0].x[1] == CODE + 4 and m.harts[0].x[10] == 0


@pytest.mark.parametrize("rd,rs1,base,imm", [
    (1, 6, CODE + 11, 1),          # target CODE+12: bit 0 of the sum cleared
    (1, 6, CODE + 13, -1),         # CODE+12 exactly
    (6, 6, CODE + 11, 1),          # rd == rs1: the target uses the old value
    (0, 6, CODE + 12, 0),          # rd = x0: no link
    (1, 6, CODE + 12 - 2047, 2047),
    (1, 6, CODE + 12 + 2048 + 1, -2048),
], ids=["odd-sum", "neg-imm", "rd-eq-rs1", "rd-x0", "imm-max", "imm-min-odd"])
def test_jalr(rd, rs1, base, imm):
    code = [("jalr", dict(rd=rd, rs1=rs1, imm=imm)),
            ("addi", dict(rd=10, rs1=0, imm=1)),
            ("addi", dict(rd=10, rs1=0, imm=2))]    # target is CODE+12, the end
    m = run(code, regs={rs1: base}, budget=3)
    h = m.harts[0]
    assert finished(m)
    assert h.x[10] == 0
    if rd:
        assert h.x[rd] == CODE + 4
    assert h.x[0] == 0


def test_jalr_to_halfword_aligned_target():
    """With C, a jalr target only needs 2-byte alignment (no misaligned-fetch trap)."""
    code = [("jalr", dict(rd=1, rs1=6, imm=0)),     # -> CODE+6
            ("c.li", dict(rd=10, imm=1)),           # 4
            ("c.li", dict(rd=11, imm=2))]           # 6
    m = run(code, regs={6: CODE + 6}, budget=3)
    assert finished(m)
    assert (m.harts[0].x[10], m.harts[0].x[11], m.harts[0].x[1]) == (0, 2, CODE + 4)


# --------------------------------------------------------------------------------------------
# Loads and stores
# --------------------------------------------------------------------------------------------

LOADS = {"lb": (1, True), "lh": (2, True), "lw": (4, True), "ld": (8, True),
         "lbu": (1, False), "lhu": (2, False), "lwu": (4, False)}
STORES = {"sb": 1, "sh": 2, "sw": 4, "sd": 8}
PAGE = 0x1000
# offsets from DATA: aligned, misaligned within a page, and across the page at DATA+0x1000
OFFSETS = [0, 8, 1, 2, 3, 5, 7, 0x7FF, PAGE - 8, PAGE - 4, PAGE - 2, PAGE - 1, PAGE - 3,
           PAGE - 5, PAGE - 7, PAGE + 3]


def _pattern(seed, n=2 * PAGE + 16):
    rng = random.Random(seed)
    # bytes with the top bit set often, so sign extension matters
    return bytes(rng.choice([rng.randrange(256), 0x80 | rng.randrange(128)]) for _ in range(n))


def _off_id(off):
    return f"+{off:#x}"


@pytest.mark.parametrize("name", sorted(LOADS))
@pytest.mark.parametrize("off", OFFSETS, ids=_off_id)
def test_load(name, off):
    size, sign = LOADS[name]
    mem = _pattern(off * 7 + size)
    addr = DATA + off
    raw = int.from_bytes(mem[off:off + size], "little")
    want = sext(raw, 8 * size) if sign else raw
    for imm in (0, 2047, -2048, -1):
        m = run([(name, dict(rd=5, rs1=10, imm=imm))], regs={10: addr - imm},
                mem={DATA: mem}, budget=2)
        assert finished(m), (hex(addr), trap_info(m))
        assert m.harts[0].x[5] == want, f"{name} at {addr:#x} (imm {imm})"


@pytest.mark.parametrize("name", sorted(STORES))
@pytest.mark.parametrize("off", OFFSETS, ids=_off_id)
def test_store(name, off):
    size = STORES[name]
    mem = _pattern(off * 11 + size)
    addr = DATA + off
    value = 0x8877665544332211 ^ (off * 0x0101010101010101)
    for imm in (0, -2048, 2047):
        m = run([(name, dict(rs1=10, rs2=11, imm=imm))], regs={10: addr - imm, 11: value},
                mem={DATA: mem}, budget=2)
        assert finished(m), trap_info(m)
        want = bytearray(mem)
        want[off:off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        assert m.read_phys(DATA, len(mem)) == bytes(want), f"{name} at {addr:#x}"


@pytest.mark.parametrize("size", [2, 4, 8])
def test_misaligned_store_then_load_across_page(size):
    st_name = {2: "sh", 4: "sw", 8: "sd"}[size]
    ld_name = {2: "lhu", 4: "lwu", 8: "ld"}[size]
    addr = DATA + PAGE - 1
    value = 0xF1E2D3C4B5A69788 & ((1 << (8 * size)) - 1)
    m = run([(st_name, dict(rs1=10, rs2=11, imm=0)), (ld_name, dict(rd=12, rs1=10, imm=0))],
            regs={10: addr, 11: value}, budget=3)
    assert finished(m)
    assert m.harts[0].x[12] == value
    assert m.read_phys(addr, size) == value.to_bytes(size, "little")


RAM_END = 0x80100000


@pytest.mark.parametrize("name,cause", [("ld", 5), ("lw", 5), ("sd", 7), ("sh", 7)])
def test_misaligned_access_running_off_ram_faults(name, cause):
    """A misaligned access whose second part leaves RAM raises an access fault; mtval is the
    address of the part that faulted (privileged spec 3.1.16)."""
    addr = RAM_END - 1
    ops = dict(rd=5, rs1=10, imm=0) if cause == 5 else dict(rs1=10, rs2=11, imm=0)
    m = run([(name, ops)], regs={10: addr, 5: 0x55, 11: MASK64}, budget=2)
    assert trap_info(m) == (cause, RAM_END, CODE)
    assert m.harts[0].x[5] == 0x55                 # a faulting load writes no register


def _sv39_machine(code):
    """S-mode with Sv39: CODE page executable, DATA page RW, DATA+4K unmapped."""
    m = machine(b"")
    done = CODE + len(code)
    m.write_phys(CODE, code + word_bytes(enc("jal", rd=0, imm=0)))
    satp = sv39_map(m, 0x800C0000, {
        CODE: (CODE, PTE_R | PTE_X | PTE_A),
        DATA: (DATA, PTE_R | PTE_W | PTE_A | PTE_D),
    })
    m.harts[0].set_csr("satp", satp)
    m.harts[0].priv = 1
    m.done_pc = done
    return m


@pytest.mark.parametrize("name,size", [("sd", 8), ("sw", 4), ("sh", 2)])
def test_page_crossing_store_with_unmapped_second_page(name, size):
    """The second page faults: store page fault with mtval = the second page, and the first
    page's bytes are not written."""
    code = assemble([(name, dict(rs1=10, rs2=11, imm=0))])
    m = _sv39_machine(code)
    addr = DATA + PAGE - 1
    m.write_phys(DATA + PAGE - 8, b"\xAA" * 8)
    m.harts[0].set_x(10, addr)
    m.harts[0].set_x(11, MASK64)
    m.run(max_instructions=2)
    assert trap_info(m) == (15, DATA + PAGE, CODE)
    assert m.read_phys(DATA + PAGE - 8, 8) == b"\xAA" * 8


@pytest.mark.parametrize("name,size", [("ld", 8), ("lw", 4), ("lhu", 2)])
def test_page_crossing_load_with_unmapped_second_page(name, size):
    code = assemble([(name, dict(rd=5, rs1=10, imm=0))])
    m = _sv39_machine(code)
    m.harts[0].set_x(10, DATA + PAGE - 1)
    m.harts[0].set_x(5, 0x77)
    m.run(max_instructions=2)
    assert trap_info(m) == (13, DATA + PAGE, CODE)
    assert m.harts[0].x[5] == 0x77


def test_page_crossing_load_with_both_pages_mapped_under_sv39():
    code = assemble([("ld", dict(rd=5, rs1=10, imm=0))])
    m = machine(b"")
    m.write_phys(CODE, code + word_bytes(enc("jal", rd=0, imm=0)))
    # virtual pages 0x10000/0x11000 map to physical DATA+0x2000 and DATA (reversed order)
    satp = sv39_map(m, 0x800C0000, {
        CODE: (CODE, PTE_R | PTE_X | PTE_A),
        0x10000: (DATA + 0x2000, PTE_R | PTE_A),
        0x11000: (DATA, PTE_R | PTE_A),
    })
    m.write_phys(DATA + 0x2FFC, bytes([1, 2, 3, 4]))
    m.write_phys(DATA, bytes([5, 6, 7, 8]))
    h = m.harts[0]
    h.set_csr("satp", satp)
    h.priv = 1
    h.set_x(10, 0x10FFC)
    m.run(max_instructions=2)
    assert h.pc == CODE + 4
    assert h.x[5] == 0x0807060504030201


# --------------------------------------------------------------------------------------------
# x0
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("item", [
    ("addi", dict(rd=0, rs1=1, imm=5)),
    ("lui", dict(rd=0, imm=0x12345000)),
    ("auipc", dict(rd=0, imm=0x1000)),
    ("ld", dict(rd=0, rs1=10, imm=0)),
    ("lb", dict(rd=0, rs1=10, imm=0)),
    ("jal", dict(rd=0, imm=4)),
    ("jalr", dict(rd=0, rs1=11, imm=0)),
    ("mul", dict(rd=0, rs1=1, rs2=1)),
    ("amoadd.d", dict(rd=0, rs1=10, rs2=1)),
    ("lr.d", dict(rd=0, rs1=10)),
    ("csrrs", dict(rd=0, rs1=0, imm=0x340)),       # csrr x0, mscratch
    ("c.li", dict(rd=0, imm=5)),
    ("c.lui", dict(rd=0, imm=0x1000)),
    ("c.mv", dict(rd=0, rs2=1)),
    ("c.add", dict(rd=0, rs2=1)),
], ids=lambda it: it[0])
def test_x0_stays_zero(item):
    code = [item, ("add", dict(rd=5, rs1=0, rs2=0)), ("addi", dict(rd=6, rs1=0, imm=0))]
    mem = {DATA: b"\xFF" * 16}

    def setup(m):
        m.harts[0].set_csr("mscratch", 0x1234)
        # jalr's target: the instruction after it
        m.harts[0].set_x(11, CODE + (4 if item[0][:2] != "c." else 2))

    m = run(code, regs={1: 0x77, 10: DATA}, mem=mem, budget=4, setup=setup)
    h = m.harts[0]
    assert finished(m), trap_info(m)
    assert h.x[0] == 0 and h.x[5] == 0 and h.x[6] == 0


def test_amo_with_rd_x0_still_updates_memory():
    m = run([("amoadd.d", dict(rd=0, rs1=10, rs2=1))], regs={1: 5, 10: DATA},
            mem={DATA: struct.pack("<Q", 10)}, budget=2)
    assert read64(m, DATA) == 15 and m.harts[0].x[0] == 0


# --------------------------------------------------------------------------------------------
# A: LR/SC
# --------------------------------------------------------------------------------------------

def _lrsc(code, init=0x1111111122222222, regs=None):
    r = {10: DATA, 11: DATA + 8, 7: 0xCAFEF00DDEADBEEF}
    r.update(regs or {})
    mem = {DATA: struct.pack("<QQ", init, 0x3333333344444444)}
    m = run(code, regs=r, mem=mem, budget=len(code) + 1)
    assert finished(m), trap_info(m)
    return m, m.harts[0]


@pytest.mark.parametrize("w", ["w", "d"])
def test_lr_sc_success(w):
    m, h = _lrsc([("lr." + w, dict(rd=5, rs1=10)), ("sc." + w, dict(rd=6, rs1=10, rs2=7))],
                 init=0x11111111F2222222)
    assert h.x[6] == 0
    if w == "w":
        assert h.x[5] == 0xFFFFFFFFF2222222                # lr.w sign-extends
        assert read64(m, DATA) == 0x11111111DEADBEEF       # sc.w writes 32 bits
    else:
        assert h.x[5] == 0x11111111F2222222
        assert read64(m, DATA) == 0xCAFEF00DDEADBEEF


@pytest.mark.parametrize("w", ["w", "d"])
def test_sc_without_reservation_fails(w):
    m, h = _lrsc([("sc." + w, dict(rd=6, rs1=10, rs2=7))])
    assert h.x[6] == 1 and read64(m, DATA) == 0x1111111122222222


@pytest.mark.parametrize("w", ["w", "d"])
def test_sc_to_other_address_fails(w):
    m, h = _lrsc([("lr." + w, dict(rd=5, rs1=10)), ("sc." + w, dict(rd=6, rs1=11, rs2=7))])
    assert h.x[6] != 0
    assert read64(m, DATA + 8) == 0x3333333344444444


@pytest.mark.parametrize("w", ["w", "d"])
def test_sc_after_intervening_store_of_other_value_fails(w):
    code = [("lr." + w, dict(rd=5, rs1=10)),
            ("sd", dict(rs1=10, rs2=8, imm=0)),
            ("sc." + w, dict(rd=6, rs1=10, rs2=7))]
    m, h = _lrsc(code, regs={8: 0x5555555555555555})
    assert h.x[6] != 0
    assert read64(m, DATA) == 0x5555555555555555


@pytest.mark.parametrize("w", ["w", "d"])
def test_second_sc_fails(w):
    code = [("lr." + w, dict(rd=5, rs1=10)),
            ("sc." + w, dict(rd=6, rs1=10, rs2=7)),
            ("sc." + w, dict(rd=12, rs1=10, rs2=0))]
    m, h = _lrsc(code)
    assert h.x[6] == 0 and h.x[12] != 0
    assert read64(m, DATA) & M32 == 0xDEADBEEF


def test_sc_of_other_width_than_lr_does_not_corrupt():
    code = [("lr.d", dict(rd=5, rs1=10)), ("sc.w", dict(rd=6, rs1=10, rs2=7))]
    m, h = _lrsc(code)
    # An SC whose size differs from the LR's may fail (and must not corrupt memory if it does)
    if h.x[6] != 0:
        assert read64(m, DATA) == 0x1111111122222222


# --------------------------------------------------------------------------------------------
# A: AMOs
# --------------------------------------------------------------------------------------------

AMO_OPS = ["amoswap", "amoadd", "amoxor", "amoand", "amoor", "amomin", "amomax", "amominu",
           "amomaxu"]


def amo_ref(op, old, src, bits):
    """New memory value of an AMO on ``bits``-wide values (old, src already truncated)."""
    so, ss = signed(old, bits), signed(src, bits)
    return {
        "amoswap": src, "amoadd": old + src, "amoxor": old ^ src, "amoand": old & src,
        "amoor": old | src, "amomin": min(so, ss), "amomax": max(so, ss),
        "amominu": min(old, src), "amomaxu": max(old, src),
    }[op] & ((1 << bits) - 1)


AMO_PAIRS = [(0, 0), (1, MASK64), (MASK64, 1), (INT64_MIN, INT64_MAX), (INT64_MAX, INT64_MIN),
             (0x80000000, 0x7FFFFFFF), (0x7FFFFFFF, 0x80000000), (5, 0xDEADBEEF00000003),
             (0xFFFFFFFF, 0x00000001_00000000), (0x123456789, 0xFEDCBA987)]


# An AMO whose store-TLB entry is filled runs inline in the run loop (_handlers.pxi); a cold one
# in the slow half (exec_atomic).  WARM fills it with a store beside the operand first.
WARM = [("sd", dict(rs1=10, rs2=0, imm=64))]


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
@pytest.mark.parametrize("w", ["w", "d"])
@pytest.mark.parametrize("op", AMO_OPS)
def test_amo(op, w, warm):
    bits = 32 if w == "w" else 64
    name = f"{op}.{w}"
    for old, src in AMO_PAIRS:
        old &= (1 << bits) - 1
        init = struct.pack("<Q", old) if w == "d" else struct.pack("<IIQ", old, 0xA5A5A5A5, 0)
        m = run((WARM if warm else []) + [(name, dict(rd=5, rs1=10, rs2=11))],
                regs={10: DATA + 8, 11: src},
                mem={DATA: b"\x5A" * 8, DATA + 8: init}, budget=3)
        assert finished(m), trap_info(m)
        h = m.harts[0]
        assert h.x[5] == sext(old, bits), f"{name} old={old:#x} src={src:#x}"
        new = int.from_bytes(m.read_phys(DATA + 8, bits // 8), "little")
        assert new == amo_ref(op, old, src & ((1 << bits) - 1), bits), \
            f"{name} old={old:#x} src={src:#x}"
        assert m.read_phys(DATA, 8) == b"\x5A" * 8
        if w == "w":
            assert m.read_phys(DATA + 12, 4) == b"\xA5" * 4


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
@pytest.mark.parametrize("op", ["amoswap.d", "amoadd.w", "amomax.d"])
def test_amo_rd_aliases_source(op, warm):
    """rd == rs2 and rd == rs1: the sources are read before rd is written."""
    bits = 32 if op.endswith("w") else 64
    base = op.split(".")[0]
    first = WARM if warm else []
    m = run(first + [(op, dict(rd=11, rs1=10, rs2=11))], regs={10: DATA, 11: 7},
            mem={DATA: struct.pack("<Q", 3)}, budget=3)
    assert m.harts[0].x[11] == 3
    assert read64(m, DATA) & ((1 << bits) - 1) == amo_ref(base, 3, 7, bits)
    m = run(first + [(op, dict(rd=10, rs1=10, rs2=11))], regs={10: DATA, 11: 7},
            mem={DATA: struct.pack("<Q", 3)}, budget=3)
    assert m.harts[0].x[10] == 3
    assert read64(m, DATA) & ((1 << bits) - 1) == amo_ref(base, 3, 7, bits)


ATOMIC_NAMES = ([f"lr.{w}" for w in "wd"] + [f"sc.{w}" for w in "wd"]
                + [f"{op}.{w}" for op in AMO_OPS for w in "wd"])


@pytest.mark.parametrize("name", ATOMIC_NAMES)
def test_misaligned_atomic_traps(name):
    size = 4 if name.endswith(".w") else 8
    cause = 4 if name.startswith("lr") else 6
    ops = dict(rd=5, rs1=10) if name.startswith("lr") else dict(rd=5, rs1=10, rs2=11)
    for off in ([2, 1, 3] if size == 4 else [4, 2, 1, 7]):
        addr = DATA + off
        code = [("lr.d", dict(rd=0, rs1=12))] if name.startswith("sc") else []
        code.append((name, ops))
        m = run(code, regs={10: addr, 11: MASK64, 12: DATA + 0x100, 5: 0x99},
                mem={DATA: bytes(range(16))}, budget=len(code) + 1)
        assert trap_info(m) == (cause, addr, CODE + 4 * (len(code) - 1)), (name, off)
        assert m.harts[0].x[5] == 0x99
        assert m.read_phys(DATA, 16) == bytes(range(16))


# --------------------------------------------------------------------------------------------
# C: every compressed instruction behaves as its expansion
# --------------------------------------------------------------------------------------------

C_ROWS = [r for r in opcodes.INSTRUCTIONS if r.ext == "C"]
CONTROL = {"c.j", "c.jr", "c.jalr", "c.beqz", "c.bnez"}
C_SLOT = CODE + 0x1000          # room for +-2 KiB jumps either way


def _random_c_word(rng, row):
    """A random word that decodes as this row (the decoder's first match, legal)."""
    free = ~row.mask & 0xFFFF
    while True:
        w = row.match | (rng.getrandbits(16) & free)
        d = opcodes.decode(w)
        if d is not None and d[0] is row:
            return w, d[1]


def _expand(row, ops):
    base = opcodes.BY_NAME[row.expands]
    return opcodes.encode(row.expands, **{k: v for k, v in ops.items() if k in base.operands})


def _run_one(word, regs, mem):
    m = machine(b"", regs=regs, mem=mem)
    m.write_phys(C_SLOT, word_bytes(word))
    m.harts[0].pc = C_SLOT
    m.run(max_instructions=1)
    h = m.harts[0]
    return h.pc, h.x, m.read_phys(DATA, 0x400), (h.csr("mcause"), h.csr("mepc"), h.csr("mtval"))


@pytest.mark.parametrize("row", C_ROWS, ids=lambda r: r.name)
def test_compressed_matches_expansion(row):
    rng = random.Random(row.name)
    for _ in range(40):
        cw, ops = _random_c_word(rng, row)
        ew = _expand(row, ops)
        regs = {r: rng.choice([rng.getrandbits(64), rng.choice(EDGE)]) for r in range(1, 32)}
        if row.expands in LOADS or row.expands in STORES:
            regs[ops["rs1"]] = DATA + 0x100
        if row.name in ("c.jr", "c.jalr"):
            regs[ops["rs1"]] = C_SLOT + rng.randrange(-0x400, 0x400, 2) + rng.randrange(2)
        if row.name in ("c.beqz", "c.bnez") and rng.random() < 0.5:
            regs[ops["rs1"]] = 0
        mem = {DATA: rng.randbytes(0x400)}
        pc_c, x_c, mem_c, trap_c = _run_one(cw, regs, mem)
        pc_e, x_e, mem_e, trap_e = _run_one(ew, regs, mem)
        what = f"{row.name} {cw:#06x} vs {row.expands} {ew:#010x} ops={ops}"
        if row.name in CONTROL:
            # the fall-through and the link differ by the instruction length only
            taken = True
            if row.name in ("c.beqz", "c.bnez"):
                taken = (regs[ops["rs1"]] == 0) == (row.name == "c.beqz")
            if taken:
                assert pc_c == pc_e, what
            else:
                assert (pc_c, pc_e) == (C_SLOT + 2, C_SLOT + 4), what
            if row.name == "c.jalr":
                assert (x_c[1], x_e[1]) == (C_SLOT + 2, C_SLOT + 4), what
                x_c[1] = x_e[1]
        elif row.name == "c.ebreak":
            assert pc_c == pc_e == TRAP_PC and trap_c == trap_e and trap_c[:2] == (3, C_SLOT)
        else:
            assert (pc_c, pc_e) == (C_SLOT + 2, C_SLOT + 4), what
        assert x_c == x_e, what
        assert mem_c == mem_e, what


# --------------------------------------------------------------------------------------------
# CSRs
# --------------------------------------------------------------------------------------------

def csr_insn(name, csr, rd=5, rs1=0):
    return enc(name, rd=rd, rs1=rs1, imm=csr)


def exec_csr(word, priv=3, regs=None, setup=None):
    return run([word], regs=regs, priv=priv, budget=2, setup=setup)


def assert_illegal(m, word):
    assert trap_info(m) == (2, word, CODE), (hex(word), trap_info(m))


@pytest.mark.parametrize("csr", [0xF11, 0xF12, 0xF13, 0xF14, 0xF15, 0xC00, 0xC01, 0xC02, 0xC03],
                         ids=lambda c: f"{c:#x}")
@pytest.mark.parametrize("form", ["csrrw", "csrrw-x0", "csrrs", "csrrc", "csrrwi", "csrrsi"])
def test_write_to_read_only_csr_is_illegal(csr, form):
    """csr[11:10] == 3 marks a read-only CSR: any instruction that writes it is illegal, also
    csrrw with rd = x0 and csrrs/csrrc with rs1 != x0 whose register value is 0."""
    if form == "csrrw":
        w = csr_insn("csrrw", csr, rd=5, rs1=6)
    elif form == "csrrw-x0":
        w = csr_insn("csrrw", csr, rd=0, rs1=0)
    elif form == "csrrs":
        w = csr_insn("csrrs", csr, rd=5, rs1=6)       # x6 = 0: still a write
    elif form == "csrrc":
        w = csr_insn("csrrc", csr, rd=5, rs1=6)
    elif form == "csrrwi":
        w = csr_insn("csrrwi", csr, rd=5, rs1=0)
    else:
        w = csr_insn("csrrsi", csr, rd=5, rs1=1)
    m = exec_csr(w, regs={6: 0})
    assert_illegal(m, w)


@pytest.mark.parametrize("csr", [0xF11, 0xF14, 0xC00, 0xC01, 0xC02, 0x301],
                         ids=lambda c: f"{c:#x}")
@pytest.mark.parametrize("form", ["csrrs", "csrrc", "csrrsi", "csrrci"])
def test_read_only_csr_read_without_write_is_legal(csr, form):
    w = csr_insn(form, csr, rd=5, rs1=0)
    m = exec_csr(w, regs={5: 0x1234})
    assert finished(m), trap_info(m)
    if csr in (0xF11, 0xF14):
        assert m.harts[0].x[5] == 0


@pytest.mark.parametrize("csr", [0x001, 0x002, 0x003, 0x7C0, 0x5A8, 0x3A1, 0x3A3, 0x3AF, 0xFFF,
                                 0x8FF, 0x7B0, 0x200],
                         ids=lambda c: f"{c:#x}")
def test_nonexistent_csr_is_illegal(csr):
    """No F (fflags/frm/fcsr), no debug CSRs, no odd pmpcfg in RV64 (3.7.1), no hypervisor."""
    for w in (csr_insn("csrrs", csr, rd=5, rs1=0), csr_insn("csrrw", csr, rd=0, rs1=5)):
        m = exec_csr(w)
        assert_illegal(m, w)


def test_even_pmpcfg_exists():
    w = csr_insn("csrrs", 0x3A0, rd=5, rs1=0)
    assert finished(exec_csr(w))
    w = csr_insn("csrrs", 0x3A2, rd=5, rs1=0)
    assert finished(exec_csr(w))


@pytest.mark.parametrize("priv,csr", [
    (1, 0x300), (1, 0x340), (1, 0x305), (1, 0xF14), (1, 0xB00), (1, 0x3A0),
    (0, 0x100), (0, 0x140), (0, 0x180), (0, 0x300), (0, 0xF11),
], ids=lambda v: {0: "U", 1: "S"}.get(v, f"{v:#x}") if isinstance(v, int) else str(v))
def test_csr_privilege_too_low_is_illegal(priv, csr):
    for w in (csr_insn("csrrs", csr, rd=5, rs1=0), csr_insn("csrrw", csr, rd=0, rs1=5)):
        m = exec_csr(w, priv=priv)
        assert_illegal(m, w)
        assert (m.harts[0].csr("mstatus") >> 11) & 3 == priv     # MPP


def test_s_mode_may_access_s_csrs():
    w = csr_insn("csrrw", 0x140, rd=5, rs1=6)            # sscratch
    m = exec_csr(w, priv=1, regs={6: 0xABC})
    assert finished(m)
    assert m.harts[0].csr("sscratch") == 0xABC


@pytest.mark.parametrize("counter", [0xC00, 0xC01, 0xC02, 0xC03],
                         ids=["cycle", "time", "instret", "hpmcounter3"])
@pytest.mark.parametrize("priv", [0, 1], ids=["U", "S"])
@pytest.mark.parametrize("men", [0, 1], ids=["mcounteren0", "mcounteren1"])
@pytest.mark.parametrize("sen", [0, 1], ids=["scounteren0", "scounteren1"])
def test_counter_access_gated_by_counteren(counter, priv, men, sen):
    """S needs mcounteren's bit; U needs both mcounteren's and scounteren's (3.1.11, 4.1.5)."""
    bit = 1 << (counter - 0xC00)
    w = csr_insn("csrrs", counter, rd=5, rs1=0)

    def setup(m):
        m.harts[0].set_csr("mcounteren", bit if men else ~bit)
        m.harts[0].set_csr("scounteren", bit if sen else ~bit)

    m = exec_csr(w, priv=priv, setup=setup)
    allowed = men and (sen or priv == 1)
    if allowed:
        assert finished(m), trap_info(m)
    else:
        assert_illegal(m, w)


def test_counters_readable_in_m_mode_regardless_of_counteren():
    for c in (0xC00, 0xC01, 0xC02):
        w = csr_insn("csrrs", c, rd=5, rs1=0)
        assert finished(exec_csr(w))


@pytest.mark.parametrize("word", [
    0xFFFFFFFF,                                   # 32-bit, all ones: zero-extended in mtval
    0x0000,                                       # the defined-illegal all-zero halfword
    0x0004,                                       # c.addi4spn with nzuimm = 0 (reserved)
    0x6002,                                       # c.flwsp (RV32 only) / c.ldsp rd=0 -> reserved
    0x8002,                                       # c.jr x0 (reserved)
    0x2000,                                       # c.fld: no D extension
    0x30200073 | (1 << 7),                        # mret with rd != 0 -> not mret
    0x0000707F,                                   # opcode 0x7f: >32-bit encodings
    0x0000005B,                                   # custom-2
    0x0000107B,                                   # custom-3
    0x4200003B,                                   # addw with funct7 0x21: reserved
], ids=lambda w: f"{w:#x}")
def test_illegal_instruction_mtval_is_the_instruction(word):
    assert opcodes.decode(word) is None           # the table agrees the word is illegal
    assert_illegal(run([word], budget=2), word)


def test_illegal_csr_access_mtval_is_the_instruction():
    w = csr_insn("csrrw", 0xC00, rd=0, rs1=0)     # csrw cycle, x0
    assert_illegal(run([w], budget=2), w)


@pytest.mark.parametrize("priv,name,word", [
    (1, "mret", 0x30200073), (0, "mret", 0x30200073), (0, "sret", 0x10200073),
    (0, "wfi", 0x10500073), (0, "sfence.vma", 0x12000073),
], ids=lambda v: v if isinstance(v, str) else None)
def test_privileged_instruction_below_its_level_is_illegal(priv, name, word):
    assert_illegal(run([word], priv=priv, budget=2), word)


def test_mstatus_mpp_warl_and_xlen_fields():
    def csrw(csr, reg):
        return csr_insn("csrrw", csr, rd=0, rs1=reg)

    code = [csrw(0x300, 6), csr_insn("csrrs", 0x300, rd=7, rs1=0),
            csrw(0x300, 8), csr_insn("csrrs", 0x300, rd=9, rs1=0)]
    # x6: MPP = 1 (S); x8: MPP = 2 (reserved) and UXL/SXL = 1 (32-bit)
    m = run(code, regs={6: 1 << 11, 8: (2 << 11) | (1 << 32) | (1 << 34)}, budget=5)
    assert finished(m)
    h = m.harts[0]
    assert (h.x[7] >> 11) & 3 == 1
    assert (h.x[9] >> 11) & 3 != 2                       # MPP never holds 2 (3.1.6.2)
    for v in (h.x[7], h.x[9]):
        assert (v >> 32) & 3 == 2 and (v >> 34) & 3 == 2    # UXL = SXL = 64-bit


def test_sstatus_uxl_reads_64():
    m = exec_csr(csr_insn("csrrs", 0x100, rd=5, rs1=0), priv=1)
    assert finished(m)
    assert (m.harts[0].x[5] >> 32) & 3 == 2


@pytest.mark.parametrize("mode", [1, 2, 9, 10, 15], ids=lambda v: f"mode{v}")
def test_satp_write_with_unsupported_mode_is_ignored(mode):
    """An unsupported MODE makes the whole satp write have no effect (4.1.11)."""
    sv39 = (8 << 60) | (0x800C0)

    def setup(m):
        m.harts[0].set_csr("satp", sv39)

    w = csr_insn("csrrw", 0x180, rd=0, rs1=6)
    m = run([w, csr_insn("csrrs", 0x180, rd=7, rs1=0)], regs={6: (mode << 60) | 0x1234},
            budget=3, setup=setup)
    assert finished(m)
    assert m.harts[0].x[7] == sv39 and m.harts[0].csr("satp") == sv39


def test_misa_reports_rv64imac_su():
    m = exec_csr(csr_insn("csrrs", 0x301, rd=5, rs1=0))
    v = m.harts[0].x[5]
    assert v >> 62 == 2
    letters = {chr(ord("A") + i) for i in range(26) if v >> i & 1}
    assert {"I", "M", "A", "C", "S", "U"} <= letters and not {"F", "D"} & letters


def test_instret_counts_retired_instructions_only():
    nop = enc("addi", rd=0, rs1=0, imm=0)
    ill = 0xFFFFFFFF
    # 5 nops, then an illegal instruction (traps: not retired), then the trap loop
    m = run([nop] * 5 + [ill], budget=6)
    h = m.harts[0]
    assert trap_info(m) == (2, ill, CODE + 20)
    assert h.instret == 5
    assert h.csr("minstret") == 5
    m = run([nop] * 5 + [ill], budget=9)                 # + 3 iterations of the trap loop
    assert m.harts[0].instret == 8


@pytest.mark.parametrize("item,cause", [
    ("ecall", 11), ("ebreak", 3), ("c.ebreak", 3), (0xFFFFFFFF, 2),
    (("csrrw", dict(rd=0, rs1=0, imm=0xC00)), 2),                 # read-only CSR
    (("ld", dict(rd=5, rs1=0, imm=8)), 5),                         # address 8: not RAM
    (("sd", dict(rs1=0, rs2=0, imm=8)), 7),
    (("amoadd.w", dict(rd=5, rs1=10, rs2=0)), 6),                  # misaligned
], ids=["ecall", "ebreak", "c.ebreak", "illegal", "csr", "load-fault", "store-fault",
        "misaligned-amo"])
def test_trapping_instructions_do_not_retire(item, cause):
    """An instruction that raises an exception does not retire (ecall and ebreak included:
    privileged spec 3.3.1)."""
    m = run([enc("addi", rd=0, rs1=0, imm=0), item], regs={10: DATA + 2}, budget=2)
    assert trap_info(m)[0] == cause
    assert m.harts[0].instret == 1
    assert m.harts[0].csr("minstret") == 1


def test_wfi_retires():
    m = machine(assemble([enc("addi", rd=0, rs1=0, imm=0), "wfi"]))
    m.run(max_instructions=10)                    # nothing can wake it: the run halts
    h = m.harts[0]
    assert h.waiting and h.pc == CODE + 8
    assert h.instret == 2


def test_rdinstret_difference_in_guest():
    nop = enc("addi", rd=0, rs1=0, imm=0)
    rd_instret = csr_insn("csrrs", 0xC02, rd=5, rs1=0)
    rd_minstret = csr_insn("csrrs", 0xB02, rd=6, rs1=0)
    m = run([rd_instret, nop, nop, nop, rd_minstret], budget=6)
    assert finished(m)
    assert m.harts[0].x[6] - m.harts[0].x[5] == 4


def test_minstret_write_then_count():
    code = [csr_insn("csrrw", 0xB02, rd=0, rs1=6), enc("addi", rd=0, rs1=0, imm=0),
            csr_insn("csrrs", 0xB02, rd=7, rs1=0)]
    m = run(code, regs={6: 1000}, budget=4)
    assert finished(m)
    # the write sets the value, the csrw itself does not then also increment it; the nop counts
    assert m.harts[0].x[7] == 1001


@pytest.mark.parametrize("write_csr,read_csr", [
    (0xB02, 0xB02), (0xB02, 0xC02),             # minstret, read as minstret and as instret
    (0xB00, 0xB00), (0xB00, 0xC00),             # mcycle, read as mcycle and as cycle
], ids=["minstret", "minstret-instret", "mcycle", "mcycle-cycle"])
@pytest.mark.parametrize("form", ["csrrw", "csrrs", "csrrwi"])
def test_counter_write_is_what_the_next_instruction_reads(write_csr, read_csr, form):
    """csrw minstret, x; csrr rd, minstret: rd == x, the csrr adding nothing.

    Privileged spec 3.1.11: "Any CSR write takes effect after the writing instruction has
    otherwise completed", so the written value overrides the writing instruction's own
    increment, and a counter read returns the count of the instructions retired before the
    reading one.  Spike behaves the same (its minstret write subtracts the increment that
    follows it).  csrrs sets bits (the counter starts at 0, so it writes x too); csrrwi writes a
    5-bit immediate."""
    value = 21 if form == "csrrwi" else 0x123456789
    write = (enc("csrrwi", rd=0, rs1=value, imm=write_csr) if form == "csrrwi"
             else csr_insn(form, write_csr, rd=0, rs1=6))
    code = [write, csr_insn("csrrs", read_csr, rd=7, rs1=0), csr_insn("csrrs", read_csr, rd=8)]
    m = run(code, regs={6: value}, budget=len(code))
    assert finished(m)
    assert m.harts[0].x[7] == value
    assert m.harts[0].x[8] == value + 1


@pytest.mark.parametrize("name", ["minstret", "mcycle"])
def test_counter_written_by_the_host_reads_back(name):
    """A debugger's write (no instruction retires with it) reads back exactly."""
    m = machine()
    m.harts[0].set_csr(name, 5000)
    assert m.harts[0].csr(name) == 5000
    m.run(max_instructions=3)
    assert m.harts[0].csr(name) == 5003


@pytest.mark.parametrize("priv,cause", [(0, 8), (1, 9), (3, 11)], ids=["U", "S", "M"])
def test_ecall_cause_by_privilege(priv, cause):
    m = run(["ecall"], priv=priv, budget=2)
    assert trap_info(m) == (cause, 0, CODE)
    assert (m.harts[0].csr("mstatus") >> 11) & 3 == priv


def test_ebreak_mtval_is_pc():
    m = run([enc("addi", rd=0, rs1=0, imm=0), "ebreak"], budget=3)
    mcause, mtval, mepc = trap_info(m)
    assert mcause == 3 and mepc == CODE + 4 and mtval in (0, CODE + 4)



def test_mcountinhibit_stops_counters():
    """mcountinhibit.CY/IR set: mcycle/minstret are not incremented (privileged spec 3.1.13).
    A hart may instead make those bits read-only zero (WARL); the check follows the read-back."""
    nop = enc("addi", rd=0, rs1=0, imm=0)
    code = [csr_insn("csrrw", 0x320, rd=0, rs1=6),       # mcountinhibit = CY | IR
            csr_insn("csrrs", 0x320, rd=13, rs1=0),
            csr_insn("csrrs", 0xB02, rd=7, rs1=0), csr_insn("csrrs", 0xB00, rd=8, rs1=0),
            nop, nop, nop,
            csr_insn("csrrs", 0xB02, rd=9, rs1=0), csr_insn("csrrs", 0xB00, rd=12, rs1=0)]
    m = run(code, regs={6: 0b101}, budget=len(code) + 1)
    h = m.harts[0]
    assert finished(m)
    if h.x[13] & 0b100:
        assert h.x[9] == h.x[7], "minstret advanced while mcountinhibit.IR = 1"
    if h.x[13] & 0b001:
        assert h.x[12] == h.x[8], "mcycle advanced while mcountinhibit.CY = 1"


# --------------------------------------------------------------------------------------------
# Access faults under translation, instruction fetch across pages, self-modifying code
# --------------------------------------------------------------------------------------------

MMIO_VA = 0x40000000            # mapped by Sv39 to physical 0x1000: not RAM, no device


@pytest.mark.parametrize("item,cause", [
    pytest.param(("ld", dict(rd=5, rs1=10, imm=0)), 5, id="ld"),
    pytest.param(("lbu", dict(rd=5, rs1=10, imm=0)), 5, id="lbu"),
    pytest.param(("sd", dict(rs1=10, rs2=11, imm=0)), 7, id="sd"),
    pytest.param(("sw", dict(rs1=10, rs2=11, imm=0)), 7, id="sw"),
    pytest.param(("amoadd.d", dict(rd=5, rs1=10, rs2=11)), 7, id="amoadd.d"),
    pytest.param(("lr.d", dict(rd=5, rs1=10)), 5, id="lr.d"),
])
def test_access_fault_mtval_is_virtual_address(item, cause):
    """privileged spec 3.1.16: on an access fault of a load or store, mtval holds the faulting
    *virtual* address."""
    addr = MMIO_VA + 8
    m = machine(b"")
    m.write_phys(CODE, assemble([item]) + word_bytes(enc("jal", rd=0, imm=0)))
    satp = sv39_map(m, 0x800C0000, {CODE: (CODE, PTE_R | PTE_X | PTE_A),
                                    MMIO_VA: (0x1000, PTE_R | PTE_W | PTE_A | PTE_D)})
    h = m.harts[0]
    h.set_csr("satp", satp)
    h.priv = 1
    h.set_x(10, addr)
    m.run(max_instructions=2)
    assert trap_info(m) == (cause, addr, CODE)


STRADDLE = 0x80001000           # a page boundary; the instruction starts 2 bytes before it


def test_fetch_of_instruction_straddling_pages_bare():
    m = machine(b"")
    m.write_phys(STRADDLE - 2, word_bytes(enc("addi", rd=5, rs1=0, imm=77))
                 + word_bytes(enc("jal", rd=0, imm=0)))
    h = m.harts[0]
    h.pc = STRADDLE - 2
    m.run(max_instructions=3)
    assert (h.pc, h.x[5]) == (STRADDLE + 2, 77)


@pytest.mark.parametrize("second_mapped", [True, False], ids=["both-mapped", "second-unmapped"])
def test_fetch_of_instruction_straddling_pages_sv39(second_mapped):
    """A fetch page fault on the second half: mepc = the instruction, mtval = the address of
    the part that faulted (privileged spec 3.1.16)."""
    m = machine(b"")
    m.write_phys(STRADDLE - 2, word_bytes(enc("addi", rd=5, rs1=0, imm=77))
                 + word_bytes(enc("jal", rd=0, imm=0)))
    pages = {CODE: (CODE, PTE_R | PTE_X | PTE_A)}
    if second_mapped:
        pages[STRADDLE] = (STRADDLE, PTE_X | PTE_A)
    h = m.harts[0]
    h.set_csr("satp", sv39_map(m, 0x800C0000, pages))
    h.priv = 1
    h.pc = STRADDLE - 2
    m.run(max_instructions=3)
    if second_mapped:
        assert (h.pc, h.x[5]) == (STRADDLE + 2, 77)
    else:
        assert trap_info(m) == (12, STRADDLE, STRADDLE - 2) and h.x[5] == 0


NEW_INSN = enc("addi", rd=6, rs1=6, imm=100)
OLD_INSN = enc("addi", rd=6, rs1=6, imm=1)
PATCHES = {          # each writes NEW_INSN over the instruction at x10 (CODE + 4)
    "sw": [("sw", dict(rs1=10, rs2=11, imm=0))],
    "c.sw": [("c.sw", dict(rs1=10, rs2=11, imm=0))],
    "sh+sh": [("sh", dict(rs1=10, rs2=11, imm=0)), ("srli", dict(rd=15, rs1=11, imm=16)),
              ("sh", dict(rs1=10, rs2=15, imm=2))],
    "sb-x4": [("sb", dict(rs1=10, rs2=11, imm=0)), ("srli", dict(rd=15, rs1=11, imm=8)),
              ("sb", dict(rs1=10, rs2=15, imm=1)), ("srli", dict(rd=15, rs1=15, imm=8)),
              ("sb", dict(rs1=10, rs2=15, imm=2)), ("srli", dict(rd=15, rs1=15, imm=8)),
              ("sb", dict(rs1=10, rs2=15, imm=3))],
    "amoswap.w": [("amoswap.w", dict(rd=0, rs1=10, rs2=11))],
    "amoxor.w": [("amoxor.w", dict(rd=0, rs1=10, rs2=13))],
    "lr.w+sc.w": [("lr.w", dict(rd=0, rs1=10)), ("sc.w", dict(rd=14, rs1=10, rs2=11))],
    "sd-misaligned": [("sd", dict(rs1=16, rs2=17, imm=0))],     # bytes CODE+2 .. CODE+9
}


@pytest.mark.parametrize("patch", sorted(PATCHES))
def test_self_modifying_code(patch):
    """Code that rewrites an instruction it has already executed runs the new one the next time
    round (stores keep decoded code coherent, as on QEMU)."""
    nop = enc("addi", rd=0, rs1=0, imm=0)
    body = [nop, OLD_INSN] + PATCHES[patch] + [("addi", dict(rd=7, rs1=7, imm=1))]
    back = -len(assemble(body[1:] + [("beq", dict(rs1=7, rs2=12, imm=8))]))
    code = body + [("beq", dict(rs1=7, rs2=12, imm=8)), ("jal", dict(rd=0, imm=back))]
    image = assemble(code)
    # the misaligned sd rewrites CODE+2..CODE+9 with the bytes around the new word unchanged
    sd_value = int.from_bytes(image[2:4] + struct.pack("<I", NEW_INSN) + image[8:10], "little")
    regs = {10: CODE + 4, 11: NEW_INSN, 12: 2, 13: OLD_INSN ^ NEW_INSN, 16: CODE + 2,
            17: sd_value}
    m = run(code, regs=regs, budget=3 * len(code) + 4)
    assert finished(m), trap_info(m)
    assert m.harts[0].x[6] == 101
    if patch == "lr.w+sc.w":
        assert m.harts[0].x[14] == 0              # both times round the sc succeeded


# the CSRs the run loop reads inline (csrr, IF_CSRR), by privilege that may read them
INLINE_READS = {1: ["sstatus", "sie", "stvec", "sscratch", "sepc", "scause", "stval", "satp"],
                3: ["mstatus", "medeleg", "mideleg", "mie", "mtvec", "mscratch", "mepc", "mcause",
                    "mtval", "mhartid", "sepc", "satp"]}


@pytest.mark.parametrize("priv", sorted(INLINE_READS))
def test_csrr_of_trap_csrs_in_one_run(priv):
    """A run of csrr instructions (read inline by the loop) sees each CSR's value, the one the
    host reads, and the instruction after them still runs."""
    names = INLINE_READS[priv]
    nums = {n: csrdefs.CSRS[n] for n in names}
    words = [csr_insn("csrrs", nums[n], rd=5 + i, rs1=0) for i, n in enumerate(names)]
    words.append(enc("addi", rd=31, rs1=0, imm=7))

    def setup(m):
        h = m.harts[0]
        for k, n in enumerate(names):
            if n not in ("mhartid", "mstatus", "sstatus", "satp"):
                h.set_csr(n, 0x100 * (k + 1))       # aligned: the xtvec and xepc WARL keep it
        h.set_csr("mstatus", h.csr("mstatus") | (1 << 18))          # SUM, seen in sstatus too

    m = run(words, priv=priv, budget=len(words), setup=setup)
    h = m.harts[0]
    assert h.x[31] == 7
    for i, n in enumerate(names):
        assert h.x[5 + i] == h.csr(n), n


def test_debug_trigger_probe_finds_no_triggers():
    """Sdtrig probing as riscv-tests' breakpoint test and debuggers do it: tselect keeps 0 (a
    written index does not read back), tdata1.type is 0 ("no trigger"), tinfo is 1; writes to
    tdata1/tdata2 change nothing.  M-mode registers: illegal from S."""
    words = [enc("addi", rd=6, rs1=0, imm=5),
             csr_insn("csrrw", 0x7A0, rd=0, rs1=0), csr_insn("csrrs", 0x7A0, rd=7, rs1=0),
             csr_insn("csrrw", 0x7A0, rd=0, rs1=6), csr_insn("csrrs", 0x7A0, rd=8, rs1=0),
             csr_insn("csrrw", 0x7A1, rd=0, rs1=6), csr_insn("csrrs", 0x7A1, rd=9, rs1=0),
             csr_insn("csrrw", 0x7A2, rd=0, rs1=6), csr_insn("csrrs", 0x7A2, rd=10, rs1=0),
             csr_insn("csrrs", 0x7A3, rd=11, rs1=0), csr_insn("csrrs", 0x7A4, rd=12, rs1=0)]
    m = run(words, regs={r: 0xEE for r in range(7, 13)}, budget=len(words))
    h = m.harts[0]
    assert [h.x[r] for r in range(7, 13)] == [0, 0, 0, 0, 0, 1]
    assert h.pc == CODE + 4 * len(words)
    for csr in range(0x7A0, 0x7A5):
        w = csr_insn("csrrs", csr, rd=5, rs1=0)
        assert_illegal(exec_csr(w, priv=1), w)
