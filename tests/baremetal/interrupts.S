// Interrupts raised by software through mip (SSIP, STIP and SEIP are writable by M-mode when
// Sstc is off): global enables (MIE only matters in M; M-level interrupts are always taken
// below M; S-level ones are never taken in M, and in U regardless of SIE), delegation with
// mideleg, sie / sip as masked views, priority (MEI > MSI > MTI > SEI > SSI > STI, and
// M-level before S-level), mepc / sepc = the next instruction, mtval = 0, and vectored
// mtvec / stvec (interrupt n at BASE + 4n).
// @isa: rv64imac
#include "test_macros.h"

#define INT(n) (CAUSE_INTERRUPT | (n))
#define CHECK_BITS(reg, mask, val) li t4, mask; and t4, reg, t4; CHECK(t4, val)
#define STATUS_AT_TRAP(reg) la t5, trap_frame; ld reg, TF_STATUS(t5)
#define S_INTS (MIP_SSIP | MIP_STIP | MIP_SEIP)

/* Vector-table stubs: remember the entry number in trap_frame+TF_USER, then continue in the
 * normal handler. */
#define TF_VEC (TF_USER)
#define TF_VEC_TMP (TF_USER + 8)
#define MSTUB(n) mstub_##n: csrrw t6, mscratch, t6; sd t5, TF_VEC_TMP(t6); li t5, n; \
    sd t5, TF_VEC(t6); ld t5, TF_VEC_TMP(t6); csrrw t6, mscratch, t6; j rt_mtrap
#define SSTUB(n) sstub_##n: csrrw t6, sscratch, t6; sd t5, TF_VEC_TMP(t6); li t5, n; \
    sd t5, TF_VEC(t6); ld t5, TF_VEC_TMP(t6); csrrw t6, sscratch, t6; j rt_strap
#define CHECK_VEC(n) la t5, trap_frame; ld t4, TF_VEC(t5); CHECK(t4, n)

/* Back to a clean state in M: nothing pending, enabled or delegated. */
#define RESET_INTS \
    csrw mie, zero; li t4, S_INTS; csrc mip, t4; csrw mideleg, zero; \
    csrci mstatus, MSTATUS_MIE | MSTATUS_SIE

TEST_BEGIN
    RESET_INTS

    /* ---- M-mode: an enabled, pending interrupt waits for mstatus.MIE ---- */
    TEST_NUM(1)
    CLEAR_TRAPS
    csrsi mie, MIP_SSIP
    csrsi mip, MIP_SSIP
    nop
    nop
    CHECK_TRAP_COUNT(0)
    TEST_NUM(2)
    csrsi mstatus, MSTATUS_MIE
1:  CHECK_TRAP_COUNT(1)                         /* taken right after the csrsi */
    CHECK_CAUSE(INT(IRQ_SSI))
    CHECK_MODE(PRV_M)
    CHECK_EPC_ADDR(1b)
    CHECK_TVAL(0)
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, MSTATUS_MPIE | MSTATUS_MPP)
    TEST_NUM(3)                                 /* the handler masked it in mie */
    csrr a0, mie
    CHECK(a0, 0)
    csrr a0, mstatus
    CHECK_BITS(a0, MSTATUS_MIE, MSTATUS_MIE)    /* mret restored MIE */
    RESET_INTS

    /* ---- below M, M-level interrupts are taken whatever MIE says ---- */
    TEST_NUM(4)
    CLEAR_TRAPS
    li a7, MIP_STIP
    csrs mie, a7
    li a7, MIP_STIP
    csrs mip, a7
    GOTO_S(s1)
s1: CHECK_TRAP_COUNT(1)                         /* taken on entering S, before s1 ran */
    CHECK_CAUSE(INT(IRQ_STI))
    CHECK_MODE(PRV_M)
    CHECK_EPC_ADDR(s1)
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, MSTATUS_MPP | MSTATUS_MIE, MSTATUS_MPP_S)
    GOTO_M
    li a7, MIP_SEIP
    csrs mie, a7
    li a7, MIP_SEIP
    csrs mip, a7
    CLEAR_TRAPS
    GOTO_U(u1)
u1: TEST_NUM(5)
    CHECK_TRAP_COUNT(1)
    CHECK_CAUSE(INT(IRQ_SEI))
    CHECK_EPC_ADDR(u1)
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, MSTATUS_MPP, 0)
    GOTO_M
    RESET_INTS

    /* ---- delegated (S-level) interrupts ---- */
    TEST_NUM(6)                                 /* never taken in M, even with MIE = SIE = 1 */
    CLEAR_TRAPS
    csrsi mideleg, MIP_SSIP
    csrsi mie, MIP_SSIP
    csrsi mip, MIP_SSIP
    csrsi mstatus, MSTATUS_MIE | MSTATUS_SIE
    nop
    nop
    CHECK_TRAP_COUNT(0)
    csrci mstatus, MSTATUS_MIE | MSTATUS_SIE
    GOTO_S(s2)
s2: TEST_NUM(7)                                 /* in S with SIE = 0: not taken */
    nop
    CHECK_TRAP_COUNT(0)
    TEST_NUM(8)                                 /* SIE = 1: taken in S */
    csrsi sstatus, MSTATUS_SIE
1:  CHECK_TRAP_COUNT(1)
    CHECK_CAUSE(INT(IRQ_SSI))
    CHECK_MODE(PRV_S)
    CHECK_EPC_ADDR(1b)
    CHECK_TVAL(0)
    STATUS_AT_TRAP(a0)                          /* sstatus: SIE -> SPIE, SPP = S */
    CHECK_BITS(a0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SPIE | MSTATUS_SPP)
    TEST_NUM(9)                                 /* the S handler masked it in sie */
    csrr a0, sie
    CHECK(a0, 0)
    csrr a0, sip                                /* still pending */
    CHECK(a0, MIP_SSIP)
    csrci sip, MIP_SSIP                         /* SSIP is writable in sip */
    csrr a0, sip
    CHECK(a0, 0)
    TEST_NUM(10)                                /* S raises its own software interrupt */
    CLEAR_TRAPS
    csrsi sie, MIP_SSIP
    csrsi sip, MIP_SSIP
1:  CHECK_TRAP_COUNT(1)
    CHECK_CAUSE(INT(IRQ_SSI))
    CHECK_MODE(PRV_S)
    CHECK_EPC_ADDR(1b)
    csrci sip, MIP_SSIP
    TEST_NUM(11)                                /* in U: taken in S whatever SIE says */
    li a7, MSTATUS_SIE | MSTATUS_SPIE           /* SIE = 0 here and after the sret */
    csrc sstatus, a7
    csrsi sie, MIP_SSIP
    csrsi sip, MIP_SSIP
    CLEAR_TRAPS
    SGOTO_U(u2)
u2: CHECK_TRAP_COUNT(1)
    CHECK_CAUSE(INT(IRQ_SSI))
    CHECK_MODE(PRV_S)
    CHECK_EPC_ADDR(u2)
    STATUS_AT_TRAP(a0)
    CHECK_BITS(a0, MSTATUS_SPP | MSTATUS_SIE | MSTATUS_SPIE, 0)
    GOTO_M                                      /* ecall from U is not delegated */
    RESET_INTS

    /* ---- sie / sip show only delegated interrupts ---- */
    TEST_NUM(12)
    csrsi mideleg, MIP_SSIP
    li a0, S_INTS
    csrs mie, a0
    li a7, MIP_STIP
    csrs mip, a7                         /* M-level (not delegated) STI pending */
    csrr a0, sie
    CHECK(a0, MIP_SSIP)
    csrr a0, sip
    CHECK(a0, 0)
    TEST_NUM(13)                                /* writes to undelegated sie bits are ignored */
    csrw sie, zero
    csrr a0, mie
    CHECK(a0, MIP_STIP | MIP_SEIP)
    li a0, S_INTS
    csrs sie, a0
    csrr a0, mie
    CHECK(a0, S_INTS)
    TEST_NUM(14)                                /* STIP and SEIP are read-only in sip */
    li a7, MIP_STIP
    csrc mip, a7
    li a0, S_INTS
    csrw mideleg, a0
    csrw mie, zero
    li a0, MIP_STIP | MIP_SEIP
    csrs sip, a0
    csrr a0, mip
    CHECK_BITS(a0, S_INTS, 0)
    TEST_NUM(15)                                /* mip: MSIP, MTIP, MEIP not writable */
    RESET_INTS
    csrr a1, mip
    li a0, -1
    csrw mip, a0
    csrr a2, mip
    csrw mip, zero
    li a0, MIP_MSIP | MIP_MTIP | MIP_MEIP
    and a1, a1, a0
    and a2, a2, a0
    CHECK_REG(a1, a2)
    TEST_NUM(16)                                /* ...and SSIP, STIP, SEIP are */
    li a0, S_INTS
    csrw mip, a0
    csrr a1, mip
    csrw mip, zero
    and a1, a1, a0
    CHECK(a1, S_INTS)
    RESET_INTS

    /* ---- priority ---- */
#ifndef SKIP_KNOWN_QEMU_BUGS
    /* QEMU 7.2 (without AIA) takes the lowest-numbered pending interrupt first: SSI, STI,
     * SEI instead of the spec's SEI, SSI, STI. */
    TEST_NUM(17)                                /* in M: SEI, then SSI, then STI */
    li a0, S_INTS
    csrs mie, a0
    csrs mip, a0
    CLEAR_TRAPS
    csrsi mstatus, MSTATUS_MIE
    nop
    CHECK_TRAP_COUNT(3)
    CHECK_LOG(0, INT(IRQ_SEI), PRV_M)
    CHECK_LOG(1, INT(IRQ_SSI), PRV_M)
    CHECK_LOG(2, INT(IRQ_STI), PRV_M)
    RESET_INTS
    TEST_NUM(18)                                /* the same order among delegated ones in S */
    li a0, S_INTS
    csrw mideleg, a0
    csrs mie, a0
    csrs mip, a0
    csrsi mstatus, MSTATUS_SIE
    CLEAR_TRAPS
    GOTO_S(s3)
s3: CHECK_TRAP_COUNT(3)
    CHECK_LOG(0, INT(IRQ_SEI), PRV_S)
    CHECK_LOG(1, INT(IRQ_SSI), PRV_S)
    CHECK_LOG(2, INT(IRQ_STI), PRV_S)
    GOTO_M
    RESET_INTS
#endif
    TEST_NUM(19)                                /* M-level (undelegated) before S-level */
    li a7, MIP_SSIP | MIP_SEIP
    csrs mideleg, a7
    li a0, S_INTS
    csrs mie, a0
    csrs mip, a0
    csrsi mstatus, MSTATUS_SIE
    CLEAR_TRAPS
    GOTO_S(s4)
s4: CHECK_TRAP_COUNT(3)
    CHECK_LOG(0, INT(IRQ_STI), PRV_M)           /* lowest-priority cause, but M-level */
#ifndef SKIP_KNOWN_QEMU_BUGS
    CHECK_LOG(1, INT(IRQ_SEI), PRV_S)
    CHECK_LOG(2, INT(IRQ_SSI), PRV_S)
#endif
    GOTO_M
    RESET_INTS

    /* ---- vectored mtvec: interrupt n goes to BASE + 4n, exceptions to BASE ---- */
    TEST_NUM(20)
    la a0, mvec
    ori a0, a0, 1
    csrw mtvec, a0
    csrsi mie, MIP_SSIP
    csrsi mip, MIP_SSIP
    CLEAR_TRAPS
    csrsi mstatus, MSTATUS_MIE
    CHECK_TRAP_COUNT(1)
    CHECK_CAUSE(INT(IRQ_SSI))
    CHECK_VEC(1)
    RESET_INTS
    TEST_NUM(21)
    li a7, MIP_STIP
    csrs mie, a7
    li a7, MIP_STIP
    csrs mip, a7
    csrsi mstatus, MSTATUS_MIE
    CHECK_CAUSE(INT(IRQ_STI))
    CHECK_VEC(5)
    RESET_INTS
    TEST_NUM(22)
    li a0, MIP_SEIP
    csrs mie, a0
    csrs mip, a0
    csrsi mstatus, MSTATUS_MIE
    CHECK_CAUSE(INT(IRQ_SEI))
    CHECK_VEC(9)
    RESET_INTS
    TEST_TRAP(23, CAUSE_ECALL_M, ecall)
    CHECK_VEC(0)
    la a0, rt_mtrap
    csrw mtvec, a0

    /* ---- vectored stvec ---- */
    TEST_NUM(24)
    la a0, svec
    ori a0, a0, 1
    csrw stvec, a0
    li a0, S_INTS
    csrw mideleg, a0
    li a0, MIP_STIP
    csrs mie, a0
    csrs mip, a0
    CLEAR_TRAPS
    GOTO_S(s5)
s5: CHECK_TRAP_COUNT(0)                         /* SIE = 0 */
    csrsi sstatus, MSTATUS_SIE
    CHECK_TRAP_COUNT(1)
    CHECK_CAUSE(INT(IRQ_STI))
    CHECK_MODE(PRV_S)
    CHECK_VEC(5)
    TEST_NUM(25)
    csrsi sie, MIP_SSIP
    csrsi sip, MIP_SSIP
    CHECK_CAUSE(INT(IRQ_SSI))
    CHECK_VEC(1)
    csrci sip, MIP_SSIP
    csrci sstatus, MSTATUS_SIE
    GOTO_M
    la a0, rt_strap
    csrw stvec, a0
    RESET_INTS

    /* ---- an interrupt does not disturb the registers of the interrupted code ---- */
    TEST_NUM(26)
    CLEAR_TRAPS
    li s0, 0
    li s1, 1000
    csrsi mie, MIP_SSIP
    csrsi mstatus, MSTATUS_MIE
1:  addi s0, s0, 1
    li a0, 500
    bne s0, a0, 2f
    csrsi mip, MIP_SSIP                         /* interrupt in the middle of the loop */
2:  bne s0, s1, 1b
    CHECK(s0, 1000)
    CHECK_TRAP_COUNT(1)
    RESET_INTS
TEST_END

    .option push
    .option norvc
    .balign 256
mvec:
    j mstub_0
    j mstub_1
    j fail
    j fail
    j fail
    j mstub_5
    j fail
    j fail
    j fail
    j mstub_9
    .rept 6
    j fail
    .endr
    .balign 256
svec:
    j sstub_0
    j sstub_1
    j fail
    j fail
    j fail
    j sstub_5
    j fail
    j fail
    j fail
    j sstub_9
    .rept 6
    j fail
    .endr
    .option pop

MSTUB(0)
MSTUB(1)
MSTUB(5)
MSTUB(9)
SSTUB(0)
SSTUB(1)
SSTUB(5)
SSTUB(9)
