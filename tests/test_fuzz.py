"""Fuzzing: random instruction words must never crash or hang the host.

Every word runs on a fresh machine in M, S or U mode with random registers (some pointing into
RAM so loads, stores and AMOs hit memory, the rest anywhere, so they fault).  For each word:

  * the run returns (budget exhausted, or every hart asleep after a WFI);
  * it either executed or took exactly one exception;
  * a word that ``opcodes.decode`` calls illegal traps with cause 2, xtval = the word (only its
    16 bits for a compressed word) and xepc = its address, in M -- or in S when medeleg
    delegates illegal instructions and the word ran below M;
  * a legal word that is not a system instruction (CSR access, xRET, WFI, SFENCE.VMA) never
    raises illegal instruction.

In bulk (a guest trap handler logs each trap and skips the word): every illegal 16-bit
halfword and 20000 random/near-miss illegal 32-bit words, in M, S and U, with and without
delegation to S.  Then blocks of random words (state -- CSRs included -- evolves through the
block), and the same under Sv39 with page tables full of garbage (random PTEs, many pointing
back into RAM, some roots outside RAM).
"""

from __future__ import annotations

import random

import pytest

from rvemu import StopReason, opcodes
from snippets import CODE, DATA, TRAP_PC, machine, word_bytes

MODES = {"M": 3, "S": 1, "U": 0}
SYSTEM = {"csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci", "mret", "sret", "wfi",
          "sfence.vma"}
ROWS = opcodes.INSTRUCTIONS
DELEGABLE = 0xB3FF                  # medeleg bits rvemu implements (all but ecall-from-M etc.)
GARBAGE = 0x800C0000                # Sv39 tables filled with garbage: 256 KiB up to RAM's end
RAM_PAGES = (0x80000000 >> 12, 0x80100000 >> 12)


def random_regs(rng):
    regs = {}
    for r in range(1, 32):
        k = rng.random()
        if k < 0.35:
            regs[r] = DATA + rng.randrange(0, 0x10000)          # RAM scratch (any alignment)
        elif k < 0.5:
            regs[r] = rng.choice([0, 1, (1 << 64) - 1, 1 << 63, 0x80000000, CODE + 0x100])
        else:
            regs[r] = rng.getrandbits(64)
    return regs


def word32(rng):
    return rng.getrandbits(32) | 3


def word16(rng):
    while True:
        w = rng.getrandbits(16)
        if w & 3 != 3:
            return w


def word_from_row(rng):
    """A word matching a random table row, its free bits random (mostly legal words)."""
    row = rng.choice(ROWS)
    width = 16 if row.length == 2 else 32
    return row.match | (rng.getrandbits(width) & ~row.mask & ((1 << width) - 1))


GENERATORS = {"rand32": word32, "rand16": word16, "rows": word_from_row}


def base_name(word):
    d = opcodes.decode(word)
    if d is None:
        return None
    return d[0].expands or d[0].name


def run_word(word, priv, rng, deleg=False, setup=None):
    """Run one word; check the outcome rules of the module docstring.  Returns the machine."""
    m = machine(word_bytes(word), regs=random_regs(rng), priv=priv)
    h = m.harts[0]
    if deleg:
        h.set_csr("medeleg", DELEGABLE)
    if setup is not None:
        setup(m)
    reason = m.run(max_instructions=1)
    assert reason in (StopReason.LIMIT, StopReason.HALT), (hex(word), reason)
    exc = h.stats()["exceptions"]
    assert sum(exc.values()) <= 1, (hex(word), exc)
    name = base_name(word)
    shown = word & 0xFFFF if word & 3 != 3 else word
    if name is None:
        assert exc == {2: 1}, f"illegal word {word:#x} in priv {priv}: exceptions {exc}"
        if deleg and priv < 3:
            got = (h.priv, h.csr("scause"), h.csr("stval"), h.csr("sepc"), h.pc)
            want = (1, 2, shown, CODE, TRAP_PC)
        else:
            got = (h.priv, h.csr("mcause"), h.csr("mtval"), h.csr("mepc"), h.pc)
            want = (3, 2, shown, CODE, TRAP_PC)
        assert got == want, f"illegal word {word:#x} in priv {priv}"
    elif name not in SYSTEM:
        assert 2 not in exc, f"legal {name} {word:#x} raised illegal instruction in priv {priv}"
    return m


@pytest.mark.parametrize("kind", sorted(GENERATORS))
@pytest.mark.parametrize("mode", sorted(MODES))
def test_single_words(mode, kind):
    rng = random.Random(f"{mode}-{kind}")
    gen = GENERATORS[kind]
    for i in range(3000):
        run_word(gen(rng), MODES[mode], rng, deleg=(mode != "M" and i % 2 == 1))


# --------------------------------------------------------------------------------------------
# Illegal words in bulk: a guest trap handler logs (cause, tval, epc), skips the word and
# returns, so thousands of illegal words run in one machine.
# --------------------------------------------------------------------------------------------

BULK_CODE = 0x80010000
BULK_LOG = 0x80040000
HANDLER = 0x80002000


def _handler(level, length):
    """Trap handler at M (level 3) or S (level 1): log xcause, xtval, xepc at x31, advance x31,
    xepc += length, xRET.  Uses x5 and x31 only."""
    cause, tval, epc, ret = ((0x342, 0x343, 0x341, "mret") if level == 3
                             else (0x142, 0x143, 0x141, "sret"))
    E = opcodes.encode
    words = []
    for i, csr in enumerate((cause, tval, epc)):
        words += [E("csrrs", rd=5, rs1=0, imm=csr), E("sd", rs1=31, rs2=5, imm=8 * i)]
    words += [E("addi", rd=31, rs1=31, imm=24), E("addi", rd=5, rs1=5, imm=length),
              E("csrrw", rd=0, rs1=5, imm=epc), E(ret)]
    return b"".join(word_bytes(w) for w in words)


def run_illegal_bulk(words, priv, deleg):
    length = 2 if words[0] & 3 != 3 else 4
    level = 1 if deleg and priv < 3 else 3
    code = b"".join(word_bytes(w) for w in words)
    m = machine(b"")
    m.write_phys(BULK_CODE, code + word_bytes(opcodes.encode("jal", rd=0, imm=0)))
    m.write_phys(HANDLER, _handler(level, length))
    h = m.harts[0]
    h.set_csr("mtvec", HANDLER)
    h.set_csr("stvec", HANDLER)
    if deleg:
        h.set_csr("medeleg", 1 << 2)
    h.set_x(31, BULK_LOG)
    h.pc = BULK_CODE
    h.priv = priv
    m.run(max_instructions=len(words) * 12 + 10)
    assert h.pc == BULK_CODE + len(code), "did not reach the end"
    assert h.priv == priv
    log = m.read_phys(BULK_LOG, 24 * len(words))
    bad = []
    for i, w in enumerate(words):
        got = tuple(int.from_bytes(log[24 * i + 8 * k:24 * i + 8 * k + 8], "little")
                    for k in range(3))
        want = (2, w, BULK_CODE + length * i)
        if got != want:
            bad.append(f"{w:#x}: (cause, tval, epc) = {tuple(map(hex, got))}")
    assert not bad, f"{len(bad)} wrong, e.g.\n" + "\n".join(bad[:10])
    assert h.stats()["exceptions"] == {2: len(words)}


ILLEGAL16 = [w for w in range(0x10000) if w & 3 != 3 and opcodes.decode(w) is None]


def _illegal32(n, seed):
    """n random illegal 32-bit words: half uniformly random, half near-misses of table rows
    (a legal row's word with one or two bits flipped)."""
    rng = random.Random(seed)
    rows = [r for r in ROWS if r.length == 4]
    out = []
    while len(out) < n:
        if rng.random() < 0.5:
            w = word32(rng)
        else:
            r = rng.choice(rows)
            w = r.match | (rng.getrandbits(32) & ~r.mask)
            for _ in range(rng.choice([1, 2])):
                w ^= 1 << rng.randrange(2, 32)
        if opcodes.decode(w) is None:
            out.append(w & 0xFFFFFFFF)
    return out


BULK_CASES = [("M", False), ("S", False), ("U", False), ("S", True), ("U", True)]


@pytest.mark.parametrize("mode,deleg", BULK_CASES,
                         ids=[f"{m}{'-deleg' if d else ''}" for m, d in BULK_CASES])
def test_every_illegal_16bit_word(mode, deleg):
    """All 10601 illegal halfwords trap with cause 2, xtval = the halfword, xepc = its address."""
    run_illegal_bulk(ILLEGAL16, MODES[mode], deleg)


@pytest.mark.parametrize("mode,deleg", BULK_CASES,
                         ids=[f"{m}{'-deleg' if d else ''}" for m, d in BULK_CASES])
def test_random_illegal_32bit_words(mode, deleg):
    run_illegal_bulk(_illegal32(20000, f"ill32-{mode}-{deleg}"), MODES[mode], deleg)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_random_blocks(mode):
    """Blocks of 24 random words with budget 300: traps, CSR writes (mtvec, satp, mstatus...),
    xRETs and jumps all pile up; the host must come back every time."""
    rng = random.Random(f"blocks-{mode}")
    for _ in range(500):
        gen = rng.choice(list(GENERATORS.values()))
        code = b"".join(word_bytes(gen(rng)) for _ in range(24))
        m = machine(code, regs=random_regs(rng), priv=MODES[mode])
        if rng.random() < 0.5:
            m.harts[0].set_csr("medeleg", rng.getrandbits(16))
        reason = m.run(max_instructions=300)
        assert reason in (StopReason.LIMIT, StopReason.HALT)
        assert m.harts[0].priv in (0, 1, 3)


# --------------------------------------------------------------------------------------------
# Sv39 with garbage page tables
# --------------------------------------------------------------------------------------------

_GARBAGE_IMAGES = {}


def garbage_image(k):
    """The k-th garbage image for [GARBAGE, RAM end) (cached: making one takes a while)."""
    if k not in _GARBAGE_IMAGES:
        rng = random.Random(f"garbage-{k}")
        words = []
        for _ in range((0x80100000 - GARBAGE) // 8):
            r = rng.random()
            if r < 0.4:
                words.append(rng.getrandbits(64))
            elif r < 0.8:
                ppn = rng.randrange(*RAM_PAGES) if rng.random() < 0.7 else rng.getrandbits(44)
                words.append((ppn << 10) | rng.getrandbits(8) | 1)
            else:
                words.append(0)
        _GARBAGE_IMAGES[k] = b"".join(w.to_bytes(8, "little") for w in words)
    return _GARBAGE_IMAGES[k]


def garbage_tables(m, rng, user=None):
    """Fill [GARBAGE, RAM end) with PTE-like garbage and return an Sv39 satp for it.

    The root maps gigapage 2 (VA 0x80000000.., holding RAM) identity with RWX|A|D and the U bit
    ``user`` (random if None), so the code can run; every other entry is garbage: random words,
    or valid pointers / leaves with random flags into RAM (often into the garbage itself)."""
    m.write_phys(GARBAGE, garbage_image(rng.randrange(6)))
    # the root table is one of the garbage pages at random
    root = GARBAGE + 0x1000 * rng.randrange(0x40)
    if user is None:
        user = rng.random() < 0.5
    leaf = ((0x80000000 >> 12) << 10) | 0xCF | (0x10 if user else 0)
    m.write_phys(root + 8 * 2, leaf.to_bytes(8, "little"))
    return (8 << 60) | (root >> 12)


def garbage_regs(rng):
    regs = random_regs(rng)
    for r in range(1, 32):
        if rng.random() < 0.4:
            # anywhere in the 39-bit space (sign-extended), often near the garbage-mapped VAs
            va = rng.getrandbits(39)
            regs[r] = va | (((1 << 64) - (1 << 39)) if va >> 38 else 0)
    return regs


@pytest.mark.parametrize("mode", ["S", "U", "M+MPRV"])
def test_sv39_garbage_single_words(mode):
    rng = random.Random(f"sv39-{mode}")
    priv = {"S": 1, "U": 0, "M+MPRV": 3}[mode]
    for i in range(1500):
        word = rng.choice(list(GENERATORS.values()))(rng)

        def setup(m):
            h = m.harts[0]
            # code pages executable at this privilege: U pages for U, S pages for S
            h.set_csr("satp", garbage_tables(m, rng, user=(priv == 0)))
            for r, v in garbage_regs(rng).items():
                h.set_x(r, v)
            st = rng.getrandbits(2) << 18               # SUM, MXR
            if mode == "M+MPRV":
                st |= (1 << 17) | (rng.choice([0, 1]) << 11)
            h.set_csr("mstatus", st)

        m = run_word(word, priv, rng, deleg=(priv < 3 and i % 2 == 0), setup=setup)
        assert m.harts[0].priv in (0, 1, 3)


@pytest.mark.parametrize("mode", ["S", "U"])
def test_sv39_garbage_blocks(mode):
    rng = random.Random(f"sv39-blocks-{mode}")
    for _ in range(300):
        code = b"".join(word_bytes(rng.choice([word_from_row, word32, word16])(rng))
                        for _ in range(32))
        m = machine(code, priv=MODES[mode])
        h = m.harts[0]
        satp = garbage_tables(m, rng)
        if rng.random() < 0.2:                          # a root anywhere, RAM or not
            satp = (8 << 60) | (rng.getrandbits(16) << 44) | rng.getrandbits(44)
        h.set_csr("satp", satp)
        for r, v in garbage_regs(rng).items():
            h.set_x(r, v)
        h.set_csr("mstatus", rng.getrandbits(2) << 18)
        if rng.random() < 0.5:
            h.set_csr("medeleg", DELEGABLE)
        reason = m.run(max_instructions=400)
        assert reason in (StopReason.LIMIT, StopReason.HALT)
