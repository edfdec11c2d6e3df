// The time CSR and the Sstc supervisor timer: time advances; cycle / time / instret access
// from S and U is gated by mcounteren and scounteren; stimecmp is reachable from S only with
// menvcfg.STCE = 1 and mcounteren.TM = 1; with STCE = 1, mip.STIP follows time >= stimecmp
// and software cannot write it; a delegated timer interrupt wakes wfi in S (sepc = the
// instruction after the wfi), is taken in S from U, and an undelegated one goes to M.
//
// QEMU's spike machine has no time CSR (rdtime is illegal there), so this program is
// validated on QEMU's virt machine.
// @isa: rv64imac
// @qemu: virt
#include "test_macros.h"

#define INT(n) (CAUSE_INTERRUPT | (n))
#define CHECK_BITS(reg, mask, val) li t4, mask; and t4, reg, t4; CHECK(t4, val)
#define CY (1 << 0)
#define TM (1 << 1)
#define IR (1 << 2)
#define DELAY 50000                             /* timer ticks until the interrupt */

TEST_BEGIN
    li a0, MENVCFG_STCE
    csrc menvcfg, a0
    csrw mcounteren, zero
    csrw scounteren, zero
    li a0, -1
    csrw stimecmp, a0

    /* ---- time runs ---- */
    TEST_NUM(1)
    rdtime a0
    li a2, 10000000                             /* give up after this many iterations */
1:  rdtime a1
    bne a1, a0, 2f
    addi a2, a2, -1
    bnez a2, 1b
    j fail
2:  bltu a1, a0, fail_far                       /* and does not go backwards */
    TEST_NUM(2)
    csrr a0, time
    rdtime a1
    bltu a1, a0, fail_far

    /* ---- counter access from S and U ---- */
    GOTO_S(s1)
s1: TEST_ILLEGAL(3, rdtime a0)                  /* mcounteren.TM = 0 */
    TEST_ILLEGAL(4, csrr a0, stimecmp)          /* STCE = 0 */
    GOTO_M
    li a0, TM
    csrw mcounteren, a0
    GOTO_S(s2)
s2: TEST_NUM(5)
    rdtime a0
    TEST_ILLEGAL(6, rdcycle a0)                 /* only TM is set */
    TEST_ILLEGAL(7, rdinstret a0)
    TEST_ILLEGAL(8, csrr a0, stimecmp)          /* TM = 1 but STCE = 0 */
    GOTO_M
    li a0, MENVCFG_STCE
    csrs menvcfg, a0
    csrw mcounteren, zero
    GOTO_S(s3)
s3: TEST_ILLEGAL(9, csrr a0, stimecmp)          /* STCE = 1 but TM = 0 */
    TEST_ILLEGAL(10, csrw stimecmp, a0)
    GOTO_M
    li a0, TM
    csrw mcounteren, a0
    GOTO_S(s4)
s4: TEST_NUM(11)
    li a0, 0x123456789
    csrw stimecmp, a0
    csrr a1, stimecmp
    CHECK(a1, 0x123456789)
    li a0, -1
    csrw stimecmp, a0
    TEST_NUM(12)                                /* S lets U read time (mcounteren.TM set) */
    li a0, TM
    csrw scounteren, a0
    SGOTO_U(u1)
u1: TEST_NUM(13)
    rdtime a0
    TEST_ILLEGAL(14, rdcycle a0)
    TEST_ILLEGAL(15, csrr a0, stimecmp)         /* an S CSR */
    GOTO_M
    csrw scounteren, zero
    GOTO_U(u2)
u2: TEST_ILLEGAL(16, rdtime a0)                 /* scounteren.TM = 0 */
    GOTO_M
    li a0, TM
    csrw scounteren, a0
    csrw mcounteren, zero
    GOTO_U(u3)
u3: TEST_ILLEGAL(17, rdtime a0)                 /* mcounteren.TM = 0 */
    GOTO_M
    li a0, CY | TM | IR
    csrw mcounteren, a0
    csrw scounteren, a0
    GOTO_U(u4)
u4: TEST_NUM(18)
    rdtime a0
    rdcycle a0
    rdinstret a0
    GOTO_M

    /* ---- with STCE = 1, mip.STIP is time >= stimecmp, not writable ---- */
    TEST_NUM(19)
    csrw stimecmp, zero
    csrr a0, mip
    CHECK_BITS(a0, MIP_STIP, MIP_STIP)
    TEST_NUM(20)
    li a0, MIP_STIP
    csrc mip, a0                                /* ignored */
    csrr a0, mip
    CHECK_BITS(a0, MIP_STIP, MIP_STIP)
    TEST_NUM(21)
    li a0, -1
    csrw stimecmp, a0
    csrr a0, mip
    CHECK_BITS(a0, MIP_STIP, 0)
    TEST_NUM(22)
    li a0, MIP_STIP
    csrs mip, a0                                /* ignored */
    csrr a0, mip
    CHECK_BITS(a0, MIP_STIP, 0)
    TEST_NUM(23)                                /* a deadline in the near future */
    rdtime a0
    li a1, DELAY
    add a0, a0, a1
    csrw stimecmp, a0
    li a2, 100000000
1:  csrr a1, mip
    andi a1, a1, MIP_STIP
    bnez a1, 2f
    addi a2, a2, -1
    bnez a2, 1b
    j fail
2:  rdtime a1
    bltu a1, a0, fail_far                       /* not before the deadline */
    li a0, -1
    csrw stimecmp, a0

    /* ---- the S timer interrupt ---- */
    TEST_NUM(24)
    li a0, MIP_STIP
    csrw mideleg, a0
    csrw mie, a0
    GOTO_S(s5)
s5: CLEAR_TRAPS
    csrsi sstatus, MSTATUS_SIE
    rdtime a0
    li a1, DELAY
    add a0, a0, a1
    csrw stimecmp, a0
    wfi
1:  CHECK_TRAP_COUNT(1)
    CHECK_CAUSE(INT(IRQ_STI))
    CHECK_MODE(PRV_S)
    CHECK_EPC_ADDR(1b)                          /* the instruction after the wfi */
    CHECK_TVAL(0)
    TEST_NUM(25)
    rdtime a1
    bltu a1, a0, fail_far                       /* not before the deadline */
    csrr a1, sip                                /* still pending (masked in sie) */
    CHECK_BITS(a1, MIP_STIP, MIP_STIP)
    li a1, -1
    csrw stimecmp, a1                           /* a new deadline clears it */
    csrr a1, sip
    CHECK_BITS(a1, MIP_STIP, 0)
    TEST_NUM(26)                                /* taken in S from U, SIE = 0 */
    csrci sstatus, MSTATUS_SIE
    li a0, MIP_STIP
    csrs sie, a0
    CLEAR_TRAPS
    csrw stimecmp, zero
    CHECK_TRAP_COUNT(0)
    li a0, MSTATUS_SPIE
    csrc sstatus, a0
    SGOTO_U(u5)
u5: CHECK_TRAP_COUNT(1)
    CHECK_CAUSE(INT(IRQ_STI))
    CHECK_MODE(PRV_S)
    CHECK_EPC_ADDR(u5)
    GOTO_M
    li a0, -1
    csrw stimecmp, a0

    /* ---- not delegated: an M-level interrupt, taken in M from S ---- */
    TEST_NUM(27)
    csrw mideleg, zero
    li a0, MIP_STIP
    csrw mie, a0
    GOTO_S(s6)
s6: CLEAR_TRAPS
    rdtime a0
    li a1, DELAY
    add a0, a0, a1
    csrw stimecmp, a0
    wfi
1:  CHECK_TRAP_COUNT(1)
    CHECK_CAUSE(INT(IRQ_STI))
    CHECK_MODE(PRV_M)
    CHECK_EPC_ADDR(1b)
    GOTO_M
    li a0, -1
    csrw stimecmp, a0

    /* ---- wfi in M with MIE = 0 wakes up without taking the interrupt ---- */
    TEST_NUM(28)
    li a0, MIP_STIP
    csrw mie, a0
    csrci mstatus, MSTATUS_MIE
    CLEAR_TRAPS
    rdtime a0
    li a1, DELAY
    add a0, a0, a1
    csrw stimecmp, a0
    wfi
    li a2, 100000000                            /* wfi may also return early: wait */
1:  csrr a1, mip
    andi a1, a1, MIP_STIP
    bnez a1, 2f
    addi a2, a2, -1
    bnez a2, 1b
    j fail
2:  CHECK_TRAP_COUNT(0)
    csrw mie, zero
    li a0, -1
    csrw stimecmp, a0
TEST_END

fail_far:
    j fail
