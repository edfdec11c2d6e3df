"""The disassembler's text assembles back (with clang) to the same instruction.

Every legal 16-bit word, random words of every 32-bit row, every named CSR, and random
illegal words (printed as ``.insn``) go through ``disasm.disassemble`` and one clang run.
16-bit and illegal words must come back bit for bit; 32-bit words must decode to the same row
and operands (bits the table does not define -- fence's pred/succ, AMO aq/rl -- are not
shown, so not kept).
"""

from __future__ import annotations

import random

import pytest

from rvemu import csrdefs, disasm, opcodes
# the clang helper lives in the sibling test module (pytest puts tests/ on sys.path)
from test_opcodes import clang_assemble

PC = 0x80000000


def reassemblable(word, pc=PC):
    """Disassembly of ``word`` in the form an assembler takes back: clang reads a branch target
    as an offset from the instruction, so the printed absolute target becomes ``target - pc``."""
    text = disasm.disassemble(word, pc)
    decoded = opcodes.decode(word)
    if decoded and decoded[0].syntax.endswith("pcrel"):
        head, _, target = text.rpartition(" ")
        offset = (int(target, 16) - pc) & (2 ** 64 - 1)
        if offset >> 63:
            offset -= 2 ** 64
        text = f"{head} {offset}"
    return text


def _cases():
    rng = random.Random(7)
    words = [h for h in range(0x10000) if h & 3 != 3 and opcodes.decode(h)]
    for insn in opcodes.INSTRUCTIONS:
        if insn.length == 4:
            for k in range(30):
                r = rng.getrandbits(32)
                if k % 2:
                    r &= rng.getrandbits(32)
                words.append(insn.match | r & ~insn.mask)
    # every CSR csrdefs names: its name must mean the same number to clang
    words += [opcodes.encode("csrrs", rd=10, rs1=0, imm=num) for num in sorted(csrdefs.NAMES)]
    illegal16 = [h for h in range(0x10000) if h & 3 != 3 and not opcodes.decode(h)]
    words += rng.sample(illegal16, 300)
    n = 0
    while n < 300:
        w = rng.getrandbits(32) | 3
        if not opcodes.decode(w):
            words.append(w)
            n += 1
    return words


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    words = _cases()
    lines, where, rvc = [], [], None
    for w in words:
        if (w & 3 != 3) != rvc:                 # norvc for 32-bit: clang would compress them
            rvc = w & 3 != 3
            lines.append(".option rvc" if rvc else ".option norvc")
        where.append(len(lines))
        lines.append(reassemblable(w))
    code, errors = clang_assemble(lines, tmp_path_factory.mktemp("roundtrip"))
    back, pos = [], 0
    for w, i in zip(words, where):
        if i in errors:
            back.append(f"clang error: {errors[i]}")
            continue
        n = disasm.instruction_length(w & 0xFFFF)
        back.append(int.from_bytes(code[pos:pos + n], "little"))
        pos += n
    assert pos == len(code)
    return words, [lines[i] for i in where], back


def test_disassembly_reassembles(roundtrip):
    bad = []
    for word, text, got in zip(*roundtrip):
        if isinstance(got, str):
            bad.append(f"{word:#x} {text!r}: {got}")
            continue
        if word & 3 != 3 or opcodes.decode(word) is None:
            ok = got == word
        else:
            ok = opcodes.decode(got) == opcodes.decode(word)
        if not ok:
            bad.append(f"{word:#x} {text!r}: clang gives {got:#x}")
    assert not bad, f"{len(bad)} mismatches:\n" + "\n".join(bad[:30])
