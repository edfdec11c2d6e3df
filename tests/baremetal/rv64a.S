// RV64A: lr/sc (success, failure without a reservation, to another address, after another
// LR, sc invalidating the reservation), every AMO in .w and .d forms (rd = old value, .w
// results sign-extended, .w touches only its word, signed / unsigned min / max), aq/rl
// variants, register aliasing, and misaligned LR raising a load address-misaligned
// exception (cause 4) with mtval = the address.  Misaligned AMOs: rv64a_misaligned.S.
// @isa: rv64imac
#include "test_macros.h"

#define MIN64 0x8000000000000000
#define MAX64 0x7fffffffffffffff
#define GUARD 0x5a5a5a5a

/* 64-bit AMO: memory = init, a1 = operand; rd and the new memory value are checked. */
#define TEST_AMO_D(num, insn, rd_val, mem_val, init, operand) \
    TEST_NUM(num); la a0, amo_buf; li a1, init; sd a1, 0(a0); li a1, operand; \
    insn a2, a1, (a0); CHECK(a2, rd_val); ld a3, 0(a0); CHECK(a3, mem_val); CHECK(a1, operand)

/* 32-bit AMO on the low word of a doubleword whose high word holds GUARD. */
#define TEST_AMO_W(num, insn, rd_val, mem_val, init, operand) \
    TEST_NUM(num); la a0, amo_buf; li a1, (GUARD << 32) | ((init) & 0xffffffff); sd a1, 0(a0); \
    li a1, operand; insn a2, a1, (a0); CHECK(a2, rd_val); lwu a3, 0(a0); \
    CHECK(a3, (mem_val) & 0xffffffff); lwu a3, 4(a0); CHECK(a3, GUARD)

/* Fail unless `reg` is non-zero (an SC failure code). */
#define CHECK_NONZERO(reg) bnez reg, 99f; j fail; 99:

TEST_BEGIN
    /* ---- amoswap ---- */
    TEST_AMO_W(1, amoswap.w, 0xffffffff80000000, 0x12345678, 0x80000000, 0x12345678)
    TEST_AMO_W(2, amoswap.w, 0x7fffffff, 1, 0x7fffffff, 0xffffffff00000001)
    TEST_AMO_D(3, amoswap.d, 0x0123456789abcdef, -1, 0x0123456789abcdef, -1)
    TEST_AMO_D(4, amoswap.d.aqrl, MIN64, 0, MIN64, 0)

    /* ---- amoadd ---- */
    TEST_AMO_W(5, amoadd.w, 0x7fffffff, 0x80000000, 0x7fffffff, 1)
    TEST_AMO_W(6, amoadd.w, -1, 0, 0xffffffff, 1)         /* no carry into the next word */
    TEST_AMO_W(7, amoadd.w.aq, 5, 0xfffffffe, 5, -7)
    TEST_AMO_D(8, amoadd.d, -1, 0, -1, 1)
    TEST_AMO_D(9, amoadd.d, MAX64, MIN64, MAX64, 1)
    TEST_AMO_D(10, amoadd.d.rl, 0x00000000ffffffff, 0x0000000100000000, 0xffffffff, 1)

    /* ---- amoxor / amoand / amoor ---- */
    TEST_AMO_W(11, amoxor.w, 0xfffffffff0f0f0f0, 0x0ff00ff0, 0xf0f0f0f0, 0xff00ff00)
    TEST_AMO_D(12, amoxor.d, 0xf0f0f0f0f0f0f0f0, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00)
    TEST_AMO_W(13, amoand.w, 0xfffffffff0f0f0f0, 0x00f000f0, 0xf0f0f0f0, 0x0ff00ff0)
    TEST_AMO_D(14, amoand.d, -1, 0x8000000000000001, -1, 0x8000000000000001)
    TEST_AMO_W(15, amoor.w, 0x70f0f0f0, 0x7ffff0f0, 0x70f0f0f0, 0x0f0f0000)
    TEST_AMO_D(16, amoor.d, 0x00ff00ff00000000, 0x00ff00ff000000ff, 0x00ff00ff00000000, 0xff)

    /* ---- amomin / amomax (signed) ---- */
    TEST_AMO_W(17, amomin.w, 0xffffffff80000000, 0x80000000, 0x80000000, 1)
    TEST_AMO_W(18, amomin.w, 5, -3, 5, -3)
    TEST_AMO_W(19, amomin.w, 5, 2, 5, 0x7fffffff00000002)            /* rs2 upper bits ignored */
    TEST_AMO_W(20, amomin.w, 1, 0xffffffff, 1, 0x00000000ffffffff)    /* = -1 as a word */
    TEST_AMO_W(21, amomax.w, 0xffffffff80000000, 1, 0x80000000, 1)
    TEST_AMO_W(22, amomax.w, -1, -1, -1, -2)
    TEST_AMO_W(23, amomax.w, 3, 3, 3, 0x00000000fffffff0)
    TEST_AMO_D(24, amomin.d, MIN64, MIN64, MIN64, 1)
    TEST_AMO_D(25, amomin.d, 1, -1, 1, -1)
    TEST_AMO_D(26, amomax.d, MIN64, -1, MIN64, -1)
    TEST_AMO_D(27, amomax.d, MAX64, MAX64, MAX64, MIN64)

    /* ---- amominu / amomaxu (unsigned) ---- */
    TEST_AMO_W(28, amominu.w, 0xffffffff80000000, 1, 0x80000000, 1)
    TEST_AMO_W(29, amominu.w, 5, 0, 5, 0x0000000100000000)            /* low word is 0 */
    TEST_AMO_W(30, amominu.w, -1, 0xfffffffe, 0xffffffff, 0xfffffffe)
    TEST_AMO_W(31, amomaxu.w, 0xffffffff80000000, 0x80000000, 0x80000000, 1)
    TEST_AMO_W(32, amomaxu.w, 1, 0xffffffff, 1, 0xffffffff)
    TEST_AMO_W(33, amomaxu.w, 7, 7, 7, 0xffffffff00000003)
    TEST_AMO_D(34, amominu.d, MIN64, 1, MIN64, 1)
    TEST_AMO_D(35, amominu.d, 0, 0, 0, -1)
    TEST_AMO_D(36, amomaxu.d, MIN64, MIN64, MIN64, MAX64)
    TEST_AMO_D(37, amomaxu.d.aqrl, 1, -1, 1, -1)

    /* ---- register aliasing ---- */
    TEST_NUM(38)                                /* rd = x0: memory still updated */
    la a0, amo_buf
    li a1, 40
    sd a1, 0(a0)
    li a1, 2
    amoadd.d x0, a1, (a0)
    ld a3, 0(a0)
    CHECK(a3, 42)
    CHECK(x0, 0)
    TEST_NUM(39)                                /* rd == rs2: swap a register with memory */
    la a0, amo_buf
    li a1, 0x1111
    sd a1, 0(a0)
    li a1, 0x2222
    amoswap.d a1, a1, (a0)
    CHECK(a1, 0x1111)
    ld a3, 0(a0)
    CHECK(a3, 0x2222)
    TEST_NUM(40)                                /* rd == rs1 */
    la a0, amo_buf
    li a1, 7
    sd a1, 0(a0)
    mv a4, a0
    amoadd.w a0, a1, (a0)
    CHECK(a0, 7)
    lw a3, 0(a4)
    CHECK(a3, 14)
    TEST_NUM(41)                                /* AMO on the high word of a doubleword */
    la a0, amo_buf
    li a1, 0x00000005ffffffff
    sd a1, 0(a0)
    addi a4, a0, 4
    li a1, -6
    amoadd.w a2, a1, (a4)
    CHECK(a2, 5)
    ld a3, 0(a0)
    CHECK(a3, 0xffffffffffffffff)

    /* ---- lr / sc ---- */
    TEST_NUM(42)                                /* lr then sc to the same address succeeds */
    la a0, amo_buf
    li a1, 100
    sd a1, 0(a0)
    lr.d a2, (a0)
    CHECK(a2, 100)
    li a1, 200
    sc.d a3, a1, (a0)
    CHECK(a3, 0)
    ld a4, 0(a0)
    CHECK(a4, 200)

    TEST_NUM(43)                                /* the sc consumed the reservation */
    li a1, 300
    sc.d a3, a1, (a0)
    CHECK_NONZERO(a3)
    ld a4, 0(a0)
    CHECK(a4, 200)

    TEST_NUM(44)                                /* sc to another address fails... */
    la a0, amo_buf
    la a5, far_buf
    li a1, 1
    sd a1, 0(a0)
    sd a1, 0(a5)
    lr.d a2, (a0)
    li a1, 2
    sc.d a3, a1, (a5)
    CHECK_NONZERO(a3)
    ld a4, 0(a5)
    CHECK(a4, 1)
    TEST_NUM(45)                                /* ...and invalidates the reservation too */
    sc.d a3, a1, (a0)
    CHECK_NONZERO(a3)
    ld a4, 0(a0)
    CHECK(a4, 1)

    TEST_NUM(46)                                /* sc pairs only with the most recent lr */
    la a0, amo_buf
    la a5, far_buf
    lr.d a2, (a0)
    lr.d a2, (a5)
    li a1, 3
    sc.d a3, a1, (a0)
    CHECK_NONZERO(a3)
    ld a4, 0(a0)
    CHECK(a4, 1)

    TEST_NUM(47)                                /* lr.w sign-extends, sc.w writes one word */
    la a0, amo_buf
    li a1, (GUARD << 32) | 0x80000001
    sd a1, 0(a0)
    lr.w a2, (a0)
    CHECK(a2, 0xffffffff80000001)
    li a1, 0xffffffff00000002
    sc.w a3, a1, (a0)
    CHECK(a3, 0)
    ld a4, 0(a0)
    CHECK(a4, (GUARD << 32) | 2)

    TEST_NUM(48)                                /* lr.w / sc.w on the high word */
    la a0, amo_buf
    addi a5, a0, 4
    lr.w.aq a2, (a5)
    CHECK(a2, GUARD)
    li a1, -1
    sc.w.rl a3, a1, (a5)
    CHECK(a3, 0)
    ld a4, 0(a0)
    CHECK(a4, 0xffffffff00000002)

    TEST_NUM(49)                                /* sc with rd == rs2 */
    la a0, amo_buf
    lr.d.aqrl a2, (a0)
    li a1, 77
    sc.d.aqrl a1, a1, (a0)
    CHECK(a1, 0)
    ld a4, 0(a0)
    CHECK(a4, 77)

    TEST_NUM(50)                                /* an atomic increment loop */
    la a0, amo_buf
    sd zero, 0(a0)
    li a5, 10
1:  lr.d a2, (a0)
    addi a2, a2, 3
    sc.d a3, a2, (a0)
    bnez a3, 1b
    addi a5, a5, -1
    bnez a5, 1b
    ld a4, 0(a0)
    CHECK(a4, 30)

    TEST_NUM(51)                                /* sc.w without a reservation fails */
    la a0, amo_buf
    li a1, 0x1234
    sd a1, 0(a0)
    li a1, 0x5678
    sc.w a3, a1, (a0)
    CHECK_NONZERO(a3)
    ld a4, 0(a0)
    CHECK(a4, 0x1234)

    /* ---- misaligned LR: load address-misaligned (4), mtval = address ---- */
    la s0, amo_buf
    addi s1, s0, 4
    addi s2, s0, 2
    addi s3, s0, 1
    TEST_TRAP(52, CAUSE_MISALIGNED_LOAD, lr.d a2, (s1))
    CHECK_TVAL_REG(s1)
    TEST_TRAP(53, CAUSE_MISALIGNED_LOAD, lr.w a2, (s2))
    CHECK_TVAL_REG(s2)
    TEST_TRAP(54, CAUSE_MISALIGNED_LOAD, lr.d.aq a2, (s3))
    CHECK_TVAL_REG(s3)

TEST_END

    .data
    .balign 64
amo_buf:
    .zero 64
    .balign 4096
far_buf:
    .zero 64
