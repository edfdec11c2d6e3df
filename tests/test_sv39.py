"""Sv39 translation in the compiled core, checked against the spec and tests/reference/sv39.py.

Every emulator test here runs real instructions: a one-instruction snippet (a load, store, AMO,
sfence.vma or CSR write, always followed by ``ecall``) in S-mode, U-mode, or M-mode with
mstatus.MPRV, or an instruction fetch from the address under test.  All traps go to M-mode
(medeleg = 0) at HANDLER, a physical ``jal x0, 0``, so after a run the hart sits in M-mode at
HANDLER and mcause/mepc/mtval tell what happened: an ecall cause means the access succeeded.

Physical layout (4 MiB of RAM at 0x80000000)::

    0x80000000-0x80002fff, 0x801ff000   data pages (DATA_PAGES: the only RAM the random
    0x80200000-0x80202fff, 0x803ff000   state machine maps)
    0x80010000                          HANDLER, the M-mode trap vector
    0x80011000                          the snippet page, mapped at CODE_S (S) and CODE_U (U)
    0x80100000-0x8017ffff               page-table pool

The layout puts every page reachable through the random superpages of the state machine below
(offsets chosen from a few table slots) in DATA_PAGES or outside RAM, so random stores never hit
code or page tables.

Parts:
  1. the reference walker itself, on a bytearray;
  2. directed emulator tests: permissions, PTE structure, A/D, superpages, MPRV, TLB
     maintenance, page-crossing accesses, memory outside RAM;
  3. a Hypothesis state machine: random map/unmap/protect/fence/access sequences, each access
     compared with the reference walker (trap cause, tval, epc, loaded value; page tables and
     data pages after every step, so A/D updates are checked too; all of RAM at the end).
     Every page-table change is followed by a fence (sfence.vma, all or by address, or a satp
     write), so a stale TLB entry is never a legal outcome there.

Implementation choices the spec leaves open, asserted as rvemu documents them: A/D are set by
the hardware walk (no page fault for A=0 / D=0); misaligned loads and stores are performed (a
page-crossing one translates both pages, and when the second page faults mtval holds that
page's first address).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from rvemu import Machine, opcodes

from reference import sv39
from reference.sv39 import (
    FETCH, LOAD, STORE, PRIV_M, PRIV_S, PRIV_U, PTE_A, PTE_D, PTE_G, PTE_R, PTE_U, PTE_V, PTE_W,
    PTE_X, Fault, MachineRam, Mirror, PageAllocator, PageTable, RamImage, Translation,
    make_pte, make_satp, make_va,
)

MASK64 = (1 << 64) - 1
RAM_BASE = 0x80000000
RAM_MIB = 4
RAM_END = RAM_BASE + (RAM_MIB << 20)
HANDLER = 0x80010000
CODE_PA = 0x80011000
POOL = (0x80100000, 0x80180000)
DATA_PAGES = [base + 0x1000 * i for base in (0x80000000, 0x80200000) for i in (0, 1, 2, 511)]
CODE_S = make_va(511, 511, 0)          # the snippet page for S-mode (R X, not U)
CODE_U = make_va(511, 511, 1)          # the same page for U-mode (R X U)

MSTATUS_SIE = 1 << 1
MSTATUS_MPP = 3 << 11
MSTATUS_MPRV = 1 << 17
MSTATUS_SUM = 1 << 18
MSTATUS_MXR = 1 << 19
ECALL_CAUSE = {PRIV_U: 8, PRIV_S: 9, PRIV_M: 11}
RWX = PTE_R | PTE_W | PTE_X

E = opcodes.encode
ECALL = struct.pack("<I", E("ecall"))
HALT = struct.pack("<I", E("jal", rd=0, imm=0))
A0, A1, A2 = 10, 11, 12

LOAD_OP = {1: "lbu", 2: "lhu", 4: "lwu", 8: "ld"}
STORE_OP = {1: "sb", 2: "sh", 4: "sw", 8: "sd"}


def _snippets():
    table = []
    for size in (1, 2, 4, 8):
        table.append(((LOAD, size), E(LOAD_OP[size], rd=A0, rs1=A1, imm=0)))
        table.append(((STORE, size), E(STORE_OP[size], rs1=A1, rs2=A2, imm=0)))
    table += [
        ("amoadd", E("amoadd.d", rd=A0, rs1=A1, rs2=A2)),
        ("lr", E("lr.d", rd=A0, rs1=A1)),
        ("sfence_all", E("sfence.vma", rs1=0, rs2=0)),
        ("sfence_va", E("sfence.vma", rs1=A1, rs2=0)),
        ("csrw_satp", E("csrrw", rd=0, rs1=A1, imm=0x180)),
        ("csrs_sstatus", E("csrrs", rd=0, rs1=A1, imm=0x100)),
        ("csrc_sstatus", E("csrrc", rd=0, rs1=A1, imm=0x100)),
    ]
    offsets = {name: 8 * k for k, (name, _) in enumerate(table)}
    code = b"".join(struct.pack("<I", w) + ECALL for _, w in table)
    return offsets, code


SNIPPET_OFFSET, SNIPPET_CODE = _snippets()


@dataclass
class Outcome:
    cause: int
    tval: int
    epc: int
    a0: int
    ecall_cause: int               # the cause that means "the snippet ran to its ecall"

    @property
    def ok(self) -> bool:
        return self.cause == self.ecall_cause

    def __str__(self):
        return (f"cause={self.cause} tval={self.tval:#x} epc={self.epc:#x} a0={self.a0:#x}"
                f" ok={self.ok}")


class Env:
    """A 4 MiB machine with the layout above, an Sv39 page table whose root and code mappings
    are in place, and helpers to run accesses.  With model=True every page-table write also goes
    to a bytearray image of RAM (self.image) that the reference walker reads."""

    def __init__(self, model: bool = False):
        self.m = Machine(ram_mib=RAM_MIB)
        self.h = self.m.harts[0]
        self.ram = MachineRam(self.m)
        self.image = RamImage(RAM_BASE, RAM_MIB << 20) if model else None
        self.mem = Mirror(self.image, self.ram) if model else self.ram
        self.alloc = PageAllocator(*POOL)
        self.mem.write(HANDLER, HALT)
        self.mem.write(CODE_PA, SNIPPET_CODE)
        self.pt = self.new_table()
        self.satp = self.pt.satp
        self.h.set_csr("mtvec", HANDLER)
        self.h.set_csr("satp", self.satp)
        # what firmware does: PMP entry 0 lets S and U reach all of memory (TOR to the top)
        self.h.set_csr("pmpaddr0", (1 << 54) - 1)
        self.h.set_csr("pmpcfg0", 0x0F)

    def new_table(self) -> PageTable:
        """A fresh page-table tree holding the two code mappings (A preset, so fetching the
        snippets never changes a PTE)."""
        pt = PageTable(self.mem, self.alloc)
        pt.map(CODE_S, CODE_PA, PTE_R | PTE_X | PTE_A)
        pt.map(CODE_U, CODE_PA, PTE_R | PTE_X | PTE_U | PTE_A)
        return pt

    # ---- running --------------------------------------------------------------------------
    def _set_mstatus(self, sum: Optional[bool], mxr: Optional[bool], mprv_mpp: Optional[int]):
        s = self.h.csr("mstatus") & ~(MSTATUS_MPRV | MSTATUS_MPP)
        if sum is not None:
            s = (s & ~MSTATUS_SUM) | (MSTATUS_SUM if sum else 0)
        if mxr is not None:
            s = (s & ~MSTATUS_MXR) | (MSTATUS_MXR if mxr else 0)
        if mprv_mpp is not None:
            s |= MSTATUS_MPRV | (mprv_mpp << 11)
        self.h.set_csr("mstatus", s)

    def run_at(self, pc: int, priv: int, a1: int = 0, a2: int = 0, sum: Optional[bool] = False,
               mxr: Optional[bool] = False, mprv_mpp: Optional[int] = None) -> Outcome:
        """Run from pc at priv until the trap handler is reached; report the trap."""
        h = self.h
        self._set_mstatus(sum, mxr, mprv_mpp)
        h.set_x(A0, 0x5A5A5A5A5A5A5A5A)
        h.set_x(A1, a1)
        h.set_x(A2, a2)
        h.set_csr("mcause", 0xDEAD)
        h.priv = priv
        h.pc = pc
        self.m.run(max_instructions=4)
        assert h.priv == PRIV_M and h.pc == HANDLER, "the snippet did not end in a trap"
        assert h.csr("mcause") != 0xDEAD
        return Outcome(h.csr("mcause"), h.csr("mtval"), h.csr("mepc"), h.x[A0],
                       ECALL_CAUSE[priv])

    def snippet(self, name, priv: int = PRIV_S, mprv_mpp: Optional[int] = None, **kw) -> Outcome:
        """Run one snippet at priv (PRIV_S or PRIV_U), or in M-mode with MPRV=1 and MPP=mprv_mpp
        (code then runs from its physical address)."""
        off = SNIPPET_OFFSET[name]
        if mprv_mpp is not None:
            return self.run_at(CODE_PA + off, PRIV_M, mprv_mpp=mprv_mpp, **kw)
        base = {PRIV_S: CODE_S, PRIV_U: CODE_U, PRIV_M: CODE_PA}[priv]
        return self.run_at(base + off, priv, **kw)

    def snippet_pc(self, name, priv: int = PRIV_S, mprv_mpp: Optional[int] = None) -> int:
        off = SNIPPET_OFFSET[name]
        if mprv_mpp is not None or priv == PRIV_M:
            return CODE_PA + off
        return (CODE_S if priv == PRIV_S else CODE_U) + off

    def access(self, kind: str, va: int, priv: int = PRIV_S, size: int = 8, value: int = 0,
               sum: Optional[bool] = False, mxr: Optional[bool] = False,
               mprv_mpp: Optional[int] = None) -> Outcome:
        """One load, store or fetch of va.  A fetch jumps to va: the instruction there must be
        an ecall for the fetch to count as a success."""
        if kind == FETCH:
            assert mprv_mpp is None
            return self.run_at(va, priv, sum=sum, mxr=mxr)
        return self.snippet((kind, size), priv, mprv_mpp, a1=va, a2=value, sum=sum, mxr=mxr)

    def fence(self, kind: str = "all", va: int = 0) -> None:
        """sfence.vma x0,x0 ("all"), sfence.vma va ("va"), or rewriting satp ("satp"), executed
        in S-mode."""
        if kind == "all":
            out = self.snippet("sfence_all")
        elif kind == "va":
            out = self.snippet("sfence_va", a1=va)
        else:
            out = self.snippet("csrw_satp", a1=self.satp)
        assert out.ok, f"fence {kind}: {out}"

    def set_satp_from_s(self, satp: int) -> None:
        self.satp = satp
        out = self.snippet("csrw_satp", a1=satp)
        assert out.ok, str(out)

    # ---- memory ---------------------------------------------------------------------------
    def pte(self, addr: int) -> int:
        return self.ram.read64(addr)

    def predict(self, kind: str, va: int, priv: int, sum: bool = False, mxr: bool = False,
                **kw):
        """The reference walker's verdict on the emulator's current memory (no A/D writes)."""
        return sv39.translate(self.ram.read64, None, self.h.csr("satp"), va, kind, priv, sum,
                              mxr, **kw)


def fill_page(env: Env, pa: int, seed: int) -> None:
    """A recognisable pattern: the 8-byte word at offset o holds (seed << 32) | o."""
    env.mem.write(pa, b"".join(struct.pack("<Q", (seed << 32) | o) for o in range(0, 4096, 8)))


def word_at(seed: int, off: int) -> int:
    return (seed << 32) | off


# =============================================================================================
# 1. The reference walker on its own
# =============================================================================================

def _ref_env():
    img = RamImage(RAM_BASE, 1 << 22)
    pt = PageTable(img, PageAllocator(*POOL))
    return img, pt


def test_reference_4k_translation_and_ad():
    img, pt = _ref_env()
    va = make_va(1, 2, 3, 0x456)
    addr = pt.map(va, 0x80203000, PTE_R | PTE_W)
    r = sv39.translate(img.read64, img.write64, pt.satp, va, LOAD, PRIV_S)
    assert isinstance(r, Translation)
    assert (r.pa, r.level, r.pte_addr) == (0x80203456, 0, addr)
    assert img.read64(addr) == make_pte(0x80203000, PTE_V | PTE_R | PTE_W | PTE_A)
    r = sv39.translate(img.read64, img.write64, pt.satp, va, STORE, PRIV_S)
    assert r.writes == ((addr, make_pte(0x80203000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)),)
    r = sv39.translate(img.read64, img.write64, pt.satp, va, STORE, PRIV_S)
    assert r.writes == ()                                   # A and D already set


def test_reference_superpage_address():
    img, pt = _ref_env()
    pt.map(make_va(0, 5), 0x80200000, PTE_R, level=1)
    r = sv39.translate(img.read64, None, pt.satp, make_va(0, 5, 0x1AB, 0x123), LOAD, PRIV_S)
    assert (r.pa, r.level) == (0x80200000 + (0x1AB << 12) + 0x123, 1)
    pt.map(make_va(257), 0x80000000, PTE_R, level=2)
    va = make_va(257, 0x1FF, 0x0AB, 0xFED)
    assert va >> 63 == 1                                    # a high-half address
    r = sv39.translate(img.read64, None, pt.satp, va, LOAD, PRIV_S)
    assert (r.pa, r.level) == (0x80000000 + (0x1FF << 21) + (0x0AB << 12) + 0xFED, 2)


@pytest.mark.parametrize("setup, access, priv, reason", [
    (lambda pt: None, LOAD, PRIV_S, "invalid PTE at level 2"),
    (lambda pt: pt.map(0x1000, 0x80000000, PTE_W), LOAD, PRIV_S, "W without R"),
    (lambda pt: pt.map(0x1000, 0x80000000, PTE_R | 1 << 60), LOAD, PRIV_S, "reserved"),
    (lambda pt: pt.map(0x1000, 0x80000000, PTE_R | PTE_U), LOAD, PRIV_S, "SUM=0"),
    (lambda pt: pt.map(0x1000, 0x80000000, PTE_X | PTE_U), FETCH, PRIV_S, "S-mode fetch"),
    (lambda pt: pt.map(0x1000, 0x80000000, PTE_R), LOAD, PRIV_U, "without U"),
    (lambda pt: pt.map(0x1000, 0x80000000, PTE_X), LOAD, PRIV_S, "without R"),
    (lambda pt: pt.map(0, 0x80001000, PTE_R, level=1), LOAD, PRIV_S, "misaligned superpage"),
    (lambda pt: pt.set_entry(0x1000, 0, PTE_V), LOAD, PRIV_S, "pointer PTE at level 0"),
])
def test_reference_page_faults(setup, access, priv, reason):
    img, pt = _ref_env()
    setup(pt)
    r = sv39.translate(img.read64, None, pt.satp, 0x1000, access, priv)
    assert isinstance(r, Fault) and r.cause == sv39.PAGE_FAULT[access] and r.tval == 0x1000
    assert reason in r.reason


def test_reference_access_fault_and_canonical():
    img, pt = _ref_env()
    r = sv39.translate(img.read64, None, make_satp(0x1000), 0x1000, STORE, PRIV_S)
    assert r == Fault(7, 0x1000, r.reason)                  # root table outside memory
    r = sv39.translate(img.read64, None, pt.satp, 1 << 39, FETCH, PRIV_U)
    assert isinstance(r, Fault) and (r.cause, r.tval) == (12, 1 << 39)
    assert sv39.is_canonical(make_va(256)) and not sv39.is_canonical(1 << 38)
    r = sv39.translate(img.read64, None, pt.satp, 0x1234, LOAD, PRIV_M)
    assert r == Translation(pa=0x1234)


# =============================================================================================
# 2. Directed emulator tests
# =============================================================================================

VA = make_va(0, 3, 7)                   # the page most directed tests map
DATA = DATA_PAGES[1]                    # and the physical page behind it
FETCH_OFF = 0x100                       # an ecall lives here in DATA
LOAD_OFF = 0x208


def data_env(flags: int, va: int = VA, pa: int = DATA, level: int = 0) -> Env:
    env = Env()
    if env.ram.contains(pa, 4096):
        fill_page(env, pa, 0x1111)
        env.mem.write(pa + FETCH_OFF, ECALL)
    env.pt.map(va, pa, flags, level)
    return env


def check(env: Env, kind: str, va: int, priv: int = PRIV_S, sum: bool = False,
          mxr: bool = False, mprv_mpp: Optional[int] = None, value: int = 0, size: int = 8):
    """Run the access and assert that the emulator and the reference walker agree on fault or
    success (cause and tval).  Returns (outcome, reference result)."""
    eff = mprv_mpp if mprv_mpp is not None else priv
    ref = env.predict(kind, va, eff, sum, mxr)
    out = env.access(kind, va, priv, size=size, value=value, sum=sum, mxr=mxr,
                     mprv_mpp=mprv_mpp)
    if isinstance(ref, Fault):
        assert (out.cause, out.tval) == (ref.cause, ref.tval), f"{out} vs {ref}"
        expected_epc = va if kind == FETCH else env.snippet_pc((kind, size), priv, mprv_mpp)
        assert out.epc == expected_epc
    else:
        assert out.ok, f"{out}, reference: {ref}"
    return out, ref


# (name, PTE flags, priv or ("mprv", MPP), access, sum, mxr, expected cause or None for success)
PERMISSIONS = [
    ("R load", PTE_R, PRIV_S, LOAD, 0, 0, None),
    ("R store", PTE_R, PRIV_S, STORE, 0, 0, 15),
    ("R fetch", PTE_R, PRIV_S, FETCH, 0, 0, 12),
    ("RW fetch", PTE_R | PTE_W, PRIV_S, FETCH, 0, 0, 12),
    ("RW store", PTE_R | PTE_W, PRIV_S, STORE, 0, 0, None),
    ("X load", PTE_X, PRIV_S, LOAD, 0, 0, 13),
    ("X load MXR", PTE_X, PRIV_S, LOAD, 0, 1, None),
    ("X store MXR", PTE_X, PRIV_S, STORE, 0, 1, 15),
    ("X fetch", PTE_X, PRIV_S, FETCH, 0, 0, None),
    ("RX store", PTE_R | PTE_X, PRIV_S, STORE, 0, 0, 15),
    ("W-only load", PTE_W, PRIV_S, LOAD, 0, 0, 13),
    ("W-only store", PTE_W, PRIV_S, STORE, 0, 0, 15),
    ("W-only fetch", PTE_W, PRIV_S, FETCH, 0, 0, 12),
    ("WX load MXR", PTE_W | PTE_X, PRIV_S, LOAD, 0, 1, 13),
    ("WX store", PTE_W | PTE_X, PRIV_S, STORE, 0, 0, 15),
    ("WX fetch", PTE_W | PTE_X, PRIV_S, FETCH, 0, 0, 12),
    ("U page S load SUM=0", RWX | PTE_U, PRIV_S, LOAD, 0, 0, 13),
    ("U page S store SUM=0", RWX | PTE_U, PRIV_S, STORE, 0, 0, 15),
    ("U page S load SUM=1", RWX | PTE_U, PRIV_S, LOAD, 1, 0, None),
    ("U page S store SUM=1", RWX | PTE_U, PRIV_S, STORE, 1, 0, None),
    ("U page S fetch SUM=0", RWX | PTE_U, PRIV_S, FETCH, 0, 0, 12),
    ("U page S fetch SUM=1", RWX | PTE_U, PRIV_S, FETCH, 1, 0, 12),
    ("U X page S load SUM MXR", PTE_X | PTE_U, PRIV_S, LOAD, 1, 1, None),
    ("U X page S load SUM=0 MXR", PTE_X | PTE_U, PRIV_S, LOAD, 0, 1, 13),
    ("S page U load", RWX, PRIV_U, LOAD, 0, 0, 13),
    ("S page U load SUM", RWX, PRIV_U, LOAD, 1, 0, 13),
    ("S page U store", RWX, PRIV_U, STORE, 0, 0, 15),
    ("S page U fetch", RWX, PRIV_U, FETCH, 0, 0, 12),
    ("U page U load", RWX | PTE_U, PRIV_U, LOAD, 0, 0, None),
    ("U page U store", RWX | PTE_U, PRIV_U, STORE, 0, 0, None),
    ("U page U fetch", RWX | PTE_U, PRIV_U, FETCH, 0, 0, None),
    ("U R page U store", PTE_R | PTE_U, PRIV_U, STORE, 0, 0, 15),
    ("U X page U load", PTE_X | PTE_U, PRIV_U, LOAD, 0, 0, 13),
    ("U X page U load MXR", PTE_X | PTE_U, PRIV_U, LOAD, 0, 1, None),
    ("MPRV S: R load", PTE_R, ("mprv", PRIV_S), LOAD, 0, 0, None),
    ("MPRV S: R store", PTE_R, ("mprv", PRIV_S), STORE, 0, 0, 15),
    ("MPRV S: U page SUM=0", PTE_R | PTE_U, ("mprv", PRIV_S), LOAD, 0, 0, 13),
    ("MPRV S: U page SUM=1", PTE_R | PTE_U, ("mprv", PRIV_S), LOAD, 1, 0, None),
    ("MPRV S: X load MXR", PTE_X, ("mprv", PRIV_S), LOAD, 0, 1, None),
    ("MPRV U: S page", PTE_R | PTE_W, ("mprv", PRIV_U), LOAD, 0, 0, 13),
    ("MPRV U: U page store", PTE_R | PTE_W | PTE_U, ("mprv", PRIV_U), STORE, 0, 0, None),
]


@pytest.mark.parametrize("name, flags, priv, kind, sum, mxr, cause", PERMISSIONS,
                         ids=[p[0] for p in PERMISSIONS])
def test_permissions(name, flags, priv, kind, sum, mxr, cause):
    env = data_env(flags)
    mprv = None
    if isinstance(priv, tuple):
        priv, mprv = PRIV_M, priv[1]
    va = VA + (FETCH_OFF if kind == FETCH else LOAD_OFF)
    value = 0x0123456789ABCDEF
    out, ref = check(env, kind, va, priv, bool(sum), bool(mxr), mprv, value=value)
    if cause is not None:
        assert (out.cause, out.tval) == (cause, va)
        assert env.ram.read64(DATA + LOAD_OFF) == word_at(0x1111, LOAD_OFF)
        # a faulting access leaves A (and D) clear
        assert env.pte(env.pt.lookup(va)[1]) & (PTE_A | PTE_D) == 0
        return
    assert out.ok, str(out)
    if kind == LOAD:
        assert out.a0 == word_at(0x1111, LOAD_OFF)
    elif kind == STORE:
        assert env.ram.read(DATA + LOAD_OFF, 8) == struct.pack("<Q", value)
    else:
        assert out.epc == va


@pytest.mark.parametrize("kind, snippet_name", [(LOAD, "lr"), (STORE, "amoadd")])
def test_atomics_translate_as_load_and_store(kind, snippet_name):
    """LR needs read permission (MXR counts); AMOs need write permission (store page faults)."""
    env = data_env(PTE_X)
    va = VA + LOAD_OFF
    out = env.snippet(snippet_name, a1=va, a2=1, mxr=True)
    if kind == LOAD:
        assert out.ok and out.a0 == word_at(0x1111, LOAD_OFF)
    else:
        assert (out.cause, out.tval) == (15, va)
    env.pt.map(VA, DATA, PTE_R)
    env.fence()
    out = env.snippet("amoadd", a1=va, a2=1)
    assert (out.cause, out.tval) == (15, va)
    env.pt.map(VA, DATA, PTE_R | PTE_W)
    env.fence()
    out = env.snippet("amoadd", a1=va, a2=5)
    assert out.ok and out.a0 == word_at(0x1111, LOAD_OFF)
    assert env.ram.read64(DATA + LOAD_OFF) == word_at(0x1111, LOAD_OFF) + 5
    assert env.pte(env.pt.lookup(va)[1]) & (PTE_A | PTE_D) == PTE_A | PTE_D


# ---- PTE structure --------------------------------------------------------------------------

@pytest.mark.parametrize("level", [2, 1, 0])
@pytest.mark.parametrize("kind", [LOAD, STORE, FETCH])
def test_invalid_pte_at_each_level(level, kind):
    env = data_env(RWX)
    va = VA + FETCH_OFF
    addr = env.pt.entry_addr(va, level, create=False)
    env.mem.write64(addr, env.pte(addr) & ~PTE_V)       # everything else kept
    out, _ = check(env, kind, va)
    assert (out.cause, out.tval) == (sv39.PAGE_FAULT[kind], va)


@pytest.mark.parametrize("level", [2, 1])
def test_w_without_r_in_a_non_leaf_position(level):
    """A PTE with W set and R clear faults at any level, before it could be a pointer."""
    env = data_env(RWX)
    addr = env.pt.entry_addr(VA, level, create=False)
    env.mem.write64(addr, env.pte(addr) | PTE_W)
    out, _ = check(env, LOAD, VA)
    assert (out.cause, out.tval) == (13, VA)


def test_pointer_pte_at_level_0_faults():
    env = data_env(RWX)
    addr = env.pt.entry_addr(VA, 0, create=False)
    env.mem.write64(addr, make_pte(POOL[0], PTE_V))     # "points" at the root table
    out, _ = check(env, LOAD, VA)
    assert (out.cause, out.tval) == (13, VA)


@pytest.mark.parametrize("bit", range(54, 64))
def test_reserved_bits_in_leaf(bit):
    env = data_env(RWX | 1 << bit)
    out, _ = check(env, LOAD, VA + LOAD_OFF)
    assert (out.cause, out.tval) == (13, VA + LOAD_OFF)
    out, _ = check(env, STORE, VA)
    assert out.cause == 15


@pytest.mark.parametrize("level", [2, 1])
@pytest.mark.parametrize("bit", [54, 61, 63])
def test_reserved_bits_in_pointer(level, bit):
    env = data_env(RWX)
    addr = env.pt.entry_addr(VA, level, create=False)
    env.mem.write64(addr, env.pte(addr) | 1 << bit)
    out, _ = check(env, FETCH, VA + FETCH_OFF)
    assert (out.cause, out.tval) == (12, VA + FETCH_OFF)


@pytest.mark.parametrize("bit", [PTE_A, PTE_D, PTE_U], ids=["A", "D", "U"])
def test_non_leaf_adu_bits_are_reserved(bit):
    """4.4.1 reserves D, A and U in non-leaf PTEs; 4.3.2 step 3 faults on reserved bits."""
    env = data_env(RWX)
    addr = env.pt.entry_addr(VA, 1, create=False)
    env.mem.write64(addr, env.pte(addr) | bit)
    out = env.access(LOAD, VA)
    assert (out.cause, out.tval) == (13, VA)


def test_non_leaf_g_bit_is_allowed():
    env = data_env(RWX)
    addr = env.pt.entry_addr(VA, 1, create=False)
    env.mem.write64(addr, env.pte(addr) | PTE_G)
    out, _ = check(env, LOAD, VA + LOAD_OFF)
    assert out.ok and out.a0 == word_at(0x1111, LOAD_OFF)


@pytest.mark.parametrize("level, pa", [
    (1, 0x80201000),           # ppn[0] != 0
    (1, 0x80300000),           # 1 MiB aligned only: ppn[0] = 0x100
    (2, 0x80200000),           # ppn[1] != 0
    (2, 0x80001000),           # ppn[0] != 0
])
@pytest.mark.parametrize("kind", [LOAD, STORE, FETCH])
def test_misaligned_superpage(level, pa, kind):
    env = Env()
    va = make_va(2, 4 if level == 1 else 0, 0)
    env.pt.map(va, pa, RWX, level)
    out, _ = check(env, kind, va + 0x100)
    assert (out.cause, out.tval) == (sv39.PAGE_FAULT[kind], va + 0x100)


@pytest.mark.parametrize("va", [1 << 38, 1 << 39, 1 << 63, 0x0000_8000_0000_1000,
                                0xFFFF_FF7F_FFFF_F000, 0x7FFF_FFFF_FFFF_F000])
@pytest.mark.parametrize("kind", [LOAD, STORE, FETCH])
def test_non_canonical_addresses_fault(va, kind):
    env = Env()
    low = va & ((1 << 39) - 1)
    env.pt.map(sv39.canonical(low) & ~0xFFF, DATA, RWX)         # the truncated VA is mapped
    env.mem.write(DATA + (va & 0xFFF), ECALL)
    out, _ = check(env, kind, va)
    assert (out.cause, out.tval) == (sv39.PAGE_FAULT[kind], va)
    assert env.access(kind, sv39.canonical(low)).ok                # ... and works canonically


def test_high_half_address():
    env = data_env(RWX, va=make_va(300, 1, 2))
    va = make_va(300, 1, 2, LOAD_OFF)
    assert va >> 39 == (1 << 25) - 1
    out, _ = check(env, LOAD, va)
    assert out.ok and out.a0 == word_at(0x1111, LOAD_OFF)


# ---- A and D ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind, expect", [(LOAD, PTE_A), (STORE, PTE_A | PTE_D),
                                          (FETCH, PTE_A)])
def test_accessed_dirty_written_to_memory(kind, expect):
    env = data_env(RWX | PTE_G)
    leaf = env.pt.entry_addr(VA, 0, create=False)
    pointers = [env.pte(env.pt.entry_addr(VA, lv, create=False)) for lv in (2, 1)]
    out, ref = check(env, kind, VA + (FETCH_OFF if kind == FETCH else LOAD_OFF))
    assert out.ok
    assert env.pte(leaf) == make_pte(DATA, PTE_V | RWX | PTE_G | expect) == ref.pte
    assert [env.pte(env.pt.entry_addr(VA, lv, create=False)) for lv in (2, 1)] == pointers


def test_dirty_set_by_a_store_after_a_cached_load():
    env = data_env(PTE_R | PTE_W)
    leaf = env.pt.entry_addr(VA, 0, create=False)
    assert env.access(LOAD, VA).ok
    assert env.pte(leaf) & (PTE_A | PTE_D) == PTE_A
    assert env.access(LOAD, VA + 8).ok                  # a TLB hit, presumably: still no D
    assert env.pte(leaf) & (PTE_A | PTE_D) == PTE_A
    assert env.access(STORE, VA + 16, value=7).ok
    assert env.pte(leaf) & (PTE_A | PTE_D) == PTE_A | PTE_D
    # the OS cleans the page: clear D, fence; the next store sets it again
    env.mem.write64(leaf, env.pte(leaf) & ~PTE_D)
    env.fence("va", VA)
    assert env.access(LOAD, VA).ok
    assert env.pte(leaf) & PTE_D == 0
    assert env.access(STORE, VA, value=9).ok
    assert env.pte(leaf) & PTE_D


def test_ad_already_set_are_left_alone():
    env = data_env(PTE_R | PTE_W | PTE_A | PTE_D)
    leaf = env.pt.entry_addr(VA, 0, create=False)
    before = env.pte(leaf)
    assert env.access(STORE, VA, value=1).ok and env.access(LOAD, VA).ok
    assert env.pte(leaf) == before


def test_ad_on_superpage_leaf():
    env = Env()
    va = make_va(2, 6)
    leaf = env.pt.map(va, 0x80200000, PTE_R | PTE_W, level=1)
    assert env.access(STORE, va + 0x2010, value=0x77).ok
    assert env.pte(leaf) & (PTE_A | PTE_D) == PTE_A | PTE_D
    assert env.ram.read64(0x80202010) == 0x77


# ---- superpages -------------------------------------------------------------------------

@pytest.mark.parametrize("level, va, pa", [
    (1, make_va(0, 5), 0x80200000),
    (1, make_va(260, 511), 0x80000000),
    (2, make_va(3), 0x80000000),
    (2, make_va(400), 0x80000000),
])
def test_superpage_translation(level, va, pa):
    env = Env()
    env.pt.map(va, pa, RWX, level)
    for off in (0x0, 0x8, 0x1000, 0x2FF8, 0x1FF000, 0x1FFFF8, 0x200000 + 0x1230):
        if level == 1 and off >= 0x200000:
            continue
        if pa + off + 8 > RAM_END or HANDLER <= pa + off < HANDLER + 0x2000 \
                or POOL[0] <= pa + off < POOL[1]:
            continue
        env.mem.write(pa + off, struct.pack("<Q", 0xABC000 + off))
        out, ref = check(env, LOAD, va + off)
        assert out.ok and out.a0 == 0xABC000 + off and ref.pa == pa + off and ref.level == level
        assert check(env, STORE, va + off, value=off ^ 0xFFFF)[0].ok
        assert env.ram.read64(pa + off) == off ^ 0xFFFF
    env.mem.write(pa + 0x3000, ECALL)
    out, _ = check(env, FETCH, va + 0x3000)
    assert out.ok and out.epc == va + 0x3000


def test_gigapage_beyond_ram_is_an_access_fault_on_fetch():
    """A 1 GiB page maps far more than RAM: fetching where no RAM is raises an access fault
    with the virtual address in mtval."""
    env = Env()
    va = make_va(3)
    env.pt.map(va, 0x80000000, RWX, level=2)
    out = env.access(FETCH, va + 0x1000000)
    assert (out.cause, out.tval) == (1, va + 0x1000000)


# ---- memory outside RAM ---------------------------------------------------------------------

def test_root_table_outside_ram_is_an_access_fault():
    env = data_env(RWX)
    env.h.set_csr("satp", make_satp(0x10000000))        # nothing lives there
    out = env.access(LOAD, VA, priv=PRIV_M, mprv_mpp=PRIV_S)
    assert (out.cause, out.tval) == (5, VA)
    out = env.access(STORE, VA, priv=PRIV_M, mprv_mpp=PRIV_S)
    assert (out.cause, out.tval) == (7, VA)
    out = env.access(FETCH, VA + FETCH_OFF, priv=PRIV_S)
    assert (out.cause, out.tval) == (1, VA + FETCH_OFF)


@pytest.mark.parametrize("level", [2, 1])
def test_pointer_outside_ram_is_an_access_fault(level):
    env = data_env(RWX)
    addr = env.pt.entry_addr(VA, level, create=False)
    env.mem.write64(addr, make_pte(0x40000000, PTE_V))
    for kind, cause in ((LOAD, 5), (STORE, 7), (FETCH, 1)):
        out, _ = check(env, kind, VA + FETCH_OFF)
        assert (out.cause, out.tval) == (cause, VA + FETCH_OFF)


def test_leaf_outside_ram_fetch_access_fault():
    env = data_env(RWX, pa=0x10000000)
    out = env.access(FETCH, VA + FETCH_OFF)
    assert (out.cause, out.tval) == (1, VA + FETCH_OFF)
    assert env.pte(env.pt.entry_addr(VA, 0, create=False)) & PTE_A   # the walk itself succeeded


@pytest.mark.parametrize("kind, cause", [(LOAD, 5), (STORE, 7)])
def test_leaf_outside_ram_data_access_fault_tval_is_virtual(kind, cause):
    """No RAM and no bus behind the physical address: access fault, and mtval holds the virtual
    address (3.1.16), not the physical one."""
    env = data_env(RWX, pa=0x10000000)
    out = env.access(kind, VA + LOAD_OFF)
    assert out.cause == cause
    assert out.tval == VA + LOAD_OFF


# ---- MPRV ---------------------------------------------------------------------------------

def test_mprv_translates_m_mode_loads_and_stores():
    env = Env()
    va = 0x80300000                        # a VA that is also a physical RAM address
    env.mem.write(0x80300000, struct.pack("<Q", 0x1234))
    env.mem.write(DATA, struct.pack("<Q", 0x5678))
    env.pt.map(va, DATA, PTE_R | PTE_W)
    out = env.access(LOAD, va, priv=PRIV_M)              # MPRV=0: bare
    assert out.ok and out.a0 == 0x1234
    out = env.access(LOAD, va, priv=PRIV_M, mprv_mpp=PRIV_S)
    assert out.ok and out.a0 == 0x5678 and out.ecall_cause == 11
    out = env.access(LOAD, va, priv=PRIV_M, mprv_mpp=PRIV_M)     # MPP=M: still bare
    assert out.ok and out.a0 == 0x1234
    out = env.access(STORE, va, priv=PRIV_M, mprv_mpp=PRIV_S, value=0x99)
    assert out.ok and env.ram.read64(DATA) == 0x99 and env.ram.read64(0x80300000) == 0x1234
    assert env.pte(env.pt.entry_addr(va, 0, create=False)) & PTE_D
    out = env.access(LOAD, va, priv=PRIV_M, mprv_mpp=PRIV_U)     # not a U page
    assert (out.cause, out.tval, out.epc) == (13, va, env.snippet_pc((LOAD, 8), PRIV_M))


def test_mprv_does_not_apply_to_fetch():
    """M-mode code runs from its physical address with MPRV=1, MPP=S and satp active, although
    that address is not mapped: only loads and stores are translated."""
    env = data_env(PTE_R)
    assert env.predict(FETCH, CODE_PA, PRIV_S).cause == 12      # would fault if translated
    out = env.access(LOAD, VA + LOAD_OFF, priv=PRIV_M, mprv_mpp=PRIV_S)
    assert out.ok and out.a0 == word_at(0x1111, LOAD_OFF)
    assert out.epc == CODE_PA + SNIPPET_OFFSET[(LOAD, 8)] + 4


def test_mret_to_s_clears_mprv():
    """mret to a mode below M clears MPRV (3.1.6.3), so S-mode code after it translates as S."""
    env = data_env(PTE_R)
    h = env.h
    h.set_csr("mstatus", MSTATUS_MPRV | (PRIV_S << 11))
    h.set_csr("mepc", env.snippet_pc((LOAD, 8), PRIV_S))
    env.mem.write(DATA_PAGES[7], struct.pack("<I", E("mret")))
    h.set_x(A1, VA + LOAD_OFF)
    h.priv = PRIV_M
    h.pc = DATA_PAGES[7]
    env.m.run(max_instructions=1)
    assert h.priv == PRIV_S and h.pc == env.snippet_pc((LOAD, 8), PRIV_S)
    assert h.csr("mstatus") & (MSTATUS_MPRV | MSTATUS_MPP) == 0
    env.m.run(max_instructions=3)
    assert h.csr("mcause") == 9 and h.x[A0] == word_at(0x1111, LOAD_OFF)


# ---- TLB maintenance --------------------------------------------------------------------

def _two_pages(env: Env):
    fill_page(env, DATA_PAGES[0], 0xA)
    fill_page(env, DATA_PAGES[4], 0xB)


@pytest.mark.parametrize("fence", ["all", "va", "va-other-offset", "satp"])
def test_changed_pte_visible_after_fence(fence):
    env = Env()
    _two_pages(env)
    leaf = env.pt.map(VA, DATA_PAGES[0], PTE_R | PTE_X)
    for _ in range(2):
        out = env.access(LOAD, VA + 0x40)
        assert out.ok and out.a0 == word_at(0xA, 0x40)
    # Without a fence either value would be legal (the emulator may use a cached translation).
    env.mem.write64(leaf, make_pte(DATA_PAGES[4], PTE_V | PTE_R | PTE_X))
    if fence == "va-other-offset":
        env.fence("va", VA + 0xABC)
    else:
        env.fence(fence, VA)
    out = env.access(LOAD, VA + 0x40)
    assert out.ok and out.a0 == word_at(0xB, 0x40)


@pytest.mark.parametrize("fence", ["all", "va", "satp"])
def test_unmapped_page_faults_after_fence(fence):
    env = data_env(RWX)
    assert env.access(LOAD, VA).ok and env.access(STORE, VA).ok
    env.mem.write(DATA + FETCH_OFF, ECALL)
    assert env.access(FETCH, VA + FETCH_OFF).ok
    env.pt.unmap(VA)
    env.fence(fence, VA)
    for kind in (LOAD, STORE, FETCH):
        out = env.access(kind, VA + FETCH_OFF)
        assert (out.cause, out.tval) == (sv39.PAGE_FAULT[kind], VA + FETCH_OFF)


@pytest.mark.parametrize("fence", ["all", "va"])
def test_protection_downgrade_after_fence(fence):
    """RW -> R: the cached store translation must not survive the fence."""
    env = data_env(PTE_R | PTE_W)
    assert env.access(STORE, VA, value=1).ok
    leaf = env.pt.map(VA, DATA, PTE_R)
    env.fence(fence, VA + 0x800)
    out = env.access(STORE, VA, value=2)
    assert (out.cause, out.tval) == (15, VA) and env.ram.read64(DATA) == 1
    assert env.access(LOAD, VA).ok


def test_sfence_va_flushes_a_superpage():
    """sfence.vma with any address inside a 2 MiB page covers that page's leaf PTE."""
    env = Env()
    va = make_va(1, 8)
    leaf = env.pt.map(va, 0x80000000, PTE_R, level=1)
    fill_page(env, 0x80001000, 0xC)
    fill_page(env, 0x80201000, 0xD)
    assert env.access(LOAD, va + 0x1008).a0 == word_at(0xC, 8)
    env.mem.write64(leaf, make_pte(0x80200000, PTE_V | PTE_R))
    env.fence("va", va + 0x1FF000)                      # another 4 KiB page of the superpage
    assert env.access(LOAD, va + 0x1008).a0 == word_at(0xD, 8)


def test_satp_write_switches_address_space():
    env = Env()
    _two_pages(env)
    env.pt.map(VA, DATA_PAGES[0], PTE_R)
    other = env.new_table()
    other.map(VA, DATA_PAGES[4], PTE_R)
    assert env.access(LOAD, VA).a0 == word_at(0xA, 0)
    env.set_satp_from_s(other.satp)
    assert env.h.csr("satp") == other.satp
    assert env.access(LOAD, VA).a0 == word_at(0xB, 0)
    env.set_satp_from_s(env.pt.satp)
    assert env.access(LOAD, VA).a0 == word_at(0xA, 0)


def test_satp_debug_write_flushes():
    env = Env()
    _two_pages(env)
    leaf = env.pt.map(VA, DATA_PAGES[0], PTE_R)
    assert env.access(LOAD, VA).a0 == word_at(0xA, 0)
    env.mem.write64(leaf, make_pte(DATA_PAGES[4], PTE_V | PTE_R))
    env.h.set_csr("satp", env.satp)
    assert env.access(LOAD, VA).a0 == word_at(0xB, 0)


def test_sum_and_mxr_changes_take_effect_without_fence():
    """SUM and MXR are not part of a cached translation: clearing them (from S-mode, with a CSR
    instruction) must make the next access fault."""
    env = Env()
    fill_page(env, DATA_PAGES[0], 0xA)
    env.pt.map(VA, DATA_PAGES[0], PTE_R | PTE_U)
    env.pt.map(VA + 0x1000, DATA_PAGES[0], PTE_X)
    assert env.access(LOAD, VA, sum=True, mxr=True).ok
    assert env.access(LOAD, VA + 0x1000, sum=True, mxr=True).ok
    out = env.snippet("csrc_sstatus", a1=MSTATUS_SUM | MSTATUS_MXR, sum=None, mxr=None)
    assert out.ok
    out = env.access(LOAD, VA, sum=None, mxr=None)
    assert (out.cause, out.tval) == (13, VA)
    out = env.access(LOAD, VA + 0x1000, sum=None, mxr=None)
    assert (out.cause, out.tval) == (13, VA + 0x1000)
    assert env.snippet("csrs_sstatus", a1=MSTATUS_SUM, sum=None, mxr=None).ok
    assert env.access(LOAD, VA, sum=None, mxr=None).ok


@pytest.mark.parametrize("mprv", [False, True], ids=["U", "MPRV-U"])
def test_mxr_change_takes_effect_for_u_mode(mprv):
    env = Env()
    fill_page(env, DATA_PAGES[0], 0xA)
    env.pt.map(VA, DATA_PAGES[0], PTE_X | PTE_U)
    kw = dict(priv=PRIV_M, mprv_mpp=PRIV_U) if mprv else dict(priv=PRIV_U)
    for _ in range(2):
        out = env.access(LOAD, VA + 8, mxr=True, **kw)
        assert out.ok and out.a0 == word_at(0xA, 8)
    assert env.snippet("csrc_sstatus", a1=MSTATUS_MXR, sum=None, mxr=None).ok
    out = env.access(LOAD, VA + 8, mxr=None, **kw)
    assert (out.cause, out.tval) == (13, VA + 8)


def test_privilege_change_does_not_leak_translations():
    """A translation cached for S-mode (SUM=1 on a U page, or a non-U page) must not serve
    U-mode, and vice versa."""
    env = Env()
    fill_page(env, DATA_PAGES[0], 0xA)
    env.pt.map(VA, DATA_PAGES[0], PTE_R | PTE_W)          # supervisor page
    env.pt.map(VA + 0x1000, DATA_PAGES[0], PTE_R | PTE_W | PTE_U)
    assert env.access(LOAD, VA).ok and env.access(STORE, VA).ok
    out = env.access(LOAD, VA, priv=PRIV_U)
    assert (out.cause, out.tval) == (13, VA)
    out = env.access(STORE, VA, priv=PRIV_U)
    assert (out.cause, out.tval) == (15, VA)
    assert env.access(LOAD, VA + 0x1000, priv=PRIV_U).ok
    out = env.access(LOAD, VA + 0x1000, priv=PRIV_S, sum=False)
    assert (out.cause, out.tval) == (13, VA + 0x1000)


def test_page_walk_counter_after_fence():
    """The TLB serves repeated accesses; a fence after a page-table write makes the next access
    walk again; a fence with no page-table write since the last flush keeps the translations
    (nothing can be stale: rvemu/_tlb.pxi)."""
    env = data_env(PTE_R)
    assert env.access(LOAD, VA).ok
    walks = env.h.stats()["page_walks"]
    assert env.access(LOAD, VA + 8).ok
    assert env.h.stats()["page_walks"] == walks         # served by the TLB
    env.fence("va", VA)
    assert env.access(LOAD, VA + 16).ok
    assert env.h.stats()["page_walks"] == walks         # nothing changed: still cached
    env.pt.map(VA + 0x1000, DATA_PAGES[5], PTE_R)       # a page-table write ...
    env.fence("va", VA)                                  # ... and a fence
    assert env.access(LOAD, VA + 24).ok
    assert env.h.stats()["page_walks"] > walks


# ---- page-crossing accesses -----------------------------------------------------------------
#
# Misaligned accesses are performed here (the spec also allows a misaligned exception).  When
# the second page of a page-crossing access faults, spec 3.1.16 says mtval holds "the virtual
# address of the portion of the access that caused the fault": the tests assert the first
# address of the second page, which is what the emulator reports.  When the first page faults,
# the portion is the start of the access.

@pytest.mark.parametrize("kind, size, off", [(LOAD, 8, 0xFFC), (LOAD, 4, 0xFFE),
                                             (LOAD, 2, 0xFFF), (STORE, 8, 0xFF9),
                                             (STORE, 2, 0xFFF)])
def test_page_crossing_second_page_faults(kind, size, off):
    env = data_env(PTE_R | PTE_W)
    env.pt.map(VA + 0x1000, DATA_PAGES[5], PTE_R)         # readable only
    if kind == LOAD:
        env.pt.unmap(VA + 0x1000)
    before = env.ram.read(DATA, 4096)
    out = env.access(kind, VA + off, size=size, value=MASK64)
    assert out.cause == sv39.PAGE_FAULT[kind]
    assert out.tval == VA + 0x1000
    assert out.epc == env.snippet_pc((kind, size))
    assert out.a0 == 0x5A5A5A5A5A5A5A5A                 # rd untouched
    # emulator behaviour (documented in _mmu.pxi): both pages are checked before any byte of a
    # page-crossing store is written
    assert env.ram.read(DATA, 4096) == before


@pytest.mark.parametrize("kind", [LOAD, STORE])
def test_page_crossing_first_page_faults(kind):
    env = Env()
    env.pt.map(VA + 0x1000, DATA_PAGES[5], PTE_R | PTE_W)
    out = env.access(kind, VA + 0xFFA, value=1)
    assert (out.cause, out.tval) == (sv39.PAGE_FAULT[kind], VA + 0xFFA)


def test_page_crossing_success_uses_both_translations():
    env = Env()
    env.pt.map(VA, DATA_PAGES[2], PTE_R | PTE_W)           # virtually adjacent ...
    env.pt.map(VA + 0x1000, DATA_PAGES[4], PTE_R | PTE_W)  # ... physically far apart
    env.mem.write(DATA_PAGES[2] + 0xFFB, bytes([1, 2, 3, 4, 5]))
    env.mem.write(DATA_PAGES[4], bytes([6, 7, 8]))
    out = env.access(LOAD, VA + 0xFFB)
    assert out.ok and out.a0 == int.from_bytes(bytes(range(1, 9)), "little")
    assert env.access(STORE, VA + 0xFFD, value=0x1122334455667788).ok
    assert env.ram.read(DATA_PAGES[2] + 0xFFD, 3) == bytes([0x88, 0x77, 0x66])
    assert env.ram.read(DATA_PAGES[4], 5) == bytes([0x55, 0x44, 0x33, 0x22, 0x11])
    for page in (VA, VA + 0x1000):
        assert env.pte(env.pt.entry_addr(page, 0, create=False)) & (PTE_A | PTE_D) == \
            PTE_A | PTE_D


def test_instruction_crossing_into_a_faulting_page():
    """A 32-bit instruction whose second half is on an unmapped page: fetch page fault with
    mepc at the instruction and mtval at the second page (spec 3.1.16)."""
    env = Env()
    env.pt.map(VA, DATA_PAGES[2], PTE_X)
    word = E("ecall")
    env.mem.write(DATA_PAGES[2] + 0xFFE, struct.pack("<H", word & 0xFFFF))
    env.mem.write(DATA_PAGES[4], struct.pack("<H", word >> 16))
    out = env.access(FETCH, VA + 0xFFE)
    assert (out.cause, out.tval, out.epc) == (12, VA + 0x1000, VA + 0xFFE)
    env.pt.map(VA + 0x1000, DATA_PAGES[4], PTE_X)
    env.fence()
    out = env.access(FETCH, VA + 0xFFE)
    assert out.ok and out.epc == VA + 0xFFE


# =============================================================================================
# 3. Random page-table histories against the reference walker
# =============================================================================================

VPN2_SLOTS = (0, 2, 256)                # 256: the first high-half gigapage
VPN1_SLOTS = (0, 1, 511)
VPN0_SLOTS = (0, 1, 2, 511)
OUTSIDE = 0x80400000                    # just past the end of RAM
LEAF_TARGETS = {
    0: DATA_PAGES + [0x0, OUTSIDE, 0x10000000],
    1: [0x80000000, 0x80200000, 0x80001000, 0x80300000, 0x0, OUTSIDE],
    2: [0x80000000, 0x80200000, 0x0, 0xC0000000],
}

slots = st.tuples(st.sampled_from(VPN2_SLOTS), st.sampled_from(VPN1_SLOTS),
                  st.sampled_from(VPN0_SLOTS))
# Leaf flags: mostly the useful R/W/X combinations, sometimes the reserved W-only ones; U, G, A
# and D at random; now and then invalid, or with a reserved high bit.
perms = st.sampled_from([PTE_R] * 2 + [PTE_R | PTE_W] * 4 + [PTE_R | PTE_X] + [RWX] * 5
                        + [PTE_X] * 2 + [PTE_W, PTE_W | PTE_X])
leaf_flags = st.builds(
    lambda perm, u, g, ad, is_valid, rsv: perm | (PTE_U if u else 0) | (PTE_G if g else 0) | ad
    | (PTE_V if is_valid else 0) | rsv,
    perms, st.booleans(), st.sampled_from([0, 0, 0, PTE_G]),
    st.sampled_from([0, 0, PTE_A, PTE_A | PTE_D, PTE_D]),
    st.sampled_from([True] * 12 + [False]),
    st.sampled_from([0] * 30 + [1 << 54, 1 << 61, 1 << 63]))
good_flags = st.builds(lambda perm, u, ad: perm | (PTE_U if u else 0) | ad | PTE_V,
                       perms, st.booleans(), st.sampled_from([0, PTE_A, PTE_A | PTE_D]))
PRIVS = ["S", "S", "U", "U", "MPRV-S", "MPRV-U"]
access_spec = st.tuples(st.sampled_from([LOAD, LOAD, STORE, STORE, FETCH]), st.sampled_from(PRIVS),
                        st.sampled_from([0, 8, 0x100, 0x7F8, 0xFF8, 0x101]),
                        st.sampled_from([1, 2, 4, 8, 8]), st.booleans(), st.booleans(),
                        st.integers(0, MASK64))


class Sv39Machine(RuleBasedStateMachine):
    """Random page-table edits, fences and accesses; each access checked against the reference
    walker run on a bytearray copy of RAM that receives every write the test makes and the A/D
    updates the reference predicts.  Invariant: the emulator's RAM equals the copy."""

    @initialize(maps=st.lists(st.tuples(st.sampled_from([0, 0, 0, 1, 2]), slots,
                                        st.integers(0, 99), good_flags),
                              min_size=2, max_size=8))
    def setup(self, maps):
        self.env = Env(model=True)
        self.img = self.env.image
        for i, pa in enumerate(DATA_PAGES):
            fill_page(self.env, pa, 0x100 + i)
        self.mapped = []                # (level, slots) of every map, to aim accesses at
        for level, where, choice, flags in maps:
            self._map(level, where, choice, flags)
        self.env.fence("all")

    # ---- page-table edits, each followed by a fence ----------------------------------------
    def _fence(self, leaf_only: bool, va: int, level: int, how: int):
        """Leaf-only edits may use sfence.vma with an address (any address inside the entry's
        range); edits of pointers need sfence.vma x0 or a satp write."""
        kinds = ["all", "satp", "va"] if leaf_only else ["all", "satp"]
        kind = kinds[how % len(kinds)]
        span = sv39.PAGE_SIZES[level]
        self.env.fence(kind, va + (how * 0x1234567) % span & ~0x7)

    def _is_pointer(self, pte: Optional[int]) -> bool:
        return pte is not None and bool(pte & PTE_V) and not pte & RWX

    def _map(self, level, where, choice, flags) -> bool:
        """Write a leaf; True if only a leaf (or invalid) entry was replaced."""
        va = make_va(*where) & ~(sv39.PAGE_SIZES[level] - 1)
        pa = LEAF_TARGETS[level][choice % len(LEAF_TARGETS[level])]
        addr = self.env.pt.entry_addr(va, level, create=False)
        leaf_only = addr is not None and not self._is_pointer(self.img.read64(addr))
        self.env.pt.set_entry(va, level, make_pte(pa, flags))
        self.mapped.append((level, where))
        return leaf_only

    @rule(level=st.sampled_from([0, 0, 0, 1, 2]), where=slots, choice=st.integers(0, 99),
          flags=leaf_flags, how=st.integers(0, 5))
    def map(self, level, where, choice, flags, how):
        leaf_only = self._map(level, where, choice, flags)
        self._fence(leaf_only, make_va(*where) & ~(sv39.PAGE_SIZES[level] - 1), level, how)

    @rule(level=st.sampled_from([0, 1, 2]), where=slots, how=st.integers(0, 5))
    def unmap(self, level, where, how):
        va = make_va(*where)
        addr = self.env.pt.entry_addr(va, level, create=False)
        if addr is None:
            return
        leaf_only = not self._is_pointer(self.img.read64(addr))
        self.env.mem.write64(addr, 0)
        self._fence(leaf_only, va & ~(sv39.PAGE_SIZES[level] - 1), level, how)

    @rule(data=st.data(), flags=leaf_flags, how=st.integers(0, 5))
    def protect(self, data, flags, how):
        """Rewrite the flags of the entry where a walk stops (leaf or invalid), keeping its
        PPN."""
        va = self._pick_va(data)
        level, addr, pte = self.env.pt.lookup(va)
        leaf_only = not self._is_pointer(pte)
        self.env.mem.write64(addr, (pte & (sv39.PPN_MASK << 10)) | flags)
        self._fence(leaf_only, va & ~(sv39.PAGE_SIZES[level] - 1), level, how)

    @rule(level=st.sampled_from([2, 1]), where=slots, bad=st.sampled_from([0x0, 0x40000000]))
    def corrupt_pointer(self, level, where, bad):
        """Point a non-leaf entry outside RAM: walks through it raise access faults."""
        va = make_va(*where)
        addr = self.env.pt.entry_addr(va, level, create=False)
        if addr is None or not self._is_pointer(self.img.read64(addr)):
            return
        self.env.mem.write64(addr, make_pte(bad, PTE_V))
        self.env.fence("all")

    # ---- accesses ----------------------------------------------------------------------------
    def _pick_va(self, data) -> int:
        """Mostly an address inside something mapped earlier, else any slot."""
        where = data.draw(slots)
        if self.mapped and data.draw(st.integers(0, 4)):
            level, mapped = data.draw(st.sampled_from(self.mapped))
            where = mapped[:3 - level] + where[3 - level:]
        return make_va(*where)

    @rule(data=st.data(), noncanon=st.sampled_from([0] * 15 + [1 << 39, 1 << 50, 1 << 63]),
          batch=st.lists(access_spec, min_size=1, max_size=6))
    def access(self, data, noncanon, batch):
        """A few accesses around one address (mostly a mapped one)."""
        page = self._pick_va(data) ^ noncanon
        for spec in batch:
            self._access(page, *spec)

    def _access(self, page, kind, priv, off, size, sum, mxr, value):
        if kind == FETCH:
            priv = priv[-1]             # fetches ignore MPRV: run them in S or U
            off &= ~3
            size = 4
        elif off != 0x101:              # 0x101: misaligned, within the page
            off &= ~(size - 1)
        va = page | off
        mprv = {"MPRV-S": PRIV_S, "MPRV-U": PRIV_U}.get(priv)
        run_priv = PRIV_M if mprv is not None else {"S": PRIV_S, "U": PRIV_U}[priv]
        eff = mprv if mprv is not None else run_priv

        ref = sv39.translate(self.img.read64, None, self.env.satp, va, kind, eff, sum, mxr,
                             nonleaf_adu_reserved=True)
        expect_cause, expect_tvals, expect_a0 = None, None, None
        if isinstance(ref, Fault):
            expect_cause, expect_tvals = ref.cause, {ref.tval}
        else:
            for addr, v in ref.writes:
                self.img.write64(addr, v)
            if not self.img.contains(ref.pa, size):
                expect_cause = sv39.ACCESS_FAULT[kind]
                expect_tvals = {va}
            elif kind == FETCH:
                self.env.mem.write(ref.pa, ECALL)
            elif kind == LOAD:
                expect_a0 = int.from_bytes(self.img.read(ref.pa, size), "little")
            else:
                self.img.write(ref.pa, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))

        out = self.env.access(kind, va, run_priv, size=size, value=value, sum=sum, mxr=mxr,
                              mprv_mpp=mprv)
        what = f"{kind} {priv} va={va:#x} size={size} sum={sum} mxr={mxr}: {out}; ref {ref}"
        if expect_cause is None:
            assert out.ok, what
            if expect_a0 is not None:
                assert out.a0 == expect_a0, what
        else:
            assert out.cause == expect_cause and out.tval in expect_tvals, what
            pc = va if kind == FETCH else self.env.snippet_pc((kind, size), run_priv, mprv)
            assert out.epc == pc, what

    def _compare(self, start: int, end: int) -> None:
        got = self.env.m.read_phys(start, end - start)
        want = self.img.read(start, end - start)
        if got != want:
            for o in range(0, end - start, 8):
                assert got[o:o + 8] == want[o:o + 8], (
                    f"RAM differs at {start + o:#x}: emulator {got[o:o + 8].hex()} "
                    f"model {want[o:o + 8].hex()}")

    @invariant()
    def tables_and_data_match_model(self):
        """After every step: the page tables (A/D bits) and the data pages."""
        if not hasattr(self, "env"):
            return
        self._compare(POOL[0], self.env.alloc.next)
        for pa in DATA_PAGES:
            self._compare(pa, pa + 4096)

    def teardown(self):
        """At the end: all of RAM, so a stray write anywhere is caught."""
        if hasattr(self, "env"):
            self._compare(RAM_BASE, RAM_END)


Sv39Machine.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
test_sv39_random_histories = Sv39Machine.TestCase
