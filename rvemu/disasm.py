"""Disassembler: instruction words to assembly text, driven only by the encoding table.

Owns: the text form of instructions (for ``--trace`` and test failure messages).  Everything
about an instruction -- which row matches, its operands and their order -- comes from
``opcodes.INSTRUCTIONS`` (each row's ``syntax`` string) and CSR names from ``csrdefs.NAMES``;
this module only decides how each operand kind is printed:

  * registers by ABI name (``zero ra sp gp tp t0 ...``);
  * ``imm`` (and the CSR ``zimm``) in signed decimal, also in ``imm(rs1)`` memory operands;
  * ``uimm`` (lui, auipc, c.lui) as the 20-bit upper-immediate field in hex, as assemblers take
    it (``lui a0, 0xfffff``);
  * ``pcrel`` as the absolute target address ``pc + offset`` in hex (modulo 2**64), the way
    objdump prints it.  Note that an assembler reads a bare number there as an *offset*;
  * ``csr`` by name, or as hex (``0x7c0``) when csrdefs does not know it;
  * compressed instructions under their own mnemonic (``c.addi a0, 1``, ``c.lwsp a0, 8(sp)``)
    with the operands the compressed syntax shows, not the expanded ones.

An illegal or unimplemented word disassembles to the assembler directive that would
reassemble it: ``.insn 2, 0x0000`` / ``.insn 4, 0x00000000``.

Bits that are neither in a row's mask nor in its operands (fence's pred/succ, the AMO aq/rl
bits) are not shown: they do not change what rvemu executes.
"""

from __future__ import annotations

from . import csrdefs, opcodes

ABI_NAMES = (
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
)

_MASK64 = (1 << 64) - 1


def instruction_length(first_halfword: int) -> int:
    """Length in bytes (2 or 4) of the instruction whose lowest 16 bits are given.

    Only 16- and 32-bit encodings exist in rvemu: the longer formats the spec reserves (low bits
    ``11111``) are reported as 4 and then decode as illegal."""
    return 4 if first_halfword & 3 == 3 else 2


def _operand(token: str, ops: dict, pc: int) -> str:
    if token in ("rd", "rs1", "rs2"):
        return ABI_NAMES[ops[token]]
    if token == "sp":
        return "sp"
    if token == "imm":
        return str(ops["imm"])
    if token == "uimm":
        return hex((ops["imm"] >> 12) & 0xFFFFF)
    if token == "pcrel":
        return hex((pc + ops["imm"]) & _MASK64)
    if token == "csr":
        num = ops["imm"] & 0xFFF
        return csrdefs.NAMES.get(num, hex(num))
    if token == "zimm":
        return str(ops["rs1"])
    raise ValueError(f"unknown syntax token {token!r}")


def format_insn(insn: opcodes.Insn, ops: dict, pc: int = 0) -> str:
    """Assembly text of a decoded row with its operands (as ``opcodes.decode`` returns them)."""
    parts = []
    for item in filter(None, insn.syntax.split(",")):
        if item.endswith(")"):                      # memory operand: imm(base) or (base)
            offset, base = item[:-1].split("(")
            text = _operand(offset, ops, pc) if offset else ""
            parts.append(f"{text}({_operand(base, ops, pc)})")
        else:
            parts.append(_operand(item, ops, pc))
    return f"{insn.name} {', '.join(parts)}" if parts else insn.name


def disassemble(word: int, pc: int = 0) -> str:
    """Assembly text of one instruction word (16-bit ones in the low half), at address ``pc``."""
    length = instruction_length(word & 0xFFFF)
    word &= (1 << (8 * length)) - 1
    decoded = opcodes.decode(word)
    if decoded is None:
        return f".insn {length}, 0x{word:0{2 * length}x}"
    insn, ops = decoded
    return format_insn(insn, ops, pc)
