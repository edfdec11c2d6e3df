"""The decoded-code cache (rvemu/_code.pxi) and the run loop built on it.

  * Running in blocks is exact: a random program (stores into its own page included, so runs
    are emptied and re-decoded under it) ends in the same state whether it runs in one call,
    in random chunks, or one instruction at a time, with the same instruction count.
  * A store that does not overlap decoded instructions leaves the page's slots in place (data
    beside code costs no re-decoding); one that does empties only what it overlaps, and a 2-byte
    store into the upper half of a 4-byte instruction empties that instruction.
  * A hart spinning on a flag with plain loads yields the rest of its slice to the others, and
    comes back when the flag changes; one that makes progress is never yielded.
"""

from __future__ import annotations

import random

import pytest

from rvemu import Machine, StopReason
from snippets import (CODE, PTE_A, PTE_D, PTE_R, PTE_W, PTE_X, TRAP_PC, assemble, enc,
                      machine, sv39_map)

PAGE = 0x1000
DATA_IN_PAGE = CODE + 0x800          # data in the same 4 KiB page as the code


def random_program(rng, n):
    """About n instructions that loop forever: ALU work, loads and stores into the code's own
    page (some land on the code itself), compressed instructions, forward branches, and
    backward branches that x29 (a few trips in all) bounds.  x5..x9 hold addresses in the page,
    x31 counts trips round the whole program."""
    out, starts, pos = [], [], 0

    def emit(item):
        nonlocal pos
        starts.append(pos)
        out.append(item)
        pos += len(assemble([item]))

    for _ in range(n):
        k = rng.random()
        rd = rng.randrange(13, 29)
        rs = rng.randrange(10, 29)
        if k < 0.30:
            emit((rng.choice(["addi", "xori", "andi", "ori"]),
                  dict(rd=rd, rs1=rs, imm=rng.randrange(-2048, 2048))))
        elif k < 0.45:
            emit((rng.choice(["add", "sub", "xor", "mul", "sll", "srl", "or"]),
                  dict(rd=rd, rs1=rs, rs2=rng.randrange(13, 29))))
        elif k < 0.55:
            emit(("c.addi", dict(rd=rd, imm=rng.randrange(1, 31))))
        elif k < 0.70:
            emit((rng.choice(["ld", "lw", "lhu", "lb", "lbu"]),
                  dict(rd=rd, rs1=rng.randrange(5, 10), imm=rng.randrange(-64, 64))))
        elif k < 0.85:
            # x10..x12 hold instruction words: such stores rewrite code into other code
            emit((rng.choice(["sd", "sw", "sw", "sh", "sb"]),
                  dict(rs1=rng.randrange(5, 10), rs2=rng.choice([10, 11, 12, rs]),
                       imm=rng.randrange(-16, 16))))
        elif k < 0.92:
            # skip the next instruction (a 4-byte one) or not
            emit((rng.choice(["beq", "bne", "blt", "bgeu"]), dict(rs1=rd, rs2=rs, imm=8)))
            emit(("addi", dict(rd=rd, rs1=rd, imm=1)))
        elif len(starts) > 2:
            # back to an earlier instruction while x29 > 0 (it counts down)
            target = rng.choice(starts[-6:])
            emit(("addi", dict(rd=29, rs1=29, imm=-1)))
            emit(("blt", dict(rs1=0, rs2=29, imm=target - pos)))
    emit(("addi", dict(rd=31, rs1=31, imm=1)))
    emit(("jal", dict(rd=0, imm=-pos)))
    return out


def program_machine(seed):
    rng = random.Random(seed)
    items = random_program(rng, 60)
    code = assemble(items)
    regs = {r: rng.getrandbits(64) for r in range(13, 29)}
    for r in (10, 11, 12):                  # two instruction words each
        regs[r] = sum(enc(rng.choice(["addi", "xori", "ori"]), rd=rng.randrange(13, 29),
                          rs1=rng.randrange(13, 29), imm=rng.randrange(-2048, 2048)) << (32 * i)
                      for i in range(2))
    regs[29] = rng.randrange(3, 12)
    for r in range(5, 10):
        # x5, x6: into the code itself; x7..x9: the data half of the page
        regs[r] = (CODE + 16 + rng.randrange(0, len(code) - 32, 2) if r < 7
                   else DATA_IN_PAGE + rng.randrange(64, 0x600, 8))
    m = machine(code, regs=regs)
    # a trap handler that skips the instruction (4 bytes) and goes on, so programs whose stores
    # made garbage of their own code keep running
    m.write_phys(TRAP_PC, assemble([("csrrs", dict(rd=4, rs1=0, imm=0x341)),
                                    ("addi", dict(rd=4, rs1=4, imm=4)),
                                    ("csrrw", dict(rd=0, rs1=4, imm=0x341)), "mret"]))
    return m


ALIAS = 0x40000000                  # under Sv39: a second virtual page on the code's frame


def program_machine_sv39(seed):
    """The same programs in S-mode under Sv39, storing through ALIAS, a writable second mapping
    of the code's physical page: stores reach the decoded code through another address."""
    m = program_machine(seed)
    h = m.harts[0]
    satp = sv39_map(m, 0x800C0000, {CODE: (CODE, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D),
                                    ALIAS: (CODE, PTE_R | PTE_W | PTE_A | PTE_D)})
    for r in range(5, 10):
        h.set_x(r, h.x[r] - CODE + ALIAS)
    h.set_csr("satp", satp)
    h.priv = 1
    return m


def state(m):
    h = m.harts[0]
    return (h.pc, tuple(h.x), h.instret, h.csr("mcause"), h.stats()["exceptions"],
            m.read_phys(CODE, PAGE))


def run_in_chunks(m, total, rng, sizes, fresh=False):
    """Run hart 0 for total instructions in chunks whose sizes rng picks from sizes; fresh:
    empty every decoded slot before each chunk, so each decodes from memory as it is."""
    done = 0
    while done < total:
        n = min(total - done, rng.choice(sizes))
        if fresh:
            m.core.set_breakpoints([])          # (empties the decoded-code cache)
        assert m.core.run(0, n) == ("budget", n)
        done += n
    return m


CASES = [("bare", program_machine, seed) for seed in range(12)] + \
        [("sv39-alias", program_machine_sv39, seed) for seed in range(6)]


def run_three_ways(build, seed, total, rng):
    """build(seed) run for total instructions in one run, in random chunks, and in single steps
    that each decode afresh from memory (the reference: no cached code at all); asserts the
    three end in the same state, and returns the first."""
    one = run_in_chunks(build(seed), total, rng, [total])
    chunked = run_in_chunks(build(seed), total, rng, [1, 2, 3, 7, 19, 64, 500])
    reference = run_in_chunks(build(seed), total, rng, [1], fresh=True)
    assert state(one) == state(chunked) == state(reference)
    return one


@pytest.mark.parametrize("kind,build,seed", CASES, ids=[f"{k}-{s}" for k, _, s in CASES])
def test_blocks_equal_single_steps(kind, build, seed):
    """One run, random chunks, and fresh single steps end in the same state."""
    run_three_ways(build, seed, 3000, random.Random(1000 + seed))


def pages_machine(seed):
    """A loop in one page that calls into two others, so the run loop's chains go on across
    pages (jal to another page, auipc + jalr, the returns, and a fall-through past a page's end
    through a 4-byte instruction that straddles it), while a store from the first page rewrites
    an instruction of the second's function (its slots empty under the chain)."""
    rng = random.Random(seed)
    f1, f2 = CODE + 0x1100, CODE + 0x1FF0       # f2 runs from page 1 into page 2
    alu = lambda: (rng.choice(["addi", "xori", "ori"]),
                   dict(rd=rng.randrange(13, 29), rs1=rng.randrange(13, 29),
                        imm=rng.randrange(-2048, 2048)))
    main = [alu(), ("jal", dict(rd=1, imm=f1 - (CODE + 4))),           # call f1 (page 1)
            ("auipc", dict(rd=5, imm=0x2000)),                         # x5 = CODE + 8 + 0x2000
            ("jalr", dict(rd=1, rs1=5, imm=f2 - (CODE + 8 + 0x2000))), # call f2 (pages 1, 2)
            ("sw", dict(rs1=6, rs2=10, imm=0)),                        # rewrite f1's 2nd insn
            ("srli", dict(rd=10, rs1=10, imm=0)), alu(),
            ("addi", dict(rd=31, rs1=31, imm=1)),
            ("jal", dict(rd=0, imm=-(4 * 8)))]
    body1 = [alu(), alu(), alu(), ("jalr", dict(rd=0, rs1=1, imm=0))]
    body2 = [alu(), alu(), alu(), ("c.addi", dict(rd=13, imm=3)),     # to 0x1ffe
             alu(),                                                    # 0x1ffe: straddles
             alu(), ("xor", dict(rd=14, rs1=14, rs2=15)), ("jalr", dict(rd=0, rs1=1, imm=0))]
    m = machine(assemble(main), regs={r: rng.getrandbits(64) for r in range(13, 29)})
    m.write_phys(f1, assemble(body1))
    m.write_phys(f2, assemble(body2))
    assert len(assemble(body2[:4])) == 0xE
    h = m.harts[0]
    h.set_x(6, f1 + 4)
    h.set_x(10, enc("addi", rd=20, rs1=20, imm=5))   # what the store writes over f1's 2nd
    return m


@pytest.mark.parametrize("seed", range(4))
def test_chains_across_pages_equal_single_steps(seed):
    """Calls, returns and a page-crossing fall-through, with code rewritten under the chain:
    one run, random chunks and fresh single steps end in the same state, and every trip of the
    loop ran (no trap)."""
    one = run_three_ways(pages_machine, seed, 4000, random.Random(2000 + seed))
    h = one.harts[0]
    assert not h.stats()["exceptions"]
    assert h.x[31] > 4000 // 40
    rewritten = enc("addi", rd=20, rs1=20, imm=5).to_bytes(4, "little")
    assert one.read_phys(CODE + 0x1104, 4) == rewritten


# A loop closed by an addi (4-byte or compressed) and a conditional branch of each kind (the run
# loop fuses the pair).  Each counts x29 down from 37 to 0; x30 = 1.
FUSED_LOOPS = {
    "bne": [("addi", dict(rd=29, rs1=29, imm=-1)), ("bne", dict(rs1=29, rs2=0, imm=-8))],
    "c.addi": [("c.addi", dict(rd=29, imm=-1)), ("bne", dict(rs1=29, rs2=0, imm=-6))],
    "blt": [("addi", dict(rd=29, rs1=29, imm=-1)), ("blt", dict(rs1=0, rs2=29, imm=-8))],
    "bge": [("addi", dict(rd=29, rs1=29, imm=-1)), ("bge", dict(rs1=29, rs2=30, imm=-8))],
    "bltu": [("addi", dict(rd=29, rs1=29, imm=-1)), ("bltu", dict(rs1=0, rs2=29, imm=-8))],
    "bgeu": [("addi", dict(rd=29, rs1=29, imm=-1)), ("bgeu", dict(rs1=29, rs2=30, imm=-8))],
    # beq leaves the loop (forward); jal closes it
    "beq": [("addi", dict(rd=29, rs1=29, imm=-1)), ("beq", dict(rs1=29, rs2=0, imm=8)),
            ("jal", dict(rd=0, imm=-12))],
}


@pytest.mark.parametrize("kind", sorted(FUSED_LOOPS))
def test_addi_branch_pairs_stop_anywhere(kind):
    """An addi and the branch after it run as one operation; a budget that ends between them
    still runs the addi alone, whatever the chunk sizes (single steps decode afresh)."""
    body = [("addi", dict(rd=28, rs1=28, imm=3))] + FUSED_LOOPS[kind]
    code = assemble(body)
    done_pc = CODE + len(code)
    total = 37 * len(body) + 40                 # the loop, then parked at DONE
    finals = []
    for sizes, fresh in (([total], False), ([1, 2, 3, 5], False), ([1], True)):
        m = machine(code, regs={29: 37, 30: 1})
        run_in_chunks(m, total, random.Random(7), sizes, fresh=fresh)
        h = m.harts[0]
        assert (h.pc, h.x[29], h.x[28], h.instret) == (done_pc, 0, 3 * 37, total), (kind, sizes)
        finals.append(state(m))
    assert finals[0] == finals[1] == finals[2]


# A load or store, then an addi (4-byte or compressed) that steps its pointer or its loaded value:
# the run loop fuses the pair.  x10 walks DATA (8 bytes a trip), x29 counts 37 trips down.
ACCESS_ADDI = {
    "lw": [("lw", dict(rd=12, rs1=10, imm=4)), ("addi", dict(rd=12, rs1=12, imm=5))],
    "ld": [("ld", dict(rd=12, rs1=10, imm=0)), ("c.addi", dict(rd=12, imm=3))],
    "lbu": [("lbu", dict(rd=13, rs1=10, imm=1)), ("addi", dict(rd=14, rs1=13, imm=-1))],
    "sb": [("sb", dict(rs1=10, rs2=29, imm=7)), ("c.addi", dict(rd=11, imm=1))],
    "sw": [("sw", dict(rs1=10, rs2=11, imm=0)), ("addi", dict(rd=11, rs1=11, imm=7))],
    "sd": [("sd", dict(rs1=10, rs2=11, imm=0)), ("addi", dict(rd=11, rs1=10, imm=-3))],
    "sd-x0": [("sd", dict(rs1=10, rs2=11, imm=0)), ("addi", dict(rd=0, rs1=11, imm=7))],
}


def access_addi_loop(kind):
    """The pair, its sums kept in x28 (so every trip's loaded value counts), the pointer's step,
    and the loop's test (itself a fused addi and branch)."""
    return ACCESS_ADDI[kind] + [("add", dict(rd=28, rs1=28, rs2=12)),
                                ("add", dict(rd=28, rs1=28, rs2=14)),
                                ("addi", dict(rd=10, rs1=10, imm=8)),
                                ("addi", dict(rd=29, rs1=29, imm=-1)),
                                ("bne", dict(rs1=29, rs2=0, imm=None))]


def access_addi_code(kind):
    body = access_addi_loop(kind)
    back = -len(assemble(body[:-1]))
    body[-1] = ("bne", dict(rs1=29, rs2=0, imm=back))
    return body, assemble(body)


def loop_three_ways(code, body_len, regs, seed, pointer):
    """Run code, a loop of body_len instructions that x29 counts down to 0 over 320 random bytes
    at 0x80080000, then parks: in one run, in chunks of 1-5 instructions, and in fresh single
    steps.  All three must end alike, after the whole loop, with pointer = (register, value);
    returns the final (state, data)."""
    data = bytes(random.Random(seed).getrandbits(8) for _ in range(8 * 40))
    total = 37 * body_len + 40
    finals = []
    for sizes, fresh in (([total], False), ([1, 2, 3, 5], False), ([1], True)):
        m = machine(code, regs=regs, mem={0x80080000: data})
        run_in_chunks(m, total, random.Random(7), sizes, fresh=fresh)
        h = m.harts[0]
        assert (h.pc, h.x[29], h.x[pointer[0]], h.instret) == (CODE + len(code), 0, pointer[1],
                                                               total), sizes
        finals.append((state(m), m.read_phys(0x80080000, len(data))))
    assert finals[0] == finals[1] == finals[2]
    return finals[0]


@pytest.mark.parametrize("kind", sorted(ACCESS_ADDI))
def test_access_addi_pairs_stop_anywhere(kind):
    """A load or store and the addi after it run as one operation; a budget that ends between
    them runs the access alone, whatever the chunk sizes, and every trip's values are the same
    as single steps that decode afresh give."""
    body, code = access_addi_code(kind)
    final = loop_three_ways(code, len(body), {10: 0x80080000, 11: 0x1234, 29: 37}, 5,
                            (10, 0x80080000 + 8 * 37))
    if kind.startswith("l"):
        assert final[0][1][28] != 0                     # the loads were summed


VA_DATA = 0x40000000                # under Sv39: one data page (at 0x80080000), the next unmapped


def sv39_data_machine(code, regs):
    """A machine running code in S-mode under Sv39 with one mapped data page at VA_DATA and page
    faults delegated to S-mode (whose handler, at TRAP_PC, parks)."""
    m = machine(code, regs=regs)
    satp = sv39_map(m, 0x800C0000, {CODE: (CODE, PTE_R | PTE_X | PTE_A),
                                    VA_DATA: (0x80080000, PTE_R | PTE_W | PTE_A | PTE_D)})
    h = m.harts[0]
    h.set_csr("satp", satp)
    h.set_csr("medeleg", 0xB000)
    h.priv = 1
    return m


@pytest.mark.parametrize("kind", sorted(ACCESS_ADDI))
def test_access_addi_pair_faults_before_its_addi(kind):
    """Under Sv39 the pointer walks off its page into an unmapped one: the access of the fused
    pair takes the page fault, and its addi has not run (the handler sees the registers as
    they were before the access; sepc is the access's pc)."""
    body, code = access_addi_code(kind)
    va_data = VA_DATA
    regs = {10: va_data + 0x1000 - 8 * 5, 11: 0x1234, 29: 1000}   # five trips, then the next page
    m = sv39_data_machine(code, regs)
    h = m.harts[0]
    before = None
    for _ in range(6 * len(body)):
        if h.pc == CODE and h.x[10] == va_data + 0x1000:
            before = tuple(h.x)
        if m.core.run(0, 1)[1] == 0 or h.pc == TRAP_PC:
            break
    assert h.pc == TRAP_PC and h.csr("sepc") == CODE
    assert h.csr("scause") == (13 if kind.startswith("l") else 15)
    assert h.csr("stval") == va_data + 0x1000 + body[0][1]["imm"]
    assert tuple(h.x) == before                         # the addi did not run
    # the same in one run, the budget well past the fault, so that no stop splits the pair
    m2 = sv39_data_machine(code, regs)
    h2 = m2.harts[0]
    m2.core.run(0, h.instret + 50)                      # then parked at TRAP_PC (a self-loop)
    assert (h2.pc, tuple(h2.x), h2.csr("sepc")) == (TRAP_PC, tuple(h.x), CODE)


# An add that forms an address, then a load from it: the run loop fuses the pair.  x10 is the
# base, x15 the index (8 bytes a trip); the add's sum is also the load's destination in "ld".
ADD_LOAD = {
    "lw": [("add", dict(rd=12, rs1=10, rs2=15)), ("lw", dict(rd=13, rs1=12, imm=4))],
    "ld": [("add", dict(rd=13, rs1=15, rs2=10)), ("ld", dict(rd=13, rs1=13, imm=0))],
    "lbu": [("c.add", dict(rd=12, rs2=15)), ("lbu", dict(rd=13, rs1=12, imm=-1))],
}


def add_load_code(kind):
    body = ADD_LOAD[kind] + [("add", dict(rd=28, rs1=28, rs2=13)),
                             ("addi", dict(rd=15, rs1=15, imm=8)),
                             ("addi", dict(rd=29, rs1=29, imm=-1)),
                             ("bne", dict(rs1=29, rs2=0, imm=None))]
    if kind == "lbu":                                   # c.add adds to x12 itself: reset it
        body.insert(0, ("addi", dict(rd=12, rs1=10, imm=1)))
    body[-1] = ("bne", dict(rs1=29, rs2=0, imm=-len(assemble(body[:-1]))))
    return body, assemble(body)


@pytest.mark.parametrize("kind", sorted(ADD_LOAD))
def test_add_load_pairs_stop_anywhere(kind):
    """An add and the load after it run as one operation; a budget that ends between them runs
    the add alone, whatever the chunk sizes, with the same values as fresh single steps."""
    body, code = add_load_code(kind)
    final = loop_three_ways(code, len(body), {10: 0x80080000, 15: 0, 29: 37}, 9, (15, 8 * 37))
    assert final[0][1][28] != 0                         # the loads were summed


@pytest.mark.parametrize("kind", sorted(ADD_LOAD))
def test_add_load_pair_faults_after_its_add(kind):
    """Under Sv39 the index walks off the base's page: the load of the fused pair takes the page
    fault with its add done (the handler sees the sum; sepc is the load's pc)."""
    body, code = add_load_code(kind)
    load_pc = CODE + len(assemble(body[:body.index(ADD_LOAD[kind][1])]))
    va_data = VA_DATA
    runs = []
    for budget in (None, 1):
        m = sv39_data_machine(code, {10: va_data, 15: 0x1000 - 8 * 5, 29: 1000})
        h = m.harts[0]
        if budget is None:
            m.core.run(0, 40 * len(body))               # then parked at TRAP_PC (a self-loop)
        else:
            for _ in range(40 * len(body)):
                if h.pc == TRAP_PC:
                    break
                m.core.run(0, 1)
        assert (h.pc, h.csr("sepc"), h.csr("scause")) == (TRAP_PC, load_pc, 13)
        rs1 = ADD_LOAD[kind][1][1]["rs1"]
        assert h.csr("stval") == h.x[rs1] + ADD_LOAD[kind][1][1]["imm"]
        assert h.x[rs1] >= va_data + 0x1000 - 1         # the add ran: the sum is past the page
        runs.append(tuple(h.x))
    assert runs[0] == runs[1]


# Two ld or two sd in a row (a function's prologue or epilogue): the run loop fuses the pair.
# x10 walks DATA (8 bytes a trip), x29 counts 37 trips down; compressed forms fuse too.
ACCESS_PAIRS = {
    "ld-ld": [("ld", dict(rd=12, rs1=10, imm=0)), ("ld", dict(rd=14, rs1=10, imm=8))],
    "ld-ld-same-rd": [("ld", dict(rd=12, rs1=10, imm=8)), ("ld", dict(rd=12, rs1=10, imm=0))],
    "c.ld": [("c.ld", dict(rd=12, rs1=10, imm=8)), ("c.ld", dict(rd=14, rs1=10, imm=0))],
    "sd-sd": [("sd", dict(rs1=10, rs2=11, imm=0)), ("sd", dict(rs1=10, rs2=29, imm=8))],
    "c.sd": [("c.sd", dict(rs1=10, rs2=11, imm=8)), ("c.sd", dict(rs1=10, rs2=12, imm=0))],
}


def access_pair_code(kind):
    body = ACCESS_PAIRS[kind] + [("add", dict(rd=28, rs1=28, rs2=12)),
                                 ("add", dict(rd=28, rs1=28, rs2=14)),
                                 ("addi", dict(rd=11, rs1=11, imm=3)),
                                 ("addi", dict(rd=10, rs1=10, imm=8)),
                                 ("addi", dict(rd=29, rs1=29, imm=-1)),
                                 ("bne", dict(rs1=29, rs2=0, imm=None))]
    body[-1] = ("bne", dict(rs1=29, rs2=0, imm=-len(assemble(body[:-1]))))
    return body, assemble(body)


@pytest.mark.parametrize("kind", sorted(ACCESS_PAIRS))
def test_access_pairs_stop_anywhere(kind):
    """Two loads or two stores run as one operation; a budget that ends between them runs the
    first alone, whatever the chunk sizes, with the same values and memory as fresh single
    steps."""
    body, code = access_pair_code(kind)
    final = loop_three_ways(code, len(body), {10: 0x80080000, 11: 0x1234, 12: 77, 29: 37}, 11,
                            (10, 0x80080000 + 8 * 37))
    if kind.startswith(("ld", "c.ld")):
        assert final[0][1][28] != 0                     # the loads were summed


# Every fused pair, with each length of its two instructions (2 or 4 bytes): the run loop has a
# handler for each combination (_handlers.pxi, Widths), which must find the pair's second slot
# and the slot after it.  Each body is one trip of a loop over DATA (x10 += 8); x29 counts the
# trips unless the pair itself closes the loop (then x9 for c.bnez, which takes x8-x15 only).
PAIR_LENGTHS = {
    "addi-bne-44": [("addi", dict(rd=29, rs1=29, imm=-1)), ("bne", dict(rs1=29, rs2=0))],
    "addi-bne-24": [("c.addi", dict(rd=29, imm=-1)), ("bne", dict(rs1=29, rs2=0))],
    "addi-bne-42": [("addi", dict(rd=9, rs1=9, imm=-1)), ("c.bnez", dict(rs1=9))],
    "addi-bne-22": [("c.addi", dict(rd=9, imm=-1)), ("c.bnez", dict(rs1=9))],
    "ld-addi-44": [("ld", dict(rd=12, rs1=10, imm=0)), ("addi", dict(rd=12, rs1=12, imm=5))],
    "ld-addi-42": [("ld", dict(rd=12, rs1=10, imm=0)), ("c.addi", dict(rd=12, imm=5))],
    "ld-addi-24": [("c.ld", dict(rd=12, rs1=10, imm=0)), ("addi", dict(rd=12, rs1=12, imm=5))],
    "ld-addi-22": [("c.ld", dict(rd=12, rs1=10, imm=0)), ("c.addi", dict(rd=12, imm=5))],
    "sd-addi-44": [("sd", dict(rs1=10, rs2=11, imm=0)), ("addi", dict(rd=11, rs1=11, imm=7))],
    "sd-addi-42": [("sd", dict(rs1=10, rs2=11, imm=0)), ("c.addi", dict(rd=11, imm=7))],
    "sd-addi-24": [("c.sd", dict(rs1=10, rs2=11, imm=0)), ("addi", dict(rd=11, rs1=11, imm=7))],
    "sd-addi-22": [("c.sd", dict(rs1=10, rs2=11, imm=0)), ("c.addi", dict(rd=11, imm=7))],
    "add-ld-44": [("add", dict(rd=13, rs1=10, rs2=14)), ("ld", dict(rd=12, rs1=13, imm=0))],
    "add-ld-42": [("add", dict(rd=13, rs1=10, rs2=14)), ("c.ld", dict(rd=12, rs1=13, imm=0))],
    "add-ld-24": [("c.mv", dict(rd=13, rs2=10)), ("c.add", dict(rd=13, rs2=14)),
                  ("ld", dict(rd=12, rs1=13, imm=0))],
    "add-ld-22": [("c.mv", dict(rd=13, rs2=10)), ("c.add", dict(rd=13, rs2=14)),
                  ("c.ld", dict(rd=12, rs1=13, imm=0))],
    "ld-ld-24": [("c.ld", dict(rd=12, rs1=10, imm=8)), ("ld", dict(rd=14, rs1=10, imm=0))],
    "ld-ld-42": [("ld", dict(rd=12, rs1=10, imm=8)), ("c.ld", dict(rd=14, rs1=10, imm=0))],
    "sd-sd-24": [("c.sd", dict(rs1=10, rs2=11, imm=8)), ("sd", dict(rs1=10, rs2=12, imm=0))],
    "sd-sd-42": [("sd", dict(rs1=10, rs2=11, imm=8)), ("c.sd", dict(rs1=10, rs2=12, imm=0))],
}


def pair_lengths_code(kind):
    """The loop for PAIR_LENGTHS[kind]: (body, code, counter register)."""
    pair = PAIR_LENGTHS[kind]
    work = [("add", dict(rd=28, rs1=28, rs2=12)), ("addi", dict(rd=11, rs1=11, imm=3)),
            ("addi", dict(rd=10, rs1=10, imm=8))]
    if kind.startswith("addi-bne"):
        body = work + pair
        counter = pair[0][1]["rd"]
    else:
        body = pair + work + [("addi", dict(rd=29, rs1=29, imm=-1)), ("bne", dict(rs1=29, rs2=0))]
        counter = 29
    back = -len(assemble(body[:-1]))
    body[-1] = (body[-1][0], dict(body[-1][1], imm=back))
    return body, assemble(body), counter


@pytest.mark.parametrize("kind", sorted(PAIR_LENGTHS))
def test_fused_pairs_of_every_length(kind):
    """The fused pair with this combination of lengths runs as single steps that decode afresh
    do, in one run and in chunks that may end between its two instructions."""
    body, code, counter = pair_lengths_code(kind)
    data = bytes(random.Random(3).getrandbits(8) for _ in range(8 * 40))
    total = 37 * len(body) + 40
    finals = []
    for sizes, fresh in (([total], False), ([1, 2, 3, 5], False), ([1], True)):
        m = machine(code, regs={9: 37, 10: 0x80080000, 11: 0x1234, 12: 77, 14: 8, 29: 37},
                    mem={0x80080000: data})
        run_in_chunks(m, total, random.Random(7), sizes, fresh=fresh)
        h = m.harts[0]
        assert (h.pc, h.x[counter], h.x[10], h.instret) == (CODE + len(code), 0,
                                                            0x80080000 + 8 * 37, total), sizes
        finals.append((state(m), m.read_phys(0x80080000, len(data))))
    assert finals[0] == finals[1] == finals[2]
    if "ld" in kind:
        assert finals[0][0][1][28] != 0 and finals[0][0][1][12] != 77   # the loads ran
    first = len(body) - 2 if kind.startswith("addi-bne") else len(PAIR_LENGTHS[kind]) - 2
    lengths = "".join(str(len(assemble([b]))) for b in body[first:first + 2])
    assert lengths == kind.rsplit("-", 1)[1]                # the pair has the lengths named


def test_load_pair_second_address_from_the_first():
    """ld x13 loads a pointer that the next ld uses at once: the pair must not compute the
    second address before the first load (fused run and fresh single steps agree)."""
    code = assemble([("ld", dict(rd=13, rs1=10, imm=0)), ("ld", dict(rd=14, rs1=13, imm=8))])
    mem = {0x80080000: (0x80080100).to_bytes(8, "little"),
           0x80080108: (0x5EED).to_bytes(8, "little")}
    for sizes, fresh in (([2], False), ([1], True)):
        m = machine(code, regs={10: 0x80080000, 13: 0x80080000}, mem=mem)
        run_in_chunks(m, 2, random.Random(1), sizes, fresh=fresh)
        assert m.harts[0].x[13] == 0x80080100 and m.harts[0].x[14] == 0x5EED


@pytest.mark.parametrize("kind", ["ld-ld", "sd-sd"])
@pytest.mark.parametrize("where", ["second", "first"])
def test_access_pair_faults_where_its_access_does(kind, where):
    """Under Sv39, the pair's first access in the last doubleword of the mapped page and its
    second in the unmapped one: the second faults with the first done (a register loaded, or
    memory stored; sepc: the second's pc).  Both in the unmapped page: the first faults and
    nothing of the pair has run.  One run and single steps end alike."""
    body, code = access_pair_code(kind)
    first_len = len(assemble(body[:1]))
    base = VA_DATA + 0x1000 - 8 if where == "second" else VA_DATA + 0x1000
    regs = {10: base, 11: 0x1234, 12: 77, 14: 88, 29: 1000}
    runs = []
    for budget in (None, 1):
        m = sv39_data_machine(code, regs)
        h = m.harts[0]
        m.write_phys(0x80080FF8, (0xABCDEF).to_bytes(8, "little"))
        if budget is None:
            m.core.run(0, 40)                           # then parked at TRAP_PC (a self-loop)
        else:
            for _ in range(40):
                if h.pc == TRAP_PC:
                    break
                m.core.run(0, 1)
        assert h.pc == TRAP_PC and h.csr("scause") == (13 if kind == "ld-ld" else 15)
        if where == "second":
            assert h.csr("sepc") == CODE + first_len and h.csr("stval") == VA_DATA + 0x1000
            if kind == "ld-ld":
                assert h.x[12] == 0xABCDEF and h.x[14] == 88
            else:
                assert m.read_phys(0x80080FF8, 8) == (0x1234).to_bytes(8, "little")
        else:
            assert h.csr("sepc") == CODE and h.csr("stval") == VA_DATA + 0x1000
            assert h.x[12] == 77 and h.x[14] == 88
            assert m.read_phys(0x80080FF8, 8) == (0xABCDEF).to_bytes(8, "little")
        runs.append((tuple(h.x), m.read_phys(0x80080000, 0x1000)))
    assert runs[0] == runs[1]


def store_loop(trips, store_offset, width="sd"):
    """A loop that stores x11 at x10 + store_offset trips times, then parks."""
    return [("addi", dict(rd=12, rs1=0, imm=trips)),
            (width, dict(rs1=10, rs2=11, imm=store_offset)),
            ("addi", dict(rd=11, rs1=11, imm=1)),
            ("addi", dict(rd=12, rs1=12, imm=-1)),
            ("bne", dict(rs1=12, rs2=0, imm=-12))]


def test_stores_beside_code_keep_its_slots():
    """Data next to code in one page: the loop's slots survive its stores (no re-decoding)."""
    m = machine(assemble(store_loop(1000, 0)), regs={10: DATA_IN_PAGE, 11: 0})
    m.run(max_instructions=2)                            # decoded, and the first store done
    slots = m.core.decoded_slots(CODE)
    assert slots >= 5
    for trip in range(1, 50):
        m.run(max_instructions=4)                        # stop right after each store
        assert m.core.decoded_slots(CODE) == slots
    assert m.read_phys(DATA_IN_PAGE, 8) == (49).to_bytes(8, "little")
    m.run(max_instructions=5000)
    assert m.harts[0].x[11] == 1000 and m.read_phys(DATA_IN_PAGE, 8) == (999).to_bytes(8, "little")


def test_store_over_code_empties_only_what_it_overlaps():
    """A store onto one decoded instruction empties it and the runs that flow into it, and the
    next trip runs the new instruction; slots past it stay."""
    code = [("addi", dict(rd=5, rs1=5, imm=1)),          # CODE+0: the loop
            ("addi", dict(rd=6, rs1=6, imm=1)),          # CODE+4: patched to addi x6, x6, 100
            ("sw", dict(rs1=10, rs2=11, imm=0)),         # CODE+8: the patching store
            ("addi", dict(rd=7, rs1=7, imm=-1)),
            ("bne", dict(rs1=7, rs2=0, imm=-16))]
    after = [("addi", dict(rd=8, rs1=8, imm=1))] * 8     # never executed before the patch
    m = machine(assemble(code + after), regs={7: 2, 10: CODE + 4,
                                              11: enc("addi", rd=6, rs1=6, imm=100)})
    h = m.harts[0]
    m.run(max_instructions=len(code))                    # the first trip, the patch
    assert h.x[6] == 1 and h.pc == CODE
    assert m.core.decoded_slots(CODE) >= len(code)
    m.run(max_instructions=len(code) + len(after))      # the second trip, then onwards
    assert h.x[6] == 101 and h.x[5] == 2 and h.x[8] == len(after)


def test_every_store_over_code_is_seen():
    """Each trip rewrites the immediate of the loop's first instruction (through the same
    store-TLB entry after the first time); each next trip runs the new value."""
    trips = 20
    code = [("addi", dict(rd=6, rs1=6, imm=0)),         # CODE: imm = trip - 1
            ("sw", dict(rs1=10, rs2=11, imm=0)),
            ("add", dict(rd=11, rs1=11, rs2=12)),        # next imm
            ("addi", dict(rd=7, rs1=7, imm=-1)),
            ("bne", dict(rs1=7, rs2=0, imm=-16))]
    m = machine(assemble(code), regs={7: trips, 10: CODE, 12: 1 << 20,
                                      11: enc("addi", rd=6, rs1=6, imm=1)})
    m.run(max_instructions=len(code) * trips)
    assert m.harts[0].x[6] == trips * (trips - 1) // 2


def test_two_byte_store_into_upper_half_of_instruction():
    """sh at CODE+6 rewrites only the upper half of the 4-byte instruction at CODE+4 (its
    immediate): the instruction must be decoded again."""
    old = enc("addi", rd=6, rs1=6, imm=1)
    new = enc("addi", rd=6, rs1=6, imm=7)
    assert old & 0xFFFF == new & 0xFFFF
    code = [("addi", dict(rd=5, rs1=5, imm=1)),
            old,
            ("sh", dict(rs1=10, rs2=11, imm=0)),
            ("addi", dict(rd=7, rs1=7, imm=-1)),
            ("bne", dict(rs1=7, rs2=0, imm=-16))]
    m = machine(assemble(code), regs={7: 2, 10: CODE + 6, 11: new >> 16})
    m.run(max_instructions=2 * len(code))
    h = m.harts[0]
    assert h.x[6] == 1 + 7 and h.x[7] == 0


def test_code_page_becomes_data_again():
    """Emptying every slot of a page (overwriting its code) makes it a plain data page."""
    m = machine(assemble([("addi", dict(rd=5, rs1=5, imm=1))] * 4))
    m.run(max_instructions=4)
    assert m.core.decoded_slots(CODE) >= 4
    m.write_phys(CODE, bytes(20))                        # and the halt loop after it
    assert m.core.decoded_slots(CODE) == 0


# ---- spinning harts ------------------------------------------------------------------------

FLAG = 0x80010000
WORK = 0x30400                  # lui + addi can load it


FLAG_IN_X10 = [("lui", dict(rd=10, imm=FLAG - 0x80000000)),    # x10 = 0x80010000 - 2^31 ...
               ("add", dict(rd=10, rs1=10, rs2=9))]             # ... + x9 (= 2^31)
PARK = ["wfi", ("jal", dict(rd=0, imm=-4))]


def spin_machine(harts=2, slice_instructions=10_000, spin=None, finish=None):
    """Hart 0 spins until FLAG is non-zero (lw + beqz), then stores 1 at FLAG + 8 and parks in
    WFI.  Hart 1 counts WORK trips, then sets FLAG and parks.  (Interrupts are off: once both
    park, the machine halts.)  spin replaces hart 0's program after FLAG_IN_X10, finish the
    worker's store that sets FLAG."""
    if spin is None:
        spin = [("lw", dict(rd=5, rs1=10, imm=0)),            # 1: spin
                ("beq", dict(rs1=5, rs2=0, imm=-4)),
                ("addi", dict(rd=6, rs1=0, imm=1)),
                ("sw", dict(rs1=10, rs2=6, imm=8))]
    if finish is None:
        finish = [("addi", dict(rd=6, rs1=0, imm=1)),
                  ("sw", dict(rs1=10, rs2=6, imm=0))]
    work = [("lui", dict(rd=7, imm=(WORK >> 12) << 12)),
            ("addi", dict(rd=7, rs1=7, imm=WORK & 0xFFF)),
            ("addi", dict(rd=7, rs1=7, imm=-1)),              # 1: work
            ("bne", dict(rs1=7, rs2=0, imm=-4))]
    m = Machine(ram_mib=1, harts=harts, slice_instructions=slice_instructions)
    m.write_phys(CODE, assemble(FLAG_IN_X10 + spin + PARK))
    m.write_phys(CODE + 0x400, assemble(FLAG_IN_X10 + work + finish + PARK))
    for h in m.harts:
        h.set_x(9, 0x80000000)
    m.harts[0].pc = CODE
    if harts > 1:
        m.harts[1].pc = CODE + 0x400
    return m


def flag_seen(m):
    return m.read_phys(FLAG + 8, 4) == (1).to_bytes(4, "little")


def test_spinning_hart_yields_to_the_worker():
    m = spin_machine()
    reason = m.run(max_instructions=3 * WORK)
    assert reason is StopReason.HALT
    assert flag_seen(m)
    spinner, worker = m.harts[0].instret, m.harts[1].instret
    # without yielding the spinner would have run as long as the worker (~2 * WORK)
    assert worker > 2 * WORK
    assert spinner < worker // 20, (spinner, worker)


def test_amoswap_spinner_yields_with_a_warm_tlb():
    """A test-and-set loop on a lock another hart holds yields, also when its store-TLB entry is
    filled (the AMO's inline path hands a taken lock to the slow half, which yields)."""
    lock = FLAG + 32
    spin = [("addi", dict(rd=11, rs1=0, imm=1)),
            ("sw", dict(rs1=10, rs2=0, imm=16)),              # fills FLAG's store-TLB entry
            ("addi", dict(rd=12, rs1=10, imm=32)),            # x12 = the lock
            ("amoswap.w", dict(rd=5, rs1=12, rs2=11)),        # 1: test-and-set
            ("bne", dict(rs1=5, rs2=0, imm=-4)),
            ("sw", dict(rs1=10, rs2=11, imm=8))]
    m = spin_machine(spin=spin, finish=[("sw", dict(rs1=10, rs2=0, imm=32))])   # unlock
    m.write_phys(lock, (1).to_bytes(4, "little"))
    reason = m.run(max_instructions=3 * WORK)
    assert reason is StopReason.HALT
    assert flag_seen(m)
    assert m.read_phys(lock, 4) == (1).to_bytes(4, "little")      # the spinner took it
    spinner, worker = m.harts[0].instret, m.harts[1].instret
    assert worker > 2 * WORK
    assert spinner < worker // 20, (spinner, worker)


def test_spin_yield_is_deterministic():
    a, b = spin_machine(), spin_machine()
    a.run(max_instructions=WORK)
    b.run(max_instructions=WORK)
    assert [h.instret for h in a.harts] == [h.instret for h in b.harts]
    assert [h.pc for h in a.harts] == [h.pc for h in b.harts]


def test_progressing_loop_is_never_yielded():
    """A loop that changes a register every trip (the worker) runs its whole slice."""
    m = spin_machine(harts=2)
    m.harts[0].pc = CODE + 0x400            # both harts work
    reason, ran = m.core.run(0, 50_000)
    assert (reason, ran) == ("budget", 50_000)


# ---- the threaded fast half (_handlers.pxi) -------------------------------------------------

STACK_PROBE = """
import sys, threading
sys.path[:0] = [{rvemu_home!r}, {tests!r}]
from snippets import CODE, machine, assemble
loop = assemble([("addi", dict(rd=5, rs1=5, imm=1)),
                 ("sd", dict(rs1=7, rs2=5, imm=0)),
                 ("ld", dict(rd=8, rs1=7, imm=0)),
                 ("add", dict(rd=9, rs1=9, rs2=8)),
                 ("bne", dict(rs1=5, rs2=6, imm=-16))])
out = []
def body():
    m = machine(loop, regs={{6: 1 << 40, 7: CODE + 0x2000}})
    m.run(max_instructions={n})
    h = m.harts[0]
    out.append((h.instret, h.x[5], h.x[9], h.pc - CODE))
threading.stack_size(512 * 1024)
t = threading.Thread(target=body)
t.start()
t.join()
print(*out[0])
"""


def test_threaded_run_keeps_the_host_stack_flat(tmp_path):
    """The handlers reach the next slot's handler by a tail call (a jump), so a loop that stays
    in its page runs as one chain of handlers without growing the host stack.  4 M instructions
    of such a loop run in a thread with a 512 KiB stack: a handler that called the next one
    instead would need at least 16 bytes per instruction and crash the thread's process (so the
    run is a subprocess of its own)."""
    import os
    import subprocess
    import sys
    import rvemu
    n = 4_000_000
    # the rvemu this process imported (installed, or built in place), from a neutral folder
    script = STACK_PROBE.format(rvemu_home=os.path.dirname(os.path.dirname(rvemu.__file__)),
                                tests=os.path.dirname(os.path.abspath(__file__)), n=n)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    trips = n // 5
    assert r.stdout.split() == [str(n), str(trips), str(trips * (trips + 1) // 2), "0"]
