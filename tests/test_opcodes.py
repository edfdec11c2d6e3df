"""Checks of the encoding table (rvemu/opcodes.py) and the disassembler built on it.

  a. every row's ``encode()`` agrees bit for bit with clang (the ziglang package) for extreme
     and random operands -- one clang run for the whole session;
  b. ``decode(encode(...))`` gives back the row and its operands;
  c. rows overlap only where an earlier, more specific row deliberately shadows a later one;
  d. every 16-bit word decodes exactly as an independent, hand-written classification of the
     spec's RVC opcode map says (reserved and F/D encodings are illegal); likewise random and
     near-miss 32-bit words against a hand-written RV64IMA/Zicsr/privileged classification;
     and every compressed row expands to the base instruction the spec gives;
  e. disassembler strings.

The clang tests skip when the ziglang package is missing; the rest need only rvemu.

The assembly text here is made independently of rvemu/disasm.py (x-register names, numeric
CSRs, numeric branch offsets) so that the two check each other.
"""

from __future__ import annotations

import os
import random
import re
import struct
import subprocess
import sys

import pytest

from rvemu import disasm, opcodes

ROWS = opcodes.INSTRUCTIONS
ROW_IDS = [r.name for r in ROWS]

# Spec constraints that the table expresses by row order rather than in the row itself:
# operand values for which the word is a different (earlier) row.  RVC chapter: c.mv and c.add
# need rs2 != x0 (else c.jr / c.jalr / c.ebreak), c.jalr needs rs1 != x0 (else c.ebreak),
# c.lui needs rd != x2 (else c.addi16sp).
EXCLUDED = {
    "c.mv": {"rs2": 0},
    "c.add": {"rs2": 0},
    "c.jalr": {"rs1": 0},
    "c.lui": {"rd": 2},
}


# --------------------------------------------------------------------------------------------
# Operand generation
# --------------------------------------------------------------------------------------------

def _field_range(fld: opcodes.Field):
    """(lowest, highest, step) of the values a field can hold."""
    step = 1 << min(vlo for _, _, vlo in fld.slices)
    if fld.signed:
        lo, hi = -(1 << (fld.width - 1)), (1 << (fld.width - 1)) - step
    else:
        lo, hi = 0, (1 << fld.width) - step
    return lo + fld.add, hi + fld.add, step


def _free_operands(insn: opcodes.Insn):
    """Operand name -> Field for the operands an assembler spells out (one of each twin)."""
    fixed = dict(insn.fixed)
    out = {}
    for name, fld in insn.operands.items():
        if name in fixed or any(f is fld for f in out.values()):
            continue
        out[name] = fld
    return out


def _allowed(insn, name, value):
    if value == 0 and name in insn.nonzero:
        return False
    return EXCLUDED.get(insn.name, {}).get(name) != value


def _candidates(insn, name, fld):
    lo, hi, step = _field_range(fld)
    values = [lo, hi, lo + step, hi - step, step, -step, 0]
    values = [v for v in values if fld.fits(v) and _allowed(insn, name, v)]
    return list(dict.fromkeys(values))          # dedupe, keep order


def operand_sets(insn: opcodes.Insn, n_random: int = 4):
    """Deterministic operand dicts for a row: extremes first, then random values."""
    free = _free_operands(insn)
    if not free:
        return [{}]
    rng = random.Random(insn.name)
    cands = {n: _candidates(insn, n, f) for n, f in free.items()}
    sets = []
    for k in range(max(len(c) for c in cands.values())):
        sets.append({n: c[(k + i) % len(c)] for i, (n, c) in enumerate(cands.items())})
    for _ in range(n_random):
        ops = {}
        for n, f in free.items():
            lo, hi, step = _field_range(f)
            while True:
                v = rng.randrange(lo, hi + 1, step)
                if _allowed(insn, n, v):
                    break
            ops[n] = v
        sets.append(ops)
    unique = []
    for s in sets:
        if s not in unique:
            unique.append(s)
    return unique


def expected_operands(insn, ops):
    """What decode() should return for encode(insn.name, **ops)."""
    out = dict(insn.fixed)
    for name, fld in insn.operands.items():
        if name in ops:
            out[name] = ops[name]
        else:
            twin = [o for o, f in insn.operands.items() if f is fld and o in ops]
            out.setdefault(name, ops[twin[0]] if twin else fld.add)
    return out


def care_mask(insn):
    """Bits the table defines: the mask plus every operand field (the rest are don't-care,
    e.g. fence's pred/succ and the AMO aq/rl bits)."""
    m = insn.mask
    for fld in insn.operands.values():
        m |= fld.insert(-1 if fld.signed else (1 << fld.width) - 1 + fld.add)
    return m


# --------------------------------------------------------------------------------------------
# Assembly text, written independently of disasm.py
# --------------------------------------------------------------------------------------------

def asm_text(insn, ops):
    full = expected_operands(insn, ops)

    def tok(t):
        if t in ("rd", "rs1", "rs2"):
            return f"x{full[t]}"
        if t == "sp":
            return "x2"
        if t == "imm" or t == "pcrel":         # clang reads a bare number as a pc offset
            return str(full["imm"])
        if t == "uimm":
            return str((full["imm"] >> 12) & 0xFFFFF)
        if t == "csr":
            return str(full["imm"] & 0xFFF)
        if t == "zimm":
            return str(full["rs1"])
        raise AssertionError(t)

    parts = []
    for item in filter(None, insn.syntax.split(",")):
        m = re.fullmatch(r"(\w*)\((\w+)\)", item)
        parts.append(f"{tok(m[1]) if m[1] else ''}({tok(m[2])})" if m else tok(item))
    return insn.name + (" " + ", ".join(parts) if parts else "")


# --------------------------------------------------------------------------------------------
# clang (ziglang) as the reference assembler
# --------------------------------------------------------------------------------------------

MCPU = "generic_rv64+m+a+c+zicsr+zifencei"


def elf_text(elf: bytes) -> bytes:
    """The .text section of an ELF64 little-endian object (zig objcopy would first spend
    ~10 s building itself into an empty cache)."""
    assert elf[:4] == b"\x7fELF" and elf[4] == 2 and elf[5] == 1
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)

    def section(i):        # (name offset, file offset, size)
        name, = struct.unpack_from("<I", elf, shoff + i * shentsize)
        offset, size = struct.unpack_from("<QQ", elf, shoff + i * shentsize + 0x18)
        return name, offset, size

    strtab = section(shstrndx)[1]
    for i in range(shnum):
        name, offset, size = section(i)
        if elf[strtab + name:elf.index(b"\0", strtab + name)] == b".text":
            return elf[offset:offset + size]
    raise AssertionError("no .text section")


def clang_assemble(lines, workdir):
    """Assemble ``lines`` (each one instruction, or a directive) with one clang run.

    Returns (code bytes, {line index: error message}).  Lines clang rejects are dropped and the
    rest assembled again, so one bad line does not hide the others."""
    pytest.importorskip("ziglang")
    env = dict(os.environ, ZIG_GLOBAL_CACHE_DIR=str(workdir / "zig-cache"),
               ZIG_LOCAL_CACHE_DIR=str(workdir / "zig-cache"))
    errors = {}
    keep = list(range(len(lines)))
    for _attempt in range(2):
        src, obj = workdir / "t.S", workdir / "t.o"
        src.write_text(".option norelax\n" + "".join(lines[i] + "\n" for i in keep))
        r = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-g0", "-target",
                            "riscv64-freestanding-none", f"-mcpu={MCPU}", "-c", str(src),
                            "-o", str(obj)], capture_output=True, text=True, env=env)
        if r.returncode == 0:
            return elf_text(obj.read_bytes()), errors
        bad = set()
        for m in re.finditer(r"t\.S:(\d+):\d+: error: (.*)", r.stderr):
            idx = keep[int(m[1]) - 2]           # line 1 is the .option
            bad.add(idx)
            errors.setdefault(idx, m[2])
        if not bad:
            raise RuntimeError("clang failed:\n" + r.stderr)
        keep = [i for i in keep if i not in bad]
    raise RuntimeError("clang still failing after dropping bad lines:\n" + r.stderr)


@pytest.fixture(scope="session")
def clang_words(tmp_path_factory):
    """{row name: [(operands, asm text, clang's word or error string)]} for every row."""
    cases = [(insn, ops) for insn in ROWS for ops in operand_sets(insn)]
    lines = []
    for i, (insn, ops) in enumerate(cases):
        if i == 0 or insn.length != cases[i - 1][0].length:
            lines.append(".option rvc" if insn.length == 2 else ".option norvc")
        lines.append(asm_text(insn, ops))
    code, errors = clang_assemble(lines, tmp_path_factory.mktemp("clang"))
    out = {r.name: [] for r in ROWS}
    pos = 0
    li = 0
    for insn, ops in cases:
        while lines[li].startswith(".option"):
            li += 1
        if li in errors:
            out[insn.name].append((ops, lines[li], f"clang error: {errors[li]}"))
        else:
            out[insn.name].append((ops, lines[li],
                                   int.from_bytes(code[pos:pos + insn.length], "little")))
            pos += insn.length
        li += 1
    assert pos == len(code), "clang emitted a different number of bytes than expected"
    return out


# --------------------------------------------------------------------------------------------
# a. encode() == clang
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("insn", ROWS, ids=ROW_IDS)
def test_encode_matches_clang(insn, clang_words):
    care = care_mask(insn)
    bad = []
    for ops, text, ref in clang_words[insn.name]:
        mine = opcodes.encode(insn.name, **ops)
        if isinstance(ref, str) or (mine ^ ref) & care:
            shown = ref if isinstance(ref, str) else hex(ref)
            bad.append(f"{text!r}: encode={mine:#x} clang={shown}")
    assert not bad, "\n".join(bad)


# --------------------------------------------------------------------------------------------
# b. decode(encode()) round trip, and encode() range checks
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("insn", ROWS, ids=ROW_IDS)
def test_decode_encode_roundtrip(insn):
    for ops in operand_sets(insn, n_random=40):
        word = opcodes.encode(insn.name, **ops)
        assert word & insn.mask == insn.match
        got = opcodes.decode(word)
        assert got is not None, f"{insn.name} {ops}: {word:#x} decodes as illegal"
        row, dops = got
        assert row.name == insn.name, f"{insn.name} {ops}: {word:#x} decodes as {row.name}"
        assert dops == expected_operands(insn, ops)


@pytest.mark.parametrize("insn", ROWS, ids=ROW_IDS)
def test_encode_rejects_out_of_range(insn):
    for name, fld in _free_operands(insn).items():
        lo, hi, step = _field_range(fld)
        bad = [lo - step, hi + step] + ([lo + step // 2] if step > 1 else [])
        for v in bad:
            with pytest.raises(ValueError):
                opcodes.encode(insn.name, **{name: v})
    if insn.fixed:
        name, value = insn.fixed[0]
        with pytest.raises(ValueError):
            opcodes.encode(insn.name, **{name: value + 1})


def test_encode_rejects_disagreeing_twins():
    with pytest.raises(ValueError):
        opcodes.encode("c.addi", rd=10, rs1=5, imm=1)


# --------------------------------------------------------------------------------------------
# c. overlapping rows
# --------------------------------------------------------------------------------------------

# Rows that may overlap: (earlier, later).  All are in RVC, where the spec carves special
# cases out of a general encoding, and the table lists the special case first.  The earlier
# row must be strictly more specific (match a subset of the later row's words), so "first match
# wins" picks it; any other overlap would be an ambiguity in the table.
#   quadrant 2, funct3=4, bit 12=0:  c.jr (rs2=0) is carved out of c.mv;
#   quadrant 2, funct3=4, bit 12=1:  c.ebreak (rs1=rs2=0) out of c.jalr (rs2=0), and both out
#                                    of c.add;
#   quadrant 1, funct3=3:            c.addi16sp (rd=2) out of c.lui.
INTENDED_SHADOWING = {
    ("c.jr", "c.mv"),
    ("c.ebreak", "c.jalr"),
    ("c.ebreak", "c.add"),
    ("c.jalr", "c.add"),
    ("c.addi16sp", "c.lui"),
}


def _overlap(a, b):
    return a.length == b.length and (a.match ^ b.match) & a.mask & b.mask == 0


def test_rows_overlap_only_where_intended():
    found = set()
    for i, a in enumerate(ROWS):
        for b in ROWS[i + 1:]:
            if _overlap(a, b):
                found.add((a.name, b.name))
                # a is strictly more specific: every word a matches, b matches too
                assert a.mask & b.mask == b.mask and a.match & b.mask == b.match, (a.name, b.name)
    assert found == INTENDED_SHADOWING


# The spec's expansion of every RV64C instruction (RVC chapter), written independently of the
# table: base instruction and the operands the expansion fixes (a number) or ties to another
# operand (a name).
RVC_EXPANSIONS = {
    "c.addi4spn": ("addi", {"rs1": 2}), "c.lw": ("lw", {}), "c.ld": ("ld", {}),
    "c.sw": ("sw", {}), "c.sd": ("sd", {}),
    "c.addi": ("addi", {"rs1": "rd"}), "c.addiw": ("addiw", {"rs1": "rd"}),
    "c.li": ("addi", {"rs1": 0}), "c.addi16sp": ("addi", {"rd": 2, "rs1": 2}),
    "c.lui": ("lui", {}), "c.srli": ("srli", {"rs1": "rd"}), "c.srai": ("srai", {"rs1": "rd"}),
    "c.andi": ("andi", {"rs1": "rd"}),
    "c.sub": ("sub", {"rs1": "rd"}), "c.xor": ("xor", {"rs1": "rd"}),
    "c.or": ("or", {"rs1": "rd"}), "c.and": ("and", {"rs1": "rd"}),
    "c.subw": ("subw", {"rs1": "rd"}), "c.addw": ("addw", {"rs1": "rd"}),
    "c.j": ("jal", {"rd": 0}), "c.beqz": ("beq", {"rs2": 0}), "c.bnez": ("bne", {"rs2": 0}),
    "c.slli": ("slli", {"rs1": "rd"}), "c.lwsp": ("lw", {"rs1": 2}), "c.ldsp": ("ld", {"rs1": 2}),
    "c.jr": ("jalr", {"rd": 0, "imm": 0}), "c.mv": ("add", {"rs1": 0}),
    "c.ebreak": ("ebreak", {}), "c.jalr": ("jalr", {"rd": 1, "imm": 0}),
    "c.add": ("add", {"rs1": "rd"}), "c.swsp": ("sw", {"rs1": 2}), "c.sdsp": ("sd", {"rs1": 2}),
}


def test_compressed_rows_are_the_spec_set():
    assert {r.name for r in ROWS if r.length == 2} == set(RVC_EXPANSIONS)
    assert all((r.expands is None) == (r.length == 4) for r in ROWS)


@pytest.mark.parametrize("insn", [r for r in ROWS if r.length == 2],
                         ids=[r.name for r in ROWS if r.length == 2])
def test_compressed_expansion(insn):
    base_name, ties = RVC_EXPANSIONS[insn.name]
    assert insn.expands == base_name
    base = opcodes.BY_NAME[base_name]
    for ops in operand_sets(insn, n_random=20):
        _, dops = opcodes.decode(opcodes.encode(insn.name, **ops))
        assert set(base.operands) <= set(dops), f"{insn.name}: missing base operands"
        for op, want in ties.items():
            assert dops[op] == (dops[want] if isinstance(want, str) else want), (insn.name, op)
        # the expansion is itself a valid base instruction with the same operands
        base_ops = {k: dops[k] for k in base.operands}
        row, bops = opcodes.decode(opcodes.encode(base_name, **base_ops))
        assert row is base and bops == base_ops


def test_names_unique():
    assert len(set(ROW_IDS)) == len(ROW_IDS)


# --------------------------------------------------------------------------------------------
# d. every 16-bit word against an independent reading of the RVC opcode map (RV64C)
# --------------------------------------------------------------------------------------------

def rvc_spec_name(h):
    """The RV64C instruction a 16-bit word is, or None if reserved or not implemented.

    Written from the spec's RVC opcode map and instruction descriptions, not from the table.
    HINTs (rd=x0 forms, zero shift amounts, c.addi with imm 0...) are legal instructions.
    c.fld/c.fsd/c.fldsp/c.fsdsp are illegal because rvemu has no D extension."""
    q, f3 = h & 3, h >> 13
    b12 = h >> 12 & 1
    rd = h >> 7 & 0x1F
    rs2 = h >> 2 & 0x1F
    imm6_zero = b12 == 0 and rs2 == 0            # CI-format immediate bits 12 and 6:2 all zero
    if q == 0:
        if f3 == 0:
            return None if h >> 5 & 0xFF == 0 else "c.addi4spn"   # nzuimm = 0 reserved
        return {2: "c.lw", 3: "c.ld", 6: "c.sw", 7: "c.sd"}.get(f3)  # 1,5: F/D; 4: reserved
    if q == 1:
        if f3 == 1:
            return None if rd == 0 else "c.addiw"
        if f3 == 3:
            if imm6_zero:
                return None                     # c.addi16sp and c.lui with imm 0: reserved
            return "c.addi16sp" if rd == 2 else "c.lui"
        if f3 == 4:
            funct2 = h >> 10 & 3
            if funct2 < 3:
                return ("c.srli", "c.srai", "c.andi")[funct2]
            op = h >> 5 & 3
            if b12 == 0:
                return ("c.sub", "c.xor", "c.or", "c.and")[op]
            return ("c.subw", "c.addw", None, None)[op]
        return {0: "c.addi", 2: "c.li", 5: "c.j", 6: "c.beqz", 7: "c.bnez"}[f3]
    if q == 2:
        if f3 in (2, 3):
            return None if rd == 0 else ("c.lwsp", "c.ldsp")[f3 - 2]
        if f3 == 4:
            if b12 == 0:
                if rs2 == 0:
                    return None if rd == 0 else "c.jr"
                return "c.mv"
            if rs2 == 0:
                return "c.ebreak" if rd == 0 else "c.jalr"
            return "c.add"
        return {0: "c.slli", 6: "c.swsp", 7: "c.sdsp"}.get(f3)      # 1,5: F/D
    raise AssertionError("not a 16-bit instruction")


def test_every_16bit_word():
    bad = []
    for h in range(0x10000):
        if h & 3 == 3:
            continue
        d = opcodes.decode(h)
        got = d[0].name if d else None
        want = rvc_spec_name(h)
        if got != want:
            bad.append(f"{h:#06x}: decode={got} spec={want}")
    assert not bad, f"{len(bad)} mismatches, first: " + "; ".join(bad[:20])


def rv64_spec_name(w):
    """The instruction a 32-bit word is (RV64I, M, A, Zicsr, Zifencei, the privileged
    instructions), or None; from the spec's opcode map and instruction listings, not the table.
    Fields the spec says to ignore (fence pred/succ/fm, fence.i's rd/rs1/imm, AMO aq/rl) are
    ignored."""
    opc, rd, f3, rs1, rs2 = w & 0x7F, w >> 7 & 0x1F, w >> 12 & 7, w >> 15 & 0x1F, w >> 20 & 0x1F
    f7 = w >> 25
    simple = {0x37: "lui", 0x17: "auipc", 0x6F: "jal"}
    if opc in simple:
        return simple[opc]
    by_f3 = {
        0x67: ["jalr"],
        0x63: ["beq", "bne", None, None, "blt", "bge", "bltu", "bgeu"],
        0x03: ["lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"],
        0x23: ["sb", "sh", "sw", "sd"],
        0x0F: ["fence", "fence.i"],
    }
    if opc in by_f3:
        names = by_f3[opc]
        return names[f3] if f3 < len(names) else None
    if opc == 0x13:
        if f3 == 1:
            return "slli" if w >> 26 == 0 else None
        if f3 == 5:
            return {0: "srli", 0x10: "srai"}.get(w >> 26)
        return ["addi", None, "slti", "sltiu", "xori", None, "ori", "andi"][f3]
    if opc == 0x1B:
        return {(0, None): "addiw", (1, 0): "slliw", (5, 0): "srliw", (5, 0x20): "sraiw"}.get(
            (f3, None if f3 == 0 else f7))
    if opc == 0x33:
        if f7 == 0:
            return ["add", "sll", "slt", "sltu", "xor", "srl", "or", "and"][f3]
        if f7 == 1:
            return ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"][f3]
        if f7 == 0x20:
            return {0: "sub", 5: "sra"}.get(f3)
        return None
    if opc == 0x3B:
        return {(0, 0): "addw", (1, 0): "sllw", (5, 0): "srlw", (0, 0x20): "subw",
                (5, 0x20): "sraw", (0, 1): "mulw", (4, 1): "divw", (5, 1): "divuw",
                (6, 1): "remw", (7, 1): "remuw"}.get((f3, f7))
    if opc == 0x2F:
        if f3 not in (2, 3):
            return None
        f5 = w >> 27
        if f5 == 2:
            name = "lr" if rs2 == 0 else None
        else:
            name = {3: "sc", 1: "amoswap", 0: "amoadd", 4: "amoxor", 0xC: "amoand", 8: "amoor",
                    0x10: "amomin", 0x14: "amomax", 0x18: "amominu", 0x1C: "amomaxu"}.get(f5)
        return name and name + (".w" if f3 == 2 else ".d")
    if opc == 0x73:
        if f3 == 0:
            exact = {0x00000073: "ecall", 0x00100073: "ebreak", 0x10200073: "sret",
                     0x30200073: "mret", 0x10500073: "wfi"}
            if w in exact:
                return exact[w]
            return "sfence.vma" if f7 == 0x09 and rd == 0 else None
        return [None, "csrrw", "csrrs", "csrrc", None, "csrrwi", "csrrsi", "csrrci"][f3]
    return None


def test_32bit_words():
    """Random words in every major opcode, and for every row words it matches and their
    neighbours with one bit of the row's mask flipped."""
    rng = random.Random(32)
    words = [rng.getrandbits(32) | 3 for _ in range(2000)]
    for opc in range(3, 0x80, 4):
        words += [rng.getrandbits(25) << 7 | opc for _ in range(100)]
    for insn in ROWS:
        if insn.length != 4:
            continue
        for _ in range(10):
            # sparse random operand bits: many distinctions are "this field is zero"
            w = insn.match | rng.getrandbits(32) & rng.getrandbits(32) & ~insn.mask
            words.append(w)
            words += [w ^ (1 << b) for b in range(2, 32) if insn.mask >> b & 1]
    bad = []
    for w in words:
        d = opcodes.decode(w)
        got = d[0].name if d else None
        if got != rv64_spec_name(w):
            bad.append(f"{w:#010x}: decode={got} spec={rv64_spec_name(w)}")
    assert not bad, f"{len(bad)} mismatches, first: " + "; ".join(bad[:20])


def test_upper_half_ignored_for_16bit():
    assert opcodes.decode(0xDEAD0001)[0].name == "c.addi"
    assert opcodes.decode(0xFFFF0000) is None


# --------------------------------------------------------------------------------------------
# e. disassembler
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("word, pc, text", [
    (0xFF558513, 0, "addi a0, a1, -11"),
    (0x00B50863, 0x80000000, "beq a0, a1, 0x80000010"),
    (0x800000E3, 0x1000, "beq zero, zero, 0x800"),
    (0x801FF0EF, 0x800, "jal ra, 0x0"),
    (0x00000513 | 0x7FF << 20, 0, "addi a0, zero, 2047"),
    (0xFFFFF537, 0, "lui a0, 0xfffff"),
    (0x00001517, 0, "auipc a0, 0x1"),
    (0x00853503, 0, "ld a0, 8(a0)"),
    (0x80058567, 0, "jalr a0, -2048(a1)"),
    (0xFEB13C23, 0, "sd a1, -8(sp)"),
    (0x30059573, 0, "csrrw a0, mstatus, a1"),
    (0x7C0595F3, 0, "csrrw a1, 0x7c0, a1"),
    (0x34015073, 0, "csrrwi zero, mscratch, 2"),
    (0x1005A52F, 0, "lr.w a0, (a1)"),
    (0x18C5B52F, 0, "sc.d a0, a2, (a1)"),
    (0x03F59513, 0, "slli a0, a1, 63"),
    (0x0FF0000F, 0, "fence"),
    (0x00000073, 0, "ecall"),
    (0x30200073, 0, "mret"),
    (0x12B50073, 0, "sfence.vma a0, a1"),
    (0x0001, 0, "c.addi zero, 0"),
    (0x0505, 0, "c.addi a0, 1"),
    (0x1FE8, 0, "c.addi4spn a0, sp, 1020"),
    (0x557E, 0, "c.lwsp a0, 252(sp)"),
    (0xFFAA, 0, "c.sdsp a0, 504(sp)"),
    (0x7101, 0, "c.addi16sp sp, -512"),
    (0x6505, 0, "c.lui a0, 0x1"),
    (0x7501, 0, "c.lui a0, 0xfffe0"),
    (0xB001, 0x1000, "c.j 0x800"),
    (0xD101, 0x100, "c.beqz a0, 0x0"),
    (0x8502, 0, "c.jr a0"),
    (0x9502, 0, "c.jalr a0"),
    (0x852E, 0, "c.mv a0, a1"),
    (0x8D0D, 0, "c.sub a0, a1"),
    (0x9002, 0, "c.ebreak"),
    (0x6188, 0, "c.ld a0, 0(a1)"),
    (0x0000, 0, ".insn 2, 0x0000"),
    (0x8002, 0, ".insn 2, 0x8002"),
    (0xFFFFFFFF, 0, ".insn 4, 0xffffffff"),
    (0x0000007F, 0, ".insn 4, 0x0000007f"),
])
def test_disasm_strings(word, pc, text):
    assert disasm.disassemble(word, pc) == text


def test_disasm_wraps_target():
    assert disasm.disassemble(0xFE000E63, 0) == "beq zero, zero, 0xfffffffffffff7fc"


def test_instruction_length():
    assert disasm.instruction_length(0x0513) == 4
    assert [disasm.instruction_length(q) for q in range(4)] == [2, 2, 2, 4]
    assert disasm.instruction_length(0xFFFF) == 4


@pytest.mark.parametrize("insn", ROWS, ids=ROW_IDS)
def test_disasm_every_row(insn):
    for ops in operand_sets(insn, n_random=20):
        word = opcodes.encode(insn.name, **ops)
        text = disasm.disassemble(word, pc=0x80000000)
        assert text.split(" ")[0] == insn.name, text
        n_args = len([p for p in insn.syntax.split(",") if p])
        assert (text.count(",") + 1 if " " in text else 0) == n_args, text
