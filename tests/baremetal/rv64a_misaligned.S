// Misaligned AMOs raise a store/AMO address-misaligned exception (cause 6) with
// mtval = the effective address, and change neither rd nor memory.
//
// The privileged spec reports every AMO exception as a store/AMO exception (causes 6, 7,
// 15).  (The A chapter also allows an access fault instead of the misaligned exception;
// rvemu, like QEMU, uses the misaligned one.)
// @isa: rv64imac
#include "test_macros.h"

#ifndef SKIP_KNOWN_QEMU_BUGS
#define CAUSE_AMO_MISALIGNED CAUSE_MISALIGNED_STORE
#else
/* QEMU 7.2 reports misaligned AMOs as load address-misaligned (cause 4). */
#define CAUSE_AMO_MISALIGNED CAUSE_MISALIGNED_LOAD
#endif

#define PATTERN 0x0102030405060708

/* `insn a2, a1, (reg)` must trap with cause 6, tval = reg, a2 and memory unchanged. */
#define TEST_AMO_MISALIGNED(num, insn, reg) \
    TEST_NUM(num); li a1, PATTERN; sd a1, 0(s0); sd a1, 8(s0); li a2, 0x77; \
    EXPECT_TRAP(98f); 96: insn a2, a1, (reg); j fail; 98: \
    CHECK_TRAP_COUNT(1); CHECK_CAUSE(CAUSE_AMO_MISALIGNED); CHECK_EPC_ADDR(96b); \
    CHECK_TVAL_REG(reg); CHECK(a2, 0x77); ld a3, 0(s0); CHECK(a3, PATTERN); \
    ld a3, 8(s0); CHECK(a3, PATTERN)

TEST_BEGIN
    la s0, amo_buf
    addi s1, s0, 1
    addi s2, s0, 2
    addi s4, s0, 4
    addi s7, s0, 7

    TEST_AMO_MISALIGNED(1, amoadd.w, s2)
    TEST_AMO_MISALIGNED(2, amoswap.w, s1)
    TEST_AMO_MISALIGNED(3, amoxor.w, s7)
    TEST_AMO_MISALIGNED(4, amoand.w, s2)
    TEST_AMO_MISALIGNED(5, amoor.w, s1)
    TEST_AMO_MISALIGNED(6, amomin.w, s2)
    TEST_AMO_MISALIGNED(7, amomax.w, s7)
    TEST_AMO_MISALIGNED(8, amominu.w, s2)
    TEST_AMO_MISALIGNED(9, amomaxu.w, s1)
    TEST_AMO_MISALIGNED(10, amoadd.d, s4)
    TEST_AMO_MISALIGNED(11, amoswap.d, s2)
    TEST_AMO_MISALIGNED(12, amoxor.d, s1)
    TEST_AMO_MISALIGNED(13, amoand.d, s7)
    TEST_AMO_MISALIGNED(14, amoor.d, s4)
    TEST_AMO_MISALIGNED(15, amomin.d, s2)
    TEST_AMO_MISALIGNED(16, amomax.d, s4)
    TEST_AMO_MISALIGNED(17, amominu.d, s1)
    TEST_AMO_MISALIGNED(18, amomaxu.d.aqrl, s4)
    TEST_AMO_MISALIGNED(19, amoadd.w.aq, s7)

    /* aligned AMOs still work afterwards */
    TEST_NUM(20)
    li a1, 40
    sd a1, 0(s0)
    li a1, 2
    amoadd.d a2, a1, (s0)
    CHECK(a2, 40)
    ld a3, 0(s0)
    CHECK(a3, 42)
TEST_END

    .data
    .balign 64
amo_buf:
    .zero 64
