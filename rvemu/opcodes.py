"""The RISC-V instruction encoding table: the one source of truth for encodings.

Owns: every instruction rvemu implements (RV64I, M, A, C, Zicsr, Zifencei and the privileged
instructions), as (name, match, mask, format) rows, and the operand formats as declarative bit
slices.  Three things are derived from it and nothing else:

  * the Cython decoder (``rvemu/_gendecode.py`` writes ``_decode.pxi`` at build time),
  * the disassembler (``rvemu/disasm.py``),
  * the encoder the tests assemble with (``encode()`` below).

An instruction word ``w`` is instruction ``i`` when ``w & i.mask == i.match``; rows are tried in
order within a major opcode, first match wins.  Compressed rows name the base instruction they
expand to (RISC-V unprivileged spec, chapter "C" Standard Extension, table "RVC opcode map"),
plus operands that the expansion fixes (``c.jal``-style implicit registers) and operands that
must be non-zero (the spec's *reserved* encodings, which raise illegal instruction).

This module is pure Python with no imports from the package, so the build can load it before
anything is compiled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

# --------------------------------------------------------------------------------------------
# Operand fields.  A field is a list of slices (insn_hi, insn_lo, value_lo): bits
# insn[hi:lo] land at value[value_lo + hi - lo : value_lo].  ``signed`` sign-extends from the
# highest value bit; ``add`` is added afterwards (the compressed 3-bit registers x8..x15).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    slices: Tuple[Tuple[int, int, int], ...]
    signed: bool = False
    add: int = 0

    @property
    def width(self) -> int:
        return max(vlo + hi - lo + 1 for hi, lo, vlo in self.slices)

    def extract(self, word: int) -> int:
        v = 0
        for hi, lo, vlo in self.slices:
            v |= ((word >> lo) & ((1 << (hi - lo + 1)) - 1)) << vlo
        if self.signed and v >> (self.width - 1) & 1:
            v -= 1 << self.width
        return v + self.add

    def insert(self, value: int) -> int:
        """Bits of an instruction word that encode ``value`` (the inverse of extract)."""
        value -= self.add
        value &= (1 << self.width) - 1
        w = 0
        for hi, lo, vlo in self.slices:
            w |= ((value >> vlo) & ((1 << (hi - lo + 1)) - 1)) << lo
        return w

    def fits(self, value: int) -> bool:
        v = value - self.add
        # bits below the lowest value bit must be zero (scaled immediates)
        low = min(vlo for _, _, vlo in self.slices)
        if v & ((1 << low) - 1):
            return False
        if self.signed:
            return -(1 << (self.width - 1)) <= v < (1 << (self.width - 1))
        return 0 <= v < (1 << self.width)


def F(*slices, signed=False, add=0) -> Field:
    return Field(tuple(slices), signed, add)


RD = F((11, 7, 0))
RS1 = F((19, 15, 0))
RS2 = F((24, 20, 0))
CRD = F((11, 7, 0))            # full 5-bit register in compressed formats (rd/rs1)
CRS2 = F((6, 2, 0))            # full 5-bit rs2 in CR/CSS formats
CRDP = F((4, 2, 0), add=8)     # rd'  / rs2' (bits 4:2)
CRS1P = F((9, 7, 0), add=8)    # rs1' / rd'  (bits 9:7)

# Operand formats: operand name -> Field.  Operands are rd, rs1, rs2, imm.
FORMATS: Dict[str, Dict[str, Field]] = {
    "R": {"rd": RD, "rs1": RS1, "rs2": RS2},
    "I": {"rd": RD, "rs1": RS1, "imm": F((31, 20, 0), signed=True)},
    "S": {"rs1": RS1, "rs2": RS2, "imm": F((31, 25, 5), (11, 7, 0), signed=True)},
    "B": {"rs1": RS1, "rs2": RS2,
          "imm": F((31, 31, 12), (30, 25, 5), (11, 8, 1), (7, 7, 11), signed=True)},
    "U": {"rd": RD, "imm": F((31, 12, 12), signed=True)},
    "J": {"rd": RD, "imm": F((31, 31, 20), (30, 21, 1), (20, 20, 11), (19, 12, 12), signed=True)},
    "SH6": {"rd": RD, "rs1": RS1, "imm": F((25, 20, 0))},          # RV64 shift by shamt[5:0]
    "SH5": {"rd": RD, "rs1": RS1, "imm": F((24, 20, 0))},          # W shift by shamt[4:0]
    "CSR": {"rd": RD, "rs1": RS1, "imm": F((31, 20, 0))},          # imm = CSR number
    "CSRI": {"rd": RD, "rs1": RS1, "imm": F((31, 20, 0))},         # rs1 field = uimm[4:0]
    "AMO": {"rd": RD, "rs1": RS1, "rs2": RS2},
    "LR": {"rd": RD, "rs1": RS1},
    "SFENCE": {"rs1": RS1, "rs2": RS2},
    "NONE": {},
    # --- compressed (RVC) -------------------------------------------------------------------
    "CIW": {"rd": CRDP, "imm": F((12, 11, 4), (10, 7, 6), (6, 6, 2), (5, 5, 3))},
    "CLW": {"rd": CRDP, "rs1": CRS1P, "imm": F((12, 10, 3), (6, 6, 2), (5, 5, 6))},
    "CLD": {"rd": CRDP, "rs1": CRS1P, "imm": F((12, 10, 3), (6, 5, 6))},
    "CSW": {"rs2": CRDP, "rs1": CRS1P, "imm": F((12, 10, 3), (6, 6, 2), (5, 5, 6))},
    "CSD": {"rs2": CRDP, "rs1": CRS1P, "imm": F((12, 10, 3), (6, 5, 6))},
    "CI": {"rd": CRD, "rs1": CRD, "imm": F((12, 12, 5), (6, 2, 0), signed=True)},
    "CLI": {"rd": CRD, "imm": F((12, 12, 5), (6, 2, 0), signed=True)},
    "C16SP": {"imm": F((12, 12, 9), (6, 6, 4), (5, 5, 6), (4, 3, 7), (2, 2, 5), signed=True)},
    "CLUI": {"rd": CRD, "imm": F((12, 12, 17), (6, 2, 12), signed=True)},
    "CSHIFT": {"rd": CRS1P, "rs1": CRS1P, "imm": F((12, 12, 5), (6, 2, 0))},
    "CANDI": {"rd": CRS1P, "rs1": CRS1P, "imm": F((12, 12, 5), (6, 2, 0), signed=True)},
    "CA": {"rd": CRS1P, "rs1": CRS1P, "rs2": CRDP},
    "CJ": {"imm": F((12, 12, 11), (11, 11, 4), (10, 9, 8), (8, 8, 10), (7, 7, 6), (6, 6, 7),
                    (5, 3, 1), (2, 2, 5), signed=True)},
    "CB": {"rs1": CRS1P, "imm": F((12, 12, 8), (11, 10, 3), (6, 5, 6), (4, 3, 1), (2, 2, 5),
                                  signed=True)},
    "CSLLI": {"rd": CRD, "rs1": CRD, "imm": F((12, 12, 5), (6, 2, 0))},
    "CLWSP": {"rd": CRD, "imm": F((12, 12, 5), (6, 4, 2), (3, 2, 6))},
    "CLDSP": {"rd": CRD, "imm": F((12, 12, 5), (6, 5, 3), (4, 2, 6))},
    "CJR": {"rs1": CRD},
    "CMV": {"rd": CRD, "rs2": CRS2},
    "CADD": {"rd": CRD, "rs1": CRD, "rs2": CRS2},
    "CSWSP": {"rs2": CRS2, "imm": F((12, 9, 2), (8, 7, 6))},
    "CSDSP": {"rs2": CRS2, "imm": F((12, 10, 3), (9, 7, 6))},
    "CNONE": {},
}


@dataclass(frozen=True)
class Insn:
    name: str
    match: int
    mask: int
    fmt: str
    syntax: str                    # operand syntax for the disassembler / assembler
    ext: str                       # extension it belongs to (I, M, A, C, Zicsr, ...)
    expands: Optional[str] = None  # compressed only: the base instruction it means
    fixed: Tuple[Tuple[str, int], ...] = ()      # compressed only: operands the expansion fixes
    nonzero: Tuple[str, ...] = ()  # operands whose zero value is a reserved encoding

    @property
    def length(self) -> int:
        return 2 if self.match & 3 != 3 else 4

    @property
    def operands(self) -> Dict[str, Field]:
        return FORMATS[self.fmt]

    @property
    def op_name(self) -> str:
        """The executor's name for this instruction: OP_<BASE> (compressed rows expand)."""
        base = self.expands or self.name
        return "OP_" + base.upper().replace(".", "_")


# Default syntax per format.
_SYNTAX = {
    "R": "rd,rs1,rs2", "I": "rd,rs1,imm", "S": "rs2,imm(rs1)", "B": "rs1,rs2,pcrel",
    "U": "rd,uimm", "J": "rd,pcrel", "SH6": "rd,rs1,imm", "SH5": "rd,rs1,imm",
    "CSR": "rd,csr,rs1", "CSRI": "rd,csr,zimm", "AMO": "rd,rs2,(rs1)", "LR": "rd,(rs1)",
    "SFENCE": "rs1,rs2", "NONE": "",
    "CIW": "rd,sp,imm", "CLW": "rd,imm(rs1)", "CLD": "rd,imm(rs1)", "CSW": "rs2,imm(rs1)",
    "CSD": "rs2,imm(rs1)", "CI": "rd,imm", "CLI": "rd,imm", "C16SP": "sp,imm", "CLUI": "rd,uimm",
    "CSHIFT": "rd,imm", "CANDI": "rd,imm", "CA": "rd,rs2", "CJ": "pcrel", "CB": "rs1,pcrel",
    "CSLLI": "rd,imm", "CLWSP": "rd,imm(sp)", "CLDSP": "rd,imm(sp)", "CJR": "rs1", "CMV": "rd,rs2",
    "CADD": "rd,rs2", "CSWSP": "rs2,imm(sp)", "CSDSP": "rs2,imm(sp)", "CNONE": "",
}

INSTRUCTIONS: List[Insn] = []


def _add(name, match, mask, fmt, ext, syntax=None, **kw):
    INSTRUCTIONS.append(Insn(name, match, mask, fmt, _SYNTAX[fmt] if syntax is None else syntax,
                             ext, **kw))


# Masks of the standard fields.
OPC = 0x7F                 # opcode[6:0]
F3 = 0x7 << 12             # funct3[14:12]
F7 = 0x7F << 25            # funct7[31:25]
F6 = 0x3F << 26            # funct6[31:26] (RV64 immediate shifts)
F5 = 0x1F << 27            # funct5[31:27] (AMO)
RS2M = 0x1F << 20


def _f3(v):
    return v << 12


def _f7(v):
    return v << 25


# ---- RV64I (unprivileged spec, chapters 2 and 5; table "RV32/64G instruction set listings")
_add("lui", 0x37, OPC, "U", "I")
_add("auipc", 0x17, OPC, "U", "I")
_add("jal", 0x6F, OPC, "J", "I")
_add("jalr", 0x67, OPC | F3, "I", "I", "rd,imm(rs1)")
for _n, _v in (("beq", 0), ("bne", 1), ("blt", 4), ("bge", 5), ("bltu", 6), ("bgeu", 7)):
    _add(_n, 0x63 | _f3(_v), OPC | F3, "B", "I")
for _n, _v in (("lb", 0), ("lh", 1), ("lw", 2), ("ld", 3), ("lbu", 4), ("lhu", 5), ("lwu", 6)):
    _add(_n, 0x03 | _f3(_v), OPC | F3, "I", "I", "rd,imm(rs1)")
for _n, _v in (("sb", 0), ("sh", 1), ("sw", 2), ("sd", 3)):
    _add(_n, 0x23 | _f3(_v), OPC | F3, "S", "I")
for _n, _v in (("addi", 0), ("slti", 2), ("sltiu", 3), ("xori", 4), ("ori", 6), ("andi", 7)):
    _add(_n, 0x13 | _f3(_v), OPC | F3, "I", "I")
_add("slli", 0x13 | _f3(1), OPC | F3 | F6, "SH6", "I")
_add("srli", 0x13 | _f3(5), OPC | F3 | F6, "SH6", "I")
_add("srai", 0x13 | _f3(5) | (0x10 << 26), OPC | F3 | F6, "SH6", "I")
_add("addiw", 0x1B, OPC | F3, "I", "I")
_add("slliw", 0x1B | _f3(1), OPC | F3 | F7, "SH5", "I")
_add("srliw", 0x1B | _f3(5), OPC | F3 | F7, "SH5", "I")
_add("sraiw", 0x1B | _f3(5) | _f7(0x20), OPC | F3 | F7, "SH5", "I")
for _n, _f, _s in (("add", 0, 0), ("sub", 0, 0x20), ("sll", 1, 0), ("slt", 2, 0), ("sltu", 3, 0),
                   ("xor", 4, 0), ("srl", 5, 0), ("sra", 5, 0x20), ("or", 6, 0), ("and", 7, 0)):
    _add(_n, 0x33 | _f3(_f) | _f7(_s), OPC | F3 | F7, "R", "I")
for _n, _f, _s in (("addw", 0, 0), ("subw", 0, 0x20), ("sllw", 1, 0), ("srlw", 5, 0),
                   ("sraw", 5, 0x20)):
    _add(_n, 0x3B | _f3(_f) | _f7(_s), OPC | F3 | F7, "R", "I")
# FENCE (any pred/succ/fm, which covers FENCE.TSO and PAUSE) and the Zifencei FENCE.I
_add("fence", 0x0F, OPC | F3, "NONE", "I")
_add("fence.i", 0x0F | _f3(1), OPC | F3, "NONE", "Zifencei")
_add("ecall", 0x00000073, 0xFFFFFFFF, "NONE", "I")
_add("ebreak", 0x00100073, 0xFFFFFFFF, "NONE", "I")

# ---- M
for _i, _n in enumerate(("mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu")):
    _add(_n, 0x33 | _f3(_i) | _f7(1), OPC | F3 | F7, "R", "M")
for _i, _n in ((0, "mulw"), (4, "divw"), (5, "divuw"), (6, "remw"), (7, "remuw")):
    _add(_n, 0x3B | _f3(_i) | _f7(1), OPC | F3 | F7, "R", "M")

# ---- A (aq/rl bits 26:25 are accepted and ignored: every access here is sequentially consistent)
for _w, _sfx in ((2, "w"), (3, "d")):
    _add("lr." + _sfx, 0x2F | _f3(_w) | (0x02 << 27), OPC | F3 | F5 | RS2M, "LR", "A")
    _add("sc." + _sfx, 0x2F | _f3(_w) | (0x03 << 27), OPC | F3 | F5, "AMO", "A")
    for _n, _v in (("amoswap", 0x01), ("amoadd", 0x00), ("amoxor", 0x04), ("amoand", 0x0C),
                   ("amoor", 0x08), ("amomin", 0x10), ("amomax", 0x14), ("amominu", 0x18),
                   ("amomaxu", 0x1C)):
        _add(_n + "." + _sfx, 0x2F | _f3(_w) | (_v << 27), OPC | F3 | F5, "AMO", "A")

# ---- Zicsr
for _n, _v in (("csrrw", 1), ("csrrs", 2), ("csrrc", 3)):
    _add(_n, 0x73 | _f3(_v), OPC | F3, "CSR", "Zicsr")
for _n, _v in (("csrrwi", 5), ("csrrsi", 6), ("csrrci", 7)):
    _add(_n, 0x73 | _f3(_v), OPC | F3, "CSRI", "Zicsr")

# ---- privileged (privileged spec, chapter "Supervisor Instructions" / "Machine-Mode")
_add("sret", 0x10200073, 0xFFFFFFFF, "NONE", "S")
_add("mret", 0x30200073, 0xFFFFFFFF, "NONE", "M")
_add("wfi", 0x10500073, 0xFFFFFFFF, "NONE", "M")
_add("sfence.vma", 0x12000073, 0xFE007FFF, "SFENCE", "S")

BASE_NAMES = [i.name for i in INSTRUCTIONS]


# ---- C (RV64C).  Quadrant in bits 1:0, funct3 in bits 15:13.
def _c(q, f3, extra_match=0, extra_mask=0):
    return q | (f3 << 13) | extra_match, 0x3 | (0x7 << 13) | extra_mask


def _addc(name, q, f3, fmt, expands, em=0, ek=0, syntax=None, fixed=(), nonzero=()):
    match, mask = _c(q, f3, em, ek)
    _add(name, match, mask, fmt, "C", syntax, expands=expands, fixed=tuple(fixed),
         nonzero=tuple(nonzero))


B12 = 1 << 12
RD_BITS = 0x1F << 7
RS2_BITS = 0x1F << 2
# quadrant 0
_addc("c.addi4spn", 0, 0, "CIW", "addi", fixed=[("rs1", 2)], nonzero=["imm"])
_addc("c.lw", 0, 2, "CLW", "lw")
_addc("c.ld", 0, 3, "CLD", "ld")
_addc("c.sw", 0, 6, "CSW", "sw")
_addc("c.sd", 0, 7, "CSD", "sd")
# quadrant 1
_addc("c.addi", 1, 0, "CI", "addi")                   # rd=0 is c.nop; imm=0 is a HINT
_addc("c.addiw", 1, 1, "CI", "addiw", nonzero=["rd"])
_addc("c.li", 1, 2, "CLI", "addi", fixed=[("rs1", 0)])
_addc("c.addi16sp", 1, 3, "C16SP", "addi", em=2 << 7, ek=RD_BITS,
      fixed=[("rd", 2), ("rs1", 2)], nonzero=["imm"])
_addc("c.lui", 1, 3, "CLUI", "lui", nonzero=["imm"])
_addc("c.srli", 1, 4, "CSHIFT", "srli", em=0 << 10, ek=3 << 10)
_addc("c.srai", 1, 4, "CSHIFT", "srai", em=1 << 10, ek=3 << 10)
_addc("c.andi", 1, 4, "CANDI", "andi", em=2 << 10, ek=3 << 10)
for _n, _b, _e in (("c.sub", 0, "sub"), ("c.xor", 1, "xor"), ("c.or", 2, "or"),
                   ("c.and", 3, "and")):
    _addc(_n, 1, 4, "CA", _e, em=(3 << 10) | (_b << 5), ek=B12 | (3 << 10) | (3 << 5))
for _n, _b, _e in (("c.subw", 0, "subw"), ("c.addw", 1, "addw")):
    _addc(_n, 1, 4, "CA", _e, em=B12 | (3 << 10) | (_b << 5), ek=B12 | (3 << 10) | (3 << 5))
_addc("c.j", 1, 5, "CJ", "jal", fixed=[("rd", 0)])
_addc("c.beqz", 1, 6, "CB", "beq", fixed=[("rs2", 0)])
_addc("c.bnez", 1, 7, "CB", "bne", fixed=[("rs2", 0)])
# quadrant 2
_addc("c.slli", 2, 0, "CSLLI", "slli")
_addc("c.lwsp", 2, 2, "CLWSP", "lw", fixed=[("rs1", 2)], nonzero=["rd"])
_addc("c.ldsp", 2, 3, "CLDSP", "ld", fixed=[("rs1", 2)], nonzero=["rd"])
_addc("c.jr", 2, 4, "CJR", "jalr", em=0, ek=B12 | RS2_BITS, fixed=[("rd", 0), ("imm", 0)],
      nonzero=["rs1"])
_addc("c.mv", 2, 4, "CMV", "add", em=0, ek=B12, fixed=[("rs1", 0)])
_addc("c.ebreak", 2, 4, "CNONE", "ebreak", em=B12, ek=B12 | RD_BITS | RS2_BITS)
_addc("c.jalr", 2, 4, "CJR", "jalr", em=B12, ek=B12 | RS2_BITS, fixed=[("rd", 1), ("imm", 0)])
_addc("c.add", 2, 4, "CADD", "add", em=B12, ek=B12)
_addc("c.swsp", 2, 6, "CSWSP", "sw", fixed=[("rs1", 2)])
_addc("c.sdsp", 2, 7, "CSDSP", "sd", fixed=[("rs1", 2)])
# Not implemented, so illegal: c.fld/c.fsd/c.fldsp/c.fsdsp (no D extension), and the reserved
# rows (quadrant 0 funct3=4, c.subw/c.addw's reserved neighbours).

BY_NAME: Dict[str, Insn] = {i.name: i for i in INSTRUCTIONS}

# Executor operation numbers: 0 marks an undecoded slot, 1 an illegal instruction.
OP_NUMBERS: Dict[str, int] = {"OP_INVALID": 0, "OP_ILLEGAL": 1}
for _i in INSTRUCTIONS:
    if _i.expands is None:
        OP_NUMBERS[_i.op_name] = len(OP_NUMBERS)


def decode(word: int) -> Optional[Tuple[Insn, Dict[str, int]]]:
    """Decode one instruction word (16- or 32-bit, in its low bits).

    Returns the table row and its operands, with compressed fixed operands filled in, or None for
    an illegal encoding.  This is the reference the Cython decoder is checked against."""
    is16 = word & 3 != 3
    if is16:
        word &= 0xFFFF
    else:
        word &= 0xFFFFFFFF
    for insn in INSTRUCTIONS:
        if (insn.length == 2) != is16:
            continue
        if word & insn.mask == insn.match:
            ops = {k: f.extract(word) for k, f in insn.operands.items()}
            if any(ops[n] == 0 for n in insn.nonzero):
                return None
            ops.update(insn.fixed)
            return insn, ops
    return None


def encode(name: str, **operands: int) -> int:
    """Encode one instruction from its table row and named operands (rd, rs1, rs2, imm).

    Raises ValueError for an operand that does not fit its field."""
    insn = BY_NAME[name]
    word = insn.match
    fixed = dict(insn.fixed)
    for op, fld in insn.operands.items():
        # operands that share one field (rd = rs1 in c.addi) default to each other
        twin = [o for o, f in insn.operands.items() if f is fld and o in operands]
        if len({operands[o] for o in twin}) > 1:
            raise ValueError(f"{name}: operands {' and '.join(twin)} share a field and differ")
        value = operands.get(op, fixed.get(op, operands[twin[0]] if twin else fld.add))
        if not fld.fits(value):
            raise ValueError(f"{name}: operand {op}={value} does not fit")
        if op in fixed and op in operands and operands[op] != fixed[op]:
            raise ValueError(f"{name}: operand {op} is fixed to {fixed[op]}")
        word |= fld.insert(value)
    for op in operands:
        if op not in insn.operands and fixed.get(op) != operands[op]:
            raise ValueError(f"{name}: has no operand {op}")
    return word
