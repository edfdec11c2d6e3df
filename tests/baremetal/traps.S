// Exceptions and privilege: ecall from M / S / U (causes 11 / 9 / 8, mtval 0), ebreak,
// illegal instructions, the mstatus state changes of traps, mret and sret (MIE/MPIE/MPP,
// SIE/SPIE/SPP, MPRV cleared when returning below M), medeleg delegation to S (and traps
// never going down to S from M), vectored mtvec / stvec for exceptions (always BASE),
// mstatus.TSR / TW / TVM, privileged instructions in the wrong mode, and access faults on
// addresses with no memory (fetch, load, store, AMO; mepc of a fetch fault = the target).
// @isa: rv64imac
#include "test_macros.h"

/* reg & mask must equal val. */
#define CHECK_BITS(reg, mask, val) li t4, mask; and t4, reg, t4; CHECK(t4, val)
/* reg = mstatus / sstatus as the last trap handler saw it */
#define STATUS_AT_TRAP(reg) la t5, trap_frame; ld reg, TF_STATUS(t5)

#define NO_MEMORY 0x90000000                    /* nothing is mapped here */
#define M_STATE (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)
#define S_STATE (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP)

TEST_BEGIN
    /* ---- exceptions in M-mode ---- */
    TEST_TRAP(1, CAUSE_ECALL_M, ecall)
    CHECK_TVAL(0)
    CHECK_MODE(PRV_M)
    TEST_TRAP(2, CAUSE_BREAKPOINT, ebreak)
    /* mtval for ebreak: the spec allows 0 or the pc of the ebreak */
    la t5, trap_frame
    ld a0, TF_TVAL(t5)
    beqz a0, 1f
    CHECK_ADDR(a0, 96b)
1:  TEST_TRAP(3, CAUSE_BREAKPOINT, c.ebreak)
    TEST_ILLEGAL(4, .word 0x40001033)           /* sll with funct7 = 0x20: reserved */
    TEST_ILLEGAL(5, .word 0x0000000b)           /* custom-0 opcode, nothing there */
    TEST_ILLEGAL(6, .word 0x000000f3)           /* ecall with rd != 0: reserved */

    /* ---- what an M trap and mret do to mstatus ---- */
    TEST_NUM(7)
    li a0, MSTATUS_MPP
    csrc mstatus, a0
    csrsi mstatus, MSTATUS_MIE                  /* mie = 0: nothing can interrupt */
    EXPECT_TRAP(1f)
    ecall
1:  STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, M_STATE, MSTATUS_MPIE | MSTATUS_MPP)     /* MIE -> MPIE, MPP = M */
    TEST_NUM(8)
    csrr a0, mstatus                            /* after mret: MIE = MPIE, MPIE = 1, MPP = U */
    CHECK_BITS(a0, M_STATE, MSTATUS_MIE | MSTATUS_MPIE)
    csrci mstatus, MSTATUS_MIE
    TEST_NUM(9)                                 /* mret to M with MPIE = 0 */
    li a0, MSTATUS_MPP | MSTATUS_MIE
    csrs mstatus, a0
    li a0, MSTATUS_MPIE
    csrc mstatus, a0
    la a0, 1f
    csrw mepc, a0
    mret
    j fail
1:  csrr a0, mstatus
    CHECK_BITS(a0, M_STATE, MSTATUS_MPIE)
    TEST_NUM(10)                                /* mret to M keeps MPRV */
    li a0, MSTATUS_MPP | MSTATUS_MPRV
    csrs mstatus, a0
    la a0, 1f
    csrw mepc, a0
    mret
    j fail
1:  csrr a0, mstatus
    CHECK_BITS(a0, MSTATUS_MPRV | MSTATUS_MPP, MSTATUS_MPRV)
    li a0, MSTATUS_MPRV
    csrc mstatus, a0

    /* ---- ecall from S and U ---- */
    GOTO_S(s1)
s1: TEST_TRAP(11, CAUSE_ECALL_S, ecall)
    CHECK_TVAL(0)
    CHECK_MODE(PRV_M)
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, MSTATUS_MPP, MSTATUS_MPP_S)
    TEST_TRAP(12, CAUSE_BREAKPOINT, ebreak)
    TEST_ILLEGAL(13, mret)                      /* M-only */
    TEST_ILLEGAL(14, csrr a0, mepc)
    GOTO_M
    GOTO_U(u1)
u1: TEST_TRAP(15, CAUSE_ECALL_U, ecall)
    CHECK_TVAL(0)
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, MSTATUS_MPP, 0)
    TEST_TRAP(16, CAUSE_BREAKPOINT, c.ebreak)
    TEST_ILLEGAL(17, mret)
    TEST_ILLEGAL(18, sret)
    TEST_ILLEGAL(19, wfi)                       /* U-mode wfi traps when S exists (TW = 0) */
    TEST_ILLEGAL(20, sfence.vma)
    TEST_ILLEGAL(21, csrr a0, satp)
    TEST_ILLEGAL(22, .word 0x40001033)
    GOTO_M

    /* ---- mret to S / U clears MPRV (new in privileged spec 1.12) ---- */
#ifndef SKIP_KNOWN_QEMU_BUGS
    /* QEMU 7.2 leaves MPRV set when mret / sret return to S or U. */
    TEST_NUM(23)
    li a0, MSTATUS_MPRV
    csrs mstatus, a0
    GOTO_S(s2)                                  /* MPP = S: MPRV translation is Bare here */
s2: GOTO_M
    STATUS_AT_TRAP(a0)                          /* mstatus at the ecall from S */
    CHECK_BITS(a0, MSTATUS_MPRV, 0)
    TEST_NUM(24)
    li a0, MSTATUS_MPRV
    csrs mstatus, a0
    GOTO_U(u2)
u2: GOTO_M
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, MSTATUS_MPRV, 0)
#endif

    /* ---- sret ---- */
    GOTO_S(s3)
s3: TEST_NUM(25)                                /* sret to S: SIE = SPIE, SPIE = 1, SPP = U */
    li a0, MSTATUS_SPP | MSTATUS_SIE
    csrs sstatus, a0
    li a0, MSTATUS_SPIE
    csrc sstatus, a0
    la a0, 1f
    csrw sepc, a0
    sret
    j fail
1:  csrr a0, sstatus
    CHECK_BITS(a0, S_STATE, MSTATUS_SPIE)
    TEST_NUM(26)                                /* sret to U with SPIE = 1 */
    li a0, MSTATUS_SPIE
    csrs sstatus, a0
    li a0, MSTATUS_SIE | MSTATUS_SPP
    csrc sstatus, a0
    la a0, u3
    csrw sepc, a0
    sret
    j fail
u3: GOTO_M                                      /* in U: ecall to M */
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, S_STATE | MSTATUS_MPP, MSTATUS_SIE | MSTATUS_SPIE)
    csrci mstatus, MSTATUS_SIE
    TEST_NUM(27)                                /* sret from M, to U, clears MPRV */
#ifndef SKIP_KNOWN_QEMU_BUGS
    li a0, MSTATUS_MPRV | MSTATUS_MPP           /* MPP = M: MPRV has no effect in M */
#else
    li a0, MSTATUS_MPP                          /* (QEMU 7.2 does not clear MPRV) */
#endif
    csrs mstatus, a0
    li a0, MSTATUS_SPP
    csrc mstatus, a0
    la a0, u4
    csrw sepc, a0
    sret
    j fail
u4: GOTO_M
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, MSTATUS_MPRV | MSTATUS_MPP, 0)      /* MPRV cleared, came from U */
    TEST_NUM(28)                                /* sret from M to S */
    li a0, MSTATUS_SPP
    csrs mstatus, a0
    la a0, s4
    csrw sepc, a0
    sret
    j fail
s4: GOTO_M
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, MSTATUS_MPP, MSTATUS_MPP_S)

    /* ---- medeleg: delegated exceptions go to S ---- */
    TEST_NUM(29)
    li a0, (1 << CAUSE_ECALL_U) | (1 << CAUSE_ILLEGAL) | (1 << CAUSE_BREAKPOINT)
    csrw medeleg, a0
    csrsi mstatus, MSTATUS_SIE                  /* to see it move to SPIE */
    GOTO_U(u5)
u5: TEST_TRAP(30, CAUSE_ECALL_U, ecall)
    CHECK_MODE(PRV_S)
    CHECK_TVAL(0)
    STATUS_AT_TRAP(a0)                          /* sstatus: SIE -> SPIE, SPP = U */
    CHECK_BITS(a0, S_STATE, MSTATUS_SPIE)
    TEST_ILLEGAL(31, .word 0x40001033)
    CHECK_MODE(PRV_S)
    TEST_TRAP(32, CAUSE_BREAKPOINT, ebreak)
    CHECK_MODE(PRV_S)
    GOTO_S_FROM_U                               /* a delegated ecall, returned to S */
    TEST_NUM(33)                                /* after the sret: SIE = SPIE (cleared by the
                                                   handler), SPIE = 1, SPP = U */
    csrr a0, sstatus
    CHECK_BITS(a0, S_STATE, MSTATUS_SPIE)
    TEST_ILLEGAL(34, .word 0x0000000b)          /* from S to S */
    CHECK_MODE(PRV_S)
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, MSTATUS_SPP, MSTATUS_SPP)
    TEST_TRAP(35, CAUSE_ECALL_S, ecall)         /* not delegated: to M */
    CHECK_MODE(PRV_M)
    GOTO_M
    TEST_TRAP(36, CAUSE_BREAKPOINT, ebreak)     /* delegated, but M traps stay in M */
    CHECK_MODE(PRV_M)
    TEST_ILLEGAL(37, .word 0x0000000b)
    CHECK_MODE(PRV_M)
    TEST_NUM(38)                                /* delegating ecall from S */
    li a0, 1 << CAUSE_ECALL_S
    csrs medeleg, a0
    GOTO_S(s5)
s5: TEST_TRAP(39, CAUSE_ECALL_S, ecall)
    CHECK_MODE(PRV_S)
    /* ecall is delegated now: go back to M through an exception that is not (a load
     * access fault), continuing in M */
    li s0, NO_MEMORY
    la t6, trap_frame
    la t5, 1f
    sd t5, TF_RESUME(t6)
    li t5, 1
    sd t5, TF_RESUME_UP(t6)
    ld a0, 0(s0)
1:  CHECK_MODE(PRV_M)
    CHECK_CAUSE(CAUSE_LOAD_ACCESS)
    csrw medeleg, zero
    csrci mstatus, MSTATUS_SIE

    /* ---- vectored mtvec / stvec: exceptions still go to BASE ---- */
    TEST_NUM(40)
    la a0, mvec
    ori a0, a0, 1
    csrw mtvec, a0
    TEST_TRAP(41, CAUSE_ECALL_M, ecall)         /* cause 11 would be BASE + 44 */
    TEST_ILLEGAL(42, .word 0x0000000b)
    la a0, rt_mtrap
    csrw mtvec, a0
    TEST_NUM(43)
    la a0, svec
    ori a0, a0, 1
    csrw stvec, a0
    li a0, 1 << CAUSE_ECALL_U
    csrw medeleg, a0
    GOTO_U(u6)
u6: TEST_TRAP(44, CAUSE_ECALL_U, ecall)
    CHECK_MODE(PRV_S)
    GOTO_S_FROM_U
    la a0, rt_strap
    csrw stvec, a0
    GOTO_M
    csrw medeleg, zero

    /* ---- mstatus.TSR: sret in S is illegal; in M it is not ---- */
    li a0, MSTATUS_TSR
    csrs mstatus, a0
    GOTO_S(s6)
s6: TEST_ILLEGAL(45, sret)
    GOTO_M
    TEST_NUM(46)
    li a0, MSTATUS_SPP
    csrs mstatus, a0
    la a0, s7
    csrw sepc, a0
    sret
    j fail
s7: GOTO_M
    li a0, MSTATUS_TSR
    csrc mstatus, a0
    GOTO_S(s8)
s8: TEST_NUM(47)                                /* TSR = 0: sret in S works */
    li a0, MSTATUS_SPP
    csrs sstatus, a0
    la a0, 1f
    csrw sepc, a0
    sret
    j fail
1:  GOTO_M

    /* ---- mstatus.TW: wfi below M is illegal; U-mode wfi always is ---- */
    li a0, MSTATUS_TW
    csrs mstatus, a0
    GOTO_S(s9)
s9: TEST_ILLEGAL(48, wfi)
    GOTO_M
    GOTO_U(u7)
u7: TEST_ILLEGAL(49, wfi)
    GOTO_M
    TEST_NUM(50)                                /* TW does not apply to M; an enabled pending
                                                   interrupt wakes wfi even with MIE = 0 */
    csrci mstatus, MSTATUS_SIE | MSTATUS_MIE
    csrsi mie, MIP_SSIP
    csrsi mip, MIP_SSIP
    CLEAR_TRAPS
    wfi
    CHECK_TRAP_COUNT(0)
    li a0, MSTATUS_TW
    csrc mstatus, a0
    csrsi mideleg, MIP_SSIP                     /* S-level now: not taken in S with SIE = 0 */
    GOTO_S(s10)
s10:
    TEST_NUM(51)                                /* TW = 0: wfi in S completes */
    csrci sstatus, MSTATUS_SIE
    wfi
    CHECK_TRAP_COUNT(0)
    GOTO_M
    csrci mip, MIP_SSIP
    csrw mie, zero
    csrw mideleg, zero

    /* ---- mstatus.TVM: satp and sfence.vma are illegal in S ---- */
    li a0, MSTATUS_TVM
    csrs mstatus, a0
    GOTO_S(s11)
s11:
    TEST_ILLEGAL(52, csrr a0, satp)
    TEST_ILLEGAL(53, csrw satp, zero)
    TEST_ILLEGAL(54, sfence.vma)
    TEST_ILLEGAL(55, sfence.vma a0, a1)
    GOTO_M
    TEST_NUM(56)                                /* M is not affected */
    csrr a0, satp
    csrw satp, zero
    sfence.vma
    li a0, MSTATUS_TVM
    csrc mstatus, a0
    GOTO_S(s12)
s12:
    TEST_NUM(57)
    csrr a0, satp
    csrw satp, zero
    sfence.vma
    sfence.vma zero, zero
    CHECK(a0, 0)
    GOTO_M

    /* ---- access faults: no memory at NO_MEMORY ---- */
    li s0, NO_MEMORY
    TEST_TRAP(58, CAUSE_LOAD_ACCESS, ld a0, 0(s0))
    CHECK_TVAL_REG(s0)
    TEST_TRAP(59, CAUSE_LOAD_ACCESS, lbu a0, 0(s0))
    CHECK_TVAL_REG(s0)
    TEST_TRAP(60, CAUSE_STORE_ACCESS, sw a0, 0(s0))
    CHECK_TVAL_REG(s0)
#ifndef SKIP_KNOWN_QEMU_BUGS
    TEST_TRAP(61, CAUSE_STORE_ACCESS, amoadd.d a0, a1, (s0))   /* AMOs report store faults */
#else
    /* QEMU 7.2 reports an AMO access fault as a load access fault (cause 5). */
    TEST_TRAP(61, CAUSE_LOAD_ACCESS, amoadd.d a0, a1, (s0))
#endif
    CHECK_TVAL_REG(s0)
    TEST_TRAP(62, CAUSE_LOAD_ACCESS, lr.d a0, (s0))
    CHECK_TVAL_REG(s0)
    TEST_NUM(63)                                /* fetch fault: raised at the target */
    EXPECT_TRAP(2f)
    li ra, 0
    jalr ra, 0(s0)
1:  j fail
2:  CHECK_TRAP_COUNT(1)
    CHECK_CAUSE(CAUSE_FETCH_ACCESS)
    CHECK_TVAL_REG(s0)
    la t5, trap_frame
    ld a0, TF_EPC(t5)
    CHECK_REG(a0, s0)
    CHECK_ADDR(ra, 1b)                          /* the jump itself completed */
    GOTO_U(u8)
u8: TEST_TRAP(64, CAUSE_STORE_ACCESS, sd a0, 8(s0))
    li a0, NO_MEMORY + 8
    CHECK_TVAL_REG(a0)
    GOTO_M
TEST_END

    .balign 256
    .option push
    .option norvc
mvec:
    j rt_mtrap                                  /* 0: exceptions */
    .rept 15
    j fail
    .endr
    .balign 256
svec:
    j rt_strap
    .rept 15
    j fail
    .endr
    .option pop
