"""Traps, trap returns and interrupts (RISC-V privileged spec 1.12, chapters 3 and 4, plus Sstc),
driven through the Python API.

Every test runs real instructions with satp bare.  Programs sit at CODE; the M-mode and S-mode
trap vectors (M_TRAP, S_TRAP) hold ``jal x0, 0`` so a trapped hart parks there, and
mcause/mepc/... (or the S-level ones) say what happened.  A "spin" is a ``jal x0, 0`` the hart
loops on while it waits for an interrupt.

Where the spec lets xtval be either 0 or something specific (illegal instruction: the
instruction bits; breakpoint: the pc) the tests accept both.
"""

from __future__ import annotations

import itertools
import struct

import pytest

from rvemu import Machine, StopReason, opcodes

E = opcodes.encode
MASK64 = (1 << 64) - 1
INT = 1 << 63                                     # the interrupt bit of xcause

CODE = 0x80000000
M_TRAP = 0x80001000
S_TRAP = 0x80002000
M_VEC = 0x80003000                                # vectored tables: 16 spins each
S_VEC = 0x80003100
PRIV_U, PRIV_S, PRIV_M = 0, 1, 3

SPIN = E("jal", rd=0, imm=0)
NOP = E("addi", rd=0, rs1=0, imm=0)
ECALL = E("ecall")
MRET = E("mret")
SRET = E("sret")
WFI = E("wfi")
SFENCE = E("sfence.vma", rs1=0, rs2=0)

# mstatus bits (3.1.6)
SIE, MIE, SPIE, MPIE, SPP = 1 << 1, 1 << 3, 1 << 5, 1 << 7, 1 << 8
MPP_SHIFT = 11
MPP = 3 << MPP_SHIFT
MPRV, TVM, TW, TSR = 1 << 17, 1 << 20, 1 << 21, 1 << 22
# interrupt numbers (3.1.9)
SSI, MSI, STI, MTI, SEI, MEI = 1, 3, 5, 7, 9, 11
PRIORITY = (MEI, MSI, MTI, SEI, SSI, STI)
STCE = 1 << 63
TM = 1 << 1                                        # mcounteren.TM
CSR = {"sip": 0x144, "sie": 0x104, "stimecmp": 0x14D, "satp": 0x180, "sstatus": 0x100,
       "mip": 0x344, "time": 0xC01}
SENTINEL = 0xDEAD


def csrw(name, rs1):
    return E("csrrw", rd=0, rs1=rs1, imm=CSR[name])


def csrr(rd, name):
    return E("csrrs", rd=rd, rs1=0, imm=CSR[name])


class Rig:
    """A 1 MiB machine with the layout above, trap vectors set, satp bare."""

    def __init__(self):
        self.m = Machine(ram_mib=1)
        self.h = self.m.harts[0]
        self.put(M_TRAP, SPIN)
        self.put(S_TRAP, SPIN)
        self.put(M_VEC, *[SPIN] * 16)
        self.put(S_VEC, *[SPIN] * 16)
        self.h.set_csr("mtvec", M_TRAP)
        self.h.set_csr("stvec", S_TRAP)
        self.h.set_csr("mcause", SENTINEL)
        self.h.set_csr("scause", SENTINEL)
        # what firmware does: PMP entry 0 lets S and U reach all of memory (TOR to the top)
        self.h.set_csr("pmpaddr0", (1 << 54) - 1)
        self.h.set_csr("pmpcfg0", 0x0F)

    def put(self, addr: int, *words: int) -> None:
        self.m.write_phys(addr, b"".join(struct.pack("<I", w) for w in words))

    def start(self, *words: int, priv: int = PRIV_M, mstatus: int = 0, pc: int = CODE):
        """Place a program at pc (a trailing spin is added) and point the hart at it."""
        self.put(pc, *words, SPIN)
        self.h.set_csr("mstatus", mstatus)
        self.h.priv = priv
        self.h.pc = pc
        return self

    def run(self, n: int):
        return self.m.run(max_instructions=n)

    # ---- state --------------------------------------------------------------------------
    @property
    def mstatus(self) -> int:
        return self.h.csr("mstatus")

    def mpp(self) -> int:
        return (self.mstatus >> MPP_SHIFT) & 3

    def in_m_trap(self, cause: int) -> bool:
        return self.h.priv == PRIV_M and self.h.pc == M_TRAP and self.h.csr("mcause") == cause

    def in_s_trap(self, cause: int) -> bool:
        return self.h.priv == PRIV_S and self.h.pc == S_TRAP and self.h.csr("scause") == cause

    def set_pending(self, irq: int, level: bool = True) -> None:
        """Make interrupt irq pending by the means the spec gives it: the external and software
        lines of M (set_irq), mtimecmp for MTIP, and mip writes for SSIP/STIP/SEIP."""
        if irq in (MSI, MEI):
            self.m.core.set_irq(0, irq, level)
        elif irq == MTI:
            self.m.core.set_mtimecmp(0, 0 if level else MASK64)
        else:
            mip = self.h.csr("mip") & ~(1 << irq)
            self.h.set_csr("mip", mip | (level << irq))


# =============================================================================================
# Exceptions: cause, epc, tval, privilege and status stacking
# =============================================================================================

@pytest.mark.parametrize("priv, cause", [(PRIV_U, 8), (PRIV_S, 9), (PRIV_M, 11)])
@pytest.mark.parametrize("mie", [0, 1])
def test_ecall_causes(priv, cause, mie):
    r = Rig().start(NOP, ECALL, priv=priv, mstatus=MIE * mie)
    r.run(3)
    assert r.in_m_trap(cause)
    assert r.h.csr("mepc") == CODE + 4 and r.h.csr("mtval") == 0
    s = r.mstatus
    assert r.mpp() == priv
    assert bool(s & MPIE) == bool(mie) and not s & MIE
    assert r.h.csr("scause") == SENTINEL
    assert r.h.stats()["exceptions"] == {cause: 1}


@pytest.mark.parametrize("sie", [0, 1])
def test_medeleg_ecall_from_u_to_s(sie):
    r = Rig()
    r.h.set_csr("medeleg", 1 << 8)
    r.start(ECALL, priv=PRIV_U, mstatus=SIE * sie | MPP)      # MPP=M to see that it is kept
    r.run(2)
    assert r.in_s_trap(8)
    assert r.h.csr("sepc") == CODE and r.h.csr("stval") == 0
    s = r.mstatus
    assert not s & SPP                                        # came from U
    assert bool(s & SPIE) == bool(sie) and not s & SIE
    assert r.h.csr("mcause") == SENTINEL and r.mpp() == PRIV_M
    assert r.h.csr("sstatus") & (SPP | SPIE | SIE) == s & (SPP | SPIE | SIE)


def test_medeleg_ecall_from_s_sets_spp():
    r = Rig()
    r.h.set_csr("medeleg", 1 << 9)
    r.start(ECALL, priv=PRIV_S, mstatus=SIE)
    r.run(2)
    assert r.in_s_trap(9) and r.mstatus & SPP and r.mstatus & SPIE


def test_ecall_from_m_cannot_be_delegated():
    r = Rig()
    r.h.set_csr("medeleg", MASK64)
    assert not r.h.csr("medeleg") >> 11 & 1                   # read-only zero (3.1.8)
    r.start(ECALL)
    r.run(2)
    assert r.in_m_trap(11)


def test_delegated_exception_raised_in_m_stays_in_m():
    """medeleg does not apply to traps from M-mode: they always go to M (3.1.8)."""
    r = Rig()
    r.h.set_csr("medeleg", 1 << 2)
    r.start(0xFFFFFFFF)                                       # an illegal instruction
    r.run(2)
    assert r.in_m_trap(2) and r.h.csr("mepc") == CODE


def test_delegated_illegal_instruction_in_s():
    r = Rig()
    r.h.set_csr("medeleg", 1 << 2)
    r.start(NOP, 0xFFFFFFFF, priv=PRIV_S)
    r.run(3)
    assert r.in_s_trap(2) and r.h.csr("sepc") == CODE + 4 and r.mstatus & SPP
    assert r.h.csr("stval") in (0, 0xFFFFFFFF)                # faulting bits, or 0 (4.1.9)


def test_ebreak_is_a_breakpoint():
    r = Rig().start(E("ebreak"), priv=PRIV_U)
    r.run(2)
    assert r.in_m_trap(3) and r.h.csr("mepc") == CODE
    assert r.h.csr("mtval") in (0, CODE)


# =============================================================================================
# Trap returns
# =============================================================================================

@pytest.mark.parametrize("mpp", [PRIV_U, PRIV_S, PRIV_M])
@pytest.mark.parametrize("mpie", [0, 1])
def test_mret(mpp, mpie):
    r = Rig()
    target = CODE + 0x100
    r.put(target, SPIN)
    r.h.set_csr("mepc", target)
    r.start(MRET, mstatus=(mpp << MPP_SHIFT) | MPIE * mpie | MPRV)
    r.run(1)
    assert r.h.priv == mpp and r.h.pc == target
    s = r.mstatus
    assert bool(s & MIE) == bool(mpie)                        # MIE = MPIE
    assert s & MPIE                                           # MPIE = 1
    assert s & MPP == 0                                       # MPP = U (least privileged)
    assert bool(s & MPRV) == (mpp == PRIV_M)                  # MPRV cleared unless back to M


@pytest.mark.parametrize("from_priv", [PRIV_S, PRIV_M])
@pytest.mark.parametrize("spp", [PRIV_U, PRIV_S])
@pytest.mark.parametrize("spie", [0, 1])
def test_sret(from_priv, spp, spie):
    r = Rig()
    target = CODE + 0x100
    r.put(target, SPIN)
    r.h.set_csr("sepc", target)
    status = SPP * spp | SPIE * spie | MPRV | (PRIV_M << MPP_SHIFT)
    r.start(SRET, priv=from_priv, mstatus=status)
    r.run(1)
    assert r.h.priv == spp and r.h.pc == target
    s = r.mstatus
    assert bool(s & SIE) == bool(spie) and s & SPIE and not s & SPP
    assert not s & MPRV                                       # SPP is never M: MPRV = 0 (3.1.6.3)


def test_trap_and_return_round_trip():
    """U -> (ecall) M -> mret back to U after the ecall, with the status stack restored."""
    r = Rig()
    handler = [E("csrrs", rd=5, rs1=0, imm=0x341),            # t0 = mepc
               E("addi", rd=5, rs1=5, imm=4),
               E("csrrw", rd=0, rs1=5, imm=0x341),            # mepc += 4
               MRET]
    r.put(M_TRAP, *handler)
    r.start(ECALL, E("addi", rd=10, rs1=0, imm=42), priv=PRIV_U, mstatus=MIE)
    r.run(7)
    assert r.h.priv == PRIV_U and r.h.x[10] == 42 and r.h.pc == CODE + 8
    assert r.mstatus & MIE and r.mstatus & MPIE and r.mpp() == PRIV_U


@pytest.mark.parametrize("insn, priv", [(MRET, PRIV_S), (MRET, PRIV_U), (SRET, PRIV_U)],
                         ids=["mret-in-S", "mret-in-U", "sret-in-U"])
def test_xret_below_its_privilege_is_illegal(insn, priv):
    r = Rig()
    r.h.set_csr("mepc", CODE + 0x100)
    r.h.set_csr("sepc", CODE + 0x100)
    r.start(insn, priv=priv)
    r.run(2)
    assert r.in_m_trap(2) and r.h.csr("mepc") == CODE and r.mpp() == priv
    assert r.h.csr("mtval") in (0, insn)


# =============================================================================================
# Virtualization traps: TSR, TW, TVM (3.1.6.5)
# =============================================================================================

@pytest.mark.parametrize("tsr", [0, 1])
@pytest.mark.parametrize("priv", [PRIV_S, PRIV_M])
def test_tsr(tsr, priv):
    r = Rig()
    r.put(CODE + 0x100, SPIN)
    r.h.set_csr("sepc", CODE + 0x100)
    r.start(SRET, priv=priv, mstatus=TSR * tsr | SPP)
    r.run(2)
    if tsr and priv == PRIV_S:
        assert r.in_m_trap(2) and r.h.csr("mepc") == CODE and r.h.csr("mtval") in (0, SRET)
    else:
        assert r.h.priv == PRIV_S and r.h.pc == CODE + 0x100


@pytest.mark.parametrize("insn", ["csrr satp", "csrw satp", "sfence.vma"])
@pytest.mark.parametrize("tvm", [0, 1])
@pytest.mark.parametrize("priv", [PRIV_S, PRIV_M])
def test_tvm(insn, tvm, priv):
    word = {"csrr satp": csrr(5, "satp"), "csrw satp": csrw("satp", 0),
            "sfence.vma": SFENCE}[insn]
    r = Rig().start(word, ECALL, priv=priv, mstatus=TVM * tvm)
    r.run(3)
    if tvm and priv == PRIV_S:
        assert r.in_m_trap(2) and r.h.csr("mepc") == CODE and r.h.csr("mtval") in (0, word)
    else:
        assert r.in_m_trap(9 if priv == PRIV_S else 11)


def test_sfence_vma_in_u_is_illegal():
    r = Rig().start(SFENCE, priv=PRIV_U)
    r.run(2)
    assert r.in_m_trap(2)


@pytest.mark.parametrize("tw", [0, 1])
@pytest.mark.parametrize("priv", [PRIV_U, PRIV_S, PRIV_M])
def test_wfi_privilege(tw, priv):
    """WFI: illegal in U (S-mode exists), illegal in S when TW=1, always fine in M (3.3.3)."""
    r = Rig().start(WFI, priv=priv, mstatus=TW * tw)
    reason = r.run(5)
    if priv == PRIV_U or (priv == PRIV_S and tw):
        assert r.in_m_trap(2) and r.h.csr("mepc") == CODE
        assert r.h.csr("mtval") in (0, WFI)
        assert not r.h.waiting
    else:
        assert reason is StopReason.HALT                    # nothing can wake it
        assert r.h.waiting and r.h.priv == priv and r.h.pc == CODE + 4


# =============================================================================================
# Interrupts
# =============================================================================================

def _all_enabled(r: Rig, mideleg: int = 0) -> None:
    r.h.set_csr("mie", sum(1 << i for i in PRIORITY))
    r.h.set_csr("mideleg", mideleg)


@pytest.mark.parametrize("pending", [s for n in range(1, 7)
                                     for s in itertools.combinations(PRIORITY, n)],
                         ids=lambda s: "+".join(map(str, s)))
def test_priority_among_m_level_interrupts(pending):
    """With nothing delegated, the highest of MEI > MSI > MTI > SEI > SSI > STI is taken."""
    r = Rig()
    _all_enabled(r)
    for irq in pending:
        r.set_pending(irq)
    r.start(SPIN, mstatus=MIE)
    r.run(1)
    expected = next(i for i in PRIORITY if i in pending)
    assert r.in_m_trap(INT | expected)
    assert r.h.csr("mepc") == CODE and r.h.csr("mtval") == 0


def test_priority_sequence_as_interrupts_are_cleared():
    r = Rig()
    _all_enabled(r)
    for irq in PRIORITY:
        r.set_pending(irq)
    for irq in PRIORITY:
        r.start(SPIN, mstatus=MIE)
        r.run(1)
        assert r.in_m_trap(INT | irq)
        r.set_pending(irq, False)
    r.start(SPIN, mstatus=MIE)
    r.run(5)
    assert r.h.pc == CODE


@pytest.mark.parametrize("pending", [s for n in range(1, 4)
                                     for s in itertools.combinations((SEI, SSI, STI), n)],
                         ids=lambda s: "+".join(map(str, s)))
@pytest.mark.parametrize("priv", [PRIV_S, PRIV_U])
def test_priority_among_s_level_interrupts(pending, priv):
    r = Rig()
    _all_enabled(r, mideleg=(1 << SEI) | (1 << SSI) | (1 << STI))
    for irq in pending:
        r.set_pending(irq)
    r.start(SPIN, priv=priv, mstatus=SIE)
    r.run(1)
    expected = next(i for i in (SEI, SSI, STI) if i in pending)
    assert r.in_s_trap(INT | expected) and r.h.csr("sepc") == CODE


def test_interrupt_taken_right_after_mret_lowers_privilege():
    """A pending MSI masked in M (MIE=0) is taken as soon as mret drops to U, with mepc at the
    mret target."""
    r = Rig()
    target = CODE + 0x100
    r.put(target, SPIN)
    r.h.set_csr("mie", 1 << MSI)
    r.set_pending(MSI)
    r.h.set_csr("mepc", target)
    r.start(NOP, MRET, mstatus=PRIV_U << MPP_SHIFT)
    r.run(3)
    assert r.in_m_trap(INT | MSI) and r.h.csr("mepc") == target and r.mpp() == PRIV_U


@pytest.mark.parametrize("priv", [PRIV_S, PRIV_U])
def test_m_level_before_s_level(priv):
    """A pending M-level interrupt is taken before a pending S-level one even when the S-level
    one ranks higher in the MEI..STI order (SEI delegated vs SSI not delegated)."""
    r = Rig()
    r.h.set_csr("mie", (1 << SEI) | (1 << SSI))
    r.h.set_csr("mideleg", 1 << SEI)
    r.set_pending(SEI)
    r.set_pending(SSI)
    r.start(SPIN, priv=priv, mstatus=SIE)
    r.run(1)
    assert r.in_m_trap(INT | SSI) and r.mpp() == priv
    # with SSI gone the delegated SEI goes to S
    r.set_pending(SSI, False)
    r.start(SPIN, priv=priv, mstatus=SIE)
    r.run(1)
    assert r.in_s_trap(INT | SEI)


@pytest.mark.parametrize("priv", [PRIV_U, PRIV_S])
def test_m_interrupts_taken_below_m_regardless_of_mie(priv):
    r = Rig()
    r.h.set_csr("mie", 1 << MSI)
    r.set_pending(MSI)
    r.start(SPIN, priv=priv, mstatus=0)                       # MIE = SIE = 0
    r.run(1)
    assert r.in_m_trap(INT | MSI) and r.mpp() == priv and r.h.csr("mepc") == CODE


def test_m_interrupts_masked_in_m_by_mie():
    r = Rig()
    r.h.set_csr("mie", 1 << MSI)
    r.set_pending(MSI)
    r.start(SPIN, mstatus=0)
    r.run(20)
    assert r.h.pc == CODE and r.h.csr("mcause") == SENTINEL
    # setting MIE lets it in
    r.start(E("csrrsi", rd=0, rs1=MIE, imm=0x300), SPIN, mstatus=0)
    r.run(3)
    assert r.in_m_trap(INT | MSI) and r.h.csr("mepc") == CODE + 4


def test_interrupt_disabled_in_mie_is_not_taken():
    r = Rig()
    r.h.set_csr("mie", 1 << MTI)
    r.set_pending(MSI)
    r.start(SPIN, priv=PRIV_U)
    r.run(20)
    assert r.h.pc == CODE and r.h.priv == PRIV_U


@pytest.mark.parametrize("sie", [0, 1])
def test_s_interrupts_never_taken_in_m(sie):
    r = Rig()
    r.h.set_csr("mideleg", 1 << SSI)
    r.h.set_csr("mie", 1 << SSI)
    r.set_pending(SSI)
    r.start(SPIN, mstatus=MIE | SIE * sie)
    r.run(20)
    assert r.h.priv == PRIV_M and r.h.pc == CODE
    assert r.h.csr("mcause") == SENTINEL and r.h.csr("scause") == SENTINEL


def test_delegated_interrupt_in_u_regardless_of_sie():
    r = Rig()
    r.h.set_csr("mideleg", 1 << STI)
    r.h.set_csr("sie", 1 << STI)
    assert r.h.csr("mie") == 1 << STI                         # sie is a view of mie
    r.set_pending(STI)
    r.start(SPIN, priv=PRIV_U, mstatus=0)
    r.run(1)
    assert r.in_s_trap(INT | STI)
    assert r.h.csr("sepc") == CODE and not r.mstatus & SPP and not r.mstatus & SPIE


@pytest.mark.parametrize("sie", [0, 1])
def test_delegated_interrupt_in_s_needs_sie(sie):
    r = Rig()
    r.h.set_csr("mideleg", 1 << SEI)
    r.h.set_csr("mie", 1 << SEI)
    r.set_pending(SEI)
    r.start(SPIN, priv=PRIV_S, mstatus=SIE * sie)
    r.run(5)
    if sie:
        assert r.in_s_trap(INT | SEI) and r.mstatus & SPP and r.mstatus & SPIE
        assert not r.mstatus & SIE
    else:
        assert r.h.pc == CODE and r.h.priv == PRIV_S


def test_seip_from_the_line_and_from_mip():
    """SEIP is the OR of the external line and the software-writable mip bit."""
    r = Rig()
    r.h.set_csr("mie", 1 << SEI)
    r.m.core.set_irq(0, SEI, True)
    assert r.h.csr("mip") & (1 << SEI)
    r.start(SPIN, priv=PRIV_U)
    r.run(1)
    assert r.in_m_trap(INT | SEI)
    r.m.core.set_irq(0, SEI, False)
    r.set_pending(SEI)
    r.start(SPIN, priv=PRIV_U)
    r.run(1)
    assert r.in_m_trap(INT | SEI)


def test_csrrs_on_mip_does_not_latch_the_seip_line():
    """Privileged spec 3.1.9: csrrs/csrrc on mip read-modify-write only the software-writable
    SEIP bit.  M-mode setting SSIP (as a software-interrupt forwarder does) while the PLIC's line
    is high must not leave SEIP pending once the line drops; csrrs still reads the OR."""
    r = Rig()
    r.m.core.set_irq(0, SEI, True)
    r.start(E("csrrsi", rd=5, rs1=1 << SSI, imm=CSR["mip"]),
            E("csrrci", rd=6, rs1=1 << SSI, imm=CSR["mip"]), SPIN)
    r.run(2)
    assert r.h.x[5] & (1 << SEI) and r.h.x[6] & (1 << SEI)   # reads include the line
    r.m.core.set_irq(0, SEI, False)
    assert r.h.csr("mip") & (1 << SEI) == 0
    assert r.h.csr("mip") & (1 << SSI) == 0                   # set, then cleared


def test_software_ssip_in_s_mode():
    """S-mode sets its own SSIP through sip: the interrupt is taken at the next instruction."""
    r = Rig()
    r.h.set_csr("mideleg", 1 << SSI)
    r.h.set_csr("sie", 1 << SSI)
    r.start(E("csrrsi", rd=0, rs1=1 << SSI, imm=CSR["sip"]), NOP, priv=PRIV_S, mstatus=SIE)
    r.run(2)
    assert r.in_s_trap(INT | SSI) and r.h.csr("sepc") == CODE + 4
    assert r.h.csr("sip") & (1 << SSI)


SUM = 1 << 18
ADD1 = E("addi", rd=10, rs1=10, imm=1)


def sstatus_op(form: str, value: int) -> int:
    """csrs/csrc of sstatus with rd = x0, as a kernel's spinlocks do: the register forms take
    value from t0 (x5), the immediate forms carry it."""
    if form.endswith("i"):
        return E(form, rd=0, rs1=value, imm=CSR["sstatus"])
    return E(form, rd=0, rs1=5, imm=CSR["sstatus"])


def ssi_rig() -> Rig:
    """A Rig with SSI delegated to S and enabled in sie, and SIE in t0 for the register forms."""
    r = Rig()
    r.h.set_csr("mideleg", 1 << SSI)
    r.h.set_csr("sie", 1 << SSI)
    r.h.set_x(5, SIE)
    return r


@pytest.mark.parametrize("form", ["csrrs", "csrrsi"])
def test_sie_set_takes_a_pending_interrupt_before_the_next_instruction(form):
    """intr_on with a delegated interrupt pending and enabled: it is taken right after the csrs
    (sepc: the next instruction, which has not run), though the run loop does a csrs of SIE alone
    inline when nothing is pending."""
    r = ssi_rig()
    r.set_pending(SSI)
    r.start(sstatus_op(form, SIE), ADD1, ADD1, priv=PRIV_S, mstatus=0)
    r.run(3)
    assert r.in_s_trap(INT | SSI) and r.h.csr("sepc") == CODE + 4
    assert r.h.x[10] == 0


@pytest.mark.parametrize("form", ["csrrs", "csrrsi"])
def test_sie_set_with_nothing_pending_runs_on_and_a_later_interrupt_is_taken(form):
    r = ssi_rig()
    r.start(sstatus_op(form, SIE), ADD1, ADD1, priv=PRIV_S, mstatus=0)
    r.run(3)
    assert r.h.pc == CODE + 12 and r.h.x[10] == 2 and r.mstatus & SIE
    r.set_pending(SSI)
    r.run(1)
    assert r.in_s_trap(INT | SSI) and r.h.csr("sepc") == CODE + 12


@pytest.mark.parametrize("form", ["csrrc", "csrrci"])
def test_sie_clear_masks_a_pending_interrupt(form):
    """intr_off: after csrc sstatus, SIE a pending S interrupt waits; the next csrs takes it."""
    r = ssi_rig()
    setter = form.replace("rrc", "rrs")
    r.start(sstatus_op(form, SIE), ADD1, sstatus_op(setter, SIE), ADD1, priv=PRIV_S, mstatus=SIE)
    r.run(2)
    assert r.h.pc == CODE + 8 and r.h.x[10] == 1 and not r.mstatus & SIE
    r.set_pending(SSI)
    r.run(1)                                   # still masked: the csrs runs
    assert r.h.csr("scause") == SENTINEL
    r.run(1)
    assert r.in_s_trap(INT | SSI) and r.h.csr("sepc") == CODE + 12 and r.h.x[10] == 1


@pytest.mark.parametrize("form", ["csrrs", "csrrc", "csrrsi", "csrrci"])
def test_sstatus_set_clear_from_u_mode_is_illegal(form):
    r = Rig()
    r.h.set_x(5, SIE)
    word = sstatus_op(form, SIE)
    before = SIE if "rrc" in form else 0
    r.start(word, ADD1, priv=PRIV_U, mstatus=before)
    r.run(1)
    assert r.in_m_trap(2) and r.h.csr("mepc") == CODE
    assert r.h.csr("mtval") in (0, word)
    assert r.mstatus & SIE == before


@pytest.mark.parametrize("form", ["csrrs", "csrrc"])
def test_sstatus_set_clear_of_more_than_sie(form):
    """SIE together with another bit (SUM) goes the general way: both change."""
    r = Rig()
    r.h.set_x(5, SIE | SUM)
    before = SIE | SUM if form == "csrrc" else 0
    r.start(sstatus_op(form, 0), ADD1, priv=PRIV_S, mstatus=before)
    r.run(2)
    assert r.mstatus & (SIE | SUM) == (SIE | SUM) ^ before
    assert r.h.x[10] == 1


def test_sip_ssip_not_writable_when_not_delegated():
    r = Rig()
    r.h.set_csr("mie", 1 << SSI)
    r.start(E("csrrsi", rd=0, rs1=1 << SSI, imm=CSR["sip"]), NOP, NOP, priv=PRIV_S,
            mstatus=SIE)
    r.run(3)
    assert r.h.csr("mip") & (1 << SSI) == 0 and r.h.pc == CODE + 12


def test_software_ssip_through_mip_in_m_mode():
    r = Rig()
    r.h.set_csr("mie", 1 << SSI)
    r.start(E("csrrsi", rd=0, rs1=1 << SSI, imm=CSR["mip"]), NOP, mstatus=MIE)
    r.run(2)
    assert r.in_m_trap(INT | SSI) and r.h.csr("mepc") == CODE + 4


# ---- vectored trap vectors -------------------------------------------------------------------

def test_vectored_mtvec():
    r = Rig()
    r.h.set_csr("mtvec", M_VEC | 1)
    assert r.h.csr("mtvec") == M_VEC | 1
    r.h.set_csr("mie", 1 << MTI)
    r.set_pending(MTI)
    r.start(SPIN, priv=PRIV_S)
    r.run(1)
    assert r.h.pc == M_VEC + 4 * MTI and r.h.csr("mcause") == INT | MTI
    r.set_pending(MTI, False)
    r.start(ECALL, priv=PRIV_S)
    r.run(1)
    assert r.h.pc == M_VEC and r.h.csr("mcause") == 9          # exceptions use the base


def test_vectored_stvec():
    r = Rig()
    r.h.set_csr("stvec", S_VEC | 1)
    r.h.set_csr("mideleg", (1 << SSI) | (1 << STI))
    r.h.set_csr("mie", (1 << SSI) | (1 << STI))
    r.h.set_csr("medeleg", 1 << 8)
    r.set_pending(STI)
    r.start(SPIN, priv=PRIV_U)
    r.run(1)
    assert r.h.priv == PRIV_S and r.h.pc == S_VEC + 4 * STI and r.h.csr("scause") == INT | STI
    r.set_pending(STI, False)
    r.set_pending(SSI)
    r.start(SPIN, priv=PRIV_U)
    r.run(1)
    assert r.h.pc == S_VEC + 4 * SSI and r.h.csr("scause") == INT | SSI
    r.set_pending(SSI, False)
    r.start(ECALL, priv=PRIV_U)
    r.run(1)
    assert r.h.pc == S_VEC and r.h.csr("scause") == 8


def test_reserved_tvec_mode_is_not_written():
    r = Rig()
    r.h.set_csr("mtvec", M_VEC | 2)
    assert r.h.csr("mtvec") & 3 in (0, 1)


# ---- timers: CLINT mtimecmp, Sstc stimecmp ------------------------------------------------

def test_time_follows_instructions():
    r = Rig().start(*[NOP] * 100, csrr(10, "time"))
    r.run(101)
    assert r.h.x[10] == 100 // r.m.core.ipt


@pytest.mark.parametrize("priv, mcounteren, scounteren, legal", [
    (PRIV_M, 0, 0, True),
    (PRIV_S, 0, 0, False),
    (PRIV_S, TM, 0, True),
    (PRIV_U, TM, 0, False),
    (PRIV_U, 0, TM, False),
    (PRIV_U, TM, TM, True),
])
def test_time_csr_access_rules(priv, mcounteren, scounteren, legal):
    """time below M needs mcounteren.TM, and in U also scounteren.TM (3.1.11, 4.1.5)."""
    r = Rig()
    r.h.set_csr("mcounteren", mcounteren)
    r.h.set_csr("scounteren", scounteren)
    r.start(csrr(10, "time"), ECALL, priv=priv)
    r.run(3)
    if legal:
        assert r.in_m_trap({PRIV_U: 8, PRIV_S: 9, PRIV_M: 11}[priv])
    else:
        assert r.in_m_trap(2) and r.h.csr("mepc") == CODE


def test_mtimecmp_raises_mtip_when_time_passes_it():
    r = Rig()
    r.h.set_csr("mie", 1 << MTI)
    deadline = 100                                             # time units
    r.m.core.set_mtimecmp(0, deadline)
    r.start(SPIN, mstatus=MIE)
    ipt = r.m.core.ipt
    r.run(deadline * ipt - 20)
    assert r.h.csr("mcause") == SENTINEL and not r.h.csr("mip") & (1 << MTI)
    r.run(40)
    assert r.in_m_trap(INT | MTI) and r.h.csr("mip") & (1 << MTI)
    assert r.h.csr("time") >= deadline
    r.m.core.set_mtimecmp(0, MASK64)
    r.run(1)
    assert not r.h.csr("mip") & (1 << MTI)


def test_mtip_is_not_writable_through_mip():
    r = Rig()
    r.h.set_csr("mip", 1 << MTI)
    assert not r.h.csr("mip") & (1 << MTI)


def _sstc(r: Rig, stce: bool = True, tm: bool = True) -> None:
    r.h.set_csr("menvcfg", STCE if stce else 0)
    r.h.set_csr("mcounteren", TM if tm else 0)


def test_stimecmp_in_the_past_raises_stip_in_s():
    r = Rig()
    _sstc(r)
    r.h.set_csr("mideleg", 1 << STI)
    r.h.set_csr("sie", 1 << STI)
    r.start(csrw("stimecmp", 0), NOP, priv=PRIV_S, mstatus=SIE)          # stimecmp = x0
    r.run(2)
    assert r.in_s_trap(INT | STI) and r.h.csr("sepc") == CODE + 4
    assert r.h.csr("mip") & (1 << STI) and r.h.csr("sip") & (1 << STI)


def test_stimecmp_deadline_and_rewrite_clears_stip():
    r = Rig()
    _sstc(r)
    r.h.set_csr("mideleg", 1 << STI)
    r.h.set_csr("sie", 1 << STI)
    ipt = r.m.core.ipt
    r.h.set_x(5, 50)
    r.start(csrw("stimecmp", 5), SPIN, priv=PRIV_S, mstatus=SIE)
    r.run(50 * ipt - 20)
    assert r.h.csr("scause") == SENTINEL and not r.h.csr("mip") & (1 << STI)
    r.run(40)
    assert r.in_s_trap(INT | STI) and r.h.csr("time") >= 50
    # the handler (SIE=0 now) pushes the deadline out: STIP drops
    r.h.set_x(5, MASK64)
    r.start(csrw("stimecmp", 5), SPIN, priv=PRIV_S, mstatus=0)
    r.run(5)
    assert not r.h.csr("mip") & (1 << STI) and r.h.pc == CODE + 4


def test_stip_read_only_while_stce():
    r = Rig()
    _sstc(r)
    r.h.set_csr("stimecmp", MASK64)
    r.h.set_csr("mip", 1 << STI)
    assert not r.h.csr("mip") & (1 << STI)
    r.h.set_csr("stimecmp", 0)
    r.start(NOP)
    r.run(1)
    assert r.h.csr("mip") & (1 << STI)


def test_stale_software_stip_does_not_survive_stce():
    r = Rig()
    r.h.set_csr("mip", 1 << STI)                               # STCE=0: writable
    assert r.h.csr("mip") & (1 << STI)
    _sstc(r)
    r.h.set_csr("stimecmp", MASK64)
    r.start(NOP, NOP)
    r.run(2)
    assert not r.h.csr("mip") & (1 << STI)


@pytest.mark.parametrize("stce, tm, priv, legal", [
    (1, 1, PRIV_S, True),
    (0, 1, PRIV_S, False),
    (1, 0, PRIV_S, False),
    (0, 0, PRIV_S, False),
    (1, 1, PRIV_U, False),
    (0, 0, PRIV_M, True),
    (1, 1, PRIV_M, True),
])
@pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
def test_stimecmp_access_rules(stce, tm, priv, legal, write):
    r = Rig()
    _sstc(r, bool(stce), bool(tm))
    r.h.set_csr("stimecmp", 1234)
    r.h.set_x(5, 777)
    word = csrw("stimecmp", 5) if write else csrr(6, "stimecmp")
    r.start(word, ECALL, priv=priv)
    r.run(3)
    if legal:
        assert r.in_m_trap({PRIV_S: 9, PRIV_M: 11}[priv])
        if write:
            assert r.h.csr("stimecmp") == 777
        else:
            assert r.h.x[6] == 1234
    else:
        assert r.in_m_trap(2) and r.h.csr("mepc") == CODE
        assert r.h.csr("stimecmp") == 1234


# ---- WFI -----------------------------------------------------------------------------------

def test_wfi_halts_until_an_interrupt_line_rises():
    r = Rig()
    r.h.set_csr("mie", 1 << MSI)
    r.start(WFI, E("addi", rd=10, rs1=0, imm=1), mstatus=MIE)
    assert r.run(1000) is StopReason.HALT
    assert r.h.waiting and r.h.pc == CODE + 4
    assert r.run(1000) is StopReason.HALT                      # still nothing
    r.m.core.set_irq(0, MSI, True)
    r.run(1)
    assert not r.h.waiting
    assert r.in_m_trap(INT | MSI) and r.h.csr("mepc") == CODE + 4 and r.h.x[10] == 0


def test_wfi_wakes_without_trap_when_globally_disabled():
    """mie & mip wakes WFI even with MIE=0; execution continues after the wfi (3.3.3)."""
    r = Rig()
    r.h.set_csr("mie", 1 << MSI)
    r.start(WFI, E("addi", rd=10, rs1=0, imm=7), mstatus=0)
    assert r.run(100) is StopReason.HALT and r.h.waiting
    r.m.core.set_irq(0, MSI, True)
    r.run(2)
    assert r.h.x[10] == 7 and r.h.csr("mcause") == SENTINEL and not r.h.waiting


def test_wfi_with_an_already_pending_interrupt_does_not_wait():
    r = Rig()
    r.h.set_csr("mie", 1 << MSI)
    r.m.core.set_irq(0, MSI, True)
    r.start(WFI, E("addi", rd=10, rs1=0, imm=7), mstatus=0)
    r.run(2)
    assert r.h.x[10] == 7 and not r.h.waiting


def test_wfi_fast_forwards_to_the_timer_deadline():
    r = Rig()
    r.h.set_csr("mie", 1 << MTI)
    deadline = 1_000_000                                       # far beyond the budget
    r.m.core.set_mtimecmp(0, deadline)
    r.start(WFI, mstatus=MIE)
    reason = r.run(100)
    assert reason is StopReason.LIMIT
    assert r.in_m_trap(INT | MTI) and r.h.csr("mepc") == CODE + 4
    assert r.h.csr("time") >= deadline
    assert r.h.instret < 100                                   # the wait cost no instructions


def test_wfi_fast_forwards_to_an_sstc_deadline():
    r = Rig()
    _sstc(r)
    r.h.set_csr("mideleg", 1 << STI)
    r.h.set_csr("sie", 1 << STI)
    r.h.set_csr("stimecmp", 5000)
    r.start(WFI, priv=PRIV_S, mstatus=SIE)
    r.run(100)
    assert r.in_s_trap(INT | STI) and r.h.csr("time") >= 5000


def test_wfi_halts_when_the_timer_is_not_enabled():
    """A deadline in mtimecmp cannot wake a hart whose mie.MTIE is clear."""
    r = Rig()
    r.h.set_csr("mie", 1 << MSI)
    r.m.core.set_mtimecmp(0, 500)
    r.start(WFI, mstatus=MIE)
    assert r.run(10_000) is StopReason.HALT and r.h.waiting



# name: (instruction that lowers an enable, one that raises it, the pending interrupt,
#        privilege, mstatus and mie at the start)
ENABLE_WRITES = {
    "sstatus.SIE": (E("csrrci", rd=0, rs1=SIE, imm=CSR["sstatus"]),
                    E("csrrsi", rd=0, rs1=SIE, imm=CSR["sstatus"]), SSI, PRIV_S, 0, 1 << SSI),
    "mstatus.MIE": (E("csrrci", rd=0, rs1=MIE, imm=0x300), E("csrrsi", rd=0, rs1=MIE, imm=0x300),
                    MSI, PRIV_M, 0, 1 << MSI),
    "sie": (E("csrrw", rd=0, rs1=0, imm=CSR["sie"]), E("csrrw", rd=0, rs1=5, imm=CSR["sie"]),
            SSI, PRIV_S, SIE, 0),
    "mie": (E("csrrw", rd=0, rs1=0, imm=0x304), E("csrrw", rd=0, rs1=5, imm=0x304),
            MSI, PRIV_M, MIE, 0),
}


@pytest.mark.parametrize("name", sorted(ENABLE_WRITES))
def test_interrupt_taken_right_after_the_write_that_enables_it(name):
    """A write that lowers an enable (csrc sstatus, SIE: every spinlock does it) lets the block go
    on; the one that raises it is the last instruction before the pending interrupt."""
    lower, raise_, irq, priv, mstatus, mie = ENABLE_WRITES[name]
    r = Rig()
    _all_enabled(r, mideleg=1 << SSI)
    r.h.set_csr("mie", mie)
    r.h.set_x(5, 1 << irq)
    r.set_pending(irq)
    r.start(lower, NOP, NOP, raise_, NOP, NOP, priv=priv, mstatus=mstatus)
    r.run(5)
    trap, epc = (r.in_s_trap, "sepc") if irq == SSI else (r.in_m_trap, "mepc")
    assert trap(INT | irq) and r.h.csr(epc) == CODE + 16, (name, hex(r.h.pc))
