"""The compiled decoder (generated from opcodes.py) agrees with the table's reference decode()."""

import random

from rvemu import opcodes
from rvemu._core import Core

core = Core(0x80000000, 1 << 20, 1)


def reference(word):
    r = opcodes.decode(word)
    if r is None:
        return None
    insn, ops = r
    name = insn.op_name[3:].lower().replace("_", ".")
    return (name, ops.get("rd", 0), ops.get("rs1", 0), ops.get("rs2", 0), ops.get("imm", 0),
            insn.length)


def compiled(word):
    r = core.decode(word)
    if r is None:
        return None
    name, rd, rs1, rs2, imm, length = r
    return (name, rd, rs1, rs2, imm, length)


def test_every_16bit_word():
    for w in range(0x10000):
        if w & 3 == 3:
            continue
        assert compiled(w) == reference(w), hex(w)


def test_32bit_rows_and_random_words():
    rng = random.Random(1234)
    words = [rng.getrandbits(32) | 3 for _ in range(50_000)]
    for insn in opcodes.INSTRUCTIONS:
        if insn.length == 4:
            free = ~insn.mask & 0xFFFFFFFF
            words += [insn.match | (rng.getrandbits(32) & free) for _ in range(200)]
    for w in words:
        assert compiled(w) == reference(w), hex(w)


def test_illegal_words():
    assert core.decode(0) is None                 # the all-zero halfword is illegal
    assert core.decode(0xFFFFFFFF) is None
    assert core.decode(0x00000013)[0] == "addi"   # nop

